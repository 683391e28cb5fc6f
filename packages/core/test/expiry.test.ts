import { describe, expect, it, vi } from "vitest";
import { bot, broadIntent, denial, mandateError, manualClock, setup } from "./helpers.js";

const worker = { name: "worker-bot", sponsor: "user:alice", roles: ["analyst"] };
const pingCall = { tool: "ping", args: {} } as const;

describe("expiry", () => {
  it("denies with context.expired once the intent's ttl has passed", async () => {
    const clock = manualClock();
    const { mandate } = setup({ now: clock.now });
    const ctx = await mandate.declare(bot, broadIntent({ limits: { ttl: "1m" } }));
    const fn = vi.fn(() => "pong");
    const guarded = ctx.guard("ping", fn);

    expect(ctx.expiresAt).toBe(clock.now() + 60_000);
    clock.advance(59_999);
    await expect(guarded({})).resolves.toBe("pong");

    clock.advance(1);
    const err = await denial(guarded({}));
    expect(err.decision.reasons).toEqual([
      expect.objectContaining({ code: "context.expired", contextId: ctx.id }),
    ]);
    expect(fn).toHaveBeenCalledOnce();
  });

  it("expires a context when its identity's ttl runs out, even without an intent ttl", async () => {
    const clock = manualClock();
    const { mandate } = setup({ now: clock.now });
    const ctx = await mandate.declare({ ...bot, ttl: "30s" }, broadIntent());

    expect(ctx.expiresAt).toBe(clock.now() + 30_000);
    clock.advance(30_000);
    expect(ctx.check(pingCall).reasons[0]?.code).toBe("context.expired");
  });

  it("never lets a child outlive its parent", async () => {
    const clock = manualClock();
    const { mandate } = setup({ now: clock.now });
    const parent = await mandate.declare(bot, broadIntent({ limits: { ttl: "10m" } }));
    clock.advance(60_000);

    const noTtl = await parent.delegate(worker, broadIntent());
    const shorter = await parent.delegate(worker, broadIntent({ limits: { ttl: "2m" } }));
    const err = await mandateError(() => parent.delegate(worker, broadIntent({ limits: { ttl: "10m" } })));

    expect(noTtl.expiresAt).toBe(parent.expiresAt);
    expect(shorter.expiresAt).toBe(clock.now() + 120_000);
    expect(shorter.expiresAt).toBeLessThanOrEqual(parent.expiresAt);
    expect(err.code).toBe("ERR_BEYOND_PARENT");
    expect(err.field).toBe("limits.ttl");

    clock.advance(9 * 60_000);
    expect(noTtl.check(pingCall).reasons[0]).toMatchObject({ code: "context.expired", contextId: noTtl.id });
  });

  it("rejects delegating from an expired context with ERR_CONTEXT_CLOSED", async () => {
    const clock = manualClock();
    const { mandate } = setup({ now: clock.now });
    const parent = await mandate.declare(bot, broadIntent({ limits: { ttl: "1m" } }));
    clock.advance(60_000);

    const err = await mandateError(() => parent.delegate(worker, broadIntent()));
    expect(err.code).toBe("ERR_CONTEXT_CLOSED");
  });
});
