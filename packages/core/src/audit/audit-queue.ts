import { monotonicIds } from "../ids.js";
import type { AuditEvent, AuditSink } from "./audit-event.js";

/** Options of the audit queue between the guard and the sink. */
export interface AuditQueueOptions {
  /** Events that may wait for the sink (default 10,000). When full, new calls are denied. */
  readonly capacity?: number;
  /** Events handed to the sink in one write (default 512). */
  readonly batchSize?: number;
  /** First retry delay after a failed write, doubled up to 5 s (default 50 ms). */
  readonly retryMs?: number;
}

/** A recorded fact waiting to become an event; converting it is deferred off the hot path. */
export type EventBuilder = (id: string, seq: number) => AuditEvent;

interface Pending {
  readonly time: number;
  readonly build: EventBuilder;
}

const defer: (fn: () => void) => void =
  typeof globalThis.setImmediate === "function"
    ? (fn) => globalThis.setImmediate(fn)
    : (fn) => setTimeout(fn, 0);

/**
 * Bounded queue between the guard and an {@link AuditSink}. The guard only appends a small record
 * (O(1), no serialisation); a drain loop builds the events, assigns ids and sequence numbers and
 * writes them in batches. A failed write keeps its events (same ids, so the retry is idempotent)
 * and is retried with backoff; nothing is dropped. Back-pressure is explicit: when `capacity`
 * events wait, `offer` refuses and the guard denies the call (`audit.unavailable`).
 */
export class AuditQueue {
  private readonly sink: AuditSink;
  private readonly capacity: number;
  private readonly batchSize: number;
  private readonly retryMs: number;
  private readonly onError: (err: unknown) => void;
  private buffer: Pending[] = [];
  private head = 0;
  private unwritten: AuditEvent[] | undefined;
  private seq = 0;
  private readonly nextId = monotonicIds();
  private offered = 0;
  private written = 0;
  private draining = false;
  private scheduled = false;
  private waiters: { upTo: number; resolve: () => void }[] = [];

  constructor(sink: AuditSink, options: AuditQueueOptions = {}, onError: (err: unknown) => void = () => {}) {
    this.sink = sink;
    this.capacity = options.capacity ?? 10_000;
    this.batchSize = options.batchSize ?? 512;
    this.retryMs = options.retryMs ?? 50;
    this.onError = onError;
  }

  /** Events accepted but not yet written. */
  get backlog(): number {
    return this.offered - this.written;
  }

  /**
   * Appends an event; returns its position, or 0 when the queue is full. `force` bypasses the bound,
   * for lifecycle events (a revocation must be recorded even while the sink is down).
   */
  offer(time: number, build: EventBuilder, force = false): number {
    if (!force && this.offered - this.written >= this.capacity) return 0;
    this.buffer.push({ time, build });
    this.offered++;
    if (!this.scheduled && !this.draining) {
      this.scheduled = true;
      defer(() => void this.drain());
    }
    return this.offered;
  }

  /** Resolves once every event up to position `upTo` is written. */
  settled(upTo: number): Promise<void> {
    if (this.written >= upTo) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ upTo, resolve }));
  }

  /** Resolves once everything offered so far is written and the sink has flushed. */
  async flush(): Promise<void> {
    await this.settled(this.offered);
    await this.sink.flush?.();
  }

  private take(): AuditEvent[] {
    if (this.unwritten) return this.unwritten;
    const end = Math.min(this.buffer.length, this.head + this.batchSize);
    const events: AuditEvent[] = [];
    for (let i = this.head; i < end; i++) {
      const p = this.buffer[i] as Pending;
      events.push(p.build(this.nextId(p.time), ++this.seq));
    }
    this.head = end;
    if (this.head === this.buffer.length) {
      this.buffer = [];
      this.head = 0;
    } else if (this.head > 65_536) {
      this.buffer = this.buffer.slice(this.head);
      this.head = 0;
    }
    return events;
  }

  private async drain(): Promise<void> {
    this.scheduled = false;
    if (this.draining) return;
    this.draining = true;
    let delay = this.retryMs;
    try {
      while (this.unwritten || this.head < this.buffer.length) {
        const events = this.take();
        try {
          await this.sink.write(events);
        } catch (err) {
          this.unwritten = events;
          this.onError(err);
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 5_000);
          continue;
        }
        this.unwritten = undefined;
        delay = this.retryMs;
        this.written += events.length;
        this.release();
      }
    } finally {
      this.draining = false;
    }
  }

  private release(): void {
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) this.written >= w.upTo ? w.resolve() : still.push(w);
    this.waiters = still;
  }
}
