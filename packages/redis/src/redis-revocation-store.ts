import { randomUUID } from "node:crypto";
import type { ContextState, ContextStatus, RevocationStore, StatusListener } from "@mandate/core";
import { type LuaScript, RESTORE_SCRIPT, SNAPSHOT_SCRIPT, WRITE_SCRIPT } from "./lua-scripts.js";
import type { RedisCommandClient, RedisSubscriberClient } from "./redis-clients.js";
import { type RedisRevocationKeys, redisRevocationKeys } from "./redis-revocation-keys.js";

/** Options of {@link redisRevocationStore}. */
export interface RedisRevocationStoreOptions {
  /** The app's ioredis client (`Redis` or `Cluster`) for writes and snapshots. Not closed by the store. */
  readonly client: RedisCommandClient;
  /**
   * The connection to subscribe with. Default: `client.duplicate()`, which the store then owns and
   * closes. A given subscriber is left open on close (only unsubscribed). With a `Cluster` client,
   * give a plain `Redis` connection to one node: the heartbeat PING must use the subscribed connection.
   */
  readonly subscriber?: RedisSubscriberClient;
  /** Namespace of the keys, made a Cluster hash tag (default `mandate` → `{mandate}:revocations`…). */
  readonly prefix?: string;
  /**
   * The staleness bound, ms (default 2,000): `fresh` turns false — and the guard denies every call
   * with `store.unavailable` — once the view has not been confirmed complete for this long (the
   * subscription is down, Redis does not answer, or the view is resynchronising).
   */
  readonly staleAfterMs?: number;
  /** How often the subscription is confirmed with a PING, ms (default a quarter of `staleAfterMs`). */
  readonly heartbeatMs?: number;
  /** Told about connection and resynchronisation errors (default: ignored; `fresh` reflects them). */
  readonly onError?: (error: unknown) => void;
  /** Wall clock, epoch ms, for expiring records (for tests). */
  readonly now?: () => number;
}

/** A {@link RevocationStore} on Redis, with the means to wait for and confirm its view. */
export interface RedisRevocationStore extends RevocationStore {
  readonly keys: RedisRevocationKeys;
  /**
   * Resolves once the view is first synchronised (and `fresh`); rejects after `timeoutMs`
   * (default 10,000) — e.g. Redis is not reachable.
   */
  ready(timeoutMs?: number): Promise<void>;
  /**
   * A read barrier (strict mode): resolves once every change committed to Redis before the call is
   * in this view, at the cost of one round trip on the subscriber connection. Rejects when the
   * view cannot be confirmed within the staleness bound: treat that as a denial.
   */
  sync(): Promise<void>;
  /** Unsubscribes and stops the heartbeat; closes the subscriber if the store created it. */
  close(): Promise<void>;
}

interface Change {
  /** epoch */
  readonly e: string;
  /** version */
  readonly v: number;
  readonly id: string;
  /** the new status, or null when resumed */
  readonly s: ContextStatus | null;
}

type WriteReply = [changed: number, ver: number, epoch: string, current: string | null];

/** Redis errors that mean the script cache is empty (a restart, SCRIPT FLUSH). */
const isNoScript = (err: unknown) => err instanceof Error && err.message.includes("NOSCRIPT");

/**
 * A revocation store on Redis, shared by every process of an application.
 *
 * State lives in Redis (one hash of revoked and paused contexts, each record forgotten when its
 * context expires). Every change is made by a Lua script that also bumps a version and publishes
 * the change, so revocation stays final under any race, and every process's subscriber applies
 * changes in order to a local view: `status()` never waits on the network.
 *
 * The view is synchronised (subscribe, then one atomic snapshot of state and version) on start and
 * on every reconnect before it counts as fresh. A PING on the subscriber connection every
 * `heartbeatMs` confirms that every change published before it has arrived; once nothing has been
 * confirmed for `staleAfterMs`, `fresh` is false and the guard fails closed. A gap in the version
 * sequence, or a new epoch (Redis lost its data), makes the view stale at once and resynchronises
 * it; after a loss of data each process writes back the revocations (and pauses) it knew.
 *
 * Creating the store opens the subscription; `await store.ready()` before taking traffic.
 */
export function redisRevocationStore(options: RedisRevocationStoreOptions): RedisRevocationStore {
  return new RedisStore(options);
}

class RedisStore implements RedisRevocationStore {
  readonly keys: RedisRevocationKeys;
  private readonly client: RedisCommandClient;
  private readonly sub: RedisSubscriberClient;
  private readonly ownsSubscriber: boolean;
  private readonly staleAfterMs: number;
  private readonly onError: (error: unknown) => void;
  private readonly now: () => number;
  private readonly keyList: readonly string[];

  private readonly states = new Map<string, ContextStatus>();
  /** Ids written by this process whose change may not have come through the channel yet: id → version. */
  private readonly ahead = new Map<string, number>();
  private readonly listeners = new Set<StatusListener>();
  private lastVer = 0;
  private epoch: string | undefined;
  /** The view holds every change published on the current connection. */
  private inSync = false;
  /** `performance.now()` at which the view was last confirmed complete. */
  private freshAsOf = Number.NEGATIVE_INFINITY;
  /** Changes that arrive while a snapshot is taken. */
  private buffer: Change[] | undefined;
  /** Bumped on every disconnect: answers from an older connection prove nothing. */
  private generation = 0;
  private resyncing = false;
  private resyncAgain = false;
  private pinging = false;
  private pingSentAt = 0;
  private closed = false;
  private applied = 0;
  private readonly heartbeat: ReturnType<typeof setInterval>;
  private readonly readyWaiters = new Set<() => void>();
  private readonly handlers: [string, (...args: unknown[]) => void][];

  constructor(options: RedisRevocationStoreOptions) {
    this.keys = redisRevocationKeys(options.prefix);
    this.keyList = [this.keys.state, this.keys.expiry, this.keys.meta];
    this.client = options.client;
    this.ownsSubscriber = options.subscriber === undefined;
    this.sub = options.subscriber ?? options.client.duplicate();
    this.staleAfterMs = options.staleAfterMs ?? 2_000;
    this.onError = options.onError ?? (() => {});
    this.now = options.now ?? Date.now;
    const heartbeatMs = options.heartbeatMs ?? Math.max(1, Math.floor(this.staleAfterMs / 4));

    this.handlers = [
      ["message", ((channel: string, message: string) => this.onMessage(channel, message)) as never],
      ["ready", (() => this.resync()) as never],
      ["close", (() => this.onDisconnect()) as never],
      ["error", ((err: unknown) => this.onError(err)) as never],
    ];
    for (const [event, handler] of this.handlers) this.sub.on(event, handler);
    this.heartbeat = setInterval(() => this.ping(), heartbeatMs);
    this.heartbeat.unref?.();
    // SUBSCRIBE connects a lazy client; a client already connected will not say `ready` again.
    this.resync();
  }

  // ---- the view -------------------------------------------------------------------------------

  status(contextId: string): ContextStatus | undefined {
    return this.states.get(contextId);
  }

  get fresh(): boolean {
    if (performance.now() - this.freshAsOf < this.staleAfterMs) return true;
    // Stale: ask for a confirmation at once rather than at the next heartbeat.
    if (!this.closed) this.ping();
    return false;
  }

  subscribe(listener: StatusListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Sets one context's status in the view; tells listeners when it changed. Revoked stays revoked. */
  private apply(id: string, next: ContextStatus | undefined): void {
    const prev = this.states.get(id);
    if (prev?.state === "revoked" && next?.state !== "revoked") return;
    if (sameStatus(prev, next)) return;
    if (next === undefined) this.states.delete(id);
    else this.states.set(id, next);
    if ((++this.applied & 1023) === 0) this.prune();
    for (const l of this.listeners) {
      try {
        l(id, next);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  /** Forgets records of expired contexts (an expired context is denied on its own account). */
  private prune(): void {
    const t = this.now();
    for (const [id, s] of this.states)
      if (s.expiresAt !== undefined && s.expiresAt <= t) this.states.delete(id);
  }

  private onMessage(channel: string, message: string): void {
    if (channel !== this.keys.channel) return;
    let change: Change;
    try {
      change = JSON.parse(message) as Change;
    } catch (err) {
      this.onError(err);
      return;
    }
    if (this.buffer !== undefined) {
      this.buffer.push(change);
      return;
    }
    if (!this.inSync) return;
    this.take(change);
  }

  /** Applies one change from the channel, in version order; anything out of order resynchronises. */
  private take(change: Change): void {
    if (change.e !== this.epoch || change.v > this.lastVer + 1) {
      // A new epoch (the state was lost) or a missed message: the view is wrong now, not in a while.
      this.stale();
      this.resync();
      return;
    }
    if (change.v <= this.lastVer) return; // already in the snapshot
    this.lastVer = change.v;
    const mine = this.ahead.get(change.id);
    if (mine !== undefined) {
      // This process already shows a newer write of that context.
      if (change.v < mine) return;
      this.ahead.delete(change.id);
    }
    this.apply(change.id, change.s ?? undefined);
    if (this.ahead.size > 0 && (this.lastVer & 63) === 0) {
      for (const [id, v] of this.ahead) if (v <= this.lastVer) this.ahead.delete(id);
    }
  }

  private stale(): void {
    this.inSync = false;
    this.freshAsOf = Number.NEGATIVE_INFINITY;
  }

  private onDisconnect(): void {
    // Changes may be missed from now on: the view stays usable until the bound runs out.
    this.generation++;
    this.inSync = false;
    this.buffer = undefined;
    this.pinging = false;
  }

  /** Confirms the subscription: every change published before the PING has arrived when PONG does. */
  private ping(): void {
    if (this.closed || !this.inSync || this.sub.status !== "ready") return;
    if (this.pinging) {
      // No answer for a whole bound: a half-open connection (a partition) that TCP has not noticed.
      // Drop it so that ioredis reconnects and the view resynchronises.
      if (performance.now() - this.pingSentAt > this.staleAfterMs) {
        this.onDisconnect();
        this.sub.disconnect(true);
      }
      return;
    }
    this.pinging = true;
    const generation = this.generation;
    const sent = performance.now();
    this.pingSentAt = sent;
    this.sub.ping().then(
      () => {
        if (generation !== this.generation) return;
        this.pinging = false;
        if (this.inSync && sent > this.freshAsOf) this.freshAsOf = sent;
      },
      (err: unknown) => {
        if (generation === this.generation) this.pinging = false;
        this.onError(err);
      },
    );
  }

  /** Subscribes, loads a snapshot and replays what arrived meanwhile; one at a time. */
  private resync(): void {
    if (this.closed) return;
    if (this.resyncing) {
      this.resyncAgain = true;
      return;
    }
    this.resyncing = true;
    void this.load()
      .catch((err: unknown) => {
        this.onError(err);
        // Try again shortly while the connection is up; a reconnect calls resync anyway.
        if (!this.closed && this.sub.status === "ready") {
          setTimeout(() => this.resync(), 100).unref?.();
        }
      })
      .finally(() => {
        this.resyncing = false;
        if (this.resyncAgain && !this.closed) {
          this.resyncAgain = false;
          this.resync();
        }
      });
  }

  private async load(): Promise<void> {
    const generation = this.generation;
    this.inSync = false;
    this.buffer = [];
    await this.sub.subscribe(this.keys.channel);
    let started = performance.now();
    let snapshot = await this.snapshot();
    if (generation !== this.generation || this.closed) return;
    const lost = this.missing(snapshot);
    if (lost.length > 0) {
      // Redis lost (or someone deleted) records this view knew: revocations are final, so put them
      // back, then read the state again.
      await this.restore(lost);
      started = performance.now();
      snapshot = await this.snapshot();
      if (generation !== this.generation || this.closed) return;
    }
    const { epoch, ver, states } = snapshot;
    if (epoch !== this.epoch) this.ahead.clear();
    this.epoch = epoch;
    this.lastVer = ver;
    for (const [id, v] of this.ahead) if (v <= ver) this.ahead.delete(id);
    // A write of this process newer than the snapshot is already in the view: keep it.
    for (const id of [...this.states.keys()]) {
      if (!states.has(id) && !this.ahead.has(id)) this.apply(id, undefined);
    }
    for (const [id, s] of states) if (!this.ahead.has(id)) this.apply(id, s);
    const buffered = this.buffer ?? [];
    this.buffer = undefined;
    this.inSync = true;
    for (const change of buffered) if (this.inSync) this.take(change);
    if (!this.inSync) return;
    this.freshAsOf = started;
    for (const resolve of this.readyWaiters) resolve();
    this.readyWaiters.clear();
  }

  private async snapshot(): Promise<{ epoch: string; ver: number; states: Map<string, ContextStatus> }> {
    const reply = (await this.run(SNAPSHOT_SCRIPT, [this.now(), randomUUID()])) as [string, number, string[]];
    const [epoch, ver, flat] = reply;
    const states = new Map<string, ContextStatus>();
    const t = this.now();
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const s = JSON.parse(flat[i + 1] as string) as ContextStatus;
      if (s.expiresAt === undefined || s.expiresAt > t) states.set(flat[i] as string, s);
    }
    return { epoch, ver: Number(ver), states };
  }

  /** Records this view holds that the snapshot lacks and that must not be lost. */
  private missing(snapshot: {
    epoch: string;
    states: Map<string, ContextStatus>;
  }): [string, ContextStatus][] {
    const wiped = this.epoch !== undefined && snapshot.epoch !== this.epoch;
    const t = this.now();
    const out: [string, ContextStatus][] = [];
    for (const [id, s] of this.states) {
      if (s.expiresAt !== undefined && s.expiresAt <= t) continue;
      const there = snapshot.states.get(id);
      if (s.state === "revoked" && there?.state !== "revoked") out.push([id, s]);
      // A pause is only put back after a loss of data: otherwise its absence means it was resumed.
      else if (s.state === "paused" && wiped && there === undefined) out.push([id, s]);
    }
    return out;
  }

  private async restore(records: readonly [string, ContextStatus][]): Promise<void> {
    for (let i = 0; i < records.length; i += 500) {
      const args: (string | number)[] = [this.now(), randomUUID(), this.keys.channel];
      for (const [id, s] of records.slice(i, i + 500)) args.push(id, JSON.stringify(s), s.expiresAt ?? "");
      await this.run(RESTORE_SCRIPT, args);
    }
  }

  // ---- writes ---------------------------------------------------------------------------------

  revoke(contextId: string, status: Omit<ContextStatus, "state">): Promise<void> {
    return this.write("revoke", contextId, status);
  }

  pause(contextId: string, status: Omit<ContextStatus, "state">): Promise<void> {
    return this.write("pause", contextId, status);
  }

  resume(contextId: string): Promise<void> {
    return this.write("resume", contextId, undefined);
  }

  private async write(
    op: "revoke" | "pause" | "resume",
    id: string,
    status: Omit<ContextStatus, "state"> | undefined,
  ): Promise<void> {
    if (this.closed) throw new Error("the Redis revocation store is closed");
    const state: ContextState | undefined =
      op === "resume" ? undefined : op === "revoke" ? "revoked" : "paused";
    const json =
      status === undefined || state === undefined
        ? ""
        : JSON.stringify(
            status.expiresAt === undefined
              ? { state, reason: status.reason, at: status.at }
              : { state, reason: status.reason, at: status.at, expiresAt: status.expiresAt },
          );
    const expiresAt = status?.expiresAt ?? "";
    const reply = (await this.run(WRITE_SCRIPT, [
      this.now(),
      randomUUID(),
      this.keys.channel,
      op,
      id,
      json,
      expiresAt,
    ])) as WriteReply;
    const [, ver, epoch, current] = reply;
    if (this.epoch !== undefined && epoch !== this.epoch) {
      // Redis lost its state since this view last looked: resynchronise (and put back what we knew).
      this.stale();
      this.resync();
    }
    // The contract: once the write resolves, this process's view shows it — even before the change
    // comes back through the channel. Older changes of this context still on their way are skipped.
    if (Number(ver) > this.lastVer) this.ahead.set(id, Math.max(Number(ver), this.ahead.get(id) ?? 0));
    this.apply(id, current === null ? undefined : (JSON.parse(current) as ContextStatus));
  }

  private async run(script: LuaScript, args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await this.client.evalsha(script.sha, this.keyList.length, ...this.keyList, ...args);
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return this.client.eval(script.source, this.keyList.length, ...this.keyList, ...args);
    }
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  ready(timeoutMs = 10_000): Promise<void> {
    if (this.inSync && this.fresh) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.readyWaiters.delete(done);
        reject(new Error(`the Redis revocation view was not synchronised within ${timeoutMs} ms`));
      }, timeoutMs);
      this.readyWaiters.add(done);
    });
  }

  async sync(): Promise<void> {
    if (this.closed) throw new Error("the Redis revocation store is closed");
    if (!this.inSync) await this.ready(this.staleAfterMs);
    const generation = this.generation;
    const sent = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error("the Redis revocation view could not be confirmed")),
        this.staleAfterMs,
      );
    });
    try {
      await Promise.race([this.sub.ping(), timeout]);
    } finally {
      clearTimeout(timer);
    }
    if (generation !== this.generation || !this.inSync) {
      throw new Error("the Redis subscription was lost while confirming the revocation view");
    }
    if (sent > this.freshAsOf) this.freshAsOf = sent;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.stale();
    this.listeners.clear();
    for (const [event, handler] of this.handlers) {
      if (event !== "error") this.sub.removeListener(event, handler);
    }
    try {
      if (this.ownsSubscriber) await this.sub.quit();
      else await this.sub.unsubscribe(this.keys.channel);
    } catch {
      if (this.ownsSubscriber) this.sub.disconnect();
    }
  }
}

function sameStatus(a: ContextStatus | undefined, b: ContextStatus | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.state === b.state && a.reason === b.reason && a.at === b.at && a.expiresAt === b.expiresAt;
}
