/**
 * Sustained write throughput of the PostgreSQL audit sink: EVENTS real events (the decisions and
 * outcomes of guarded calls, ~1 KB each, sealed by core, built beforehand) written the way core's
 * queue writes them — one batch at a time, BATCH events a batch, each spread over PARALLELISM
 * connections — into a fresh, migrated table with all its indexes, by COPY, each part committed. `postgresBench()` returns the
 * figure for the root bench runner; run this file directly to print it:
 *
 *   npx tsx --conditions=@mandate/source packages/postgres/bench/postgres.bench.ts
 */
import { pathToFileURL } from "node:url";
import { type AuditEvent, createMandate, defineTool, memoryAuditSink, newId } from "@mandate/core";
import { migrateAuditTable, type PostgresWriteMethod, postgresAuditSink } from "@mandate/postgres";
import pg from "pg";

const URL_ =
  process.env.MANDATE_BENCH_PG_URL ??
  process.env.MANDATE_TEST_PG_URL ??
  "postgres://postgres@127.0.0.1:5432/test";
const EVENTS = 100_000;
const WARMUP = 10_240;
/** Core's `batchSize` for a high-volume sink (its default is 512). */
const BATCH = 2_048;
/** Connections a batch is spread over (the sink's `parallelism`). */
const PARALLELISM = 2;

const lookup = defineTool<{ table: string; columns: string[] }>({
  name: "lookup",
  action: "db.read",
  inspect: ({ table, columns }) => [
    { action: "db.read", resource: `crm/${table}`, data: columns.map((c) => `${table.slice(0, -1)}.${c}`) },
  ],
});

/**
 * Real events: guarded calls of a Mandate, kept by a memory sink — sealed as core seals them, so
 * that the sink gets the canonical text with each event, as in production.
 */
async function realEvents(count: number): Promise<AuditEvent[]> {
  const sink = memoryAuditSink(count * 2);
  const mandate = createMandate({
    roles: { analyst: [{ action: "db.read", resource: "crm/**", data: ["customer.**", "employee.**"] }] },
    tools: [lookup],
    audit: { sink, capacity: count * 2 },
  });
  const agent = { name: "support-bot", version: "1.0.0", sponsor: "user:alice", roles: ["analyst"] };
  const root = await mandate.declare(agent, {
    purpose: "find all customer names",
    allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
    mode: "monitor",
  });
  const ctx = await root.delegate(agent, {
    purpose: "look up one customer",
    allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
    mode: "monitor",
  });
  const call = ctx.guard(lookup, () => [{ name: "Ada Lovelace" }]);
  for (let i = 0; sink.events.length < count; i++) {
    const table = i % 10 === 0 ? "employees" : "customers"; // some deviations
    await call(
      { table, columns: ["name"] },
      { reasoning: { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", stepId: `${i}` } },
    );
    if (i % 1000 === 0) await mandate.flush();
  }
  await mandate.flush();
  return sink.events.slice(0, count);
}

/**
 * The server's own ceiling on this machine: the same rows copied from table to table inside the
 * server (`INSERT … SELECT` of the sink's own rows into a fresh table with the same schema and
 * indexes, one statement, committed) — no client, no protocol, no parsing of the events' JSON text.
 * The sink cannot write faster than this.
 */
async function serverInsertRate(
  pool: pg.Pool,
  table: string,
  written: readonly AuditEvent[],
): Promise<number> {
  const copy = `${table}_ceiling`;
  await migrateAuditTable(pool, { table: copy });
  try {
    const t0 = performance.now();
    const { rowCount } = await pool.query(
      `INSERT INTO "${copy}" SELECT * FROM "${table}" WHERE id = ANY($1::text[])`,
      [written.map((e) => e.id)],
    );
    const seconds = (performance.now() - t0) / 1000;
    if (rowCount !== written.length) throw new Error(`ceiling: copied ${rowCount} of ${written.length} rows`);
    return written.length / seconds;
  } finally {
    await pool.query(`DROP TABLE IF EXISTS "${copy}"`);
  }
}

function batches(events: readonly AuditEvent[], size: number): AuditEvent[][] {
  const out: AuditEvent[][] = [];
  for (let i = 0; i < events.length; i += size) out.push(events.slice(i, i + size));
  return out;
}

/** `postgres.sink.events_per_s`: sustained events per second through `postgresAuditSink`. */
export async function postgresBench(
  method: PostgresWriteMethod = "copy",
  batchSize = BATCH,
  parallelism = PARALLELISM,
): Promise<Record<string, number>> {
  const pool = new pg.Pool({ connectionString: URL_, max: Math.max(2, parallelism) });
  const table = `mandate_audit_bench_${newId().toLowerCase()}`;
  try {
    await migrateAuditTable(pool, { table });
    const sink = postgresAuditSink({ pool, table, method, parallelism });
    const events = await realEvents(WARMUP + EVENTS);
    for (const b of batches(events.slice(0, WARMUP), batchSize)) await sink.write(b);
    const work = batches(events.slice(WARMUP), batchSize);
    const bytes = work.flat().reduce((n, e) => n + JSON.stringify(e).length, 0) / EVENTS;
    const t0 = performance.now();
    for (const b of work) await sink.write(b);
    const seconds = (performance.now() - t0) / 1000;
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${table}"`);
    if (rows[0].n !== EVENTS + WARMUP)
      throw new Error(`expected ${EVENTS + WARMUP} rows, found ${rows[0].n}`);
    if (process.env.MANDATE_BENCH_VERBOSE)
      console.error({ method, batchSize, parallelism, eventBytes: Math.round(bytes) });
    const ceiling = await serverInsertRate(pool, table, events.slice(WARMUP));
    return {
      "postgres.sink.events_per_s": EVENTS / seconds,
      "postgres.server_insert.events_per_s": ceiling,
      "ratio.postgres_sink_over_server_insert": EVENTS / seconds / ceiling,
    };
  } finally {
    await pool.query(`DROP TABLE IF EXISTS "${table}"`);
    await pool.end();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const method = (process.argv[2] as PostgresWriteMethod | undefined) ?? "copy";
  console.log(
    await postgresBench(method, Number(process.argv[3] ?? BATCH), Number(process.argv[4] ?? PARALLELISM)),
  );
}
