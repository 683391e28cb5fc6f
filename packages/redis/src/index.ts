/**
 * Mandate's revocation store on Redis: state shared by every process, changes propagated by
 * pub/sub into each process's local view, fail-closed past a staleness bound. Bring your own
 * ioredis client; nothing connects on import.
 * @packageDocumentation
 */
export type { RedisCommandClient, RedisSubscriberClient } from "./redis-clients.js";
export { type RedisRevocationKeys, redisRevocationKeys } from "./redis-revocation-keys.js";
export {
  type RedisRevocationStore,
  type RedisRevocationStoreOptions,
  redisRevocationStore,
} from "./redis-revocation-store.js";
