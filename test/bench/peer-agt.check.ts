/**
 * Sanity check for the AGT benchmark peer: `npx tsx test/bench/peer-agt.check.ts`.
 * Times 20 000 sequential `run()` calls and prints p50/p99 in microseconds, then whether
 * `denyCheck()` saw the peer deny calls outside the rule.
 */
import { performance } from "node:perf_hooks";
import { createAgtPeer } from "./peer-agt.js";

const ITERATIONS = 20_000;
/** AGT's default in-memory audit cap; past it, every call also trims the log. */
const AGT_AUDIT_CAP = 10_000;

function percentile(sorted: Float64Array, p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

function summary(samplesMs: Float64Array): string {
  const sorted = Float64Array.from(samplesMs).sort();
  const us = (ms: number) => (ms * 1000).toFixed(2);
  return `p50 ${us(percentile(sorted, 50))} µs  p99 ${us(percentile(sorted, 99))} µs  (n=${sorted.length})`;
}

const peer = await createAgtPeer();
const samples = new Float64Array(ITERATIONS);
for (let i = 0; i < ITERATIONS; i++) {
  const start = performance.now();
  await peer.run();
  samples[i] = performance.now() - start;
}
const denied = await peer.denyCheck();

console.log(`${peer.name}@${peer.version}  run() x ${ITERATIONS}, no warm-up`);
console.log(`  all                : ${summary(samples)}`);
console.log(`  audit log < cap    : ${summary(samples.subarray(0, AGT_AUDIT_CAP))}`);
console.log(`  audit log at cap   : ${summary(samples.subarray(AGT_AUDIT_CAP))}`);
console.log(`  denyCheck() denied : ${denied}`);
if (!denied) process.exitCode = 1;
