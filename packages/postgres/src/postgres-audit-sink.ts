import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { AuditEvent, AuditSink } from "@mandate/core";
import { from as copyFrom } from "pg-copy-streams";
import { AUDIT_COLUMNS, columnArrays, copyRows } from "./audit-rows.js";
import { auditTableName, DEFAULT_AUDIT_TABLE } from "./audit-table-name.js";
import type { PgPool, PgPoolClient } from "./pg-client.js";

/** How batches go in. */
export type PostgresWriteMethod =
  /** `COPY … FROM STDIN` (default): fastest; a batch that meets rows already stored is inserted again with `insert`. */
  | "copy"
  /** One `INSERT … SELECT FROM unnest(…) ON CONFLICT (id) DO NOTHING` per batch. */
  | "insert";

/** Options of {@link postgresAuditSink}. */
export interface PostgresAuditSinkOptions {
  /** The application's `pg.Pool`. The sink checks out one connection per batch and never ends the pool. */
  readonly pool: PgPool;
  /** `table` or `schema.table` (default `mandate_audit_events`), created by `migrateAuditTable`. */
  readonly table?: string;
  /** How batches go in (default `copy`). */
  readonly method?: PostgresWriteMethod;
  /**
   * A write that has not finished after this long, ms, is abandoned — its connection discarded —
   * and rejects, so that core retries it (default 30,000). A partitioned network otherwise hangs.
   */
  readonly writeTimeoutMs?: number;
  /**
   * Connections one batch is spread over (default 1). Core's queue writes one batch at a time; a
   * large batch split over two connections keeps two server processes busy. Each part commits on
   * its own: a batch that fails half-way is retried whole, and the part already stored is skipped.
   */
  readonly parallelism?: number;
}

/** An {@link AuditSink} writing to a PostgreSQL table. */
export interface PostgresAuditSink extends AuditSink {
  /** The table written to, as given. */
  readonly table: string;
  /** Resolves at once: every write is one committed statement. */
  flush(): Promise<void>;
  /** Refuses further writes; the pool stays open (it is the application's). */
  close(): Promise<void>;
}

const UNIQUE_VIOLATION = "23505";

/**
 * The PostgreSQL audit sink: each batch is written in one statement (one transaction), by COPY or
 * by a multi-row INSERT, so that a batch is stored whole or not at all.
 *
 * Writes are idempotent by event id: core retries a failed batch whole, with the same ids, and a
 * batch that meets rows already stored (a retry after a lost acknowledgement, or two writers
 * racing) is inserted with `ON CONFLICT (id) DO NOTHING`. Any other failure — the database gone,
 * a timeout — rejects the write, so that core keeps the batch and retries it with backoff; the
 * queue in front of the sink is what buffers an outage, and denies calls when it is full.
 *
 * Run {@link migrateAuditTable} once before writing.
 */
export function postgresAuditSink(options: PostgresAuditSinkOptions): PostgresAuditSink {
  const table = options.table ?? DEFAULT_AUDIT_TABLE;
  const t = auditTableName(table);
  const method = options.method ?? "copy";
  const timeoutMs = options.writeTimeoutMs ?? 30_000;
  const copySql = `COPY ${t.sql} (${AUDIT_COLUMNS.join(", ")}) FROM STDIN`;
  const types = [
    "text",
    "bigint",
    "text",
    "text",
    "timestamptz",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "boolean",
    "text",
    "text",
    "jsonb",
    "text",
  ];
  const insertSql = `INSERT INTO ${t.sql} (${AUDIT_COLUMNS.join(", ")})
SELECT ${AUDIT_COLUMNS.map((c, i) => (c === "context_path" ? `c${i}::text[]` : `c${i}`)).join(", ")}
  FROM unnest(${types.map((type, i) => `$${i + 1}::${type}[]`).join(", ")}) AS u(${AUDIT_COLUMNS.map((_, i) => `c${i}`).join(", ")})
ON CONFLICT (id) DO NOTHING`;

  const insert = async (client: PgPoolClient, events: readonly AuditEvent[]) => {
    const columns = columnArrays(events);
    try {
      await client.query(insertSql, columns);
    } catch (err) {
      // ON CONFLICT (id) arbitrates on ids only: a writer racing with the same events can trip the
      // (stream, seq) key first. It has committed by then, so the same statement now finds those
      // ids and skips them; an event at a taken position under another id still fails.
      if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
      await client.query(insertSql, columns);
    }
  };

  const copy = async (client: PgPoolClient, events: readonly AuditEvent[]) => {
    const stream = (client as unknown as { query(s: unknown): NodeJS.WritableStream }).query(
      copyFrom(copySql),
    );
    await pipeline(Readable.from([copyRows(events)]), stream);
  };

  const store = async (client: PgPoolClient, events: readonly AuditEvent[]) => {
    if (method === "insert") {
      await insert(client, events);
      return;
    }
    try {
      await copy(client, events);
    } catch (err) {
      // Some of these ids are stored already: COPY stored none of the batch; insert it again,
      // skipping what is there.
      if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
      await insert(client, events);
    }
  };

  const parallelism = Math.max(1, Math.floor(options.parallelism ?? 1));
  /** Parts smaller than this are not worth a connection of their own. */
  const MIN_PART = 128;

  const writePart = async (events: readonly AuditEvent[]) => {
    const client = await options.pool.connect();
    let broken: Error | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onError: (err: Error) => void = () => {};
    // A connection that breaks mid-write emits `error` on the checked-out client: without a
    // listener that would crash the process; here it fails the write, which core retries.
    const failure = new Promise<never>((_, reject) => {
      onError = reject;
      timer = setTimeout(
        () => reject(new Error(`audit write to ${table} did not finish within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    client.on("error", onError);
    try {
      await Promise.race([store(client, events), failure]);
    } catch (err) {
      // A connection that failed mid-statement (or timed out) must not go back to the pool.
      broken = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      clearTimeout(timer);
      client.removeListener("error", onError);
      client.release(broken);
    }
  };

  let closed = false;
  return {
    table,
    async write(events) {
      if (events.length === 0) return;
      if (closed) throw new Error("the PostgreSQL audit sink is closed");
      const parts = Math.min(parallelism, Math.floor(events.length / MIN_PART)) || 1;
      if (parts === 1) return writePart(events);
      const size = Math.ceil(events.length / parts);
      const writes: Promise<void>[] = [];
      for (let i = 0; i < events.length; i += size) writes.push(writePart(events.slice(i, i + size)));
      // Every part settles before the batch does: a retry must not race a part still running.
      const results = await Promise.allSettled(writes);
      const failed = results.find((r) => r.status === "rejected");
      if (failed) throw (failed as PromiseRejectedResult).reason;
    },
    // Each write is one committed statement: there is nothing left to flush.
    async flush() {},
    async close() {
      // The pool is the application's: it ends it.
      closed = true;
    },
  };
}
