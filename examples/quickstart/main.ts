/**
 * Quickstart: the seed scenario, for real. An agent declares that it will "find all customer
 * names" and queries an embedded PostgreSQL (PGlite). Mandate reads each SQL statement with
 * PostgreSQL's own parser, maps the columns it touches to data classes through a catalog read from
 * the database's own column comments, and lets through only what the intent declares: the customer
 * names come back; the salary queries — plain, hidden in a CTE, smuggled in a UNION — are denied as
 * deviations and never reach the database. Every decision lands in a local, hash-chained, signed
 * audit file, which the script verifies. It checks its own outcome and exits non-zero otherwise.
 */
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { createMandate, type Decision, DeniedError, defineTool, generateSigningKey } from "@mandate/core";
import { jsonlAuditSink, verifyAuditFile } from "@mandate/core/node";
import { createSqlInspector, introspectPostgresCatalog } from "@mandate/sql";

// An embedded database; column comments say which data class each column holds.
const db = new PGlite();
await db.exec(`
  CREATE TABLE customers (id int PRIMARY KEY, name text, email text);
  CREATE TABLE employees (id int PRIMARY KEY, name text, salary int);
  COMMENT ON COLUMN customers.name   IS 'mandate:class=customer.name';
  COMMENT ON COLUMN customers.email  IS 'mandate:class=customer.email';
  COMMENT ON COLUMN employees.name   IS 'mandate:class=employee.name';
  COMMENT ON COLUMN employees.salary IS 'mandate:class=employee.salary';
  INSERT INTO customers VALUES (1, 'Ada Lovelace', 'ada@example.com'), (2, 'Alan Turing', 'alan@example.com');
  INSERT INTO employees VALUES (1, 'Grace Hopper', 185000);
`);

// The SQL tool: its inspector turns each statement into the tables, columns and data classes it touches.
const catalog = await introspectPostgresCatalog(db);
const query = defineTool<{ sql: string }>({
  name: "query",
  action: "db.read",
  description: "Run a read-only SQL query",
  inspect: await createSqlInspector({ catalog, prefix: "pg" }),
});

const auditPath = resolve(".mandate/quickstart-audit.jsonl");
// Each run signs with a fresh key, so it starts a fresh trail (a real deployment keeps its key).
await rm(auditPath, { force: true });
await rm(`${auditPath}.checkpoint`, { force: true });
const mandate = createMandate({
  roles: { analyst: [{ action: "db.read", resource: "pg/public/*", data: ["customer.**", "employee.**"] }] },
  tools: [query],
  audit: jsonlAuditSink({ path: auditPath }),
  tokens: { signing: await generateSigningKey() },
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
  allow: [{ action: "db.read", resource: "pg/public/customers", data: ["customer.name"] }],
  limits: { calls: 50, ttl: "10m" },
});

const sent: string[] = [];
const runQuery = ctx.guard(query, async ({ sql }) => {
  sent.push(sql);
  return (await db.query<Record<string, unknown>>(sql)).rows;
});

const timeline: Decision[] = [];
mandate.events.on("decision", (d) => timeline.push(d));

console.log(`agent   ${agent.name}@${agent.version}  id ${agent.id}  sponsor ${agent.sponsor}`);
console.log(`intent  "${ctx.intent.purpose}"  context ${ctx.id}\n`);

const attempts = [
  "SELECT name FROM customers",
  "SELECT name, salary FROM employees",
  "WITH c AS (SELECT salary AS name FROM employees) SELECT name FROM c",
  "SELECT name FROM customers UNION SELECT salary::text FROM employees",
];
const results: { sql: string; rows?: unknown[]; denied?: DeniedError }[] = [];
for (const sql of attempts) {
  try {
    const rows = await runQuery({ sql });
    results.push({ sql, rows });
    console.log(`ALLOW  ${sql}\n       → ${rows.map((r) => Object.values(r).join(" ")).join(", ")}`);
  } catch (err) {
    if (!(err instanceof DeniedError)) throw err;
    results.push({ sql, denied: err });
    const r = err.decision.reasons.find((x) => x.dataClass === "employee.salary") ?? err.decision.reasons[0];
    console.log(
      `DENY   ${sql}\n       → ${r?.code}${r?.dataClass ? ` (${r.dataClass})` : ""}: never sent to the database`,
    );
  }
}

console.log("\ntimeline");
for (const d of timeline) {
  const touched = d.accesses.map((a) => `${a.resource} [${a.data.join(", ")}]`).join("; ");
  const why =
    d.reasons.map((r) => `${r.code}${r.dataClass ? `:${r.dataClass}` : ""}`).join(" ") || "within intent";
  console.log(`  ${d.effect.padEnd(5)} ${d.tool}  ${touched}  — ${why}`);
}

await mandate.close();
await db.close();
const trail = await verifyAuditFile(auditPath, { keys: [mandate.jwks()] });
console.log(`\naudit trail: ${auditPath}`);
console.log(
  `  ${trail.ok ? "verified" : "BROKEN"}: ${trail.events} hash-chained events, ` +
    `signed final checkpoint: ${trail.streams.at(-1)?.final ? "yes" : "no"}`,
);

// The script proves its own outcome.
assert.deepEqual(results[0]?.rows, [{ name: "Ada Lovelace" }, { name: "Alan Turing" }]);
for (const r of results.slice(1)) {
  assert.ok(r.denied, `denied: ${r.sql}`);
  assert.ok(r.denied.decision.deviation);
  assert.ok(
    r.denied.decision.reasons.some(
      (x) => x.code === "intent.data_undeclared" && x.dataClass === "employee.salary",
    ),
  );
}
assert.deepEqual(sent, [attempts[0]], "only the allowed query reached the database");
assert.ok(trail.ok, JSON.stringify(trail.problems));
assert.ok(trail.streams.at(-1)?.final, "the run's stream ends with a signed final checkpoint");
console.log("ok: names returned; salary denied in every form and never sent; the audit trail verifies");
