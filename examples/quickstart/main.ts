/**
 * Quickstart: the seed scenario. An agent declares that it will "find all customer names"; it
 * looks customer names up (allowed), then reaches for salary data (denied: a deviation from its
 * declared intent). Every decision lands in a local audit file. The script checks its own outcome
 * and exits non-zero if Mandate did not behave as described.
 */
import assert from "node:assert/strict";
import { readFile, rm } from "node:fs/promises";
import { resolve } from "node:path";
import { createMandate, type Decision, DeniedError, defineTool, generateSigningKey } from "@mandate/core";
import { jsonlAuditSink, verifyAuditFile } from "@mandate/core/node";

// A tiny "database" and the catalog that says which data class each column holds.
const tables: Record<string, Record<string, string>[]> = {
  customers: [
    { name: "Ada Lovelace", email: "ada@example.com" },
    { name: "Alan Turing", email: "alan@example.com" },
  ],
  employees: [{ name: "Grace Hopper", salary: "185000" }],
};
const catalog: Record<string, string> = {
  "customers.name": "customer.name",
  "customers.email": "customer.email",
  "employees.name": "employee.name",
  "employees.salary": "employee.salary",
};

interface LookupArgs {
  table: string;
  columns: string[];
}

// A tool declares its action and how its arguments map to what it really touches.
const lookup = defineTool<LookupArgs>({
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

const auditPath = resolve(".mandate/quickstart-audit.jsonl");
// Each run signs with a fresh key, so it starts a fresh trail (a real deployment keeps its key).
await rm(auditPath, { force: true });
await rm(`${auditPath}.checkpoint`, { force: true });
// The key signs context tokens and the audit trail's checkpoints.
const key = await generateSigningKey();
const mandate = createMandate({
  roles: { analyst: [{ action: "db.read", resource: "crm/**", data: ["customer.**", "employee.**"] }] },
  tools: [lookup],
  audit: jsonlAuditSink({ path: auditPath }),
  tokens: { signing: key },
});

// One agent instance, with its own identity, and what it says it will do.
const agent = mandate.identity({
  name: "support-bot",
  version: "1.0.0",
  sponsor: "user:alice",
  roles: ["analyst"],
});
const ctx = await mandate.declare(agent, {
  purpose: "find all customer names",
  allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
  limits: { calls: 50, ttl: "10m" },
});

const query = ctx.guard(lookup, ({ table, columns }) =>
  (tables[table] ?? []).map((row) => Object.fromEntries(columns.map((c) => [c, row[c]]))),
);

const timeline: Decision[] = [];
mandate.events.on("decision", (d) => timeline.push(d));

console.log(`agent   ${agent.name}@${agent.version}  id ${agent.id}  sponsor ${agent.sponsor}`);
console.log(`intent  "${ctx.intent.purpose}"  context ${ctx.id}\n`);

const names = await query({ table: "customers", columns: ["name"] });
console.log(`call 1  lookup customers(name)         → ${names.map((r) => r.name).join(", ")}`);

let denied: DeniedError | undefined;
try {
  await query({ table: "employees", columns: ["name", "salary"] });
} catch (err) {
  if (!(err instanceof DeniedError)) throw err;
  denied = err;
  console.log(`call 2  lookup employees(name, salary) → denied: ${err.decision.reasons[0]?.code}`);
}

console.log("\ntimeline");
for (const d of timeline) {
  const touched = d.accesses.map((a) => `${a.action} ${a.resource} [${a.data.join(", ")}]`).join("; ");
  console.log(`  ${d.effect.toUpperCase().padEnd(5)} ${d.tool}  ${touched}`);
  for (const r of d.reasons)
    console.log(`        ${r.code}${r.dataClass ? ` (${r.dataClass})` : ""}: ${r.message}`);
}
await mandate.close();
const trail = await verifyAuditFile(auditPath, { keys: [mandate.jwks()] });
const stream = trail.streams.at(-1);
console.log(`\naudit trail: ${auditPath}`);
console.log(
  `  ${trail.ok ? "verified" : "BROKEN"}: ${trail.events} hash-chained events, ` +
    `signed final checkpoint: ${stream?.final ? "yes" : "no"}`,
);

// The script proves its own outcome.
assert.deepEqual(names, [{ name: "Ada Lovelace" }, { name: "Alan Turing" }]);
assert.ok(denied, "the salary lookup must be denied");
assert.ok(denied.decision.deviation);
assert.ok(
  denied.decision.reasons.some(
    (r) => r.code === "intent.data_undeclared" && r.dataClass === "employee.salary",
  ),
);
const events = (await readFile(auditPath, "utf8"))
  .trim()
  .split("\n")
  .map((line) => JSON.parse(line))
  .filter((e) => e["mandate.context.id"] === ctx.id && e.type === "tool.decision");
assert.deepEqual(
  events.map((e) => e["mandate.decision"]),
  ["allow", "deny"],
);
assert.ok(trail.ok, JSON.stringify(trail.problems));
assert.ok(stream?.final, "the run's stream ends with a signed final checkpoint");
console.log(
  "ok: the allowed lookup ran, the salary lookup was denied, both are in the audit trail, and it verifies",
);
