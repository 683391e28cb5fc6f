import type { Access } from "../access.js";
import type { AgentContext } from "../context.js";
import type { Decision, Reason } from "../decision.js";
import type { AgentIdentity } from "../schema/identity.js";
import type { AuditEventType, ReasoningLink } from "./audit-event.js";
import type { EventBuilder, UnsealedEvent } from "./audit-queue.js";
import { keep, type Retention, redact } from "./redact.js";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

// Formatting a date costs more than building the rest of the event; events come in bursts within
// one millisecond, so the last string is reused.
let isoAt = Number.NaN;
let iso = "";
function isoTime(time: number): string {
  if (time !== isoAt) {
    iso = new Date(time).toISOString();
    isoAt = time;
  }
  return iso;
}

function base(
  id: string,
  seq: number,
  stream: string,
  time: number,
  type: AuditEventType,
  identity: AgentIdentity | undefined,
  ctx: AgentContext | undefined,
): Mutable<UnsealedEvent> {
  const e: Mutable<UnsealedEvent> = { id, "mandate.stream": stream, seq, time: isoTime(time), type };
  if (identity !== undefined) {
    e["gen_ai.agent.id"] = identity.id;
    e["gen_ai.agent.name"] = identity.name;
    e["mandate.agent.version"] = identity.version;
    e["mandate.sponsor"] = identity.sponsor;
    if (identity.tenant !== undefined) e["mandate.tenant"] = identity.tenant;
  }
  if (ctx) {
    e["mandate.context.id"] = ctx.id;
    e["mandate.context.path"] = ctx.path;
    e["mandate.intent.id"] = ctx.intent.id;
    e["mandate.intent.digest"] = ctx.intentDigest;
  }
  return e;
}

function linkTo(e: Mutable<UnsealedEvent>, reasoning: ReasoningLink | undefined): void {
  if (reasoning === undefined) return;
  e["mandate.reasoning"] = reasoning;
  if (reasoning.conversationId !== undefined) e["gen_ai.conversation.id"] = reasoning.conversationId;
}

/** Builds the `tool.decision` event of a call. */
export function decisionEvent(
  time: number,
  ctx: AgentContext,
  decision: Decision,
  reasoning: ReasoningLink | undefined,
  args: unknown,
  retention: Retention,
): EventBuilder {
  return (id, seq, stream) => {
    const e = base(id, seq, stream, time, "tool.decision", ctx.identity, ctx);
    e["gen_ai.tool.name"] = decision.tool;
    e["gen_ai.tool.call.id"] = decision.callId;
    linkTo(e, reasoning);
    e["mandate.decision"] = decision.effect;
    e["mandate.deviation"] = decision.deviation;
    e["mandate.reasons"] =
      decision.reasons.length === 0 ? decision.reasons : decision.reasons.map(sortedReason);
    e["mandate.accesses"] = decision.accesses.map(redactFacts);
    const kept = keep(args, retention);
    if (kept !== undefined) e["mandate.args"] = kept;
    return e;
  };
}

/** Builds the `tool.outcome` event of a call that ran. */
export function outcomeEvent(
  time: number,
  ctx: AgentContext,
  decision: Decision,
  reasoning: ReasoningLink | undefined,
  outcome: "ok" | "error" | "aborted",
  durationMs: number,
  error: string | undefined,
  output: unknown,
  retention: Retention,
  findings: readonly Reason[],
): EventBuilder {
  return (id, seq, stream) => {
    const e = base(id, seq, stream, time, "tool.outcome", ctx.identity, ctx);
    e["gen_ai.tool.name"] = decision.tool;
    e["gen_ai.tool.call.id"] = decision.callId;
    linkTo(e, reasoning);
    e["mandate.outcome"] = outcome;
    e["mandate.duration_ms"] = durationMs;
    if (error !== undefined) e["mandate.error"] = redact(error) as string;
    if (outcome === "ok") {
      const kept = keep(output, retention);
      if (kept !== undefined) e["mandate.output"] = kept;
    }
    if (findings.length > 0) {
      e["mandate.deviation"] = true;
      e["mandate.reasons"] = findings;
    }
    return e;
  };
}

/**
 * Builds a lifecycle event (identity issued, intent declared, revoked, approval…). A context this
 * process does not know (revoked by id, or by a security event) is named by `contextId` alone.
 */
export function lifecycleEvent(
  time: number,
  type: AuditEventType,
  identity: AgentIdentity | undefined,
  ctx: AgentContext | undefined,
  detail: Record<string, unknown>,
  contextId?: string,
): EventBuilder {
  return (id, seq, stream) => {
    const e = base(id, seq, stream, time, type, identity, ctx);
    if (ctx === undefined && contextId !== undefined) e["mandate.context.id"] = contextId;
    e["mandate.detail"] = detail;
    return e;
  };
}

/**
 * An access as the trail keeps it: facts redacted (they are inspector output and may carry query
 * strings or message text), keys in canonical order so that sealing can write it natively.
 */
function redactFacts(access: Access): Access {
  const a: Record<string, unknown> = { action: access.action, data: access.data };
  if (access.facts !== undefined) a.facts = redact(access.facts);
  a.resource = access.resource;
  if (access.uninspectable !== undefined)
    a.uninspectable = { field: access.uninspectable.field, reason: access.uninspectable.reason };
  return a as unknown as Access;
}

/** A reason with its keys in canonical order. */
function sortedReason(r: Reason): Reason {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(r).sort()) out[k] = (r as unknown as Record<string, unknown>)[k];
  return out as unknown as Reason;
}
