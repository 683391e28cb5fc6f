import type { AgentContext } from "./context.js";
import type { Reason } from "./decision.js";
import { DeniedError } from "./errors.js";

/**
 * The calls running under each context, and the signal that stops them: one `AbortController` per
 * context with calls in flight, aborted when the context (or an ancestor) is revoked or when its
 * lifetime runs out. Only contexts with calls in flight are tracked, so revoking a subtree costs
 * the number of running calls, not the size of the subtree.
 */
export class CallsInFlight {
  private readonly active = new Map<AgentContext, number>();
  private readonly controllers = new WeakMap<AgentContext, AbortController>();

  constructor(private readonly now: () => number) {}

  /** Notes a call starting under `ctx`; returns the context's signal. Pair with {@link leave}. */
  enter(ctx: AgentContext): AbortSignal {
    let controller = this.controllers.get(ctx);
    if (controller === undefined) {
      controller = new AbortController();
      this.controllers.set(ctx, controller);
      this.abortAtExpiry(ctx, controller);
    }
    this.active.set(ctx, (this.active.get(ctx) ?? 0) + 1);
    return controller.signal;
  }

  /** Notes a call under `ctx` ending. */
  leave(ctx: AgentContext): void {
    const n = (this.active.get(ctx) ?? 1) - 1;
    if (n === 0) this.active.delete(ctx);
    else this.active.set(ctx, n);
  }

  /** Aborts every call in flight under context `id` or any of its descendants. */
  abortUnder(id: string, reason: Reason): void {
    for (const ctx of this.active.keys()) {
      if (ctx.path.includes(id)) this.controllers.get(ctx)?.abort(abortError(ctx, reason));
    }
  }

  /**
   * Expiry behaves as revocation for calls in flight too: the context's signal aborts when its
   * lifetime (the earliest of its ttl, its ancestors' and its identity's) runs out.
   */
  private abortAtExpiry(ctx: AgentContext, controller: AbortController): void {
    if (!Number.isFinite(ctx.expiresAt)) return;
    const expire = () =>
      controller.abort(
        abortError(ctx, { code: "context.expired", message: "context expired", contextId: ctx.id }),
      );
    // Timers hold at most about 24.8 days; a longer lifetime is re-armed when it comes due.
    const arm = () => {
      const left = ctx.expiresAt - this.now();
      if (left <= 0) return expire();
      const timer = setTimeout(arm, Math.min(left, 2 ** 31 - 1));
      (timer as { unref?: () => void }).unref?.();
    };
    arm();
  }
}

/**
 * The error a context's signal aborts with (revocation, expiry): one for every call in flight, so
 * it names no tool or call; the guard gives each caller a copy that names its own call.
 */
function abortError(ctx: AgentContext, reason: Reason): DeniedError {
  return new DeniedError({
    effect: "deny",
    deviation: false,
    reasons: [reason],
    accesses: [],
    contextId: ctx.id,
    tool: "*",
    callId: "*",
  });
}
