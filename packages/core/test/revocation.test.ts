import { describe, expect, it, vi } from "vitest";
import { type AgentContext, DeniedError, type ToolRun } from "../src/index.js";
import {
  bot,
  broadIntent,
  deferred,
  denial,
  eventsOf,
  type LookupArgs,
  lookup,
  runLookup,
  setup,
  sleep,
} from "./helpers.js";

const worker = { name: "worker-bot", sponsor: "user:alice", roles: ["analyst"] };
const pingCall = { tool: "ping", args: {} } as const;

async function tree(options: Parameters<typeof setup>[0] = {}) {
  const { mandate, sink } = setup(options);
  const root = await mandate.declare(bot, broadIntent());
  const child = await root.delegate(worker, broadIntent());
  const grandchild = await child.delegate(worker, broadIntent());
  return { mandate, sink, root, child, grandchild };
}

/** Guards a tool on `ctx` that never finishes on its own; `started` resolves with its run. */
function hangingTool(ctx: AgentContext, listen: boolean) {
  const started = deferred<ToolRun>();
  const guarded = ctx.guard(lookup, (_args: LookupArgs, run) => {
    started.resolve(run);
    if (!listen) return new Promise<never>(() => {});
    return new Promise<never>((_resolve, reject) => {
      run.signal.addEventListener("abort", () => reject(new Error("tool saw the abort")), { once: true });
    });
  });
  return { started: started.promise, guarded };
}

describe("revocation", () => {
  it("denies the child's next call with context.revoked naming the revoked root", async () => {
    const { mandate, root, child, grandchild } = await tree();
    expect(child.check(pingCall).effect).toBe("allow");

    await mandate.revoke(root.id, "incident 7");

    for (const ctx of [root, child, grandchild]) {
      const d = ctx.check(pingCall);
      expect(d.effect).toBe("deny");
      expect(d.reasons).toEqual([expect.objectContaining({ code: "context.revoked", contextId: root.id })]);
      expect(d.reasons[0]?.message).toContain("incident 7");
    }
  });

  it("leaves the parent working when only a child is revoked", async () => {
    const { root, child, grandchild } = await tree();

    await child.revoke();

    expect(root.check(pingCall).effect).toBe("allow");
    expect(grandchild.check(pingCall).reasons[0]).toMatchObject({
      code: "context.revoked",
      contextId: child.id,
    });
  });

  it("a guarded call after revocation never reaches the function", async () => {
    const { root, grandchild } = await tree();
    const fn = vi.fn(runLookup);
    const query = grandchild.guard(lookup, fn);

    await root.revoke();
    const err = await denial(query({ table: "customers", columns: ["name"] }));

    expect(err.decision.reasons[0]?.code).toBe("context.revoked");
    expect(fn).not.toHaveBeenCalled();
  });

  for (const listen of [false, true]) {
    const kind = listen ? "a tool listening to its signal" : "a tool awaiting a promise that never settles";
    it(`aborts an in-flight call of a descendant (${kind}) with context.revoked`, async () => {
      const { mandate, sink, root, grandchild } = await tree();
      const { started, guarded } = hangingTool(grandchild, listen);

      const call = guarded({ table: "customers", columns: ["name"] }, { callId: "c-flight" });
      const run = await started;
      expect(run.signal.aborted).toBe(false);
      await root.revoke("kill switch");

      const err = await denial(call);
      expect(err).toBeInstanceOf(DeniedError);
      expect(err.decision.effect).toBe("deny");
      expect(err.decision.reasons[0]).toMatchObject({ code: "context.revoked", contextId: root.id });
      expect(run.signal.aborted).toBe(true);
      await mandate.flush();
      expect(eventsOf(sink.events, "tool.outcome", "c-flight")).toMatchObject([
        { "mandate.outcome": "aborted" },
      ]);
    });
  }

  it("does not abort in-flight calls of contexts outside the revoked subtree", async () => {
    const { mandate, root, child } = await tree();
    const sibling = await root.delegate(worker, broadIntent());
    const gate = deferred<string>();
    const guarded = sibling.guard("ping", async (_args: unknown, run) => {
      const value = await gate.promise;
      return `${value}:${run.signal.aborted}`;
    });

    const call = guarded({});
    await sleep(0);
    await mandate.revoke(child.id);
    gate.resolve("done");

    await expect(call).resolves.toBe("done:false");
  });

  it("is final: resume and pause after revoke do not revive the context", async () => {
    const { mandate, root, child } = await tree();

    await root.revoke("for good");
    await root.resume();
    await mandate.resume(root.id);
    await root.pause();
    await root.resume();

    for (const ctx of [root, child]) expect(ctx.check(pingCall).reasons[0]?.code).toBe("context.revoked");
  });

  it("does not record a pause or a resume in the audit trail for a revoked context that stays revoked", async () => {
    const { mandate, sink, root } = await tree();
    await root.revoke();

    await root.pause();
    await root.resume();
    await mandate.flush();

    expect(root.check(pingCall).reasons[0]?.code).toBe("context.revoked");
    expect(eventsOf(sink.events, "context.revoked")).toHaveLength(1);
    expect(eventsOf(sink.events, "context.paused")).toHaveLength(0);
    expect(eventsOf(sink.events, "context.resumed")).toHaveLength(0);
  });

  it("records the revocation in the audit trail with its reason", async () => {
    const { mandate, sink, child } = await tree();

    await child.revoke("leaked key");
    await mandate.flush();

    expect(eventsOf(sink.events, "context.revoked")).toMatchObject([
      { "mandate.context.id": child.id, "mandate.detail": { reason: "leaked key" } },
    ]);
  });
});

describe("pause", () => {
  it("with pauseWaitMs 0 denies a call to a paused context at once with context.paused", async () => {
    const { mandate, root } = await tree({ pauseWaitMs: 0 });
    const fn = vi.fn(() => "pong");
    const guarded = root.guard("ping", fn);

    await root.pause("investigating");
    const started = Date.now();
    const err = await denial(guarded({}));

    expect(Date.now() - started).toBeLessThan(100);
    expect(err.decision.reasons).toEqual([
      expect.objectContaining({ code: "context.paused", contextId: root.id }),
    ]);
    expect(fn).not.toHaveBeenCalled();
    await mandate.resume(root.id);
    await expect(guarded({})).resolves.toBe("pong");
  });

  it("denies calls of the subtree of a paused ancestor, naming the ancestor", async () => {
    const { root, child, grandchild } = await tree();

    await child.pause();

    expect(root.check(pingCall).effect).toBe("allow");
    expect(grandchild.check(pingCall).reasons[0]).toMatchObject({
      code: "context.paused",
      contextId: child.id,
    });
    await child.resume();
    expect(grandchild.check(pingCall).effect).toBe("allow");
  });

  it("with pauseWaitMs lets a call wait for resume() and then run", async () => {
    const { root, grandchild } = await tree({ pauseWaitMs: 200 });
    const fn = vi.fn(() => "pong");
    const guarded = grandchild.guard("ping", fn);

    await root.pause();
    const call = guarded({});
    await sleep(30);
    expect(fn).not.toHaveBeenCalled();
    await root.resume();

    await expect(call).resolves.toBe("pong");
    expect(fn).toHaveBeenCalledOnce();
  });

  it("denies a waiting call with context.paused once the wait times out", async () => {
    const { root } = await tree({ pauseWaitMs: 60 });
    const fn = vi.fn(() => "pong");
    const guarded = root.guard("ping", fn);

    await root.pause();
    const started = Date.now();
    const err = await denial(guarded({}));

    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    expect(err.decision.reasons[0]?.code).toBe("context.paused");
    expect(fn).not.toHaveBeenCalled();
  });

  it("denies a waiting call with context.revoked when the context is revoked during the wait", async () => {
    const { root, child } = await tree({ pauseWaitMs: 2_000 });
    const fn = vi.fn(() => "pong");
    const guarded = child.guard("ping", fn);

    await child.pause();
    const call = guarded({});
    await sleep(20);
    const revokedAt = Date.now();
    await root.revoke("stop everything");

    const err = await denial(call);
    expect(Date.now() - revokedAt).toBeLessThan(500);
    expect(err.decision.reasons[0]).toMatchObject({ code: "context.revoked", contextId: root.id });
    expect(fn).not.toHaveBeenCalled();
  });

  it("does not abort calls already running when the context is paused", async () => {
    const { root } = await tree();
    const gate = deferred<string>();
    const guarded = root.guard(
      "ping",
      async (_args: unknown, run) => `${await gate.promise}:${run.signal.aborted}`,
    );

    const call = guarded({});
    await sleep(0);
    await root.pause();
    gate.resolve("finished");

    await expect(call).resolves.toBe("finished:false");
  });
});
