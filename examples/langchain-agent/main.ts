/**
 * The seed scenario through LangChain's agent loop (`createAgent`). An agent declares that it will
 * "find all customer names"; the model (LangChain's fake chat model: no network) looks customer
 * names up (allowed), then reaches for salaries (denied: the model receives an error ToolMessage
 * and answers without them). The only Mandate line in the agent itself is the middleware. The
 * script checks its own outcome and exits non-zero if Mandate or LangChain did not behave as
 * described.
 */
import assert from "node:assert/strict";
import { createMandate, type Decision, defineTool, memoryAuditSink } from "@mandate/core";
import { mandateMiddleware } from "@mandate/langchain";
import { AIMessage, createAgent, fakeModel, ToolMessage, tool } from "langchain";
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

// The application's LangChain tool, exactly as it would be without Mandate.
const lookup = tool(
  async ({ table, columns }: LookupArgs) =>
    (tables[table] ?? []).map((row) => Object.fromEntries(columns.map((c) => [c, row[c]]))),
  {
    name: "lookup",
    description: "Read columns of a CRM table",
    schema: z.object({ table: z.string(), columns: z.array(z.string()) }),
  },
);

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

// The model: LangChain's fake chat model, making the seed scenario's two calls.
const call = (id: string, args: LookupArgs) =>
  new AIMessage({ content: "", tool_calls: [{ name: "lookup", args, id, type: "tool_call" }] });
const model = fakeModel()
  .respond(call("call-names", { table: "customers", columns: ["name"] }))
  .respond(call("call-salary", { table: "employees", columns: ["salary"] }))
  .respond(new AIMessage("Our customers: Ada Lovelace, Alan Turing. Salaries are off limits."));

const reactAgent = createAgent({
  model,
  tools: [lookup],
  middleware: [mandateMiddleware(ctx, { tools: [lookup] })],
});
const result = await reactAgent.invoke(
  { messages: [{ role: "user", content: "Find all customer names." }] },
  { configurable: { thread_id: "example-thread" } },
);

for (const m of result.messages) {
  if (AIMessage.isInstance(m) && (m.tool_calls?.length ?? 0) > 0) {
    for (const c of m.tool_calls ?? []) console.log(`ai     calls ${c.name}(${JSON.stringify(c.args)})`);
    continue;
  }
  const status = ToolMessage.isInstance(m) && m.status === "error" ? " (error)" : "";
  console.log(`${m.getType().padEnd(6)}${status} ${String(m.content)}`);
}
await mandate.flush();
console.log("\naudit trail");
for (const e of sink.events.filter((e) => e["mandate.context.id"] === ctx.id)) {
  const what = e["mandate.decision"] ?? e["mandate.outcome"] ?? "";
  console.log(`  ${e.type.padEnd(16)} ${e["gen_ai.tool.call.id"] ?? ""} ${what}`);
}

// The script proves its own outcome.
const toolMessages = result.messages.filter((m): m is ToolMessage => ToolMessage.isInstance(m));
const names = toolMessages.find((m) => m.tool_call_id === "call-names");
assert.deepEqual(JSON.parse(String(names?.content)), [{ name: "Ada Lovelace" }, { name: "Alan Turing" }]);
const denied = toolMessages.find((m) => m.tool_call_id === "call-salary");
assert.equal(denied?.status, "error", "the salary lookup must end in an error ToolMessage");
const reasons = (denied?.artifact as { mandate: Decision } | undefined)?.mandate.reasons ?? [];
assert.ok(
  reasons.some((r) => r.code === "intent.data_undeclared" && r.dataClass === "employee.salary"),
  "denied for reaching salary data the intent does not declare",
);
assert.match(String(result.messages.at(-1)?.content), /Salaries are off limits/);
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
