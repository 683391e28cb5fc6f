import { auditTableName, DEFAULT_AUDIT_TABLE } from "./audit-table-name.js";
import type { PgPool } from "./pg-client.js";

/** Options of {@link migrateAuditTable}. */
export interface MigrateAuditTableOptions {
  /** `table` or `schema.table` (default `mandate_audit_events`); the schema must exist. */
  readonly table?: string;
}

/**
 * The statements {@link migrateAuditTable} runs, for review or for a migration tool of your own.
 * Every statement is idempotent (`IF NOT EXISTS`).
 */
export function auditTableDdl(table: string = DEFAULT_AUDIT_TABLE): string[] {
  const t = auditTableName(table);
  const ix = (suffix: string) => `"${t.base.slice(0, 63 - suffix.length - 1)}_${suffix}"`;
  return [
    `CREATE TABLE IF NOT EXISTS ${t.sql} (
  stream       text        NOT NULL,
  seq          bigint      NOT NULL,
  id           text        NOT NULL,
  type         text        NOT NULL,
  time         timestamptz NOT NULL,
  agent_id     text,
  context_id   text,
  context_path text[],
  intent_id    text,
  tool_name    text,
  call_id      text,
  decision     text,
  deviation    boolean     NOT NULL DEFAULT false,
  hash         text        NOT NULL,
  prev         text        NOT NULL,
  event        jsonb       NOT NULL,
  raw          text,
  PRIMARY KEY (stream, seq),
  UNIQUE (id)
)`,
    `COMMENT ON COLUMN ${t.sql}.event IS 'The full audit event (Mandate AuditEvent)'`,
    `COMMENT ON COLUMN ${t.sql}.raw IS 'The event''s exact JSON, kept only when jsonb cannot hold it (NUL characters, lone surrogates)'`,
    `CREATE INDEX IF NOT EXISTS ${ix("agent_time")} ON ${t.sql} (agent_id, time)`,
    `CREATE INDEX IF NOT EXISTS ${ix("intent_time")} ON ${t.sql} (intent_id, time)`,
    `CREATE INDEX IF NOT EXISTS ${ix("context")} ON ${t.sql} (context_id)`,
    `CREATE INDEX IF NOT EXISTS ${ix("path")} ON ${t.sql} USING gin (context_path)`,
    `CREATE INDEX IF NOT EXISTS ${ix("deviations")} ON ${t.sql} (time) WHERE deviation`,
  ];
}

/**
 * Creates the audit table and its indexes if they are missing. Idempotent, and safe to run from
 * several processes at once (they take turns on an advisory lock).
 *
 * The table: one row per event — `stream`, `seq` (the primary key, the order the hash chain is
 * verified in), `id` (unique: writes are idempotent by event id), `type`, `time`, `agent_id`,
 * `context_id`, `context_path`, `intent_id`, `tool_name`, `call_id`, `decision`, `deviation`, `hash`,
 * `prev`, and the full event as `jsonb`. Indexes back the intent report's queries: by agent, by
 * intent, by context and by context subtree (GIN on the path), and deviations only.
 */
export async function migrateAuditTable(pool: PgPool, options: MigrateAuditTableOptions = {}): Promise<void> {
  const table = options.table ?? DEFAULT_AUDIT_TABLE;
  const client = await pool.connect();
  let failed: Error | undefined;
  try {
    await client.query("BEGIN");
    // Concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalog: serialise them.
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`mandate.audit.migrate:${table}`]);
    for (const statement of auditTableDdl(table)) await client.query(statement);
    await client.query("COMMIT");
  } catch (err) {
    failed = err as Error;
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release(failed);
  }
}
