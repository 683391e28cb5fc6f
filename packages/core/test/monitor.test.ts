import { describe, expect, it, vi } from "vitest";
import type { AgentContext, Decision, LimitsInput } from "../src/index.js";
import {
  bot,
  broadIntent,
  customerNames,
  denial,
  eventsOf,
  lookup,
  manualClock,
  runLookup,
  setup,
} from "./helpers.js";

const salary = { table: "employees", columns: ["salary"] };

async function monitored(options: Parameters<typeof setup>[0] = {}, limits: LimitsInput = {}) {
  const { mandate, sink } = setup(options);
  const ctx = await mandate.declare(bot, { ...customerNames, mode: "monitor", limits });
  const fn = vi.fn(runLookup);
  return { mandate, sink, ctx, fn, query: ctx.guard(lookup, fn) };
}

describe("monitor mode", () => {
  it("lets an out-of-scope call run, marked as a deviation with its reasons", async () => {
    const { mandate, sink, query, fn } = await monitored();
    const decisions: Decision[] = [];
    mandate.events.on("decision", (d) => decisions.push(d));

    await expect(query(salary, { callId: "c-mon" })).resolves.toEqual([{ salary: "185000" }]);

    expect(fn).toHaveBeenCalledOnce();
    const [d] = decisions;
    expect(d?.effect).toBe("allow");
    expect(d?.deviation).toBe(true);
    expect(d?.reasons).toContainEqual(
      expect.objectContaining({ code: "intent.data_undeclared", dataClass: "employee.salary" }),
    );
    await mandate.flush();
    expect(eventsOf(sink.events, "tool.decision", "c-mon")).toMatchObject([
      { "mandate.decision": "allow", "mandate.deviation": true },
    ]);
    expect(eventsOf(sink.events, "tool.outcome", "c-mon")).toMatchObject([{ "mandate.outcome": "ok" }]);
  });

  it("emits a deviation event with the decision and the context", async () => {
    const { mandate, ctx, query } = await monitored();
    const deviations: [Decision, AgentContext][] = [];
    mandate.events.on("deviation", (d, c) => deviations.push([d, c]));

    await query({ table: "customers", columns: ["name"] });
    expect(deviations).toHaveLength(0);
    await query(salary);

    expect(deviations).toHaveLength(1);
    expect(deviations[0]?.[1]).toBe(ctx);
    expect(deviations[0]?.[0]).toMatchObject({ effect: "allow", deviation: true, tool: "lookup" });
  });

  it("lets an over-limit call run as a deviation", async () => {
    const { ctx } = await monitored({}, { calls: 1 });
    const call = { tool: "lookup", args: { table: "customers", columns: ["name"] } };

    expect(ctx.check(call)).toMatchObject({ effect: "allow", deviation: false });
    const over = ctx.check(call);
    expect(over).toMatchObject({ effect: "allow", deviation: true });
    expect(over.reasons[0]?.code).toBe("limit.calls");
  });

  it("still denies a revoked context", async () => {
    const { ctx, query, fn } = await monitored();
    await ctx.revoke();

    const err = await denial(query(salary));

    expect(err.decision.reasons[0]?.code).toBe("context.revoked");
    expect(fn).not.toHaveBeenCalled();
  });

  it("still denies a context whose ancestor was revoked", async () => {
    const { mandate } = setup();
    const root = await mandate.declare(bot, broadIntent({ mode: "monitor" }));
    const child = await root.delegate(bot, customerNames);
    await root.revoke();

    expect(child.check({ tool: "lookup", args: salary }).effect).toBe("deny");
  });

  it("still denies an expired context", async () => {
    const clock = manualClock();
    const { ctx, query, fn } = await monitored({ now: clock.now }, { ttl: "1m" });
    clock.advance(60_000);

    const err = await denial(query({ table: "customers", columns: ["name"] }));

    expect(err.decision.reasons[0]?.code).toBe("context.expired");
    expect(fn).not.toHaveBeenCalled();
    expect(ctx.check({ tool: "lookup", args: salary }).effect).toBe("deny");
  });

  it("still denies a paused context, an unknown tool and an unknown context", async () => {
    const { mandate, ctx } = await monitored();

    expect(ctx.check({ tool: "drop_database", args: {} }).reasons[0]?.code).toBe("tool.unknown");
    expect(mandate.check("nobody", { tool: "lookup", args: salary }).reasons[0]?.code).toBe(
      "context.unknown",
    );
    await ctx.pause();
    expect(ctx.check({ tool: "lookup", args: salary }).reasons[0]?.code).toBe("context.paused");
  });
});
