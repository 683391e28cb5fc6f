import type { ApprovalVerdict, Approver, PendingApproval } from "@mandate/core";
import type { RunState, RunToolApprovalItem } from "@openai/agents";
import { find } from "./in-flight.js";

/** Options of {@link runApprover}. */
export interface RunApproverOptions {
  /** Asked for approvals that do not come from a guarded SDK tool call (default: refuse). */
  readonly otherwise?: Approver;
}

/**
 * The Mandate approver that turns `ask` decisions of guarded SDK tools into run interruptions.
 * Install it on the Mandate: `createMandate({ …, approver: runApprover() })`.
 *
 * Core opens the pending approval (audited as `approval.asked`) and waits for a verdict; the run
 * stops with the call in `result.interruptions`; the verdict comes when the run resumes (approved)
 * or from {@link rejectCall}. The Mandate's `approvalTimeoutMs` bounds the wait: set it to how long
 * your runs wait for people (past it, the approval is refused and the resumed call is denied).
 */
export function runApprover(options: RunApproverOptions = {}): Approver {
  return async (request) => {
    const call = find(request.decision.callId);
    if (call === undefined || call.context.id !== request.context.id) {
      return options.otherwise
        ? options.otherwise(request)
        : {
            approved: false,
            reason: "no run to interrupt: the call was not made through a guarded SDK tool",
          };
    }
    return call.ask(request.pending);
  };
}

/** The Mandate pending approval behind an interruption of a guarded tool (what, why, for whom). */
export function pendingApprovalOf(item: RunToolApprovalItem): PendingApproval | undefined {
  return find(callIdOf(item))?.pending;
}

/**
 * Approves an interruption in the SDK's run state and says how the Mandate grant is made (who
 * approved, for how long, how many calls). Plain `state.approve(item)` works too: the grant then
 * covers this one call, approved by `openai-agents`.
 */
export function approveCall(
  // biome-ignore lint/suspicious/noExplicitAny: any run state
  state: RunState<any, any>,
  item: RunToolApprovalItem,
  verdict: Omit<Exclude<ApprovalVerdict, boolean>, "approved"> = {},
): void {
  const call = find(callIdOf(item));
  if (call !== undefined) call.wanted = { by: "openai-agents", ...verdict, approved: true };
  state.approve(item);
}

/**
 * Rejects an interruption in the SDK's run state and refuses the Mandate approval at once
 * (audited as `approval.denied`). Plain `state.reject(item)` leaves the Mandate approval open until
 * it times out, when it is refused.
 */
export function rejectCall(
  // biome-ignore lint/suspicious/noExplicitAny: any run state
  state: RunState<any, any>,
  item: RunToolApprovalItem,
  options: { by?: string; reason?: string; message?: string } = {},
): void {
  const call = find(callIdOf(item));
  const reason = options.reason ?? "rejected in the run";
  call?.verdict?.resolve({ approved: false, by: options.by ?? "openai-agents", reason });
  // An allowed call held for an approval the app itself required will never run.
  call?.execution.reject(new Error(`not run: ${reason}`));
  state.reject(item, options.message === undefined ? {} : { message: options.message });
}

function callIdOf(item: RunToolApprovalItem): string | undefined {
  const raw = item.rawItem as { callId?: unknown };
  return typeof raw.callId === "string" ? raw.callId : undefined;
}
