import type { Access } from "./access.js";

/** What the guard decided: run the call, refuse it, or ask an approver first. */
export type Effect = "allow" | "deny" | "ask";

/**
 * Stable reason codes. Codes in the deviation family (`access.*`, `intent.*`, `limit.*`, `policy.*`)
 * describe a call that strays from its declared intent: monitor mode records them and lets the call
 * run. Every other family (`context.*`, `store.*`, `tool.*`, `ceiling.*`, `audit.*`, `approval.*`)
 * always denies: in particular an identity never acts beyond its roles, whatever the mode.
 */
export type ReasonCode =
  | "context.unknown"
  | "context.revoked"
  | "context.paused"
  | "context.expired"
  | "store.unavailable"
  | "tool.unknown"
  | "access.uninspectable"
  | "intent.action_undeclared"
  | "intent.resource_undeclared"
  | "intent.data_undeclared"
  | "intent.constraint_violated"
  | "ceiling.exceeded"
  | "limit.calls"
  | "limit.rate"
  | "limit.budget"
  | "policy.denied"
  | "policy.ask"
  | "policy.error"
  | "approval.required"
  | "approval.denied"
  | "audit.unavailable"
  | "output.undeclared";

/** One reason behind a decision. */
export interface Reason {
  readonly code: ReasonCode;
  /** Readable explanation, naming what was refused (a data class, a resource, a limit…). */
  readonly message: string;
  /** Index into `Decision.accesses` of the access concerned, if any. */
  readonly access?: number;
  /** The data class concerned, if any. */
  readonly dataClass?: string;
  /** The context whose state caused the reason (revoked or paused ancestor), if any. */
  readonly contextId?: string;
  /** The policy that produced the reason, if any. */
  readonly policy?: string;
}

/** The outcome of checking one tool call. A denial is a value, not an exception. */
export interface Decision {
  readonly effect: Effect;
  /** True when the call strays from the declared intent; in monitor mode `effect` stays `allow`. */
  readonly deviation: boolean;
  /** Every reason found, hard denials first. Empty for a clean allow. */
  readonly reasons: readonly Reason[];
  /** What the call touches, as the tool's inspector saw it. */
  readonly accesses: readonly Access[];
  readonly contextId: string;
  readonly tool: string;
  /** Identifies the call across its decision and outcome audit events. */
  readonly callId: string;
}

const DEVIATION_PREFIXES = ["access.", "intent.", "limit.", "policy.", "output."];

/** Whether monitor mode may let a call with this reason run (recording it as a deviation). */
export function isDeviation(code: ReasonCode): boolean {
  return DEVIATION_PREFIXES.some((p) => code.startsWith(p));
}
