/** The Redis keys and channel one revocation namespace uses. */
export interface RedisRevocationKeys {
  /** The hash tag every key carries, e.g. `{mandate}`: all keys hash to one Cluster slot. */
  readonly tag: string;
  /** Hash: context id → status JSON (`{"state":"revoked","reason":…,"at":…,"expiresAt":…}`). */
  readonly state: string;
  /** Sorted set: context id scored by `expiresAt` (epoch ms), to forget records of expired contexts. */
  readonly expiry: string;
  /** Hash: `ver` (a counter bumped by every change) and `epoch` (changes when the state was lost). */
  readonly meta: string;
  /** Pub/sub channel carrying each change as `{"e":epoch,"v":ver,"id":…,"s":status|null}`. */
  readonly channel: string;
}

/**
 * The keys of a namespace. The prefix becomes a Redis Cluster hash tag (`mandate` → `{mandate}`;
 * a prefix that already holds `{…}` is kept as it is), so that the Lua scripts, which touch all
 * three keys at once, run on one slot.
 */
export function redisRevocationKeys(prefix = "mandate"): RedisRevocationKeys {
  const tag = /\{[^{}]+\}/.test(prefix) ? prefix : `{${prefix}}`;
  return {
    tag,
    state: `${tag}:revocations`,
    expiry: `${tag}:revocations:expiry`,
    meta: `${tag}:revocations:meta`,
    channel: `${tag}:revocations:changes`,
  };
}
