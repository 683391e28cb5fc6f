/**
 * One worker process of the fleet: runs agents under contexts delegated by the operator (handed
 * over as signed context tokens), against the shared Redis revocation store. Each agent calls a
 * slow tool in a loop until Mandate stops it; the worker reports when its view saw the revocation
 * and when, and how, each agent stopped. Times are `process.hrtime.bigint()`: one monotonic clock
 * for every process of the machine.
 */
import {
  type AgentContext,
  createMandate,
  DeniedError,
  defineTool,
  type JsonWebKeySet,
  memoryAuditSink,
} from "@mandate/core";
import { redisRevocationStore } from "@mandate/redis";
import { Redis } from "ioredis";

type Command =
  | { op: "init"; redisUrl: string; prefix: string; jwks: JsonWebKeySet; issuer: string }
  | { op: "run"; round: number; parentId: string; tokens: string[] }
  | { op: "exit" };

const crawl = defineTool<{ page: number }>({ name: "crawl", action: "web.fetch", resource: "web/docs" });

let client: Redis | undefined;
let mandate: ReturnType<typeof createMandate> | undefined;
let store: ReturnType<typeof redisRevocationStore> | undefined;
const name = `worker-${process.pid}`;

function send(message: unknown): void {
  process.send?.(message);
}

/** How an agent stopped. */
interface Stop {
  readonly stoppedAt: string;
  readonly code: string;
  /** True when the revocation aborted a call while the tool was running; false when the next call was refused. */
  readonly inFlight: boolean;
  readonly calls: number;
}

/** One agent: calls the tool until Mandate refuses or aborts a call. */
async function agent(ctx: AgentContext, started: () => void): Promise<Stop> {
  let abortedInFlight = false;
  const call = ctx.guard(crawl, (_args, { signal }) => {
    // Slow work that listens to its signal, as a well-behaved tool does.
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => resolve("page"), 20);
      signal.addEventListener(
        "abort",
        () => {
          abortedInFlight = true;
          clearTimeout(timer);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  });
  let calls = 0;
  for (;;) {
    try {
      await call({ page: calls });
      if (++calls === 1) started();
      // Think between calls: a revocation then finds some agents mid-call, others between calls.
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
    } catch (err) {
      if (!(err instanceof DeniedError)) throw err;
      return {
        stoppedAt: process.hrtime.bigint().toString(),
        code: err.decision.reasons[0]?.code ?? "deny",
        inFlight: abortedInFlight,
        calls,
      };
    }
  }
}

async function handle(cmd: Command): Promise<void> {
  if (cmd.op === "init") {
    client = new Redis(cmd.redisUrl);
    store = redisRevocationStore({ client, prefix: cmd.prefix });
    await store.ready();
    mandate = createMandate({
      roles: { crawler: [{ action: "web.fetch", resource: "web/**" }] },
      tools: [crawl],
      revocations: store,
      audit: memoryAuditSink(),
      tokens: { trusted: [cmd.jwks], issuers: [cmd.issuer] },
    });
    send({ op: "ready", worker: name });
    return;
  }
  if (cmd.op === "exit") {
    await mandate?.close();
    client?.disconnect();
    process.exit(0);
  }
  const m = mandate as NonNullable<typeof mandate>;
  const contexts = await Promise.all(cmd.tokens.map((t) => m.verifyContextToken(t)));
  let viewAt: bigint | undefined;
  const off = (store as NonNullable<typeof store>).subscribe((id, status) => {
    if (id === cmd.parentId && status?.state === "revoked") viewAt ??= process.hrtime.bigint();
  });
  let running = 0;
  const agents = contexts.map((ctx) =>
    agent(ctx, () => {
      if (++running === contexts.length) send({ op: "running", worker: name, round: cmd.round });
    }),
  );
  const stopped = await Promise.all(agents);
  off();
  send({
    op: "stopped",
    worker: name,
    round: cmd.round,
    viewAt: viewAt?.toString(),
    agents: stopped.map((s, i) => ({ ...s, context: contexts[i]?.id })),
  });
}

process.on("message", (cmd: Command) => {
  handle(cmd).catch((err: unknown) => {
    send({
      op: "error",
      worker: name,
      message: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
  });
});
process.on("disconnect", () => process.exit(0));
