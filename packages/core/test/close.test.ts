import { describe, expect, it, vi } from "vitest";
import { type AuditEvent, type AuditSink, memoryRevocationStore } from "../src/index.js";
import { bot, customerNames, denial, lookup, mandateError, runLookup, setup, sleep } from "./helpers.js";

const customers = { table: "customers", columns: ["name"] };

/** A sink that records every write and whether it came after close(). */
function recordingSink() {
  const written: AuditEvent[] = [];
  const afterClose: AuditEvent[] = [];
  let closed = false;
  const sink = {
    written,
    afterClose,
    write: vi.fn(async (events: readonly AuditEvent[]) => {
      await sleep(5);
      (closed ? afterClose : written).push(...events);
    }),
    close: vi.fn(async () => {
      closed = true;
    }),
  } satisfies AuditSink & Record<string, unknown>;
  return sink;
}

describe("closing a Mandate", () => {
  it("rejects declare with ERR_CLOSED afterwards", async () => {
    const { mandate } = setup();
    await mandate.close();

    const err = await mandateError(() => mandate.declare(bot, customerNames));

    expect(err.code).toBe("ERR_CLOSED");
  });

  it("rejects delegate from an existing context with ERR_CLOSED", async () => {
    const { mandate } = setup();
    const ctx = await mandate.declare(bot, customerNames);
    await mandate.close();

    const err = await mandateError(() => ctx.delegate(bot, customerNames));

    expect(err.code).toBe("ERR_CLOSED");
  });

  it("denies checks and guarded calls of contexts declared before close", async () => {
    const { mandate } = setup();
    const ctx = await mandate.declare(bot, customerNames);
    const fn = vi.fn(runLookup);
    const query = ctx.guard(lookup, fn);
    await mandate.close();

    expect(mandate.check(ctx, { tool: lookup, args: customers }).effect).toBe("deny");
    expect(ctx.check({ tool: lookup, args: customers }).effect).toBe("deny");
    const err = await denial(query(customers));
    expect(err.decision.effect).toBe("deny");
    expect(fn).not.toHaveBeenCalled();
  });

  it("flushes pending events to the sink before closing it, and closes the store", async () => {
    const sink = recordingSink();
    const store = memoryRevocationStore();
    const closeStore = vi.spyOn(store, "close");
    const { mandate } = setup({ audit: sink, revocations: store });
    const ctx = await mandate.declare(bot, customerNames);
    await ctx.guard(lookup, runLookup)(customers);

    await mandate.close();

    expect(sink.written.map((e) => e.type)).toEqual([
      "identity.issued",
      "intent.declared",
      "tool.decision",
      "tool.outcome",
    ]);
    expect(sink.close).toHaveBeenCalledOnce();
    expect(closeStore).toHaveBeenCalledOnce();
  });

  it("is idempotent", async () => {
    const sink = recordingSink();
    const { mandate } = setup({ audit: sink });

    await mandate.close();
    await mandate.close();

    expect(sink.close).toHaveBeenCalledOnce();
  });

  it("writes nothing to the closed sink when a context is checked after close", async () => {
    const sink = recordingSink();
    const { mandate } = setup({ audit: sink });
    const ctx = await mandate.declare(bot, customerNames);
    await mandate.close();

    mandate.check(ctx, { tool: lookup, args: customers });
    ctx.check({ tool: lookup, args: customers });
    await sleep(30);

    expect(sink.afterClose).toEqual([]);
  });
});
