import { describe, expect, it } from "vitest";
import { createMandate, DeniedError, defineTool, memoryAuditSink } from "../src/index.js";

const ping = defineTool<Record<string, never>>({
  name: "ping",
  action: "db.read",
  resource: "crm/customers",
});
const roles = { r: [{ action: "db.read", resource: "crm/**" }] };

describe("expiry of a context with calls in flight", () => {
  it("aborts a running call when the context's ttl runs out, as revocation would", async () => {
    const sink = memoryAuditSink();
    const mandate = createMandate({ roles, tools: [ping], audit: sink });
    const agent = mandate.identity({ name: "bot", sponsor: "user:alice", roles: ["r"] });
    const ctx = await mandate.declare(agent, {
      purpose: "ping for a moment",
      allow: [{ action: "db.read", resource: "crm/customers" }],
      limits: { ttl: "150ms" },
    });
    let seen: AbortSignal | undefined;
    const slow = ctx.guard(ping, (_args, { signal }) => {
      seen = signal;
      return new Promise<never>(() => {}); // never settles on its own
    });
    const started = Date.now();
    const err = await slow({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeniedError);
    expect((err as DeniedError).decision.reasons[0]?.code).toBe("context.expired");
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(seen?.aborted).toBe(true);
    await mandate.flush();
    const outcome = sink.events.find((e) => e.type === "tool.outcome");
    expect(outcome?.["mandate.outcome"]).toBe("aborted");
    // and new calls are denied as expired
    expect(ctx.check({ tool: "ping", args: {} }).reasons[0]?.code).toBe("context.expired");
  });

  it("aborts the calls of a child when its parent's lifetime ends", async () => {
    const mandate = createMandate({ roles, tools: [ping] });
    const agent = mandate.identity({ name: "bot", sponsor: "user:alice", roles: ["r"] });
    const parent = await mandate.declare(agent, {
      purpose: "parent",
      allow: [{ action: "db.read", resource: "crm/customers" }],
      limits: { ttl: "150ms" },
    });
    const child = await parent.delegate(agent, {
      purpose: "child",
      allow: [{ action: "db.read", resource: "crm/customers" }],
    });
    const slow = child.guard(ping, () => new Promise<never>(() => {}));
    const err = await slow({}).catch((e: unknown) => e);
    expect((err as DeniedError).decision.reasons[0]?.code).toBe("context.expired");
  });
});
