import { describe, expect, it, vi } from "vitest";
import type { Policy } from "../src/index.js";
import { bot, broadIntent, denial, manualClock, setup } from "./helpers.js";

const pingCall = { tool: "ping", args: {} } as const;

describe("calls limit", () => {
  it("allows n calls and denies the n+1th with limit.calls, without running it", async () => {
    const { mandate } = setup();
    const ctx = await mandate.declare(bot, broadIntent({ limits: { calls: 3 } }));
    const fn = vi.fn(() => "pong");
    const guarded = ctx.guard("ping", fn);

    for (let i = 0; i < 3; i++) await expect(guarded({})).resolves.toBe("pong");
    const err = await denial(guarded({}));

    expect(err.decision.reasons[0]).toMatchObject({ code: "limit.calls", contextId: ctx.id });
    expect(err.decision.deviation).toBe(true);
    expect(fn).toHaveBeenCalledTimes(3);
    expect(ctx.usage.calls).toBe(3);
  });

  it("counts allows from check() against the limit", async () => {
    const { mandate } = setup();
    const ctx = await mandate.declare(bot, broadIntent({ limits: { calls: 2 } }));

    expect(ctx.check(pingCall).effect).toBe("allow");
    expect(ctx.check(pingCall).effect).toBe("allow");
    expect(ctx.check(pingCall).reasons[0]?.code).toBe("limit.calls");
  });

  it("does not count denied calls", async () => {
    const { mandate } = setup();
    const ctx = await mandate.declare(bot, broadIntent({ limits: { calls: 1 } }));

    for (let i = 0; i < 5; i++) {
      const d = ctx.check({ tool: "lookup", args: { table: "employees", columns: ["salary"] } });
      expect(d.effect).toBe("deny");
    }
    expect(ctx.usage.calls).toBe(0);
    expect(ctx.check(pingCall).effect).toBe("allow");
  });

  it("counts a call an approver let through against the calls limit", async () => {
    const askAll: Policy = { name: "ask-all", evaluate: () => "ask" };
    const approver = vi.fn(async () => true);
    const { mandate } = setup({ policies: [askAll], approver });
    const ctx = await mandate.declare(bot, broadIntent({ limits: { calls: 1 } }));
    const fn = vi.fn(() => "pong");
    const guarded = ctx.guard("ping", fn);

    await expect(guarded({})).resolves.toBe("pong");
    const second = await guarded({}).then(
      () => "ran",
      (err: unknown) => err,
    );

    expect(fn).toHaveBeenCalledTimes(1);
    expect(second).toMatchObject({
      decision: { reasons: [expect.objectContaining({ code: "limit.calls" })] },
    });
  });
});

describe("rate limit (perMinute)", () => {
  it("denies with limit.rate once the bucket is empty and refills it as the clock moves", async () => {
    const clock = manualClock();
    const { mandate } = setup({ now: clock.now });
    const ctx = await mandate.declare(bot, broadIntent({ limits: { perMinute: 2 } }));

    expect(ctx.check(pingCall).effect).toBe("allow");
    expect(ctx.check(pingCall).effect).toBe("allow");
    expect(ctx.check(pingCall).reasons[0]).toMatchObject({ code: "limit.rate", contextId: ctx.id });

    clock.advance(29_000);
    expect(ctx.check(pingCall).reasons[0]?.code).toBe("limit.rate");

    clock.advance(1_000); // 30 s: one token back
    expect(ctx.check(pingCall).effect).toBe("allow");
    expect(ctx.check(pingCall).reasons[0]?.code).toBe("limit.rate");

    clock.advance(10 * 60_000); // a long idle never refills beyond the cap
    expect(ctx.check(pingCall).effect).toBe("allow");
    expect(ctx.check(pingCall).effect).toBe("allow");
    expect(ctx.check(pingCall).reasons[0]?.code).toBe("limit.rate");
  });
});

describe("budget", () => {
  it("charges each tool its cost: the intent's cost table, else the tool's cost, else 1", async () => {
    const { mandate } = setup();
    // search costs 3 (tool definition), translate costs 4 (intent table), ping costs 1 (default).
    const ctx = await mandate.declare(bot, broadIntent({ limits: { budget: 10, costs: { translate: 4 } } }));

    expect(ctx.check({ tool: "translate", args: { text: "a" } }).effect).toBe("allow"); // 4
    expect(ctx.check({ tool: "search", args: { q: "a" } }).effect).toBe("allow"); // 7
    expect(ctx.usage.spent).toBe(7);

    const over = ctx.check({ tool: "translate", args: { text: "b" } }); // 11 > 10
    expect(over.effect).toBe("deny");
    expect(over.reasons[0]).toMatchObject({ code: "limit.budget", contextId: ctx.id });
    expect(ctx.usage.spent).toBe(7);
    expect(ctx.check({ tool: "search", args: { q: "b" } }).effect).toBe("allow"); // 10 = budget
    expect(ctx.check(pingCall).reasons[0]?.code).toBe("limit.budget"); // 11 > 10
    expect(ctx.usage.spent).toBe(10);
  });

  it("lets a call spend exactly the remaining budget, then denies the next", async () => {
    const { mandate } = setup();
    const ctx = await mandate.declare(bot, broadIntent({ limits: { budget: 5, costs: { translate: 4 } } }));

    expect(ctx.check({ tool: "translate", args: { text: "a" } }).effect).toBe("allow"); // 4
    expect(ctx.check(pingCall).effect).toBe("allow"); // 5 = budget
    expect(ctx.check(pingCall).reasons[0]?.code).toBe("limit.budget");
  });

  it("a tool whose cost the intent sets to 0 never exhausts the budget", async () => {
    const { mandate } = setup();
    const ctx = await mandate.declare(bot, broadIntent({ limits: { budget: 1, costs: { ping: 0 } } }));

    for (let i = 0; i < 20; i++) expect(ctx.check(pingCall).effect).toBe("allow");
    expect(ctx.usage.spent).toBe(0);
  });
});

describe("limits along the delegation path", () => {
  it("counts a child's calls against its parent's limits", async () => {
    const { mandate } = setup();
    const parent = await mandate.declare(bot, broadIntent({ limits: { calls: 3 } }));
    const child = await parent.delegate(bot, broadIntent({ limits: { calls: 3 } }));

    expect(parent.check(pingCall).effect).toBe("allow");
    expect(child.check(pingCall).effect).toBe("allow");
    expect(child.check(pingCall).effect).toBe("allow");
    expect(parent.usage.calls).toBe(3);

    const d = child.check(pingCall);
    expect(d.effect).toBe("deny");
    expect(d.reasons[0]).toMatchObject({ code: "limit.calls", contextId: parent.id });
    expect(parent.check(pingCall).reasons[0]?.code).toBe("limit.calls");
  });

  it("charges a child's spending to the parent's budget at the parent's costs", async () => {
    const { mandate } = setup();
    const parent = await mandate.declare(bot, broadIntent({ limits: { budget: 6 } }));
    const child = await parent.delegate(bot, broadIntent({ limits: { budget: 6 } }));

    expect(child.check({ tool: "search", args: { q: "x" } }).effect).toBe("allow"); // 3 each
    expect(child.check({ tool: "search", args: { q: "y" } }).effect).toBe("allow"); // 6 each
    expect(parent.usage.spent).toBe(6);
    expect(parent.check(pingCall).reasons[0]).toMatchObject({ code: "limit.budget", contextId: parent.id });
  });

  it("applies the parent's rate limit to the child's calls", async () => {
    const clock = manualClock();
    const { mandate } = setup({ now: clock.now });
    const parent = await mandate.declare(bot, broadIntent({ limits: { perMinute: 1 } }));
    const child = await parent.delegate(bot, broadIntent({ limits: { perMinute: 1 } }));

    expect(child.check(pingCall).effect).toBe("allow");
    expect(parent.check(pingCall).reasons[0]).toMatchObject({ code: "limit.rate", contextId: parent.id });
    clock.advance(60_000);
    expect(parent.check(pingCall).effect).toBe("allow");
  });
});
