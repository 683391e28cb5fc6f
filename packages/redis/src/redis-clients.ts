/**
 * The parts of an ioredis client (`Redis` or `Cluster`, ioredis 5 or 6) the store uses. Typed
 * structurally so that the store does not depend on one ioredis version's declarations.
 */
export interface RedisCommandClient {
  evalsha(sha: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  /** A new connection with the same options: the store's subscriber when none is given. */
  duplicate(): RedisSubscriberClient;
}

/** The connection the store subscribes with (a connection in subscriber mode runs no other commands). */
export interface RedisSubscriberClient {
  /** ioredis' connection status: `ready` when commands go out at once. */
  readonly status: string;
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  ping(): Promise<unknown>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
  quit(): Promise<unknown>;
  /** Drops the connection; with `reconnect`, ioredis connects again at once. */
  disconnect(reconnect?: boolean): void;
}
