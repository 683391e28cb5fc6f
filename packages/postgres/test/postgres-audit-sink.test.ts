/**
 * The PostgreSQL sink beyond the shared contract: the migration, verification straight from the
 * table (including tampering and signed checkpoints), and the query helpers behind the intent
 * report, on a real Mandate's trail.
 */
import { createMandate, DeniedError, defineTool, generateSigningKey } from "@mandate/core";
import { auditChain } from "@mandate/testing";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import {
  auditTableDdl,
  auditTableName,
  migrateAuditTable,
  postgresAuditSink,
  queryAuditEvents,
  readAuditTable,
  verifyFromTable,
} from "../src/index.js";
import { adminPool, cleanUp, freshTable, requirePostgres } from "./helpers.js";

beforeEach(requirePostgres);
afterAll(cleanUp);

describe("migration", () => {
  it("is idempotent, also when several processes run it at once", async () => {
    const table = await freshTable();
    const pool = adminPool();
    await Promise.all([1, 2, 3].map(() => migrateAuditTable(pool, { table })));
    const { rows } = await pool.query(
      "SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY indexname",
      [table],
    );
    expect(rows.map((r) => r.indexname.replace(table, "T"))).toEqual([
      "T_agent_time",
      "T_context",
      "T_deviations",
      "T_id_key",
      "T_intent_time",
      "T_path",
      "T_pkey",
    ]);
  });

  it("works in a schema of its own", async () => {
    const pool = adminPool();
    const schema = `mandate_audit_test_${Date.now()}_${process.pid}`;
    await pool.query(`CREATE SCHEMA ${schema}`);
    const table = `${schema}.events`;
    try {
      await migrateAuditTable(pool, { table });
      const sink = postgresAuditSink({ pool, table });
      const events = auditChain().take(5);
      await sink.write(events);
      expect((await verifyFromTable(pool, { table })).ok).toBe(true);
    } finally {
      await pool.query(`DROP TABLE IF EXISTS ${auditTableName(table).sql}`);
      await pool.query(`DROP SCHEMA IF EXISTS ${schema}`);
    }
  });

  it("refuses table names that are not plain identifiers", () => {
    expect(() => auditTableDdl('x"; DROP TABLE users; --')).toThrow(/invalid audit table name/);
    expect(() => auditTableName("a.b.c")).toThrow(/invalid/);
  });
});

describe("verifyFromTable", () => {
  it("finds rows changed, deleted or forged in the table", async () => {
    const table = await freshTable();
    const pool = adminPool();
    const sink = postgresAuditSink({ pool, table });
    const chain = auditChain();
    await sink.write(chain.take(20));
    expect(await verifyFromTable(pool, { table })).toMatchObject({ ok: true, events: 20 });

    await pool.query(
      `UPDATE "${table}" SET event = jsonb_set(event, '{mandate.decision}', '"deny"') WHERE seq = 10`,
    );
    await pool.query(`DELETE FROM "${table}" WHERE seq = 15`);
    const verdict = await verifyFromTable(pool, { table });
    expect(verdict.ok).toBe(false);
    expect(verdict.problems.map((p) => [p.kind, p.seq])).toEqual([
      ["altered", 10],
      ["deleted", 15],
    ]);
  });

  it("checks a Mandate's signed checkpoints with its keys", async () => {
    const table = await freshTable();
    const pool = adminPool();
    const signing = await generateSigningKey();
    const ping = defineTool<Record<string, never>>({
      name: "ping",
      action: "net.ping",
      resource: "net/ping",
    });
    const mandate = createMandate({
      roles: { pinger: [{ action: "net.ping", resource: "net/**" }] },
      tools: [ping],
      tokens: { signing },
      audit: { sink: postgresAuditSink({ pool, table }), checkpointEvery: 10 },
    });
    const ctx = await mandate.declare(
      { name: "pinger", sponsor: "user:ops", roles: ["pinger"] },
      { purpose: "ping", allow: [{ action: "net.ping", resource: "net/ping" }] },
    );
    const call = ctx.guard(ping, () => "pong");
    for (let i = 0; i < 30; i++) await call({});
    await mandate.close();
    const verdict = await verifyFromTable(pool, { table, keys: [mandate.jwks()] });
    expect(verdict.problems).toEqual([]);
    expect(verdict.signaturesChecked).toBe(true);
    expect(verdict.streams[0]?.final).toBe(true);
    expect(verdict.streams[0]?.checkpoints).toBeGreaterThanOrEqual(2);
  });
});

describe("queries behind the intent report", () => {
  it("selects by agent, intent, context subtree and deviations", async () => {
    const table = await freshTable();
    const pool = adminPool();
    const lookup = defineTool<{ table: string; columns: string[] }>({
      name: "lookup",
      action: "db.read",
      inspect: ({ table: t, columns }) => [
        { action: "db.read", resource: `crm/${t}`, data: columns.map((c) => `${t.slice(0, -1)}.${c}`) },
      ],
    });
    const mandate = createMandate({
      roles: { analyst: [{ action: "db.read", resource: "crm/**", data: ["customer.**", "employee.**"] }] },
      tools: [lookup],
      audit: postgresAuditSink({ pool, table }),
    });
    const names = {
      purpose: "find customer names",
      allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
    };
    const watched = { ...names, mode: "monitor" as const };
    const lead = mandate.identity({ name: "lead", sponsor: "user:alice", roles: ["analyst"] });
    const helper = mandate.identity({ name: "helper", sponsor: "user:alice", roles: ["analyst"] });
    const other = mandate.identity({ name: "other", sponsor: "user:bob", roles: ["analyst"] });
    const root = await mandate.declare(lead, watched);
    const child = await root.delegate(helper, watched);
    const grandchild = await child.delegate(helper, watched);
    const unrelated = await mandate.declare(other, names);
    const run = (ctx: typeof root, t: string, c: string) =>
      ctx
        .guard(lookup, () => [])({ table: t, columns: [c] })
        .catch((e: unknown) => {
          if (!(e instanceof DeniedError)) throw e;
        });
    await run(root, "customers", "name");
    await run(child, "employees", "salary"); // a deviation, allowed in monitor mode
    await run(grandchild, "customers", "name");
    await run(grandchild, "employees", "salary"); // another
    await run(unrelated, "employees", "salary"); // a deviation too, denied (enforce mode)
    await mandate.revoke(child.id, "done");
    await mandate.close();

    const ids = (events: { id: string }[]) => events.map((e) => e.id);
    const all = await readAuditTable(pool, { table });

    const byAgent = await queryAuditEvents(pool, { table, agentId: helper.id });
    expect(byAgent.length).toBeGreaterThan(0);
    expect(byAgent.every((e) => e["gen_ai.agent.id"] === helper.id)).toBe(true);

    const byIntent = await queryAuditEvents(pool, { table, intentId: unrelated.intent.id });
    expect(new Set(byIntent.map((e) => e["mandate.context.id"]))).toEqual(new Set([unrelated.id]));

    const subtree = await queryAuditEvents(pool, { table, subtreeOf: child.id });
    const contexts = new Set(subtree.map((e) => e["mandate.context.id"]));
    expect(contexts).toEqual(new Set([child.id, grandchild.id]));
    expect(subtree.map((e) => e.type)).toContain("context.revoked");

    const deviations = await queryAuditEvents(pool, { table, deviationsOnly: true });
    expect(deviations.map((e) => [e["mandate.context.id"], e["mandate.decision"]])).toEqual([
      [child.id, "allow"],
      [grandchild.id, "allow"],
      [unrelated.id, "deny"],
    ]);
    expect(deviations.every((e) => e["mandate.deviation"] === true && e.type === "tool.decision")).toBe(true);

    const decisions = await queryAuditEvents(pool, { table, types: ["tool.decision"], subtreeOf: root.id });
    expect(decisions).toHaveLength(4);

    const since = await queryAuditEvents(pool, { table, since: all[all.length - 1]?.time as string });
    expect(since.length).toBeGreaterThan(0);
    expect(ids(await queryAuditEvents(pool, { table, limit: 3 }))).toHaveLength(3);
  });
});
