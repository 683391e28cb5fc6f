/**
 * Settles with `value`, or rejects with the reason of whichever signal aborts first; the listeners
 * it adds are removed when it settles.
 */
export function raceAbort<T>(value: T | Promise<T>, signal: AbortSignal, also?: AbortSignal): Promise<T> {
  if (!(value instanceof Promise)) return Promise.resolve(value);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.aborted ? signal.reason : also?.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    also?.addEventListener("abort", onAbort, { once: true });
    const done = () => {
      signal.removeEventListener("abort", onAbort);
      also?.removeEventListener("abort", onAbort);
    };
    value.then(
      (v) => {
        done();
        resolve(v);
      },
      (e) => {
        done();
        reject(e);
      },
    );
  });
}

/**
 * Aborts `target` when any source aborts (with its reason); returns the unlinking function. For
 * framework integrations too: a tool given its own controller's signal, linked to the context's
 * and the framework's, leaves its listeners on that short-lived signal, never on the context's.
 */
export function linkSignals(target: AbortController, ...sources: (AbortSignal | undefined)[]): () => void {
  const live: [AbortSignal, () => void][] = [];
  for (const source of sources) {
    if (source === undefined) continue;
    if (source.aborted) {
      target.abort(source.reason);
      continue;
    }
    const onAbort = () => target.abort(source.reason);
    source.addEventListener("abort", onAbort, { once: true });
    live.push([source, onAbort]);
  }
  return () => {
    for (const [source, onAbort] of live) source.removeEventListener("abort", onAbort);
  };
}
