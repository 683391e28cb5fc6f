import type { AuditEventType } from "../audit/audit-event.js";

/**
 * The types of an intent report. Everything is plain JSON (strings, numbers, booleans, arrays,
 * objects), so a report can be written with `JSON.stringify` and read back as is.
 */

/** The agent instance behind a context, as the trail names it. */
export interface ReportAgentRef {
  readonly id?: string;
  readonly name?: string;
  readonly version?: string;
  readonly sponsor?: string;
  readonly tenant?: string;
}

/** One entry of a declared scope, as the `intent.declared` / `context.delegated` event records it. */
export interface ReportScopeEntry {
  readonly action: string;
  readonly resource: string;
  /** Data-class patterns the entry permits (empty: none). */
  readonly data: readonly string[];
  /** Argument constraints, when the entry has any. */
  readonly where?: Readonly<Record<string, unknown>>;
}

/** One distinct access (action × resource × data classes), with how often and by which tools it was made. */
export interface ReportAccess {
  readonly action: string;
  readonly resource: string;
  readonly data: readonly string[];
  readonly count: number;
  readonly tools: readonly string[];
  /** Set when an inspector could not understand an argument. */
  readonly uninspectable?: { readonly field: string; readonly reason: string };
}

/** One reason behind a decision, as recorded. */
export interface ReportReason {
  readonly code: string;
  readonly message: string;
  readonly dataClass?: string;
  readonly contextId?: string;
  readonly policy?: string;
}

/** How an approval went. */
export type ApprovalResult = "granted" | "denied" | "pending";

/** One tool call: its decision, its approval if asked, and its outcome if it ran. */
export interface ReportCall {
  readonly callId: string;
  readonly tool: string;
  readonly time?: string;
  /**
   * The decision that stands (`allow`, `deny` or `ask`): a call asked for approval is decided again
   * once approved. Undefined when only the outcome was seen (a filtered or partial log).
   */
  readonly effect?: string;
  /** Whether the call went to an approver. */
  readonly asked: boolean;
  readonly deviation: boolean;
  /** Every reason given on the call's decisions. */
  readonly reasons: readonly ReportReason[];
  /** Findings about the call's output (e.g. `output.undeclared`), from its outcome. */
  readonly outputReasons?: readonly ReportReason[];
  readonly accesses: readonly {
    readonly action: string;
    readonly resource: string;
    readonly data: readonly string[];
  }[];
  readonly approval?: ApprovalResult;
  /** `ok`, `error` or `aborted`, when the call ran. */
  readonly outcome?: string;
  readonly durationMs?: number;
  readonly error?: string;
  /** Whether the call was let through: allowed, or asked and granted. */
  readonly permitted: boolean;
}

/** One deviation from the declared intent: one reason of the deviation family on one call. */
export interface ReportDeviation {
  readonly callId: string;
  readonly tool: string;
  readonly time?: string;
  /** What happened to the call: `deny` (enforce mode), `allow` (monitor mode: it ran), `ask`. */
  readonly effect?: string;
  /** `call`: the call reached outside the intent; `output`: its output carried undeclared data. */
  readonly stage: "call" | "output";
  readonly code: string;
  readonly message: string;
  readonly dataClass?: string;
  /** The access concerned, when the reason names one. */
  readonly access?: { readonly action: string; readonly resource: string; readonly data: readonly string[] };
}

/** One denied call. */
export interface ReportDenial {
  readonly callId: string;
  readonly tool: string;
  readonly time?: string;
  readonly codes: readonly string[];
  readonly reasons: readonly ReportReason[];
  /** True when the denial is a deviation from the intent (rather than, say, a revoked context). */
  readonly deviation: boolean;
}

/** One approval request and how it ended. */
export interface ReportApproval {
  readonly callId: string;
  readonly tool: string;
  readonly askedAt?: string;
  readonly decidedAt?: string;
  readonly result: ApprovalResult;
  /** Why it was decided so (e.g. `no approver`, the approver's reason). */
  readonly why?: string;
  /** Who decided, as the trail records it. */
  readonly by?: string;
  /** How many narrow grants an approval created. */
  readonly grants?: number;
  readonly codes: readonly string[];
}

/** A revocation, pause or resumption that affected a context (on itself or an ancestor). */
export interface ReportLifecycle {
  readonly type: "context.revoked" | "context.paused" | "context.resumed";
  readonly time?: string;
  /** The context it was applied to: this one or an ancestor. */
  readonly contextId: string;
  /** True when it was applied to an ancestor and reaches this context through the tree. */
  readonly inherited: boolean;
  readonly reason?: string;
}

/** Where a context stands at the end of the trail. */
export interface ReportStatus {
  readonly state: "active" | "paused" | "revoked";
  /** The context whose revocation or pause sets the state (this one or an ancestor). */
  readonly by?: string;
  readonly reason?: string;
  readonly time?: string;
}

/** One entry of a timeline, with a one-line summary in words. */
export interface ReportTimelineEntry {
  readonly time?: string;
  readonly stream?: string;
  readonly seq?: number;
  readonly type: string;
  readonly contextId?: string;
  readonly tool?: string;
  readonly callId?: string;
  readonly effect?: string;
  readonly deviation: boolean;
  readonly codes: readonly string[];
  readonly summary: string;
}

/** Counters of one intent, one agent or the whole report. */
export interface ReportCounts {
  readonly events: number;
  readonly calls: number;
  /** Calls let through: allowed outright, or approved. */
  readonly allowed: number;
  /** Calls refused: denied, or their approval denied. */
  readonly denied: number;
  /** Calls that went to an approver (whatever the answer). */
  readonly asked: number;
  /** Calls recorded as deviations (denied in enforce mode, run in monitor mode). */
  readonly deviations: number;
  readonly approvals: { readonly asked: number; readonly granted: number; readonly denied: number };
  readonly outcomes: { readonly ok: number; readonly error: number; readonly aborted: number };
  readonly revocations: number;
  readonly pauses: number;
}

/** A context next to another: its parent or one of its children. */
export interface ReportContextRef {
  readonly contextId: string;
  readonly intentId?: string;
  readonly purpose?: string;
  readonly agent?: ReportAgentRef;
}

/** Data classes: what the intent declared, what was touched, what was refused. */
export interface ReportDataClasses {
  /** Data-class patterns of the declared scope. */
  readonly declared: readonly string[];
  /** Classes of accesses that were let through (allowed, or approved). */
  readonly used: readonly string[];
  /** Classes of accesses that were refused. */
  readonly refused: readonly string[];
  /** Classes named by deviation reasons: touched, or reached for, outside the intent. */
  readonly undeclared: readonly string[];
}

/** The report of one intent (one context: declaring or delegating creates one of each). */
export interface IntentSection {
  readonly contextId: string;
  readonly intentId?: string;
  readonly intentDigest?: string;
  /** Context ids from the root to this context. */
  readonly path: readonly string[];
  readonly depth: number;
  readonly agent: ReportAgentRef;
  readonly purpose?: string;
  readonly mode?: string;
  readonly declaredAt?: string;
  readonly declaredScope: readonly ReportScopeEntry[];
  readonly limits?: Readonly<Record<string, unknown>>;
  /** False when the trail holds calls of this context but not its declaration (a partial log). */
  readonly declared: boolean;
  readonly parent?: ReportContextRef;
  /** The agent instance that delegated, for a delegated context. */
  readonly delegatedBy?: string;
  readonly children: readonly ReportContextRef[];
  readonly status: ReportStatus;
  readonly accesses: {
    readonly permitted: readonly ReportAccess[];
    readonly refused: readonly ReportAccess[];
  };
  readonly dataClasses: ReportDataClasses;
  readonly calls: readonly ReportCall[];
  readonly denials: readonly ReportDenial[];
  readonly deviations: readonly ReportDeviation[];
  readonly approvals: readonly ReportApproval[];
  readonly lifecycle: readonly ReportLifecycle[];
  readonly timeline: readonly ReportTimelineEntry[];
  /** Timeline entries left out beyond `maxTimeline` (the counts still cover them). */
  readonly timelineOmitted: number;
  readonly counts: ReportCounts;
}

/** One agent instance across all its contexts. */
export interface AgentSection {
  readonly id: string;
  readonly name?: string;
  readonly version?: string;
  readonly sponsor?: string;
  readonly tenant?: string;
  readonly model?: string;
  readonly roles?: readonly string[];
  readonly fingerprint?: string;
  readonly contexts: readonly ReportContextRef[];
  readonly dataClasses: { readonly used: readonly string[]; readonly refused: readonly string[] };
  /** Deviation codes with how often each was recorded. */
  readonly deviationCodes: Readonly<Record<string, number>>;
  readonly counts: ReportCounts;
}

/** A node of the delegation tree. */
export interface ReportTreeNode {
  readonly contextId: string;
  readonly intentId?: string;
  readonly purpose?: string;
  readonly agent: ReportAgentRef;
  readonly status: ReportStatus["state"];
  readonly deviations: number;
  readonly denied: number;
  readonly calls: number;
  readonly children: readonly ReportTreeNode[];
}

/** One problem the verifier found, as the report shows it. */
export interface ReportProblem {
  readonly kind: string;
  readonly message: string;
  readonly line?: number;
  readonly seq?: number;
  readonly stream?: string;
}

/**
 * The verifier's verdict, when the caller verified the trail first (a `TrailVerification` fits).
 * The report shows it in its header; it never verifies anything itself.
 */
export interface ReportVerification {
  readonly ok: boolean;
  readonly events: number;
  readonly problems: readonly ReportProblem[];
  readonly signaturesChecked: boolean;
  readonly tornLine?: number;
  readonly streams?: readonly {
    readonly stream: string;
    readonly events: number;
    readonly lastSeq: number;
    readonly checkpoints: number;
    readonly checkpointedSeq: number;
    readonly final: boolean;
  }[];
}

/** The whole report. */
export interface IntentReport {
  /** Format version of the report. */
  readonly version: 1;
  readonly generatedAt: string;
  /** Where the events came from (a file name), when the caller said. */
  readonly source?: string;
  readonly verification?: ReportVerification;
  /** The filter applied, if any. */
  readonly filter?: { readonly intent: string; readonly matched: boolean };
  /** Time of the first and last event covered. */
  readonly period: { readonly from?: string; readonly to?: string };
  readonly streams: readonly string[];
  /** Events read, and events skipped because they were not audit events. */
  readonly input: { readonly events: number; readonly skipped: number };
  readonly totals: ReportCounts & { readonly intents: number; readonly agents: number };
  /** Event types and how many of each. */
  readonly eventTypes: Readonly<Partial<Record<AuditEventType | string, number>>>;
  readonly tree: readonly ReportTreeNode[];
  readonly intents: readonly IntentSection[];
  readonly agents: readonly AgentSection[];
}

/** Options of {@link buildIntentReport}. */
export interface IntentReportOptions {
  /**
   * Keep only this intent (an intent id or a context id) and, unless `subtree` is false, the
   * contexts delegated from it.
   */
  readonly intent?: string;
  /** With `intent`: include the contexts delegated from it (default true). */
  readonly subtree?: boolean;
  /** The verifier's verdict, shown in the report's header. */
  readonly verification?: ReportVerification;
  /** A label for where the events came from (e.g. the file name). */
  readonly source?: string;
  /** The report's time, epoch ms (default now). */
  readonly now?: number;
  /** Most timeline entries kept per intent (default 10,000; the counts always cover everything). */
  readonly maxTimeline?: number;
}
