import assert from "node:assert/strict";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMandate, defineTool, generateSigningKey, type Scope } from "@mandate/core";
import { jsonlAuditSink, verifyAuditFile } from "@mandate/core/node";
import { timeSync } from "./measure.js";

const SCOPE: Scope = [{ action: "db.read", resource: "crm/**", data: ["customer.**"] }];
const lookup = defineTool<{ table: string; limit: number }>({
  name: "lookup",
  action: "db.read",
  inspect: (a) => [{ action: "db.read", resource: `crm/${a.table}`, data: ["customer.name"] }],
});

/**
 * The attestation issue's figures: sustained append rate of hash-chained, signed-checkpointed
 * events through the JSONL sink with an fsync per batch; verification rate of the resulting file;
 * and the check latency with the file sink on.
 */
export async function auditBench(): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), "mandate-bench-"));
  try {
    const path = join(dir, "audit.jsonl");
    const key = await generateSigningKey();
    const mandate = createMandate({
      roles: { r: SCOPE },
      tools: [lookup],
      audit: { sink: jsonlAuditSink({ path, fsync: "batch" }), capacity: 1_000_000, batchSize: 2048 },
      tokens: { signing: key },
    });
    const agent = mandate.identity({ name: "bench-bot", sponsor: "user:alice", roles: ["r"] });
    const ctx = await mandate.declare(agent, { purpose: "find all customer names", allow: SCOPE });
    const call = { tool: "lookup", args: { table: "customers", limit: 10 } };

    // Check latency with the file sink on and draining in the same process (the drain competes for
    // the CPU between batches of checks), measured first, on the heap of a process at work rather
    // than one the append run below has just filled.
    const check = await timeSync(() => ctx.check(call), 100_000, 20_000);
    await mandate.flush();

    // Sustained append: 300,000 decisions offered as fast as the guard takes them, timed until
    // every one is hashed, chained, written and fsynced.
    const n = 300_000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const d = ctx.check(call);
      if (d.effect !== "allow") throw new Error(`bench call denied: ${d.reasons[0]?.code}`);
      if (i % 1000 === 0) await new Promise<void>((r) => setImmediate(r));
    }
    await mandate.flush();
    const appendS = (performance.now() - t0) / 1000;

    await mandate.close();

    const bytes = (await stat(path)).size;
    const v0 = performance.now();
    const verdict = await verifyAuditFile(path, { keys: [mandate.jwks()] });
    const verifyS = (performance.now() - v0) / 1000;
    assert.ok(verdict.ok, JSON.stringify(verdict.problems.slice(0, 3)));
    assert.ok(verdict.events > n);

    return {
      "audit.jsonl.append.events_per_s": n / appendS,
      "audit.jsonl.bytes_per_event": bytes / verdict.events,
      "audit.verify.events_per_s": verdict.events / verifyS,
      "guard.check.file_sink.p50_us": check.p50,
      "guard.check.file_sink.p99_us": check.p99,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
