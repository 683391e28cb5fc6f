/**
 * Fleet revocation: several worker processes run agents against one Redis; an operator revokes
 * their parent context; every worker's agents stop — calls in flight are aborted, the next ones
 * refused — without a restart and without the operator knowing which processes hold which agents.
 *
 * The operator (this process) declares a parent context, delegates one child context per agent and
 * hands each worker its children as signed context tokens. Once every agent is busy, it revokes the
 * parent. Each worker reports when its local view saw the revocation and when each agent stopped;
 * this program prints the propagation times over ROUNDS rounds and asserts the bound.
 *
 *   pnpm --filter @mandate/example-fleet-revocation start      (Redis at REDIS_URL, default localhost)
 */
import assert from "node:assert/strict";
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createMandate, generateSigningKey, memoryAuditSink, newId } from "@mandate/core";
import { redisRevocationStore } from "@mandate/redis";
import { Redis } from "ioredis";

const REDIS_URL = process.env.REDIS_URL ?? process.env.MANDATE_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const WORKERS = 3;
const AGENTS_PER_WORKER = 4;
const ROUNDS = 10;
/** Asserted: from the operator's `revoke()` call to each worker's view showing it, and to each agent stopping. */
const BOUND_MS = 250;
const ISSUER = "https://operator.example";

type Stop = { stoppedAt: string; code: string; inFlight: boolean; calls: number; context: string };
type Report =
  | { op: "ready"; worker: string }
  | { op: "running"; worker: string; round: number }
  | { op: "stopped"; worker: string; round: number; viewAt?: string; agents: Stop[] }
  | { op: "error"; worker: string; message: string };

// Fail early, and clearly, when Redis is not there.
const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
probe.on("error", () => {});
try {
  await probe.connect();
  await probe.ping();
} catch (err) {
  console.error(`Redis is not reachable at ${REDIS_URL}: ${String(err)}`);
  process.exit(1);
} finally {
  probe.disconnect();
}

const prefix = `fleet-example-${newId()}`;
const client = new Redis(REDIS_URL);
const store = redisRevocationStore({ client, prefix });
await store.ready();
const signing = await generateSigningKey();
const operator = createMandate({
  roles: { crawler: [{ action: "web.fetch", resource: "web/**" }] },
  revocations: store,
  audit: memoryAuditSink(),
  tokens: { signing, issuer: ISSUER },
});

/** A worker process behind a message queue. */
class Worker {
  readonly child: ChildProcess;
  private readonly inbox: Report[] = [];
  private wake: (() => void) | undefined;
  name = "";

  constructor() {
    this.child = fork(fileURLToPath(new URL("./worker.ts", import.meta.url)), [], {
      execArgv: process.execArgv,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.child.on("message", (m: Report) => {
      if (m.op === "error") {
        console.error(`${m.worker} failed: ${m.message}`);
        process.exitCode = 1;
      }
      this.inbox.push(m);
      this.wake?.();
    });
    this.child.on("exit", (code) => {
      if (code !== 0 && code !== null)
        this.inbox.push({ op: "error", worker: this.name, message: `exit ${code}` });
      this.wake?.();
    });
  }

  send(message: unknown): void {
    this.child.send(message as never);
  }

  /** The next report of kind `op`, within 20 s. */
  async next<K extends Report["op"]>(op: K): Promise<Extract<Report, { op: K }>> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const i = this.inbox.findIndex((m) => m.op === op || m.op === "error");
      if (i >= 0) {
        const m = this.inbox.splice(i, 1)[0] as Report;
        if (m.op === "error") throw new Error(`worker ${m.worker}: ${m.message}`);
        return m as Extract<Report, { op: K }>;
      }
      if (Date.now() > deadline) throw new Error(`worker ${this.name}: no "${op}" within 20 s`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 100);
      });
    }
  }
}

const workers = Array.from({ length: WORKERS }, () => new Worker());
const ms = (from: bigint, to: bigint) => Number(to - from) / 1e6;
const rows: {
  round: number;
  worker: string;
  viewMs: number;
  stopMs: number;
  inFlight: number;
  denied: number;
}[] = [];

try {
  for (const w of workers)
    w.send({ op: "init", redisUrl: REDIS_URL, prefix, jwks: operator.jwks(), issuer: ISSUER });
  for (const w of workers) w.name = (await w.next("ready")).worker;
  console.log(`${WORKERS} workers × ${AGENTS_PER_WORKER} agents on ${REDIS_URL}, ${ROUNDS} rounds\n`);

  const lead = operator.identity({ name: "incident-lead", sponsor: "user:oncall", roles: ["crawler"] });
  const crawler = operator.identity({ name: "crawler", sponsor: "user:oncall", roles: ["crawler"] });
  const scope = { allow: [{ action: "web.fetch", resource: "web/docs" }] };

  for (let round = 1; round <= ROUNDS; round++) {
    const parent = await operator.declare(lead, { purpose: `triage incident ${round}`, ...scope });
    for (const w of workers) {
      const children = await Promise.all(
        Array.from({ length: AGENTS_PER_WORKER }, () =>
          parent.delegate(crawler, { purpose: "read the runbooks", ...scope }),
        ),
      );
      w.send({
        op: "run",
        round,
        parentId: parent.id,
        tokens: await Promise.all(children.map((c) => c.token())),
      });
    }
    for (const w of workers) await w.next("running");

    const revokedAt = process.hrtime.bigint();
    await operator.revoke(parent.id, `incident ${round} closed`);
    for (const w of workers) {
      const report = await w.next("stopped");
      assert.ok(report.viewAt !== undefined, `${report.worker} never saw the revocation`);
      assert.equal(report.agents.length, AGENTS_PER_WORKER);
      for (const a of report.agents)
        assert.equal(a.code, "context.revoked", `agent ${a.context} stopped by ${a.code}`);
      const lastStop = report.agents.reduce(
        (m, a) => (BigInt(a.stoppedAt) > m ? BigInt(a.stoppedAt) : m),
        0n,
      );
      rows.push({
        round,
        worker: report.worker,
        viewMs: ms(revokedAt, BigInt(report.viewAt)),
        stopMs: ms(revokedAt, lastStop),
        inFlight: report.agents.filter((a) => a.inFlight).length,
        denied: report.agents.filter((a) => !a.inFlight).length,
      });
    }
  }
} finally {
  for (const w of workers) if (w.child.connected) w.send({ op: "exit" });
  await operator.close();
  await client.del(store.keys.state, store.keys.expiry, store.keys.meta);
  client.disconnect();
}

const pct = (values: number[], q: number) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
};
const fmt = (v: number) => `${(v * 1000).toFixed(0).padStart(7)} µs`;
console.log(
  "round  worker            view updated    last agent stopped   aborted mid-call  refused at next call",
);
for (const r of rows) {
  console.log(
    `${String(r.round).padStart(5)}  ${r.worker.padEnd(16)} ${fmt(r.viewMs)}      ${fmt(r.stopMs)}        ${String(r.inFlight).padStart(9)}  ${String(r.denied).padStart(19)}`,
  );
}
const views = rows.map((r) => r.viewMs);
const stops = rows.map((r) => r.stopMs);
console.log(
  `\npropagation to a worker's view: p50 ${fmt(pct(views, 0.5)).trim()}, p99 ${fmt(pct(views, 0.99)).trim()}, max ${fmt(Math.max(...views)).trim()}`,
);
console.log(
  `until every agent of a worker stopped: p50 ${fmt(pct(stops, 0.5)).trim()}, max ${fmt(Math.max(...stops)).trim()}`,
);
const agents = rows.reduce((n, r) => n + r.inFlight + r.denied, 0);
console.log(`${agents} agents stopped (${rows.reduce((n, r) => n + r.inFlight, 0)} aborted mid-call)`);
assert.equal(agents, WORKERS * AGENTS_PER_WORKER * ROUNDS);
assert.ok(
  Math.max(...views) <= BOUND_MS,
  `a view took ${Math.max(...views)} ms, over the ${BOUND_MS} ms bound`,
);
assert.ok(
  Math.max(...stops) <= BOUND_MS,
  `an agent took ${Math.max(...stops)} ms to stop, over the ${BOUND_MS} ms bound`,
);
console.log(`\nok: every agent of every worker stopped within the ${BOUND_MS} ms bound`);
