/**
 * @mandate/openai-agents against the real OpenAI Agents SDK loop (`run`, `RunState`, handoffs,
 * tool input guardrails), driven by a scripted model that implements the SDK's `Model` interface.
 * The shared scenarios must give the kit's expected decisions and audit trail.
 */
import { type AgentContext, MandateError } from "@mandate/core";
import {
  approveCall,
  guardTool,
  MANDATE_GUARDRAIL,
  mandateAgentTool,
  mandateHandoff,
  pendingApprovalOf,
  rejectCall,
  runApprover,
} from "@mandate/openai-agents";
import {
  Agent,
  type AgentInputItem,
  type AgentOutputItem,
  type Model,
  type ModelRequest,
  type ModelResponse,
  RunContext,
  run,
  setTracingDisabled,
  tool,
  Usage,
} from "@openai/agents";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  APPROVAL_INTENT,
  CALLS,
  type EmailArgs,
  EXPECTED,
  flushedTrail,
  type LookupArgs,
  runLookup,
  SEED_INTENT,
  scenarioMandate,
  seedContext,
} from "./scenario-kit.js";

beforeAll(() => {
  // No exporter: nothing leaves the machine.
  setTracingDisabled(true);
});

/** One model turn: what the model answers, given the request it got. */
type Turn = (request: ModelRequest) => AgentOutputItem[] | Promise<AgentOutputItem[]>;

/** The SDK's Model interface, answering from a script: one entry per model call, in order. */
class ScriptedModel implements Model {
  readonly requests: ModelRequest[] = [];
  constructor(private readonly turns: Turn[]) {}

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    const turn = this.turns.shift();
    if (turn === undefined) throw new Error("the scripted model has no more turns");
    return { usage: new Usage(), output: await turn(request), responseId: `resp_${this.requests.length}` };
  }

  // biome-ignore lint/correctness/useYield: the scenarios never stream
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error("streaming is not scripted");
  }

  get remaining(): number {
    return this.turns.length;
  }
}

let seq = 0;
/** A model turn that calls one tool (call ids unique across the file). */
const callTool =
  (name: string, args: unknown, id = `call_${++seq}`): Turn =>
  () => [{ type: "function_call", callId: id, name, arguments: JSON.stringify(args), status: "completed" }];
const say =
  (text: string): Turn =>
  () => [
    { type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text }] },
  ];

/** What the model was told a tool call returned, from the next request's input. */
function toolOutputs(model: ScriptedModel): string[] {
  const last = model.requests.at(-1)?.input;
  const items = (Array.isArray(last) ? last : []) as AgentInputItem[];
  return items
    .filter((i) => i.type === "function_call_result")
    .map((i) => {
      const out = (i as { output: unknown }).output;
      return typeof out === "string" ? out : ((out as { text?: string }).text ?? JSON.stringify(out));
    });
}

/** The SDK tools of the scenario, with real bodies that record that they ran. */
function sdkTools() {
  const ran: string[] = [];
  const sent: EmailArgs[] = [];
  const lookup = tool({
    name: "lookup",
    description: "Read columns of a CRM table",
    parameters: z.object({ table: z.string(), columns: z.array(z.string()) }),
    execute: async (args: LookupArgs) => {
      ran.push(`lookup:${args.table}`);
      return JSON.stringify(runLookup(args));
    },
  });
  const sendEmail = tool({
    name: "send_email",
    description: "Send an email",
    parameters: z.object({ to: z.string(), subject: z.string() }),
    execute: async (args: EmailArgs) => {
      ran.push("send_email");
      sent.push(args);
      return `sent to ${args.to}`;
    },
  });
  return { lookup: guardTool(lookup), sendEmail: guardTool(sendEmail), ran, sent };
}

const runContext = (ctx: AgentContext) => ({ mandateContext: ctx });

describe("@mandate/openai-agents with the real agent loop", () => {
  it("seed: the lookup runs, the salary lookup is rejected by the guardrail and the model sees why", async () => {
    const { mandate, sink } = scenarioMandate();
    const ctx = await seedContext(mandate);
    const tools = sdkTools();
    const model = new ScriptedModel([
      callTool(CALLS.allowed.tool, CALLS.allowed.args),
      callTool(CALLS.salary.tool, CALLS.salary.args),
      say("Ada Lovelace is our customer."),
    ]);
    const agent = new Agent({ name: "support-bot", instructions: "help", model, tools: [tools.lookup] });

    const result = await run(agent, "find all customer names", { context: runContext(ctx) });

    expect(result.finalOutput).toBe("Ada Lovelace is our customer.");
    expect(tools.ran).toEqual(["lookup:customers"]);
    expect(toolOutputs(model).at(-1)).toMatch(/^lookup denied: intent\.data_undeclared: /);
    const rejected = result.toolInputGuardrailResults.filter(
      (r) => r.guardrail.name === MANDATE_GUARDRAIL && r.output.behavior.type === "rejectContent",
    );
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.output.outputInfo.decision.reasons[0].code).toBe("intent.data_undeclared");
    expect(await flushedTrail(mandate, sink, ctx)).toEqual(EXPECTED.seed);
  });

  it("approval: ask interrupts the run; approving through the run state resumes it under a grant", async () => {
    const { mandate, sink } = scenarioMandate({ approver: runApprover() });
    const ctx = await seedContext(mandate, APPROVAL_INTENT);
    const tools = sdkTools();
    const model = new ScriptedModel([
      callTool(CALLS.externalEmail.tool, CALLS.externalEmail.args),
      say("Sent."),
    ]);
    const agent = new Agent({ name: "support-bot", model, tools: [tools.sendEmail] });

    const first = await run(agent, "email the customer list", { context: runContext(ctx) });
    expect(first.interruptions).toHaveLength(1);
    const item = first.interruptions[0];
    if (item === undefined) throw new Error("no interruption");
    expect(item.name).toBe("send_email");
    const pending = pendingApprovalOf(item);
    expect(pending?.reasons.map((r) => r.code)).toEqual(["intent.resource_undeclared"]);
    expect(pending?.accesses).toEqual([
      { action: "email.send", resource: "mailto:partner@elsewhere.example", data: [] },
    ]);
    expect(tools.sent).toEqual([]);

    first.state.approve(item);
    const resumed = await run(agent, first.state);
    expect(resumed.finalOutput).toBe("Sent.");
    expect(tools.sent).toEqual([CALLS.externalEmail.args]);
    expect(await flushedTrail(mandate, sink, ctx)).toEqual(EXPECTED.approval);
  });

  it("approval with its terms (approveCall), and a rejection (rejectCall) refused on both sides", async () => {
    const { mandate, sink } = scenarioMandate({ approver: runApprover() });
    const ctx = await seedContext(mandate, APPROVAL_INTENT);
    const tools = sdkTools();
    const model = new ScriptedModel([
      callTool(CALLS.externalEmail.tool, CALLS.externalEmail.args),
      callTool(CALLS.externalEmail.tool, { ...CALLS.externalEmail.args, subject: "again" }),
      callTool(CALLS.externalEmail.tool, { to: "ceo@rival.example", subject: "customers" }),
      say("Done."),
    ]);
    const agent = new Agent({ name: "support-bot", model, tools: [tools.sendEmail] });

    const first = await run(agent, "email the customer list", { context: runContext(ctx) });
    const item = first.interruptions[0];
    if (item === undefined) throw new Error("no interruption");
    approveCall(first.state, item, { by: "user:alice", uses: 2, ttl: "10m" });
    // The second email to the same address runs under the same grant (2 uses); the third asks again.
    const second = await run(agent, first.state);
    expect(tools.sent).toHaveLength(2);
    expect(second.interruptions).toHaveLength(1);
    const again = second.interruptions[0];
    if (again === undefined) throw new Error("no interruption");
    rejectCall(second.state, again, {
      by: "user:alice",
      reason: "not to a rival",
      message: "Refused by Alice.",
    });
    const third = await run(agent, second.state);
    expect(third.finalOutput).toBe("Done.");
    expect(tools.sent).toHaveLength(2);
    expect(toolOutputs(model).at(-1)).toBe("Refused by Alice.");

    const trail = await flushedTrail(mandate, sink, ctx);
    expect(trail.slice(0, 6)).toEqual(EXPECTED.approval);
    expect(trail.slice(6)).toEqual([
      { type: "tool.decision", tool: "send_email", decision: "allow" },
      { type: "tool.outcome", tool: "send_email", outcome: "ok" },
      { type: "tool.decision", tool: "send_email", decision: "ask", codes: ["intent.resource_undeclared"] },
      { type: "approval.asked" },
      { type: "approval.denied" },
    ]);
    const granted = sink.events.find((e) => e.type === "approval.granted");
    expect(JSON.stringify(granted)).toContain("user:alice");
  });

  it("a standing approval (alwaysApprove) answers later asks; a direct invoke without one is refused", async () => {
    const { mandate, sink } = scenarioMandate({ approver: runApprover() });
    const ctx = await seedContext(mandate, APPROVAL_INTENT);
    const tools = sdkTools();
    const model = new ScriptedModel([
      callTool(CALLS.externalEmail.tool, CALLS.externalEmail.args),
      callTool(CALLS.externalEmail.tool, { to: "other@elsewhere.example", subject: "customers" }),
      say("Sent both."),
    ]);
    const agent = new Agent({ name: "support-bot", model, tools: [tools.sendEmail] });
    const first = await run(agent, "email the customer list", { context: runContext(ctx) });
    const item = first.interruptions[0];
    if (item === undefined) throw new Error("no interruption");
    first.state.approve(item, { alwaysApprove: true });
    const resumed = await run(agent, first.state);
    expect(resumed.finalOutput).toBe("Sent both.");
    expect(tools.sent.map((m) => m.to)).toEqual(["partner@elsewhere.example", "other@elsewhere.example"]);
    const trail = await flushedTrail(mandate, sink, ctx);
    expect(trail).toEqual([...EXPECTED.approval, ...EXPECTED.approval.slice(1)]);

    // Calling the guarded tool outside a run, with no approval in its run context, is refused.
    const direct = await tools.sendEmail.invoke(
      new RunContext({ mandateContext: ctx }),
      JSON.stringify({ to: "third@elsewhere.example", subject: "x" }),
      { toolCall: { type: "function_call", callId: "call_direct", name: "send_email", arguments: "{}" } },
    );
    expect(direct).toMatch(/^send_email denied: approval\.denied: /);
    expect(tools.sent).toHaveLength(2);
  });

  it("revocation mid-run: the next call is denied, and a call in flight is aborted", async () => {
    const { mandate, sink } = scenarioMandate();
    const ctx = await seedContext(mandate);
    const tools = sdkTools();
    let aborted = false;
    const model = new ScriptedModel([
      callTool(CALLS.allowed.tool, CALLS.allowed.args),
      async () => {
        // Between two model turns, an operator revokes the context.
        await mandate.revoke(ctx.id, "operator stopped the run");
        return callTool(CALLS.allowed.tool, CALLS.allowed.args)({} as ModelRequest);
      },
      say("Stopped."),
    ]);
    const agent = new Agent({ name: "support-bot", model, tools: [tools.lookup] });
    const result = await run(agent, "find all customer names", { context: runContext(ctx) });
    expect(result.finalOutput).toBe("Stopped.");
    expect(tools.ran).toEqual(["lookup:customers"]);
    expect(toolOutputs(model).at(-1)).toMatch(/^lookup denied: context\.revoked: /);
    const trail = await flushedTrail(mandate, sink, ctx);
    expect(trail.slice(0, 3)).toEqual(EXPECTED.seed.slice(0, 3));
    expect(trail.at(-1)).toEqual(EXPECTED.revokedCall);

    // In flight: the tool body revokes its own context while it runs; the signal stops it.
    const second = scenarioMandate();
    const ctx2 = await seedContext(second.mandate);
    const inFlight = guardTool(
      tool({
        name: "lookup",
        description: "Read columns of a CRM table (slowly)",
        parameters: z.object({ table: z.string(), columns: z.array(z.string()) }),
        execute: (_args, _rc, details) =>
          new Promise<string>((_resolve, reject) => {
            details?.signal?.addEventListener("abort", () => {
              aborted = true;
              reject(details.signal?.reason);
            });
            void second.mandate.revoke(ctx2.id, "operator stopped the run");
          }),
      }),
    );
    const model2 = new ScriptedModel([callTool(CALLS.allowed.tool, CALLS.allowed.args), say("Stopped.")]);
    const agent2 = new Agent({ name: "support-bot", model: model2, tools: [inFlight] });
    await run(agent2, "find all customer names", { context: runContext(ctx2) });
    expect(aborted).toBe(true);
    expect(toolOutputs(model2).at(-1)).toMatch(/context\.revoked/);
    const trail2 = await flushedTrail(second.mandate, second.sink, ctx2);
    expect(trail2).toContainEqual({ type: "tool.outcome", tool: "lookup", outcome: "aborted" });
  });

  it("handoff delegates: the receiving agent acts under a child context; revoking the parent stops it", async () => {
    const { mandate, sink } = scenarioMandate();
    const ctx = await seedContext(mandate);
    const tools = sdkTools();
    let model: ScriptedModel;
    const helper = new Agent({
      name: "lookup helper",
      instructions: "look things up",
      model: {
        getResponse: (r) => model.getResponse(r),
        getStreamedResponse: () => model.getStreamedResponse(),
      },
      tools: [tools.lookup],
    });
    const toHelper = mandateHandoff(helper, {
      identity: { name: "lookup-helper", sponsor: "user:alice", roles: ["analyst"] },
      intent: {
        purpose: "read customer names for support-bot",
        allow: [...SEED_INTENT.allow.map((e) => ({ ...e, data: [...e.data] }))],
      },
    });
    const triage = new Agent({
      name: "triage",
      model: {
        getResponse: (r) => model.getResponse(r),
        getStreamedResponse: () => model.getStreamedResponse(),
      },
      handoffs: [toHelper],
    });
    const context = runContext(ctx);
    model = new ScriptedModel([
      callTool(toHelper.toolName, {}),
      callTool(CALLS.allowed.tool, CALLS.allowed.args),
      callTool(CALLS.salary.tool, CALLS.salary.args),
      async () => {
        await mandate.revoke(ctx.id, "operator stopped the parent");
        return callTool(CALLS.allowed.tool, CALLS.allowed.args)({} as ModelRequest);
      },
      say("Done."),
    ]);

    const result = await run(triage, "find all customer names", { context });
    expect(result.finalOutput).toBe("Done.");
    expect(result.lastAgent?.name).toBe("lookup helper");
    const child = context.mandateContext;
    expect(child).not.toBe(ctx);
    expect(child.parent).toBe(ctx);
    expect(child.identity.name).toBe("lookup-helper");
    expect(tools.ran).toEqual(["lookup:customers"]);

    const childTrail = await flushedTrail(mandate, sink, child);
    expect(childTrail).toEqual([
      { type: "context.delegated" },
      ...EXPECTED.seed.slice(1),
      EXPECTED.revokedCall,
    ]);
    expect(await flushedTrail(mandate, sink, ctx)).toEqual([
      { type: "intent.declared" },
      { type: "context.revoked" },
    ]);
  });

  it("a handoff that would widen the parent's intent fails the run", async () => {
    const { mandate } = scenarioMandate();
    const ctx = await seedContext(mandate);
    const tools = sdkTools();
    const model = new ScriptedModel([]);
    const helper = new Agent({ name: "hr helper", model, tools: [tools.lookup] });
    const toHelper = mandateHandoff(helper, {
      identity: { name: "hr-helper", sponsor: "user:alice", roles: ["analyst"] },
      intent: {
        purpose: "read salaries",
        allow: [{ action: "db.read", resource: "crm/employees", data: ["employee.salary"] }],
      },
    });
    const triageModel = new ScriptedModel([callTool(toHelper.toolName, {})]);
    const triage = new Agent({ name: "triage", model: triageModel, handoffs: [toHelper] });
    await expect(run(triage, "what does Grace earn?", { context: runContext(ctx) })).rejects.toMatchObject({
      code: "ERR_BEYOND_PARENT",
    });
    expect(tools.ran).toEqual([]);
  });

  it("an agent as a tool runs under a delegated child context", async () => {
    const { mandate, sink } = scenarioMandate();
    const ctx = await seedContext(mandate);
    const tools = sdkTools();
    let model: ScriptedModel;
    const shared: Model = {
      getResponse: (r) => model.getResponse(r),
      getStreamedResponse: () => model.getStreamedResponse(),
    };
    const helper = new Agent({ name: "lookup helper", model: shared, tools: [tools.lookup] });
    const orchestrator = new Agent({
      name: "orchestrator",
      model: shared,
      tools: [
        mandateAgentTool(helper, {
          toolName: "ask_lookup_helper",
          identity: { name: "lookup-helper", sponsor: "user:alice", roles: ["analyst"] },
          intent: {
            purpose: "read customer names",
            allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
          },
        }),
      ],
    });
    model = new ScriptedModel([
      callTool("ask_lookup_helper", { input: "customer names?" }),
      callTool(CALLS.allowed.tool, CALLS.allowed.args),
      say("Ada Lovelace"),
      say("The customer is Ada Lovelace."),
    ]);
    const result = await run(orchestrator, "who are our customers?", { context: runContext(ctx) });
    expect(result.finalOutput).toBe("The customer is Ada Lovelace.");
    expect(toolOutputs(model).at(-1)).toBe("Ada Lovelace");
    expect(tools.ran).toEqual(["lookup:customers"]);

    await mandate.flush();
    const delegated = sink.events.find((e) => e.type === "context.delegated");
    const childId = delegated?.["mandate.context.id"] as string;
    const child = mandate.context(childId);
    expect(child?.parent).toBe(ctx);
    if (child === undefined) throw new Error("no child context");
    expect(await flushedTrail(mandate, sink, child)).toEqual([
      { type: "context.delegated" },
      ...EXPECTED.seed.slice(1, 3),
    ]);
  });

  it("a run without a Mandate context fails closed; the tool never runs", async () => {
    const tools = sdkTools();
    const model = new ScriptedModel([callTool(CALLS.allowed.tool, CALLS.allowed.args)]);
    const agent = new Agent({ name: "support-bot", model, tools: [tools.lookup] });
    const failed = await run(agent, "find all customer names").catch((e: unknown) => e);
    // The SDK wraps what a tool hook throws (ToolCallError); Mandate's error is its cause.
    const cause = (failed as { error?: unknown }).error;
    expect(cause).toBeInstanceOf(MandateError);
    expect((cause as MandateError).code).toBe("ERR_INVALID_CALL");
    expect(tools.ran).toEqual([]);
  });
});
