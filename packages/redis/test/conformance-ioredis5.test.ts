/**
 * The RevocationStore conformance suite with ioredis 5 (RESP2, where a subscribed connection
 * answers PING in subscriber mode): the store supports ioredis 5.4+ and 6.
 */
import { describeRevocationStore } from "@mandate/testing";
import { Redis as Redis5 } from "ioredis5";
import { afterAll, beforeEach, expect, it } from "vitest";
import { type RedisRevocationStore, redisRevocationStore } from "../src/index.js";
import { closeClients, dropPrefixes, freshPrefix, REDIS_URL, requireRedis } from "./helpers.js";

const clients: Redis5[] = [];
const made: RedisRevocationStore[] = [];
beforeEach(requireRedis);
afterAll(async () => {
  for (const store of made) await store.close();
  await dropPrefixes();
  for (const c of clients) c.disconnect();
  await closeClients();
});

async function open(prefix: string): Promise<RedisRevocationStore> {
  const client = new Redis5(REDIS_URL, { retryStrategy: () => 50 });
  client.on("error", () => {});
  clients.push(client);
  const store = redisRevocationStore({ client, prefix, staleAfterMs: 400, heartbeatMs: 50 });
  made.push(store);
  await store.ready();
  return store;
}

describeRevocationStore("redis (ioredis 5)", () => open(freshPrefix()), {
  peer: (store) => open(store.keys.tag),
  sync: true,
});

it("stays fresh on heartbeats alone (PING in RESP2 subscriber mode)", async () => {
  const store = await open(freshPrefix());
  await new Promise((r) => setTimeout(r, 1_000));
  expect(store.fresh).toBe(true);
});
