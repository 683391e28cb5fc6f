import { z } from "zod";
import type { Access } from "./access.js";
import type { AgentContext } from "./context.js";
import type { Decision, Reason } from "./decision.js";
import type { Duration } from "./duration.js";
import { toMillis } from "./duration.js";
import type { Grant } from "./grant.js";
import { newId } from "./ids.js";

/**
 * A call waiting for a human (or an automated approver): serialisable as JSON, so a framework can
 * keep it in its own interruption or run state and resolve it later with
 * `mandate.resolveApproval(pending, verdict)`.
 */
export interface PendingApproval {
  readonly id: string;
  readonly contextId: string;
  readonly callId: string;
  readonly tool: string;
  /** What approving lets through: exactly these accesses, nothing wider. */
  readonly accesses: readonly Access[];
  /** Why the guard asked. */
  readonly reasons: readonly Reason[];
  /** The context's declared purpose, for the approver to compare with. */
  readonly purpose: string;
  readonly agent: { readonly id: string; readonly name: string; readonly sponsor: string };
  /** Epoch milliseconds. */
  readonly askedAt: number;
  readonly expiresAt: number;
}

/** Schema of a {@link PendingApproval}, to validate one read back from storage. */
export const PendingApprovalSchema = z.object({
  id: z.string().min(1),
  contextId: z.string().min(1),
  callId: z.string().min(1),
  tool: z.string().min(1),
  accesses: z
    .array(
      z.object({
        action: z.string().min(1),
        resource: z.string().min(1),
        data: z.array(z.string()),
        facts: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .min(1),
  reasons: z.array(z.object({ code: z.string(), message: z.string() }).passthrough()),
  purpose: z.string(),
  agent: z.object({ id: z.string(), name: z.string(), sponsor: z.string() }),
  askedAt: z.number(),
  expiresAt: z.number(),
});

/** An approver's answer. `true`/`false`, or the details of an approval. */
export type ApprovalVerdict =
  | boolean
  | {
      readonly approved: boolean;
      /** Who decided, for the audit trail (default `approver`). */
      readonly by?: string;
      /** How long the resulting grant lives (default 5 minutes, at most 1 hour). */
      readonly ttl?: Duration;
      /** How many calls the grant covers, this one included (default 1, at most 100). */
      readonly uses?: number;
      /** Why, in the approver's words. */
      readonly reason?: string;
    };

/** What an approver is shown. */
export interface ApprovalRequest {
  readonly pending: PendingApproval;
  readonly decision: Decision;
  readonly context: AgentContext;
  readonly args: unknown;
}

/** Asked when a call needs approval; resolves with the verdict. */
export type Approver = (request: ApprovalRequest) => Promise<ApprovalVerdict>;

/** The normalised verdict. */
export interface Verdict {
  readonly approved: boolean;
  readonly by: string;
  readonly ttlMs: number;
  readonly uses: number;
  readonly reason: string | undefined;
}

const DEFAULT_TTL_MS = 5 * 60_000;
const MAX_TTL_MS = 60 * 60_000;
const MAX_USES = 100;

/** Normalises a verdict, clamping ttl and uses to their bounds; anything unexpected is a refusal. */
export function normaliseVerdict(v: unknown): Verdict {
  if (v === true)
    return { approved: true, by: "approver", ttlMs: DEFAULT_TTL_MS, uses: 1, reason: undefined };
  if (v === null || typeof v !== "object")
    return { approved: false, by: "approver", ttlMs: 0, uses: 0, reason: undefined };
  const o = v as Record<string, unknown>;
  const ttl = o.ttl === undefined ? DEFAULT_TTL_MS : (toMillis(o.ttl as Duration) ?? DEFAULT_TTL_MS);
  const uses =
    typeof o.uses === "number" && Number.isInteger(o.uses) && o.uses >= 1 ? Math.min(o.uses, MAX_USES) : 1;
  return {
    approved: o.approved === true,
    by: typeof o.by === "string" && o.by !== "" ? o.by : "approver",
    ttlMs: Math.min(ttl, MAX_TTL_MS),
    uses,
    reason: typeof o.reason === "string" ? o.reason : undefined,
  };
}

/** The pending approval for an `ask` decision. */
export function pendingFor(
  decision: Decision,
  ctx: AgentContext,
  now: number,
  ttlMs: number,
): PendingApproval {
  return {
    id: newId(now),
    contextId: ctx.id,
    callId: decision.callId,
    tool: decision.tool,
    accesses: decision.accesses.map(({ action, resource, data }) => ({ action, resource, data })),
    reasons: decision.reasons,
    purpose: ctx.intent.purpose,
    agent: { id: ctx.identity.id, name: ctx.identity.name, sponsor: ctx.identity.sponsor },
    askedAt: now,
    expiresAt: now + ttlMs,
  };
}

/** One grant per access of the approved call, narrowed to exactly that access. */
export function grantsFor(pending: PendingApproval, verdict: Verdict, now: number): Grant[] {
  return pending.accesses.map((a) => ({
    id: newId(now),
    contextId: pending.contextId,
    action: a.action,
    resource: a.resource,
    data: [...a.data],
    expiresAt: now + verdict.ttlMs,
    remaining: verdict.uses,
    approvedBy: verdict.by,
    approvalId: pending.id,
  }));
}
