/**
 * Revocation propagation across processes on Redis: this process revokes a context; another
 * process (propagation-worker.ts) checks a call of that context as soon as the change reaches its
 * view, and notes when the check denied. Figures are from the start of `revoke()` here to the
 * denying check there, over REVOCATIONS revocations (after a warm-up), one at a time: spaced 1 ms
 * apart (the figure the target is about) and back to back (a burst).
 * `redisBench()` returns them for the root bench runner; run this file directly to print them:
 *
 *   npx tsx --conditions=@mandate/source packages/redis/bench/redis.bench.ts
 */
import { fork } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { newId } from "@mandate/core";
import { redisRevocationStore } from "@mandate/redis";
import { Redis } from "ioredis";

const URL_ =
  process.env.MANDATE_BENCH_REDIS_URL ?? process.env.MANDATE_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const WARMUP = 500;
const REVOCATIONS = 5_000;
/** The pause between two revocations of a spaced run. */
const GAP_MS = 1;

interface WorkerMessage {
  ready?: string[];
  denied?: string;
  error?: string;
  results?: [string, string][];
}

/**
 * `redis.propagation.p50_us` and `redis.propagation.p99_us`: revoke here → a check denies in
 * another process, revocations 1 ms apart (each one meets processes at rest, as revocations do in
 * a fleet). `redis.propagation.burst.*`: the same back to back, each revocation sent the moment
 * the previous one was denied, while both processes are still busy with it. `redis.pubsub.*`: a
 * bare `PUBLISH` of the id reaching a bare subscriber in the other process, spaced the same way —
 * the floor any pub/sub propagation stands on.
 */
export async function redisBench(): Promise<Record<string, number>> {
  const spaced = await measure("store", GAP_MS);
  const burst = await measure("store", 0);
  const raw = await measure("raw", GAP_MS);
  return {
    "redis.propagation.p50_us": spaced.p50,
    "redis.propagation.p99_us": spaced.p99,
    "redis.propagation.burst.p50_us": burst.p50,
    "redis.propagation.burst.p99_us": burst.p99,
    "redis.pubsub.p50_us": raw.p50,
    "redis.pubsub.p99_us": raw.p99,
  };
}

async function measure(mode: "store" | "raw", gapMs: number): Promise<{ p50: number; p99: number }> {
  const prefix = `mandate-bench-${newId()}`;
  const worker = fork(
    fileURLToPath(new URL("./propagation-worker.ts", import.meta.url)),
    [URL_, prefix, String(WARMUP + REVOCATIONS), mode],
    { execArgv: process.execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] },
  );
  const client = new Redis(URL_);
  const store = redisRevocationStore({ client, prefix });
  const publish =
    mode === "raw"
      ? (id: string) => client.publish(`${prefix}:raw`, id)
      : (id: string) =>
          store.revoke(id, { reason: "bench", at: Date.now(), expiresAt: Date.now() + 600_000 });
  try {
    if (mode === "store") await store.ready();
    let onMessage: (m: WorkerMessage) => void = () => {};
    let onExit: (code: number | null) => void = () => {};
    worker.on("message", (m: WorkerMessage) => onMessage(m));
    worker.on("exit", (code) => onExit(code));
    const next = () =>
      new Promise<WorkerMessage>((resolve, reject) => {
        onMessage = (m) => (m.error ? reject(new Error(m.error)) : resolve(m));
        onExit = (code) => reject(new Error(`the worker exited (${code})`));
      });
    const ids = (await next()).ready as string[];
    const started = new Map<string, bigint>();
    for (const [i, id] of ids.entries()) {
      const denied = next();
      const t0 = process.hrtime.bigint();
      await publish(id);
      if (i >= WARMUP) started.set(id, t0);
      const m = await denied;
      if (m.denied !== id) throw new Error(`worker denied ${m.denied}, expected ${id}`);
      if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
    }
    const done = next();
    worker.send({ done: true });
    const results = (await done).results as [string, string][];
    const samples = results
      .filter(([id]) => started.has(id))
      .map(([id, t]) => Number(BigInt(t) - (started.get(id) as bigint)) / 1_000)
      .sort((a, b) => a - b);
    if (samples.length !== REVOCATIONS)
      throw new Error(`expected ${REVOCATIONS} samples, got ${samples.length}`);
    const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] as number;
    if (process.env.MANDATE_BENCH_VERBOSE) {
      console.error({ mode, p90: at(0.9), p95: at(0.95), p999: at(0.999), max: samples.at(-1) });
    }
    return { p50: at(0.5), p99: at(0.99) };
  } finally {
    await store.close();
    await client.del(store.keys.state, store.keys.expiry, store.keys.meta);
    client.disconnect();
    if (worker.exitCode === null) worker.kill();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(await redisBench());
}
