import type { AuditEvent } from "@mandate/core";
import { auditTableName, DEFAULT_AUDIT_TABLE } from "./audit-table-name.js";
import type { PgQueryable } from "./pg-client.js";

/** Options of {@link readAuditTable}. */
export interface ReadAuditTableOptions {
  /** `table` or `schema.table` (default `mandate_audit_events`). */
  readonly table?: string;
  /** Only this stream (default: every stream). */
  readonly stream?: string;
  /** Rows fetched per query (default 10,000). */
  readonly pageSize?: number;
}

interface Row {
  stream: string;
  /** as text: a bigint does not fit a JS number in general */
  seq_text: string;
  event: unknown;
  raw: string | null;
}

/** An event as stored: the exact text when it was kept, else the jsonb. */
export function storedEvent(row: { event: unknown; raw: string | null }): AuditEvent {
  if (row.raw !== null) return JSON.parse(row.raw) as AuditEvent;
  return (typeof row.event === "string" ? JSON.parse(row.event) : row.event) as AuditEvent;
}

/**
 * Every stored event, ordered by stream then sequence number — the order the hash chain is verified
 * in — read page by page (keyset pagination on the primary key).
 */
export async function readAuditTable(
  db: PgQueryable,
  options: ReadAuditTableOptions = {},
): Promise<AuditEvent[]> {
  const t = auditTableName(options.table ?? DEFAULT_AUDIT_TABLE);
  const page = options.pageSize ?? 10_000;
  const out: AuditEvent[] = [];
  let after: [string, string] | undefined;
  for (;;) {
    const where: string[] = [];
    const values: unknown[] = [];
    if (options.stream !== undefined) {
      values.push(options.stream);
      where.push(`stream = $${values.length}`);
    }
    if (after !== undefined) {
      values.push(after[0], after[1]);
      where.push(`(stream, seq) > ($${values.length - 1}, $${values.length}::bigint)`);
    }
    values.push(page);
    const { rows } = await db.query(
      `SELECT stream, seq::text AS seq_text, event, raw FROM ${t.sql}
        ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
        ORDER BY stream, seq LIMIT $${values.length}`,
      values,
    );
    for (const row of rows as Row[]) out.push(storedEvent(row));
    if (rows.length < page) return out;
    const last = rows[rows.length - 1] as Row;
    after = [last.stream, last.seq_text];
  }
}
