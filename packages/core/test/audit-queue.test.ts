import { describe, expect, it, vi } from "vitest";
import { AuditQueue, type EventBuilder } from "../src/audit/audit-queue.js";
import { seal } from "../src/audit/chain.js";
import type { AuditEvent, AuditSink, Decision } from "../src/index.js";
import {
  bot,
  broadIntent,
  brokenSink,
  customerNames,
  denial,
  lookup,
  runLookup,
  setup,
  sleep,
  stuckSink,
} from "./helpers.js";

const customers = { table: "customers", columns: ["name"] };

/** Guards calls until one is denied; returns how many ran and the denial. */
async function callUntilDenied(call: () => Promise<unknown>, max = 20) {
  let ran = 0;
  for (let i = 0; i < max; i++) {
    try {
      await call();
      ran++;
    } catch (err) {
      return { ran, err };
    }
  }
  throw new Error(`no call was denied in ${max} calls`);
}

describe("a full audit queue fails closed", () => {
  for (const [name, makeSink] of [
    ["never resolves", stuckSink],
    ["always rejects", brokenSink],
  ] as const) {
    it(`denies with audit.unavailable, never calls the tool and emits audit.overflow when the sink ${name}`, async () => {
      const sink: AuditSink = makeSink();
      const { mandate } = setup({ audit: { sink, capacity: 3, retryMs: 10_000 } });
      const overflows: Decision[] = [];
      mandate.events.on("audit.overflow", (d) => overflows.push(d));
      const ctx = await mandate.declare(bot, customerNames);
      const fn = vi.fn(runLookup);
      const query = ctx.guard(lookup, fn);

      const { ran, err } = await callUntilDenied(() => query(customers));

      expect(ran).toBeGreaterThanOrEqual(1);
      expect(ran).toBeLessThanOrEqual(3);
      expect(fn).toHaveBeenCalledTimes(ran);
      expect(err).toMatchObject({ name: "DeniedError" });
      const denied = await denial(Promise.reject(err));
      expect(denied.decision.effect).toBe("deny");
      expect(denied.decision.reasons[0]?.code).toBe("audit.unavailable");
      expect(overflows).toHaveLength(1);
      expect(overflows[0]?.reasons[0]?.code).toBe("audit.unavailable");

      // Every further call, guarded or checked, is denied the same way.
      expect((await denial(query(customers))).decision.reasons[0]?.code).toBe("audit.unavailable");
      expect(ctx.check({ tool: lookup, args: customers }).reasons[0]?.code).toBe("audit.unavailable");
      expect(fn).toHaveBeenCalledTimes(ran);
    });
  }

  it("reports sink failures through the audit.error event", async () => {
    const sink = brokenSink();
    const { mandate } = setup({ audit: { sink, retryMs: 10_000 } });
    const errors: unknown[] = [];
    mandate.events.on("audit.error", (e) => errors.push(e));

    await mandate.declare(bot, customerNames);
    await vi.waitFor(() => expect(errors).toHaveLength(1));

    expect((errors[0] as Error).message).toBe("disk on fire");
  });

  it("does not count a call denied for audit.unavailable against the limits", async () => {
    const sink = stuckSink();
    const { mandate } = setup({ audit: { sink, capacity: 2 } });
    const ctx = await mandate.declare(bot, broadIntent({ limits: { calls: 10 } }));

    const d = ctx.check({ tool: "ping", args: {} });

    expect(d.reasons[0]?.code).toBe("audit.unavailable");
    expect(ctx.usage.calls).toBe(0);
  });
});

describe("the drain keeps up", () => {
  it("with a sink that writes at once, guarded calls awaited back to back (yielding to the event loop every 1,000) never fill the default queue", async () => {
    const { mandate } = setup();
    const ctx = await mandate.declare(bot, customerNames);
    const guarded = ctx.guard(lookup, () => [{ name: "Ada Lovelace" }]);
    // Each call offers two events (decision and outcome): 60,000 events, six times the default
    // capacity, with the drain running only where the loop yields.
    for (let i = 0; i < 30_000; i++) {
      await guarded(customers);
      if (i % 1000 === 0) await new Promise<void>((r) => setImmediate(r));
    }
    await mandate.close();
  });
});

describe("nothing is lost", () => {
  /** Rejects the first `failures` writes, then stores; idempotent by id as the contract asks. */
  function flakySink(failures: number, storeBeforeFailing: boolean) {
    const stored: AuditEvent[] = [];
    const ids = new Set<string>();
    const batches: AuditEvent[][] = [];
    let failed = 0;
    const store = (events: readonly AuditEvent[]) => {
      for (const e of events) {
        if (ids.has(e.id)) continue;
        ids.add(e.id);
        stored.push(e);
      }
    };
    const sink: AuditSink = {
      async write(events) {
        batches.push([...events]);
        if (failed < failures) {
          failed++;
          // A write that reached the disk but whose acknowledgement was lost.
          if (storeBeforeFailing) store(events);
          throw new Error(`write ${failed} failed`);
        }
        store(events);
      },
    };
    return { sink, stored, batches };
  }

  for (const storeBeforeFailing of [false, true]) {
    const what = storeBeforeFailing ? "stores the batch and then fails" : "fails cleanly";
    it(`ends with every event exactly once, seq 1..n without gaps, when a sink ${what} 4 times`, async () => {
      const { sink, stored, batches } = flakySink(4, storeBeforeFailing);
      const { mandate } = setup({ audit: { sink, retryMs: 1, batchSize: 3 } });
      const ctx = await mandate.declare(bot, customerNames);
      const query = ctx.guard(lookup, runLookup);

      for (let i = 0; i < 5; i++) await query(customers, { callId: `call-${i}` });
      await denial(query({ table: "employees", columns: ["salary"] }, { callId: "call-denied" }));
      await mandate.flush();

      // identity + intent + 5 × (decision + outcome) + 1 denied decision
      expect(stored).toHaveLength(13);
      expect(new Set(stored.map((e) => e.id)).size).toBe(13);
      expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
      for (let i = 0; i < 5; i++) {
        expect(stored.filter((e) => e["gen_ai.tool.call.id"] === `call-${i}`).map((e) => e.type)).toEqual([
          "tool.decision",
          "tool.outcome",
        ]);
      }
      expect(stored.filter((e) => e["gen_ai.tool.call.id"] === "call-denied")).toHaveLength(1);
      // The failed batch was retried as is: same ids, same sequence numbers.
      expect(batches[1]).toEqual(batches[0]);
      expect(batches.length).toBeGreaterThan(4);
    });
  }
});

describe("AuditQueue", () => {
  const builder =
    (label: string): EventBuilder =>
    (id, seq, stream, prev) => {
      const e = {
        id,
        "mandate.stream": stream,
        seq,
        time: new Date(0).toISOString(),
        type: "tool.decision",
        "gen_ai.agent.id": label,
        "gen_ai.agent.name": label,
        "mandate.sponsor": "user:test",
      } as unknown as AuditEvent;
      seal(e, prev);
      return e;
    };

  it("returns increasing positions, refuses with 0 at capacity, and lets forced events past the bound", () => {
    const queue = new AuditQueue(stuckSink(), { capacity: 2 });

    expect(queue.offer(0, builder("a"))).toBe(1);
    expect(queue.offer(0, builder("b"))).toBe(2);
    expect(queue.offer(0, builder("c"))).toBe(0);
    expect(queue.offer(0, builder("d"), true)).toBe(3);
    expect(queue.backlog).toBe(3);
  });

  it("writes in order, in batches of batchSize, and settles each position once written", async () => {
    const batches: string[][] = [];
    const sink: AuditSink = {
      async write(events) {
        batches.push(events.map((e) => e["gen_ai.agent.id"] ?? ""));
      },
    };
    const queue = new AuditQueue(sink, { batchSize: 2 });

    for (const label of ["a", "b", "c", "d", "e"]) queue.offer(0, builder(label));
    await queue.settled(5);

    expect(batches.flat()).toEqual(["a", "b", "c", "d", "e"]);
    expect(batches.every((b) => b.length <= 2)).toBe(true);
    expect(queue.backlog).toBe(0);
  });

  it("frees capacity once the sink catches up", async () => {
    let open = false;
    const sink: AuditSink = {
      async write() {
        while (!open) await sleep(5);
      },
    };
    const queue = new AuditQueue(sink, { capacity: 1 });

    expect(queue.offer(0, builder("a"))).toBe(1);
    expect(queue.offer(0, builder("b"))).toBe(0);
    open = true;
    await queue.flush();
    expect(queue.offer(0, builder("c"))).toBe(2);
  });
});
