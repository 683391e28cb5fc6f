import { monotonicIds, newId } from "../ids.js";
import type { AuditEvent, AuditSink } from "./audit-event.js";
import { genesisHash, HASH_FIELD, seal } from "./chain.js";

/** Options of the audit queue between the guard and the sink. */
export interface AuditQueueOptions {
  /** Events that may wait for the sink (default 10,000). When full, new calls are denied. */
  readonly capacity?: number;
  /** Events handed to the sink in one write (default 512). */
  readonly batchSize?: number;
  /** First retry delay after a failed write, doubled up to 5 s (default 50 ms). */
  readonly retryMs?: number;
  /** Write a signed checkpoint after this many events (default 1,000), when a signing key is set. */
  readonly checkpointEvery?: number;
  /** …or when this long has passed since the last one and events were written since (default 10 s). */
  readonly checkpointIntervalMs?: number;
}

/** An event before it is chained. */
export type UnsealedEvent = Omit<AuditEvent, "mandate.prev" | "mandate.hash">;

/**
 * A recorded fact waiting to become an event; converting it is deferred off the hot path. Given
 * the event's id, position, stream and the hash of the event before it, returns the event sealed
 * ({@link seal} or {@link sealText}).
 */
export type EventBuilder = (id: string, seq: number, stream: string, prev: string) => AuditEvent;

/** Signs checkpoints: given what to vouch for, returns a compact JWT. */
export type CheckpointSigner = (claims: {
  stream: string;
  seq: number;
  hash: string;
  final: boolean;
}) => Promise<string>;

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
  /** Sealed batches in write order: the first is being written (or retried), the next waits. */
  private ready: AuditEvent[][] = [];
  private seq = 0;
  private readonly nextId = monotonicIds();
  /** This queue's stream: its events form one hash chain. */
  readonly stream = newId();
  private lastHash: string;
  private readonly signer: CheckpointSigner | undefined;
  private readonly checkpointEvery: number;
  private readonly checkpointIntervalMs: number;
  private checkpointedSeq = 0;
  private checkpointedAt = Date.now();
  private finished = false;
  private offered = 0;
  private written = 0;
  private draining = false;
  private scheduled = false;
  private waiters: { upTo: number; resolve: () => void }[] = [];

  constructor(
    sink: AuditSink,
    options: AuditQueueOptions = {},
    onError: (err: unknown) => void = () => {},
    signer?: CheckpointSigner,
  ) {
    this.sink = sink;
    this.lastHash = genesisHash(this.stream);
    this.signer = signer;
    this.checkpointEvery = options.checkpointEvery ?? 1_000;
    this.checkpointIntervalMs = options.checkpointIntervalMs ?? 10_000;
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
    this.kick();
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

  /**
   * Writes everything, then a final signed checkpoint (when a signer is set) so that a verifier
   * can tell a complete stream from a truncated one, then flushes the sink.
   */
  async finish(): Promise<void> {
    await this.settled(this.offered);
    if (this.signer !== undefined && !this.finished) {
      this.finished = true;
      try {
        const cp = await this.checkpoint(true);
        const written = new Promise<void>((resolve) => {
          this.finalWritten = resolve;
        });
        this.unwrittenCheckpoint = cp;
        this.kick();
        await written;
      } catch (err) {
        this.onError(err);
      }
    }
    await this.sink.flush?.();
  }

  private unwrittenCheckpoint: AuditEvent | undefined;
  private finalWritten: (() => void) | undefined;

  private kick(): void {
    if (!this.scheduled && !this.draining) {
      this.scheduled = true;
      defer(() => void this.drain());
    }
  }

  /** A signed checkpoint vouching for the last event so far, chained as the next event. */
  private async checkpoint(final: boolean): Promise<AuditEvent> {
    const covered = { stream: this.stream, seq: this.seq, hash: this.lastHash, final };
    const signature = await (this.signer as CheckpointSigner)(covered);
    const now = Date.now();
    // Keys in canonical order, as every event is built (see event-builders.ts).
    const event = {
      id: this.nextId(now),
      "mandate.detail": { covers: { hash: covered.hash, seq: covered.seq }, final },
      "mandate.hash": undefined,
      "mandate.prev": undefined,
      "mandate.signature": signature,
      "mandate.stream": this.stream,
      seq: ++this.seq,
      time: new Date(now).toISOString(),
      type: "audit.checkpoint",
    } as unknown as UnsealedEvent;
    this.lastHash = seal(event as AuditEvent, this.lastHash);
    this.checkpointedSeq = this.seq;
    this.checkpointedAt = now;
    return event as AuditEvent;
  }

  private checkpointDue(): boolean {
    if (this.signer === undefined || this.seq === this.checkpointedSeq) return false;
    return (
      this.seq - this.checkpointedSeq >= this.checkpointEvery ||
      Date.now() - this.checkpointedAt >= this.checkpointIntervalMs
    );
  }

  private async take(): Promise<AuditEvent[]> {
    if (this.unwrittenCheckpoint) {
      const cp = this.unwrittenCheckpoint;
      this.unwrittenCheckpoint = undefined;
      return [cp];
    }
    const end = Math.min(this.buffer.length, this.head + this.batchSize);
    const events: AuditEvent[] = [];
    for (let i = this.head; i < end; i++) {
      const p = this.buffer[i] as Pending;
      const e = p.build(this.nextId(p.time), ++this.seq, this.stream, this.lastHash);
      this.lastHash = e[HASH_FIELD];
      events.push(e);
    }
    this.head = end;
    if (this.head === this.buffer.length) {
      this.buffer = [];
      this.head = 0;
    } else if (this.head > 65_536) {
      this.buffer = this.buffer.slice(this.head);
      this.head = 0;
    }
    if (this.checkpointDue()) {
      try {
        events.push(await this.checkpoint(false));
      } catch (err) {
        // A checkpoint that cannot be signed is reported; the events still go out.
        this.onError(err);
        this.checkpointedAt = Date.now();
      }
    }
    return events;
  }

  /** Whether anything waits to be sealed. */
  private get pending(): boolean {
    return this.unwrittenCheckpoint !== undefined || this.head < this.buffer.length;
  }

  /**
   * Writes sealed batches one at a time, in order. While the sink writes one (its I/O runs off this
   * thread), the next is sealed, so that hashing and writing overlap. A failed write is retried,
   * batch unchanged, before anything after it.
   */
  private async drain(): Promise<void> {
    this.scheduled = false;
    if (this.draining) return;
    this.draining = true;
    let delay = this.retryMs;
    try {
      while (this.ready.length > 0 || this.pending) {
        if (this.ready.length === 0) this.ready.push(await this.take());
        const batch = this.ready[0] as AuditEvent[];
        const writing = (async () => this.sink.write(batch))().then(
          () => undefined,
          (err: unknown) => ({ err }),
        );
        if (this.ready.length === 1 && this.pending) {
          // Let the write get under way (its I/O starts a few ticks on); a sink that is already
          // done — an in-memory one — is not waited for.
          await Promise.race([writing, new Promise<void>((r) => defer(r))]);
          this.ready.push(await this.take());
        }
        const failed = await writing;
        if (failed !== undefined) {
          this.onError(failed.err);
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 5_000);
          continue;
        }
        this.ready.shift();
        delay = this.retryMs;
        // Positions count the events offered by the guard; checkpoints ride along uncounted.
        let counted = 0;
        for (const e of batch) {
          if (e.type !== "audit.checkpoint") counted++;
          else if (e["mandate.detail"]?.final === true) this.finalWritten?.();
        }
        this.written += counted;
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
