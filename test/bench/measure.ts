/** Latency samples in microseconds and their percentiles. */
export interface Summary {
  readonly p50: number;
  readonly p99: number;
  /** Calls per second over the whole timed run, wall clock: background work (the audit drain) included. */
  readonly opsPerSec: number;
}

export function summarize(samplesUs: Float64Array, wallMs: number): Summary {
  const sorted = Float64Array.from(samplesUs).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return { p50: at(0.5), p99: at(0.99), opsPerSec: sorted.length / (wallMs / 1000) };
}

const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

/**
 * Times `fn` once per sample (per-call timing, so p99 is a real tail, timer cost included), after
 * `warmup` untimed calls. Yields to the event loop every `batch` calls so that background work
 * (the audit drain) runs as it would in an application.
 */
export async function timeSync(
  fn: () => unknown,
  samples: number,
  warmup: number,
  batch = 1000,
): Promise<Summary> {
  for (let i = 0; i < warmup; i++) {
    fn();
    if (i % batch === 0) await yieldToLoop();
  }
  const out = new Float64Array(samples);
  const start = performance.now();
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    fn();
    out[i] = (performance.now() - t0) * 1000;
    if (i % batch === 0) await yieldToLoop();
  }
  return summarize(out, performance.now() - start);
}

/** Like {@link timeSync} for an async function, awaited each call. */
export async function timeAsync(
  fn: () => Promise<unknown>,
  samples: number,
  warmup: number,
  batch = 1000,
): Promise<Summary> {
  for (let i = 0; i < warmup; i++) {
    await fn();
    if (i % batch === 0) await yieldToLoop();
  }
  const out = new Float64Array(samples);
  const start = performance.now();
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await fn();
    out[i] = (performance.now() - t0) * 1000;
    if (i % batch === 0) await yieldToLoop();
  }
  return summarize(out, performance.now() - start);
}

/** Rounds a figure for printing and the results file. */
export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
