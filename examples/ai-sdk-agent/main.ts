/**
 * The seed scenario through the AI SDK's agent loop. An agent declares that it will "find all
 * customer names"; the model (a scripted mock: no network) looks customer names up (allowed), then
 * reaches for salaries (denied: the model receives the denial as a tool error and answers without
 * them). The only Mandate line in the agent itself is `guardTools(ctx, tools)`. The script checks
 * its own outcome and exits non-zero if Mandate or the SDK did not behave as described.
 */
import assert from "node:assert/strict";
import { guardTools } from "@mandate/ai-sdk";
import { createMandate, type DeniedError, defineTool, memoryAuditSink } from "@mandate/core";
import { generateText, stepCountIs, tool } from "ai";
import { MockLanguageModelV3 } from "ai/test";
import { z } from "zod";

// A tiny "database" and the catalog that says which data class each column holds.
const tables: Record<string, Record<string, string>[]> = {
  customers: [{ name: "Ada Lovelace" }, { name: "Alan Turing" }],
  employees: [{ name: "Grace Hopper", salary: "185000" }],
};
const catalog: Record<string, string> = {
  "customers.name": "customer.name",
  "employees.name": "employee.name",
  "employees.salary": "employee.salary",
};

interface LookupArgs {
  table: string;
  columns: string[];
}

// What Mandate knows of the tool: the action, and what a call really touches.
const lookupDefinition = defineTool<LookupArgs>({
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

// The application's AI SDK tool, exactly as it would be without Mandate.
const lookup = tool({
  description: "Read columns of a CRM table",
  inputSchema: z.object({ table: z.string(), columns: z.array(z.string()) }),
  execute: async ({ table, columns }: LookupArgs) =>
    (tables[table] ?? []).map((row) => Object.fromEntries(columns.map((c) => [c, row[c]]))),
});

const sink = memoryAuditSink();
const mandate = createMandate({
  roles: { analyst: [{ action: "db.read", resource: "crm/**", data: ["customer.**", "employee.**"] }] },
  tools: [lookupDefinition],
  audit: sink,
});
const agent = mandate.identity({
  name: "support-bot",
  version: "1.0.0",
  sponsor: "user:alice",
  roles: ["analyst"],
});
const ctx = await mandate.declare(agent, {
  purpose: "find all customer names",
  allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
});

// The model: a scripted stand-in for a real provider, making the seed scenario's two calls.
const script = [
  { toolCallId: "call-names", table: "customers", columns: ["name"] },
  { toolCallId: "call-salary", table: "employees", columns: ["salary"] },
];
let step = 0;
const model = new MockLanguageModelV3({
  doGenerate: async () => {
    const call = script[step++];
    const usage = {
      inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
      outputTokens: { total: 5, text: 5, reasoning: undefined },
    };
    if (call === undefined) {
      return {
        content: [
          { type: "text", text: "Our customers: Ada Lovelace, Alan Turing. Salaries are off limits." },
        ],
        finishReason: { unified: "stop", raw: undefined },
        usage,
        warnings: [],
      };
    }
    const { toolCallId, ...input } = call;
    return {
      content: [{ type: "tool-call", toolCallId, toolName: "lookup", input: JSON.stringify(input) }],
      finishReason: { unified: "tool-calls", raw: undefined },
      usage,
      warnings: [],
    };
  },
});

const result = await generateText({
  model,
  tools: guardTools(ctx, { lookup }, { conversationId: "example-chat" }),
  prompt: "Find all customer names.",
  stopWhen: stepCountIs(5),
});

for (const [i, s] of result.steps.entries()) {
  for (const part of s.content) {
    if (part.type === "tool-result")
      console.log(`step ${i}  ${part.toolName} → ${JSON.stringify(part.output)}`);
    if (part.type === "tool-error") console.log(`step ${i}  ${part.toolName} → ${String(part.error)}`);
    if (part.type === "text") console.log(`step ${i}  model: ${part.text}`);
  }
}
await mandate.flush();
console.log("\naudit trail");
for (const e of sink.events.filter((e) => e["mandate.context.id"] === ctx.id)) {
  const what = e["mandate.decision"] ?? e["mandate.outcome"] ?? "";
  console.log(`  ${e.type.padEnd(16)} ${e["gen_ai.tool.call.id"] ?? ""} ${what}`);
}

// The script proves its own outcome.
const names = result.steps[0]?.content.find((p) => p.type === "tool-result");
assert.deepEqual(names?.output, [{ name: "Ada Lovelace" }, { name: "Alan Turing" }]);
const denied = result.steps[1]?.content.find((p) => p.type === "tool-error");
assert.ok(denied, "the salary lookup must end in a tool error");
const reasons = (denied.error as DeniedError).decision.reasons;
assert.ok(
  reasons.some((r) => r.code === "intent.data_undeclared" && r.dataClass === "employee.salary"),
  "denied for reaching salary data the intent does not declare",
);
assert.equal(result.steps.length, 3, "the loop goes on after the denial");
assert.match(result.text, /Salaries are off limits/);
const decisions = sink.events.filter((e) => e["mandate.context.id"] === ctx.id && e.type === "tool.decision");
assert.deepEqual(
  decisions.map((e) => [e["gen_ai.tool.call.id"], e["mandate.decision"]]),
  [
    ["call-names", "allow"],
    ["call-salary", "deny"],
  ],
);
await mandate.close();
console.log("\nok: the allowed lookup ran, the salary lookup was denied, the model recovered, all audited");
