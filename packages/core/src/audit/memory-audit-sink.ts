import type { AuditEvent, AuditSink } from "./audit-event.js";

/** An in-memory audit sink: events kept in an array, for tests and short-lived scripts. */
export interface MemoryAuditSink extends AuditSink {
  /** Events written so far, in order. */
  readonly events: readonly AuditEvent[];
}

/** Creates an in-memory audit sink that keeps at most `limit` events (oldest dropped first). */
export function memoryAuditSink(limit = 10_000): MemoryAuditSink {
  const events: AuditEvent[] = [];
  const seen = new Set<string>();
  return {
    events,
    async write(batch) {
      for (const e of batch) {
        if (seen.has(e.id)) continue;
        seen.add(e.id);
        events.push(e);
      }
      // Trimmed in chunks (a quarter of the limit at a time) so the cost stays amortised O(1).
      if (events.length > limit + (limit >> 2)) {
        for (const e of events.splice(0, events.length - limit)) seen.delete(e.id);
      }
    },
  };
}
