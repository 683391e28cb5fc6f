/**
 * Calls waiting for a paused context to resume. A waiter is woken when its context or an ancestor
 * is resumed or revoked; it then decides again, until the decision is no longer "paused" or its
 * time is up.
 */
export class PauseWaiters {
  private readonly waiters = new Set<{ path: readonly string[]; wake: () => void }>();

  /**
   * Re-decides with `decide` each time the context at `path` may have changed, from `first` (a
   * paused decision) until one is not paused or `ms` have passed; returns the last decision. One
   * real timer bounds the whole wait (an injected clock may stand still in tests).
   */
  async wait<T extends { readonly paused: boolean }>(
    path: readonly string[],
    ms: number,
    first: T,
    decide: () => T,
  ): Promise<T> {
    let expired = false;
    let wake: () => void = () => {};
    const timer = setTimeout(() => {
      expired = true;
      wake();
    }, ms);
    const waiter = { path, wake: () => wake() };
    this.waiters.add(waiter);
    let decision = first;
    try {
      while (decision.paused && !expired) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        decision = decide();
      }
    } finally {
      clearTimeout(timer);
      this.waiters.delete(waiter);
    }
    return decision;
  }

  /** Wakes the waiters of context `id` and of its descendants. */
  wake(id: string): void {
    for (const w of this.waiters) if (w.path.includes(id)) w.wake();
  }
}
