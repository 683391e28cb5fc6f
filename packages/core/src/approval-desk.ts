import {
  type ApprovalVerdict,
  type Approver,
  grantsFor,
  normaliseVerdict,
  type PendingApproval,
  PendingApprovalSchema,
  pendingFor,
} from "./approval.js";
import type { AuditQueue } from "./audit/audit-queue.js";
import { lifecycleEvent } from "./audit/event-builders.js";
import type { AgentContext } from "./context.js";
import type { Decision, Reason } from "./decision.js";
import { digestValue } from "./digest.js";
import { DeniedError, MandateError } from "./errors.js";
import { contextState } from "./evaluate.js";
import type { Grant } from "./grant.js";
import type { RevocationStore } from "./revocation/revocation-store.js";

/** What resolving an approval did. */
export interface PendingResolution {
  readonly approved: boolean;
  readonly grants: readonly Grant[];
}

/** What the desk needs from its Mandate. */
export interface ApprovalHost {
  readonly store: RevocationStore;
  readonly queue: AuditQueue;
  context(id: string): AgentContext | undefined;
  now(): number;
}

/**
 * Opens and resolves approval requests. An approval becomes one narrow grant per access of the
 * call; every request, approval and refusal is audited. Requests live as long as this Mandate (and
 * at most `timeoutMs`).
 */
export class ApprovalDesk {
  private readonly pending = new Map<string, PendingApproval>();

  constructor(
    private readonly host: ApprovalHost,
    private readonly approver: Approver | undefined,
    private readonly timeoutMs: number,
  ) {}

  /** Asks the configured approver about an `ask` decision; throws a DeniedError unless approved. */
  async approve(ctx: AgentContext, decision: Decision, args: unknown): Promise<void> {
    if (this.approver === undefined) {
      const now = this.host.now();
      const detail = {
        callId: decision.callId,
        tool: decision.tool,
        reasons: decision.reasons,
        reason: "no approver is configured",
      };
      this.host.queue.offer(now, lifecycleEvent(now, "approval.denied", ctx.identity, ctx, detail), true);
      throw new DeniedError(
        withReason(decision, {
          code: "approval.required",
          message: "approval needed and no approver is configured",
        }),
      );
    }
    const pending = this.request(decision);
    let timer: ReturnType<typeof setTimeout> | undefined;
    let verdict: unknown;
    try {
      verdict = await Promise.race([
        this.approver({ pending, decision, context: ctx, args }),
        new Promise((resolve) => {
          timer = setTimeout(
            () => resolve({ approved: false, reason: "the approver did not answer in time" }),
            this.timeoutMs,
          );
          // An open approval must not keep the process alive on its own.
          (timer as { unref?: () => void }).unref?.();
        }),
      ]);
    } catch (err) {
      verdict = {
        approved: false,
        reason: `the approver failed: ${err instanceof Error ? err.message : String(err)}`,
      };
    } finally {
      clearTimeout(timer);
    }
    // The context may have been revoked, paused or expired while the approver decided.
    const state = contextState(this.host.store, ctx, this.host.now());
    if (state !== undefined) {
      this.resolve(pending, { approved: false, reason: state.message });
      throw new DeniedError(withReason(decision, state));
    }
    if (!this.resolve(pending, verdict as ApprovalVerdict).approved) {
      throw new DeniedError(
        withReason(decision, { code: "approval.denied", message: "the approver refused" }),
      );
    }
  }

  /** Opens an approval request for an `ask` decision of a live context. */
  request(decision: Decision): PendingApproval {
    const ctx = this.host.context(decision.contextId);
    if (ctx === undefined || decision.effect !== "ask") {
      throw new MandateError(
        "ERR_INVALID_CALL",
        "only an ask decision of a live context can be sent for approval",
      );
    }
    const now = this.host.now();
    const pending = pendingFor(decision, ctx, now, this.timeoutMs);
    for (const [id, p] of this.pending) if (p.expiresAt <= now) this.pending.delete(id);
    this.pending.set(pending.id, pending);
    const detail = {
      approvalId: pending.id,
      callId: decision.callId,
      tool: decision.tool,
      reasons: decision.reasons,
      accesses: pending.accesses,
    };
    this.host.queue.offer(now, lifecycleEvent(now, "approval.asked", ctx.identity, ctx, detail), true);
    return pending;
  }

  /** Resolves a request (by id, or as read back from a run state, unchanged), once. */
  resolve(input: PendingApproval | string, verdictIn: ApprovalVerdict): PendingResolution {
    const now = this.host.now();
    const pending = this.lookUp(input);
    this.pending.delete(pending.id);
    const ctx = this.host.context(pending.contextId);
    if (ctx === undefined)
      throw new MandateError("ERR_CONTEXT_CLOSED", `context ${pending.contextId} is gone`);
    let verdict = normaliseVerdict(verdictIn);
    if (verdict.approved && pending.expiresAt <= now)
      verdict = { ...verdict, approved: false, reason: "the request expired" };
    const state = verdict.approved ? contextState(this.host.store, ctx, now) : undefined;
    if (state !== undefined) verdict = { ...verdict, approved: false, reason: state.message };
    const grants = verdict.approved ? grantsFor(pending, verdict, now) : [];
    ctx.grants.push(...grants);
    const detail = {
      approvalId: pending.id,
      callId: pending.callId,
      tool: pending.tool,
      by: verdict.by,
      ...(verdict.reason === undefined ? {} : { reason: verdict.reason }),
      grants: grants.map((g) => ({
        id: g.id,
        action: g.action,
        resource: g.resource,
        data: g.data,
        expiresAt: g.expiresAt,
        uses: g.remaining,
      })),
    };
    const type = verdict.approved ? "approval.granted" : "approval.denied";
    this.host.queue.offer(now, lifecycleEvent(now, type, ctx.identity, ctx, detail), true);
    return { approved: verdict.approved, grants };
  }

  private lookUp(input: PendingApproval | string): PendingApproval {
    if (typeof input === "string") {
      const known = this.pending.get(input);
      if (known === undefined) throw new MandateError("ERR_INVALID_CALL", "unknown approval request");
      return known;
    }
    const parsed = PendingApprovalSchema.safeParse(input);
    if (!parsed.success) throw new MandateError("ERR_INVALID_CALL", "not a pending approval");
    // A request read back from a framework's run state is held to the one this Mandate opened.
    const known = this.pending.get(parsed.data.id);
    if (known === undefined || digestValue(known) !== digestValue(parsed.data)) {
      throw new MandateError("ERR_INVALID_CALL", `approval ${parsed.data.id} is unknown here or was altered`);
    }
    return known;
  }
}

/** The decision denied, with the reason that denied it first. */
export function withReason(decision: Decision, reason: Reason): Decision {
  return { ...decision, effect: "deny", reasons: [reason, ...decision.reasons] };
}
