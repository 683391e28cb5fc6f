/**
 * Mandate in an OpenAI Agents SDK run. The model is scripted (the SDK's `Model` interface, no
 * network), everything else is the real agent loop: tools, tool input guardrails, interruptions
 * and `RunState`, handoffs. The script checks its own outcome and exits non-zero if Mandate did not
 * behave as described.
 *
 *   1. A support agent declares "find all customer names": its name lookup runs; its salary lookup
 *      is rejected by the `mandate` tool input guardrail, and the model reads why.
 *   2. An agent that may email outside the company only with approval: the run stops on an
 *      interruption carrying Mandate's pending approval; approving it in the run state resumes
 *      the run, and the email goes out under a one-call grant.
 *   3. A triage agent hands off to a helper: the handoff delegates a child context with a narrower
 *      intent; revoking the parent stops the helper mid-run.
 */
import assert from "node:assert/strict";
import { createMandate, defineTool, recipientsInspector } from "@mandate/core";
import { guardTool, mandateHandoff, pendingApprovalOf, runApprover } from "@mandate/openai-agents";
import {
  Agent,
  type AgentInputItem,
  type AgentOutputItem,
  type Model,
  type ModelRequest,
  type ModelResponse,
  run,
  setTracingDisabled,
  tool,
  Usage,
} from "@openai/agents";
import { z } from "zod";

setTracingDisabled(true); // nothing leaves the machine

// ---- the application's data, tools and roles ----------------------------------------------------
const rows: Record<string, Record<string, string>[]> = {
  customers: [{ name: "Ada Lovelace", email: "ada@example.com" }],
  employees: [{ name: "Grace Hopper", salary: "185000" }],
};
const catalog: Record<string, string> = {
  "customers.name": "customer.name",
  "customers.email": "customer.email",
  "employees.salary": "employee.salary",
};

// How Mandate sees the tools: what each call really touches.
const lookupDef = defineTool<{ table: string; columns: string[] }>({
  name: "lookup",
  action: "db.read",
  inspect: ({ table, columns }) => [
    {
      action: "db.read",
      resource: `crm/${table}`,
      data: columns.map((c) => catalog[`${table}.${c}`] ?? `unclassified.${table}.${c}`),
    },
  ],
});
const emailDef = defineTool<{ to: string; subject: string }>({
  name: "send_email",
  action: "email.send",
  inspect: recipientsInspector({ fields: ["to"] }),
});

const mandate = createMandate({
  roles: {
    analyst: [
      { action: "db.read", resource: "crm/**", data: ["customer.**", "employee.**"] },
      { action: "email.send", resource: "mailto:**" },
    ],
  },
  tools: [lookupDef, emailDef],
  // `ask` decisions become run interruptions.
  approver: runApprover(),
});

// The SDK tools, as the app already has them; guardTool puts Mandate in front of each.
const ran: string[] = [];
const lookup = guardTool(
  tool({
    name: "lookup",
    description: "Read columns of a CRM table",
    parameters: z.object({ table: z.string(), columns: z.array(z.string()) }),
    execute: async ({ table, columns }) => {
      ran.push(`lookup ${table}.${columns.join(",")}`);
      return JSON.stringify(
        (rows[table] ?? []).map((r) => Object.fromEntries(columns.map((c) => [c, r[c]]))),
      );
    },
  }),
);
const sendEmail = guardTool(
  tool({
    name: "send_email",
    description: "Send an email",
    parameters: z.object({ to: z.string(), subject: z.string() }),
    execute: async ({ to }) => {
      ran.push(`send_email ${to}`);
      return `sent to ${to}`;
    },
  }),
);

// ---- a scripted model (the SDK's Model interface) -------------------------------------------------
type Turn = () => AgentOutputItem[] | Promise<AgentOutputItem[]>;
class ScriptedModel implements Model {
  readonly seen: string[] = [];
  constructor(private readonly turns: Turn[]) {}
  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    // Keep what the model was told each tool call returned (refusals included).
    for (const item of (Array.isArray(request.input) ? request.input : []) as AgentInputItem[]) {
      if (item.type !== "function_call_result") continue;
      const out = (item as { output: unknown }).output;
      const text = typeof out === "string" ? out : ((out as { text?: string }).text ?? "");
      if (!this.seen.includes(text)) this.seen.push(text);
    }
    const turn = this.turns.shift();
    if (!turn) throw new Error("the script has no more turns");
    return { usage: new Usage(), output: await turn() };
  }
  // biome-ignore lint/correctness/useYield: never streamed here
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error("not streamed");
  }
}
let n = 0;
const call =
  (name: string, args: unknown): Turn =>
  () => [
    {
      type: "function_call",
      callId: `call_${++n}`,
      name,
      arguments: JSON.stringify(args),
      status: "completed",
    },
  ];
const say =
  (text: string): Turn =>
  () => [
    { type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text }] },
  ];

const identity = { name: "support-bot", version: "1.0.0", sponsor: "user:alice", roles: ["analyst"] };

// ---- 1. the seed scenario --------------------------------------------------------------------------
const ctx = await mandate.declare(identity, {
  purpose: "find all customer names",
  allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
});
const model1 = new ScriptedModel([
  call("lookup", { table: "customers", columns: ["name"] }),
  call("lookup", { table: "employees", columns: ["salary"] }),
  say("Our customer is Ada Lovelace. I may not read salaries for this task."),
]);
const support = new Agent({
  name: "support-bot",
  instructions: "Answer from the CRM.",
  model: model1,
  tools: [lookup],
});
const r1 = await run(support, "Find all customer names.", { context: { mandateContext: ctx } });
console.log(`1. "${ctx.intent.purpose}"`);
for (const s of model1.seen) console.log(`   tool → model: ${s}`);
console.log(`   final: ${r1.finalOutput}\n`);

// ---- 2. approval as an interruption ----------------------------------------------------------------
const mailer = await mandate.declare(identity, {
  purpose: "email the customer list to the sales team",
  allow: [
    { action: "db.read", resource: "crm/customers", data: ["customer.name"] },
    { action: "email.send", resource: "mailto:*@example.com" },
  ],
  outOfScope: "ask",
});
const model2 = new ScriptedModel([
  call("send_email", { to: "partner@elsewhere.example", subject: "customers" }),
  say("Sent to our partner."),
]);
const mailAgent = new Agent({ name: "mailer", model: model2, tools: [sendEmail] });
const first = await run(mailAgent, "Email the customer list to partner@elsewhere.example.", {
  context: { mandateContext: mailer },
});
const item = first.interruptions[0];
assert.ok(item, "the run stopped for approval");
const pending = pendingApprovalOf(item);
console.log(`2. "${mailer.intent.purpose}"`);
console.log(`   interrupted: ${item.name} — ${pending?.reasons[0]?.code}: ${pending?.reasons[0]?.message}`);
console.log("   a person approves in the run state, and the run resumes");
first.state.approve(item);
const resumed = await run(mailAgent, first.state);
console.log(`   final: ${resumed.finalOutput}\n`);

// ---- 3. a handoff delegates a narrower context; revoking the parent stops the helper ----------------
const root = await mandate.declare(identity, {
  purpose: "answer customer questions",
  allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name", "customer.email"] }],
});
let model3: ScriptedModel;
const shared: Model = {
  getResponse: (r) => model3.getResponse(r),
  getStreamedResponse: () => model3.getStreamedResponse(),
};
const helper = new Agent({ name: "names helper", model: shared, tools: [lookup] });
const toHelper = mandateHandoff(helper, {
  identity: { name: "names-helper", sponsor: "user:alice", roles: ["analyst"] },
  intent: {
    purpose: "look up customer names only",
    allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
  },
});
const triage = new Agent({ name: "triage", model: shared, handoffs: [toHelper] });
const runCtx = { mandateContext: root };
model3 = new ScriptedModel([
  call(toHelper.toolName, {}),
  call("lookup", { table: "customers", columns: ["name"] }),
  call("lookup", { table: "customers", columns: ["email"] }), // within the parent, beyond the child
  async () => {
    await mandate.revoke(root.id, "operator stopped the conversation");
    return call("lookup", { table: "customers", columns: ["name"] })();
  },
  say("Stopped."),
]);
const r3 = await run(triage, "Who are our customers?", { context: runCtx });
const child = runCtx.mandateContext;
console.log(`3. "${root.intent.purpose}" → handoff to ${r3.lastAgent?.name} as "${child.intent.purpose}"`);
for (const s of model3.seen) console.log(`   tool → model: ${s}`);
console.log(`   final: ${r3.finalOutput}`);

// ---- the script proves its own outcome --------------------------------------------------------------
await mandate.flush();
assert.match(model1.seen[0] ?? "", /Ada Lovelace/);
assert.match(model1.seen[1] ?? "", /^lookup denied: intent\.data_undeclared: /);
assert.equal(pending?.reasons[0]?.code, "intent.resource_undeclared");
assert.equal(resumed.finalOutput, "Sent to our partner.");
assert.equal(child.parent, root, "the helper acted under a child of the triage context");
assert.match(model3.seen[1] ?? "", /Ada Lovelace/);
assert.match(model3.seen[2] ?? "", /^lookup denied: intent\.data_undeclared: .*customer\.email/);
assert.match(model3.seen[3] ?? "", /^lookup denied: context\.revoked: /);
assert.deepEqual(ran, [
  "lookup customers.name",
  "send_email partner@elsewhere.example",
  "lookup customers.name",
]);
await mandate.close();
console.log(
  "\nok: refusals reached the model and never ran; the approval resumed the run; the handoff narrowed and revocation stopped it",
);
