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
 * Times `fn` in three rounds and keeps the round with the median p50: this machine's timings jump
 * between runs (shared virtual CPUs), and one unlucky round should not decide a figure. Each round
 * times every call (so p99 is a real tail, timer cost included) after untimed warm-up calls, and
 * yields to the event loop every `batch` calls so that background work (the audit drain) runs as
 * it would in an application.
 */
export async function timeSync(
  fn: () => unknown,
  samples: number,
  warmup: number,
  batch = 1000,
): Promise<Summary> {
  return median(3, (r) =>
    timeRound(
      async (timed) => {
        if (!timed) return void fn();
        const t0 = performance.now();
        fn();
        return (performance.now() - t0) * 1000;
      },
      samples,
      r === 0 ? warmup : warmup >> 2,
      batch,
    ),
  );
}

/** Like {@link timeSync} for an async function, awaited each call. */
export async function timeAsync(
  fn: () => Promise<unknown>,
  samples: number,
  warmup: number,
  batch = 1000,
): Promise<Summary> {
  return median(3, (r) =>
    timeRound(
      async (timed) => {
        if (!timed) return void (await fn());
        const t0 = performance.now();
        await fn();
        return (performance.now() - t0) * 1000;
      },
      samples,
      r === 0 ? warmup : warmup >> 2,
      batch,
    ),
  );
}

async function median(rounds: number, round: (r: number) => Promise<Summary>): Promise<Summary> {
  const results: Summary[] = [];
  for (let r = 0; r < rounds; r++) results.push(await round(r));
  return results.sort((a, b) => a.p50 - b.p50)[rounds >> 1] as Summary;
}

async function timeRound(
  step: (timed: boolean) => Promise<number | undefined>,
  samples: number,
  warmup: number,
  batch: number,
): Promise<Summary> {
  for (let i = 0; i < warmup; i++) {
    await step(false);
    if (i % batch === 0) await yieldToLoop();
  }
  const out = new Float64Array(samples);
  const start = performance.now();
  for (let i = 0; i < samples; i++) {
    out[i] = (await step(true)) as number;
    if (i % batch === 0) await yieldToLoop();
  }
  return summarize(out, performance.now() - start);
}

/** Rounds a figure for printing and the results file. */
export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
