import { type TrailVerification, type VerifyTrailOptions, verifyAuditEvents } from "@mandate/core";
import type { PgQueryable } from "./pg-client.js";
import { type ReadAuditTableOptions, readAuditTable } from "./read-audit-table.js";

/** Options of {@link verifyFromTable}: which rows, and the verifier's own options (keys, checkpoints). */
export interface VerifyFromTableOptions extends ReadAuditTableOptions, VerifyTrailOptions {}

/**
 * Verifies the hash chain straight from the table: reads the events ordered by stream and sequence
 * number and runs core's `verifyAuditEvents` — every event's hash over its content, the links, gaps,
 * duplicates and signed checkpoints (signatures too, given `keys`). A row changed, deleted or
 * inserted in the table shows up as a problem naming the stream and sequence number.
 */
export async function verifyFromTable(
  db: PgQueryable,
  options: VerifyFromTableOptions = {},
): Promise<TrailVerification> {
  const events = await readAuditTable(db, options);
  return verifyAuditEvents(events, options);
}
