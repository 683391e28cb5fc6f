/**
 * Strict revocation: a guarded call waits for the store's read barrier, so a revocation committed
 * by another process just before the call stops it even while this process's view lags.
 */
import { describe, expect, it } from "vitest";
import {
  type ContextStatus,
  createMandate,
  DeniedError,
  type Mandate,
  MandateError,
  memoryAuditSink,
  memoryRevocationStore,
  type RevocationStore,
} from "../src/index.js";
import { bot, customerNames, lookup, roles } from "./helpers.js";

/**
 * A store whose local view lags behind the shared state: changes made elsewhere (`elsewhere`)
 * reach the view only through `sync()`, as a message still in flight would.
 */
function laggingStore(syncFails = false) {
  const view = memoryRevocationStore();
  const inFlight: [string, Omit<ContextStatus, "state">][] = [];
  const store: RevocationStore & { elsewhere(id: string): void } = {
    status: (id) => view.status(id),
    get fresh() {
      return view.fresh;
    },
    revoke: (id, s) => view.revoke(id, s),
    pause: (id, s) => view.pause(id, s),
    resume: (id) => view.resume(id),
    subscribe: (l) => view.subscribe(l),
    async sync() {
      if (syncFails) throw new Error("no answer within the bound");
      for (const [id, s] of inFlight.splice(0)) await view.revoke(id, s);
    },
    elsewhere(id) {
      inFlight.push([id, { reason: "revoked by the operator", at: Date.now() }]);
    },
  };
  return store;
}

async function setup(strict: boolean, store: RevocationStore) {
  const sink = memoryAuditSink();
  const mandate: Mandate = createMandate({
    roles,
    tools: [lookup],
    revocations: store,
    strictRevocations: strict,
    audit: sink,
  });
  const ctx = await mandate.declare(bot, customerNames);
  const guarded = ctx.guard(lookup, () => [{ name: "Ada Lovelace" }]);
  return { mandate, sink, ctx, guarded };
}

const args = { table: "customers", columns: ["name"] };

describe("strict revocation", () => {
  it("denies a call revoked elsewhere just before it, while the default mode decides on the lagging view", async () => {
    const strictStore = laggingStore();
    const strict = await setup(true, strictStore);
    strictStore.elsewhere(strict.ctx.id);
    const err = await strict.guarded(args).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeniedError);
    expect((err as DeniedError).decision.reasons[0]?.code).toBe("context.revoked");

    const laxStore = laggingStore();
    const lax = await setup(false, laxStore);
    laxStore.elsewhere(lax.ctx.id);
    await expect(lax.guarded(args)).resolves.toEqual([{ name: "Ada Lovelace" }]);
    await strict.mandate.close();
    await lax.mandate.close();
  });

  it("denies with store.unavailable, and audits the denial, when the barrier cannot be confirmed", async () => {
    const { mandate, sink, guarded } = await setup(true, laggingStore(true));
    const err = (await guarded(args).catch((e: unknown) => e)) as DeniedError;
    expect(err).toBeInstanceOf(DeniedError);
    expect(err.decision.reasons[0]?.code).toBe("store.unavailable");
    expect(err.decision.reasons[0]?.message).toContain("no answer within the bound");
    await mandate.flush();
    const decisions = sink.events.filter((e) => e.type === "tool.decision");
    expect(decisions.map((e) => e["mandate.decision"])).toEqual(["deny"]);
    expect(sink.events.some((e) => e.type === "tool.outcome")).toBe(false);
    await mandate.close();
  });

  it("refuses, naming the field, a store without a read barrier", () => {
    const { sync: _, ...noBarrier } = memoryRevocationStore();
    let caught: unknown;
    try {
      createMandate({ roles, revocations: noBarrier as RevocationStore, strictRevocations: true });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(MandateError);
    expect((caught as MandateError).code).toBe("ERR_INVALID_CONFIG");
    expect((caught as MandateError).field).toBe("strictRevocations");
  });

  it("mandate.sync() lets check() see a change made elsewhere; it rejects for a store without a barrier", async () => {
    const store = laggingStore();
    const { mandate, ctx } = await setup(false, store);
    const call = { tool: "lookup", args };
    store.elsewhere(ctx.id);
    expect(ctx.check(call).effect).toBe("allow");
    await mandate.sync();
    expect(ctx.check(call).reasons[0]?.code).toBe("context.revoked");
    await mandate.close();

    const { sync: _, ...noBarrier } = memoryRevocationStore();
    const plain = createMandate({ roles, revocations: noBarrier as RevocationStore });
    await expect(plain.sync()).rejects.toMatchObject({ code: "ERR_INVALID_CONFIG" });
  });
});
