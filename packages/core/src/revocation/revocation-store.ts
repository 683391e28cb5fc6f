/** The states a context can be put in. A revoked context never comes back. */
export type ContextState = "revoked" | "paused";

/** The recorded state of one context. */
export interface ContextStatus {
  readonly state: ContextState;
  /** Why, as given by whoever revoked or paused it. */
  readonly reason: string;
  /** When, epoch milliseconds. */
  readonly at: number;
  /** When the record may be forgotten (the context's own expiry), epoch milliseconds. */
  readonly expiresAt?: number;
}

/** Called with a context id and its new status; `undefined` means resumed. */
export type StatusListener = (contextId: string, status: ContextStatus | undefined) => void;

/**
 * Where revocations and pauses live. The guard reads a synchronous local view on every call (one
 * lookup per context on the path: O(depth), no network); writes go to the store, which keeps
 * every process's view fresh and tells listeners about changes.
 *
 * Contract every adapter must keep:
 * - `status` answers from the local view and never blocks.
 * - `revoke` is final: a revoked context stays revoked; `pause` and `resume` do not change it.
 * - when a write resolves, this process's view already shows it.
 * - `fresh` is false while the view may have missed changes (e.g. a lost subscription past its
 *   staleness bound); the guard then denies every call with `store.unavailable`.
 */
export interface RevocationStore {
  status(contextId: string): ContextStatus | undefined;
  readonly fresh: boolean;
  revoke(contextId: string, status: Omit<ContextStatus, "state">): Promise<void>;
  pause(contextId: string, status: Omit<ContextStatus, "state">): Promise<void>;
  resume(contextId: string): Promise<void>;
  subscribe(listener: StatusListener): () => void;
  /**
   * A read barrier, for strict mode (optional): resolves once every change committed before the
   * call — by any process — is in this view; rejects when that cannot be confirmed. A store whose
   * view is the state itself (the memory store) resolves at once.
   */
  sync?(): Promise<void>;
  close?(): Promise<void>;
}
