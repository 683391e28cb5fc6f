import type { ApprovalVerdict, Approver } from "@mandate/core";
import { CallRegistry } from "@mandate/core";
import type { ModelMessage } from "ai";

/** Options of {@link toolApprovals}. */
export interface ToolApprovalsOptions {
  /**
   * Asked about calls guarded outside the AI SDK (a plain `ctx.guard`, another integration).
   * Default: they are refused (`approval.denied`).
   */
  readonly fallback?: Approver;
  /** Who answered, as the audit trail records it (default `ai-sdk:tool-approval-response`). */
  readonly by?: string;
  /** How long a grant from an approval lives (default: core's, 5 minutes). */
  readonly ttl?: Extract<ApprovalVerdict, object>["ttl"];
  /** How long an allowed call waits for the SDK to execute it (default 10 minutes). */
  readonly claimTimeoutMs?: number;
}

/**
 * Routes Mandate's `ask` decisions to the AI SDK's tool-approval flow. Give its `approver` to
 * `createMandate` and the object itself to {@link guardTools}:
 *
 * ```ts
 * const approvals = toolApprovals();
 * const mandate = createMandate({ roles, tools, approver: approvals.approver });
 * const tools = guardTools(ctx, { lookup, send_email }, { approvals });
 * ```
 *
 * A call Mandate asks about becomes a `tool-approval-request` part; the `tool-approval-response`
 * the application sends back (in the next `generateText`/`streamText` call's messages) answers
 * Mandate's pending approval: approved, the call runs under the narrow grant; refused, it is
 * recorded as `approval.denied`.
 */
export interface ToolApprovals {
  /** The approver to configure on `createMandate`. */
  readonly approver: Approver;
  /**
   * Answers Mandate's open approvals from the `tool-approval-response` parts of these messages.
   * Guarded tools do this on every call; call it yourself when a turn carries only refusals and
   * the model calls no tool afterwards, so the refusal is recorded now rather than at the
   * approval timeout. Returns how many approvals it answered.
   */
  receive(messages: readonly ModelMessage[]): number;
  /** Refuses every approval still open (e.g. when the conversation ends). */
  refuseOpen(reason?: string): number;
}

/** @internal the registry behind a {@link ToolApprovals} */
export const registryOf = new WeakMap<ToolApprovals, CallRegistry>();

/** @internal */
export interface ApprovalSettings {
  readonly by: string;
  readonly ttl: Extract<ApprovalVerdict, object>["ttl"] | undefined;
}

/** @internal */
export const settingsOf = new WeakMap<ToolApprovals, ApprovalSettings>();

/** Creates the bridge between Mandate's approvals and the AI SDK's tool approvals. */
export function toolApprovals(options: ToolApprovalsOptions = {}): ToolApprovals {
  const registry = new CallRegistry({
    ...(options.fallback === undefined ? {} : { fallback: options.fallback }),
    ...(options.claimTimeoutMs === undefined ? {} : { claimTimeoutMs: options.claimTimeoutMs }),
  });
  const settings: ApprovalSettings = { by: options.by ?? "ai-sdk:tool-approval-response", ttl: options.ttl };
  const approvals: ToolApprovals = {
    approver: registry.approver,
    receive: (messages) => answerFrom(registry, settings, messages),
    refuseOpen: (reason = "the conversation ended") => registry.refuseOpen(reason),
  };
  registryOf.set(approvals, registry);
  settingsOf.set(approvals, settings);
  return approvals;
}

/** What one approval response says, for the tool call it answers. */
export interface ApprovalAnswer {
  readonly toolCallId: string;
  readonly approved: boolean;
  readonly reason?: string;
}

/** The answered approvals in a conversation: each `tool-approval-response` matched to its request. */
export function approvalAnswers(messages: readonly ModelMessage[]): ApprovalAnswer[] {
  const callOf = new Map<string, string>();
  for (const m of messages) {
    if (m.role !== "assistant" || typeof m.content === "string") continue;
    for (const part of m.content)
      if (part.type === "tool-approval-request") callOf.set(part.approvalId, part.toolCallId);
  }
  const answers: ApprovalAnswer[] = [];
  for (const m of messages) {
    if (m.role !== "tool") continue;
    for (const part of m.content) {
      if (part.type !== "tool-approval-response") continue;
      const toolCallId = callOf.get(part.approvalId);
      if (toolCallId === undefined) continue;
      answers.push({
        toolCallId,
        approved: part.approved,
        ...(part.reason === undefined ? {} : { reason: part.reason }),
      });
    }
  }
  return answers;
}

/** @internal the verdict an approval response gives Mandate */
export function verdictOf(answer: ApprovalAnswer, settings: ApprovalSettings): ApprovalVerdict {
  return {
    approved: answer.approved,
    by: settings.by,
    ...(answer.reason === undefined ? {} : { reason: answer.reason }),
    ...(settings.ttl === undefined ? {} : { ttl: settings.ttl }),
  };
}

/** @internal */
export function answerFrom(
  registry: CallRegistry,
  settings: ApprovalSettings,
  messages: readonly ModelMessage[],
): number {
  let n = 0;
  for (const answer of approvalAnswers(messages))
    for (const call of registry.byCallId(answer.toolCallId))
      if (call.answer(verdictOf(answer, settings))) n++;
  return n;
}
