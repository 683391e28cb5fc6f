/**
 * The other process of redis.bench.ts: holds agent contexts under a Mandate on the Redis store and,
 * whenever a revocation reaches its view, checks a call of that context and notes when the check
 * denied (a monotonic clock shared by every process of the machine).
 */
import { createMandate, defineTool, memoryAuditSink } from "@mandate/core";
import { redisRevocationStore } from "@mandate/redis";
import { Redis } from "ioredis";

const [url, prefix, countText, mode] = process.argv.slice(2) as [string, string, string, string?];
const count = Number(countText);

if (mode === "raw") {
  // The floor: plain Redis pub/sub between two processes, no Mandate on either side. Each message
  // is an id; its arrival time is noted as the store's check would be.
  const sub = new Redis(url);
  const arrivedAt = new Map<string, bigint>();
  await sub.subscribe(`${prefix}:raw`);
  sub.on("message", (_channel: string, id: string) => {
    arrivedAt.set(id, process.hrtime.bigint());
    process.send?.({ denied: id });
  });
  process.on("message", (m: { done?: boolean }) => {
    if (!m.done) return;
    process.send?.({ results: [...arrivedAt].map(([id, t]) => [id, t.toString()]) });
    sub.disconnect();
    process.exit(0);
  });
  process.send?.({ ready: Array.from({ length: count }, (_, i) => `raw-${i}`) });
} else {
  await propagation();
}

async function propagation(): Promise<void> {
  const ping = defineTool<Record<string, never>>({ name: "ping", action: "net.ping", resource: "net/ping" });
  const client = new Redis(url);
  const store = redisRevocationStore({ client, prefix });
  await store.ready();
  const mandate = createMandate({
    roles: { pinger: [{ action: "net.ping", resource: "net/**" }] },
    tools: [ping],
    revocations: store,
    audit: { sink: memoryAuditSink(1_000), capacity: 1_000_000 },
  });
  const agent = { name: "bench", sponsor: "user:bench", roles: ["pinger"] };
  const intent = { purpose: "bench", allow: [{ action: "net.ping", resource: "net/ping" }] };
  const contexts = new Map<string, Awaited<ReturnType<typeof mandate.declare>>>();
  for (let i = 0; i < count; i++) {
    const ctx = await mandate.declare(agent, intent);
    contexts.set(ctx.id, ctx);
  }
  const call = { tool: "ping", args: {} };
  const deniedAt = new Map<string, bigint>();
  store.subscribe((id, status) => {
    if (status?.state !== "revoked") return;
    const ctx = contexts.get(id);
    if (ctx === undefined) return;
    const decision = ctx.check(call);
    const t = process.hrtime.bigint();
    if (decision.effect !== "deny" || decision.reasons[0]?.code !== "context.revoked") {
      process.send?.({ error: `check of ${id} was not denied: ${JSON.stringify(decision.reasons)}` });
      return;
    }
    deniedAt.set(id, t);
    process.send?.({ denied: id });
  });
  process.on("message", async (m: { done?: boolean }) => {
    if (!m.done) return;
    process.send?.({ results: [...deniedAt].map(([id, t]) => [id, t.toString()]) });
    await mandate.close();
    client.disconnect();
    process.exit(0);
  });
  process.send?.({ ready: [...contexts.keys()] });
}
