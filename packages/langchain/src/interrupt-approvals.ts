import type { ApprovalVerdict, Approver, PendingApproval } from "@mandate/core";
import { CallRegistry } from "@mandate/core";
import type { ActionRequest, HITLRequest, ReviewConfig } from "langchain";

/** Options of {@link interruptApprovals}. */
export interface InterruptApprovalsOptions {
  /**
   * Asked about calls guarded outside the agent (a plain `ctx.guard`, another integration).
   * Default: they are refused (`approval.denied`).
   */
  readonly fallback?: Approver;
  /** Who answered, as the audit trail records it (default `langchain:human-in-the-loop`). */
  readonly by?: string;
  /** How long a grant from an approval lives (default: core's, 5 minutes). */
  readonly ttl?: Extract<ApprovalVerdict, object>["ttl"];
}

/**
 * Routes Mandate's `ask` decisions to LangGraph interrupts, in the shape of LangChain's
 * human-in-the-loop middleware (`HITLRequest` / `HITLResponse`). Give its `approver` to
 * `createMandate` and the object itself to {@link mandateMiddleware}:
 *
 * ```ts
 * const approvals = interruptApprovals();
 * const mandate = createMandate({ roles, tools, approver: approvals.approver });
 * const agent = createAgent({ model, tools, checkpointer,
 *   middleware: [mandateMiddleware(ctx, { tools, approvals })] });
 * ```
 *
 * A call Mandate asks about interrupts the run with a {@link MandateInterrupt}; resume it with
 * `new Command({ resume: { decisions: [{ type: "approve" }] } })` (or `reject`, with a message)
 * and Mandate's pending approval is resolved: approved, the call runs under the narrow grant.
 */
export interface InterruptApprovals {
  /** The approver to configure on `createMandate`. */
  readonly approver: Approver;
  /** Refuses every approval still open (e.g. when a thread is abandoned). */
  refuseOpen(reason?: string): number;
}

/**
 * The value a Mandate interrupt carries: LangChain's `HITLRequest` (one action: the tool call,
 * approve or reject), plus Mandate's pending approval (what exactly an approval lets through).
 */
export interface MandateInterrupt extends HITLRequest {
  readonly mandate: PendingApproval;
}

/** @internal */
export interface ApprovalSettings {
  readonly by: string;
  readonly ttl: Extract<ApprovalVerdict, object>["ttl"] | undefined;
}

/** @internal */
export const registryOf = new WeakMap<InterruptApprovals, CallRegistry>();
/** @internal */
export const settingsOf = new WeakMap<InterruptApprovals, ApprovalSettings>();

/** Creates the bridge between Mandate's approvals and LangGraph interrupts. */
export function interruptApprovals(options: InterruptApprovalsOptions = {}): InterruptApprovals {
  const registry = new CallRegistry(options.fallback === undefined ? {} : { fallback: options.fallback });
  const approvals: InterruptApprovals = {
    approver: registry.approver,
    refuseOpen: (reason = "the thread was abandoned") => registry.refuseOpen(reason),
  };
  registryOf.set(approvals, registry);
  settingsOf.set(approvals, { by: options.by ?? "langchain:human-in-the-loop", ttl: options.ttl });
  return approvals;
}

/** @internal the interrupt value for a pending approval of a tool call */
export function interruptFor(
  pending: PendingApproval,
  toolCall: { name: string; args: Record<string, unknown> },
): MandateInterrupt {
  const why = pending.reasons.map((r) => r.message).join("; ");
  const action: ActionRequest = {
    name: toolCall.name,
    args: toolCall.args,
    description:
      `Mandate asks for approval: ${why}\n` +
      `Agent ${pending.agent.name} (sponsor ${pending.agent.sponsor}), declared purpose: "${pending.purpose}"\n\n` +
      `Tool: ${toolCall.name}\nArgs: ${JSON.stringify(toolCall.args, null, 2)}`,
  };
  const review: ReviewConfig = { actionName: toolCall.name, allowedDecisions: ["approve", "reject"] };
  return { actionRequests: [action], reviewConfigs: [review], mandate: pending };
}

/**
 * The verdict a resume value gives Mandate. Accepts LangChain's `HITLResponse` (the first
 * decision: `approve`, or `reject` with a message; `edit` is refused, since an approval covers
 * exactly the call that was asked about), a boolean, or `{ approved, reason?, ttl?, uses? }`.
 * Anything else is a refusal.
 */
export function verdictOfResume(value: unknown, settings: ApprovalSettings): ApprovalVerdict {
  const ttl = settings.ttl === undefined ? {} : { ttl: settings.ttl };
  const refuse = (reason: string): ApprovalVerdict => ({ approved: false, by: settings.by, reason });
  if (typeof value === "boolean") return { approved: value, by: settings.by, ...ttl };
  if (value === null || typeof value !== "object") return refuse("unrecognised resume value");
  const v = value as Record<string, unknown>;
  if (Array.isArray(v.decisions)) {
    const decision = v.decisions[0] as { type?: unknown; message?: unknown } | undefined;
    if (decision?.type === "approve") return { approved: true, by: settings.by, ...ttl };
    if (decision?.type === "reject")
      return refuse(typeof decision.message === "string" ? decision.message : "rejected by the reviewer");
    if (decision?.type === "edit")
      return refuse("edits are not supported: an approval covers the call as asked");
    return refuse("unrecognised decision");
  }
  if (typeof v.approved === "boolean") {
    return {
      approved: v.approved,
      by: typeof v.by === "string" ? v.by : settings.by,
      ...(typeof v.reason === "string" ? { reason: v.reason } : {}),
      ...(v.ttl === undefined ? ttl : { ttl: v.ttl as Extract<ApprovalVerdict, object>["ttl"] }),
      ...(typeof v.uses === "number" ? { uses: v.uses } : {}),
    };
  }
  return refuse("unrecognised resume value");
}
