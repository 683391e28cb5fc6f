/**
 * Behaviour of the Redis store beyond the shared contract: key layout, expiry, the staleness bound
 * when one process loses its connection (through a TCP proxy the test cuts, so the shared server
 * stays up), gaps, loss of Redis's data, the read barrier, and revocation reaching in-flight calls.
 */
import { createMandate, DeniedError, defineTool, newId } from "@mandate/core";
import { type TcpOutage, tcpProxy } from "@mandate/testing";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { type RedisRevocationStore, redisRevocationKeys, redisRevocationStore } from "../src/index.js";
import {
  closeClients,
  dropPrefixes,
  freshPrefix,
  newClient,
  REDIS_HOST,
  REDIS_PORT,
  readyStore,
  requireRedis,
  sleep,
} from "./helpers.js";

const made: RedisRevocationStore[] = [];
beforeEach(requireRedis);
afterAll(async () => {
  for (const store of made) await store.close();
  await dropPrefixes();
  await closeClients();
});

async function store(prefix: string, options: Parameters<typeof readyStore>[1] = {}) {
  const s = await readyStore(prefix, options);
  made.push(s);
  return s;
}

const status = (reason: string, expiresAt = Date.now() + 3_600_000) => ({
  reason,
  at: Date.now(),
  expiresAt,
});

async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(1);
  }
}

describe("key layout", () => {
  it("puts every key under one Cluster hash tag", () => {
    expect(redisRevocationKeys()).toEqual({
      tag: "{mandate}",
      state: "{mandate}:revocations",
      expiry: "{mandate}:revocations:expiry",
      meta: "{mandate}:revocations:meta",
      channel: "{mandate}:revocations:changes",
    });
    expect(redisRevocationKeys("app:{tenant-7}").state).toBe("app:{tenant-7}:revocations");
  });

  it("stores each record as readable JSON with its expiry", async () => {
    const s = await store(freshPrefix());
    const id = newId();
    const st = status("incident 4");
    await s.revoke(id, st);
    const admin = newClient();
    expect(JSON.parse((await admin.hget(s.keys.state, id)) as string)).toEqual({ state: "revoked", ...st });
    expect(Number(await admin.zscore(s.keys.expiry, id))).toBe(st.expiresAt);
    expect(await admin.hget(s.keys.meta, "ver")).toBe("1");
  });
});

describe("expiry", () => {
  it("forgets records of expired contexts, in Redis and in the view", async () => {
    let now = Date.now();
    const prefix = freshPrefix();
    const s = await store(prefix, { now: () => now });
    const admin = newClient();
    const old = newId();
    await s.revoke(old, status("short-lived", now + 1_000));
    now += 5_000;
    await s.revoke(newId(), status("later"));
    expect(await admin.hexists(s.keys.state, old)).toBe(0);
    expect(await admin.zscore(s.keys.expiry, old)).toBeNull();
    // A new view does not load it either.
    const other = await store(prefix, { now: () => now });
    expect(other.status(old)).toBeUndefined();
  });
});

describe.each<TcpOutage>(["reset", "blackhole"])("a process cut off from Redis (%s)", (mode) => {
  it("fails closed past the staleness bound and resynchronises before it is fresh again", async () => {
    const proxy = await tcpProxy({ target: { host: REDIS_HOST, port: REDIS_PORT } });
    try {
      const prefix = freshPrefix();
      const bound = 300;
      const client = newClient({}, `redis://${proxy.host}:${proxy.port}`);
      const a = redisRevocationStore({ client, prefix, staleAfterMs: bound, heartbeatMs: 50 });
      made.push(a);
      await a.ready();
      const b = await store(prefix);
      const victim = newId();

      const samples: { t: number; fresh: boolean; revoked: boolean }[] = [];
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          samples.push({
            t: performance.now(),
            fresh: a.fresh,
            revoked: a.status(victim)?.state === "revoked",
          });
          await sleep(1);
        }
      })();

      await sleep(100);
      const cutAt = performance.now();
      proxy.cut(mode);
      await sleep(50);
      await b.revoke(victim, status("while a was cut off"));
      await sleep(bound * 2);
      expect(a.fresh).toBe(false);
      proxy.restore();
      await until(() => a.fresh, 10_000, "a fresh again");
      await sleep(50);
      sampling = false;
      await sampler;

      // Never a fresh view without the revocation once the bound has run out since the cut.
      const wrong = samples.filter((s) => s.t >= cutAt + bound && s.fresh && !s.revoked);
      expect(wrong).toEqual([]);
      expect(samples.some((s) => !s.fresh)).toBe(true);
      expect(a.status(victim)?.state).toBe("revoked");
    } finally {
      proxy.restore();
      await proxy.close();
    }
  });
});

describe("resynchronisation", () => {
  it("turns stale at once on a gap in the versions, then catches up", async () => {
    const prefix = freshPrefix();
    const a = await store(prefix);
    const b = await store(prefix);
    const admin = newClient();
    const id = newId();
    // A change the view never saw: written behind the scripts' back, announced with a gap.
    await admin.hset(a.keys.state, id, JSON.stringify({ state: "revoked", reason: "manual", at: 1 }));
    await admin.hincrby(a.keys.meta, "ver", 5);
    const epoch = await admin.hget(a.keys.meta, "epoch");
    const ver = Number(await admin.hget(a.keys.meta, "ver"));
    const freshWhenSeen: boolean[] = [];
    a.subscribe((changed) => {
      if (changed === id) freshWhenSeen.push(a.fresh);
    });
    await admin.publish(a.keys.channel, JSON.stringify({ e: epoch, v: ver, id, s: null }));
    // Only a resynchronisation can show the record written behind the scripts' back.
    await until(() => a.status(id) !== undefined && a.fresh, 5_000, "a resynchronised");
    expect(freshWhenSeen).toEqual([false]);
    await b.revoke(newId(), status("next")); // b sees the gap too, with the next change
    await until(() => b.status(id) !== undefined && b.fresh, 5_000, "b resynchronised");
    expect(a.status(id)?.state).toBe("revoked");
    expect(b.status(id)?.state).toBe("revoked");
  });

  it("puts revocations back when Redis loses its data", async () => {
    const prefix = freshPrefix();
    const a = await store(prefix);
    const b = await store(prefix);
    const admin = newClient();
    const revoked = newId();
    const paused = newId();
    await a.revoke(revoked, status("before the loss"));
    await a.pause(paused, status("paused before the loss"));
    await until(() => b.status(paused) !== undefined, 2_000, "b saw the pause");
    await admin.del(a.keys.state, a.keys.expiry, a.keys.meta); // as FLUSHALL or a restart without persistence
    const after = newId();
    await b.revoke(after, status("after the loss")); // a new epoch: every view notices
    await until(
      () => a.fresh && b.fresh && a.status(after)?.state === "revoked",
      5_000,
      "views resynchronised",
    );
    for (let i = 0; i < 500 && (await admin.hexists(a.keys.state, revoked)) === 0; i++) await sleep(10);
    expect(await admin.hexists(a.keys.state, revoked)).toBe(1);
    expect(await admin.hexists(a.keys.state, paused)).toBe(1);
    const c = await store(prefix);
    expect(c.status(revoked)?.state).toBe("revoked");
    expect(c.status(paused)?.state).toBe("paused");
    expect(c.status(after)?.state).toBe("revoked");
  });
});

describe("strict mode (sync)", () => {
  it("shows every revocation committed before sync() was called", async () => {
    const prefix = freshPrefix();
    const a = await store(prefix);
    const b = await store(prefix);
    for (let i = 0; i < 200; i++) {
      const id = newId();
      await b.revoke(id, status(`r${i}`));
      await a.sync();
      expect(a.status(id)?.state).toBe("revoked");
    }
  });
});

describe("behind a Mandate", () => {
  it("aborts an in-flight call when another process revokes an ancestor", async () => {
    const prefix = freshPrefix();
    const a = await store(prefix);
    const b = await store(prefix);
    const work = defineTool<Record<string, never>>({ name: "work", action: "job.run", resource: "jobs/x" });
    const mandate = createMandate({
      roles: { worker: [{ action: "job.run", resource: "jobs/**" }] },
      tools: [work],
      revocations: a,
    });
    const agent = { name: "worker", sponsor: "user:ops", roles: ["worker"] };
    const intent = { purpose: "run jobs", allow: [{ action: "job.run", resource: "jobs/x" }] };
    const root = await mandate.declare(agent, intent);
    const child = await root.delegate(agent, intent);
    let started!: () => void;
    const running = new Promise<void>((r) => {
      started = r;
    });
    const hang = child.guard(work, (_args, run) => {
      started();
      return new Promise((_, reject) =>
        run.signal.addEventListener("abort", () => reject(run.signal.reason)),
      );
    });
    const call = hang({});
    await running;
    await b.revoke(root.id, status("operator"));
    const err = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DeniedError);
    expect((err as DeniedError).decision.reasons[0]).toMatchObject({
      code: "context.revoked",
      contextId: root.id,
    });
    expect(child.check({ tool: "work", args: {} }).effect).toBe("deny");
    await mandate.close();
  });
});

describe("close", () => {
  it("quits the subscriber it made, and leaves a given one open", async () => {
    const prefix = freshPrefix();
    const own = redisRevocationStore({ client: newClient(), prefix });
    made.push(own);
    await own.ready();
    await own.close();
    expect(own.fresh).toBe(false);
    const subscriber = newClient();
    const given = redisRevocationStore({ client: newClient(), subscriber, prefix });
    made.push(given);
    await given.ready();
    await given.close();
    expect(subscriber.status).toBe("ready");
    await subscriber.ping();
    await expect(given.revoke(newId(), status("x"))).rejects.toThrow(/closed/);
  });
});
