/** The RevocationStore conformance suite against a real Redis, each store on its own connections. */

import { describeRevocationStore } from "@mandate/testing";
import { afterAll, beforeEach } from "vitest";
import type { RedisRevocationStore } from "../src/index.js";
import { closeClients, dropPrefixes, freshPrefix, readyStore, requireRedis } from "./helpers.js";

const made: RedisRevocationStore[] = [];
beforeEach(requireRedis);
afterAll(async () => {
  for (const store of made) await store.close();
  await dropPrefixes();
  await closeClients();
});

const track = (store: RedisRevocationStore) => {
  made.push(store);
  return store;
};

describeRevocationStore("redis (ioredis)", async () => track(await readyStore(freshPrefix())), {
  // Another process's view: its own client and subscriber, the same keys.
  peer: async (store) => track(await readyStore(store.keys.tag)),
  propagationMs: 2_000,
  sync: true,
});
