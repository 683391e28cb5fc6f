import type { ContextStatus, RevocationStore, StatusListener } from "./revocation-store.js";

/** Options of {@link memoryRevocationStore}. */
export interface MemoryRevocationStoreOptions {
  /** Clock, for tests. */
  readonly now?: () => number;
}

/**
 * The embedded revocation store: one process, state in a Map. Entries are forgotten once their
 * context has expired (an expired context is denied on its own account).
 */
export function memoryRevocationStore(options: MemoryRevocationStoreOptions = {}): RevocationStore {
  const now = options.now ?? Date.now;
  const states = new Map<string, ContextStatus>();
  const listeners = new Set<StatusListener>();
  let writes = 0;

  const notify = (id: string, status: ContextStatus | undefined) => {
    for (const l of listeners) l(id, status);
  };
  const prune = () => {
    // Amortised: one sweep every 1024 writes keeps the map bounded by live contexts.
    if (++writes % 1024 !== 0) return;
    const t = now();
    for (const [id, s] of states) if (s.expiresAt !== undefined && s.expiresAt <= t) states.delete(id);
  };

  return {
    fresh: true,
    status(id) {
      return states.get(id);
    },
    async revoke(id, status) {
      const next: ContextStatus = { ...status, state: "revoked" };
      states.set(id, next);
      prune();
      notify(id, next);
    },
    async pause(id, status) {
      if (states.get(id)?.state === "revoked") return;
      const next: ContextStatus = { ...status, state: "paused" };
      states.set(id, next);
      prune();
      notify(id, next);
    },
    async resume(id) {
      if (states.get(id)?.state !== "paused") return;
      states.delete(id);
      notify(id, undefined);
    },
    // The view is the state: every change is in it as soon as it is made.
    async sync() {},
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
    },
  };
}
