/**
 * Mandate's audit sink on PostgreSQL: batched, idempotent by event id, hash chain verifiable
 * straight from the table, and query helpers for the intent report. Bring your own `pg.Pool`;
 * nothing connects on import.
 * @packageDocumentation
 */
export { type AuditTableName, auditTableName, DEFAULT_AUDIT_TABLE } from "./audit-table-name.js";
export { auditTableDdl, type MigrateAuditTableOptions, migrateAuditTable } from "./migrate-audit-table.js";
export type { PgPool, PgPoolClient, PgQueryable } from "./pg-client.js";
export {
  type PostgresAuditSink,
  type PostgresAuditSinkOptions,
  type PostgresWriteMethod,
  postgresAuditSink,
} from "./postgres-audit-sink.js";
export { type AuditEventQuery, queryAuditEvents } from "./query-audit-events.js";
export { type ReadAuditTableOptions, readAuditTable } from "./read-audit-table.js";
export { type VerifyFromTableOptions, verifyFromTable } from "./verify-from-table.js";
