import { describe, expect, it, vi } from "vitest";
import type { AuditEvent, AuditSink, ToolRun } from "../src/index.js";
import {
  bot,
  customerNames,
  deferred,
  denial,
  type LookupArgs,
  lookup,
  runLookup,
  setup,
  sleep,
  stuckSink,
} from "./helpers.js";

const customers = { table: "customers", columns: ["name"] };

/** A slow sink that records each batch (the marker) before it resolves. */
function slowSink(delayMs: number): AuditSink & { written: AuditEvent[] } {
  const written: AuditEvent[] = [];
  return {
    written,
    async write(events) {
      await sleep(delayMs);
      written.push(...events);
    },
  };
}

/** A tool that reports whether its own decision event was already written when it ran. */
function probe(sink: { written: AuditEvent[] }) {
  return (_args: LookupArgs, run: ToolRun) =>
    sink.written.some((e) => e.type === "tool.decision" && e["gen_ai.tool.call.id"] === run.decision.callId);
}

describe("durable mode", () => {
  it("runs the tool only after its decision event is written", async () => {
    const sink = slowSink(20);
    const { mandate } = setup({ audit: { sink, durable: true } });
    const ctx = await mandate.declare(bot, customerNames);
    const query = ctx.guard(lookup, probe(sink));

    expect(await query(customers)).toBe(true);
    expect(await query(customers)).toBe(true);
  });

  it("contrast: without durable mode the same tool runs before its decision is written", async () => {
    const sink = slowSink(20);
    const { mandate } = setup({ audit: { sink } });
    const ctx = await mandate.declare(bot, customerNames);
    const query = ctx.guard(lookup, probe(sink));

    expect(await query(customers)).toBe(false);
  });

  it("denies with audit.unavailable when the sink does not write within durableTimeoutMs", async () => {
    const { mandate } = setup({ audit: { sink: stuckSink(), durable: true, durableTimeoutMs: 50 } });
    const ctx = await mandate.declare(bot, customerNames);
    const fn = vi.fn(runLookup);
    const query = ctx.guard(lookup, fn);

    const started = Date.now();
    const err = await denial(query(customers));

    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
    expect(err.decision.effect).toBe("deny");
    expect(err.decision.reasons[0]?.code).toBe("audit.unavailable");
    expect(fn).not.toHaveBeenCalled();
  });

  it("does not run a tool whose context was revoked while its decision was being written", async () => {
    const gate = deferred();
    const entered = deferred();
    let blocking = false;
    const sink: AuditSink = {
      async write() {
        if (!blocking) return;
        entered.resolve();
        await gate.promise;
      },
    };
    const { mandate } = setup({ audit: { sink, durable: true } });
    const ctx = await mandate.declare(bot, customerNames);
    await mandate.flush();
    const fn = vi.fn(runLookup);
    const query = ctx.guard(lookup, fn);

    blocking = true;
    const call = query(customers);
    await entered.promise;
    await ctx.revoke("stop");
    gate.resolve();

    const outcome = await call.then(
      () => "ran",
      (err: unknown) => err,
    );
    expect(fn).not.toHaveBeenCalled();
    expect(outcome).toMatchObject({
      decision: { reasons: [expect.objectContaining({ code: "context.revoked" })] },
    });
  });
});
