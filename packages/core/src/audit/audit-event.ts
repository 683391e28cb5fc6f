import type { Access } from "../access.js";
import type { Effect, Reason } from "../decision.js";

/** Kinds of audit event. */
export type AuditEventType =
  | "identity.issued"
  | "intent.declared"
  | "context.delegated"
  | "context.revoked"
  | "context.paused"
  | "context.resumed"
  | "tool.decision"
  | "tool.outcome"
  | "approval.asked"
  | "approval.granted"
  | "approval.denied"
  | "audit.checkpoint";

/** The reasoning step a call belongs to, as set by a framework integration or the caller. */
export interface ReasoningLink {
  /** Conversation or run id (`gen_ai.conversation.id`). */
  readonly conversationId?: string;
  /** Trace id of the agent run. */
  readonly traceId?: string;
  /** Id of the reasoning step that issued the call. */
  readonly stepId?: string;
  /** Id of the step that led to it. */
  readonly parentStepId?: string;
  /** Digest of the model's stated rationale (never the text itself). */
  readonly rationaleDigest?: string;
}

/** A tool's arguments or output as the audit trail keeps them. */
export interface KeptValue {
  /** `sha256:` of the value's canonical JSON. */
  readonly digest: string;
  /** A redacted preview (or the value, secrets still masked), unless only the digest is kept. */
  readonly value?: unknown;
}

/**
 * One audit event. Field names follow the OpenTelemetry GenAI semantic conventions where they
 * exist (`gen_ai.*`); the rest live in the `mandate.*` namespace.
 *
 * Events are hash-chained per stream (one stream per Mandate instance): `mandate.prev` is the
 * previous event's `mandate.hash`, and `mandate.hash` is SHA-256 over the canonical JSON of the
 * event without that field. Signed `audit.checkpoint` events vouch for the chain up to a point.
 */
export interface AuditEvent {
  /** ULID of the event. */
  readonly id: string;
  /** The stream (one per Mandate instance) this event is chained in. */
  readonly "mandate.stream": string;
  /** Position in the stream, from 1, without gaps. */
  readonly seq: number;
  /** ISO 8601 time. */
  readonly time: string;
  readonly type: AuditEventType;
  /** Hash of the previous event of the stream (for the first, a hash of the stream id). */
  readonly "mandate.prev": string;
  /** This event's hash. */
  readonly "mandate.hash": string;
  /** The agent instance; absent only on `audit.checkpoint`. */
  readonly "gen_ai.agent.id"?: string;
  readonly "gen_ai.agent.name"?: string;
  readonly "mandate.agent.version"?: string;
  readonly "gen_ai.conversation.id"?: string;
  readonly "gen_ai.tool.name"?: string;
  readonly "gen_ai.tool.call.id"?: string;
  readonly "mandate.sponsor"?: string;
  readonly "mandate.tenant"?: string;
  readonly "mandate.context.id"?: string;
  /** Context ids from the root to this context: who delegated to whom. */
  readonly "mandate.context.path"?: readonly string[];
  readonly "mandate.intent.id"?: string;
  /** `sha256:` of the declared intent's canonical JSON, as its context token carries it. */
  readonly "mandate.intent.digest"?: string;
  readonly "mandate.reasoning"?: ReasoningLink;
  readonly "mandate.decision"?: Effect;
  readonly "mandate.deviation"?: boolean;
  readonly "mandate.reasons"?: readonly Reason[];
  readonly "mandate.accesses"?: readonly Access[];
  /** For `tool.decision`: the call's arguments, as the tool's retention setting keeps them. */
  readonly "mandate.args"?: KeptValue;
  /** For `tool.outcome`: the result, as the tool's retention setting keeps it. */
  readonly "mandate.output"?: KeptValue;
  /** For `tool.outcome`: how the call ended. */
  readonly "mandate.outcome"?: "ok" | "error" | "aborted";
  readonly "mandate.duration_ms"?: number;
  readonly "mandate.error"?: string;
  /** Event-specific details (the declared intent, the revocation reason…). */
  readonly "mandate.detail"?: Readonly<Record<string, unknown>>;
  /** For `audit.checkpoint`: the signed checkpoint (a compact JWT). */
  readonly "mandate.signature"?: string;
}

/**
 * Where audit events go. Adapters implement `write`; batching, back-pressure, retries and the
 * fail-closed policy live once in core's queue.
 *
 * `write` receives events in order and resolves once they are stored; it rejects if any were not.
 * A rejected batch is retried as a whole, so a sink must treat a repeated event id as already
 * written (idempotent by id).
 */
export interface AuditSink {
  write(events: readonly AuditEvent[]): Promise<void>;
  /** Makes everything written so far durable. */
  flush?(): Promise<void>;
  close?(): Promise<void>;
}
