import type { AuditEvent, AuditEventType } from "@mandate/core";
import { auditTableName, DEFAULT_AUDIT_TABLE } from "./audit-table-name.js";
import type { PgQueryable } from "./pg-client.js";
import { storedEvent } from "./read-audit-table.js";

/** Which events {@link queryAuditEvents} returns; every filter given must hold. */
export interface AuditEventQuery {
  /** `table` or `schema.table` (default `mandate_audit_events`). */
  readonly table?: string;
  /** Events of one agent instance (`gen_ai.agent.id`). */
  readonly agentId?: string;
  /** Events under one declared intent (`mandate.intent.id`). */
  readonly intentId?: string;
  /** Events of one context only. */
  readonly contextId?: string;
  /** Events of a context and of every context delegated from it, at any depth (its path contains it). */
  readonly subtreeOf?: string;
  /** Only decisions that strayed from their intent (`mandate.deviation`). */
  readonly deviationsOnly?: boolean;
  /** Only these event types. */
  readonly types?: readonly AuditEventType[];
  /** From this time on (inclusive). */
  readonly since?: Date | string;
  /** Before this time (exclusive). */
  readonly until?: Date | string;
  /** At most this many events (default 10,000). */
  readonly limit?: number;
}

/**
 * Audit events for the intent report and for investigations, oldest first: by agent, by intent,
 * by context or context subtree, deviations only, by type and time — each filter served by an
 * index of the table. Feed the result to core's intent report builder.
 */
export async function queryAuditEvents(db: PgQueryable, query: AuditEventQuery = {}): Promise<AuditEvent[]> {
  const t = auditTableName(query.table ?? DEFAULT_AUDIT_TABLE);
  const where: string[] = [];
  const values: unknown[] = [];
  const param = (v: unknown) => {
    values.push(v);
    return `$${values.length}`;
  };
  if (query.agentId !== undefined) where.push(`agent_id = ${param(query.agentId)}`);
  if (query.intentId !== undefined) where.push(`intent_id = ${param(query.intentId)}`);
  if (query.contextId !== undefined) where.push(`context_id = ${param(query.contextId)}`);
  if (query.subtreeOf !== undefined) {
    const p = param(query.subtreeOf);
    // Lifecycle events of a context this process did not know carry its id without a path.
    where.push(`(context_path @> ARRAY[${p}]::text[] OR context_id = ${p})`);
  }
  if (query.deviationsOnly === true) where.push("deviation");
  if (query.types !== undefined) where.push(`type = ANY(${param([...query.types])}::text[])`);
  if (query.since !== undefined) where.push(`time >= ${param(new Date(query.since))}`);
  if (query.until !== undefined) where.push(`time < ${param(new Date(query.until))}`);
  const limit = param(query.limit ?? 10_000);
  const { rows } = await db.query(
    `SELECT event, raw FROM ${t.sql}
      ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY time, stream, seq LIMIT ${limit}`,
    values,
  );
  return (rows as { event: unknown; raw: string | null }[]).map(storedEvent);
}
