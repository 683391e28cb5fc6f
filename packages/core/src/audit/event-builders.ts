import type { AgentContext } from "../context.js";
import type { Decision } from "../decision.js";
import type { AgentIdentity } from "../schema/identity.js";
import type { AuditEvent, AuditEventType, ReasoningLink } from "./audit-event.js";
import type { EventBuilder } from "./audit-queue.js";

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
  time: number,
  type: AuditEventType,
  identity: AgentIdentity,
  ctx: AgentContext | undefined,
): Mutable<AuditEvent> {
  const e: Mutable<AuditEvent> = {
    id,
    seq,
    time: isoTime(time),
    type,
    "gen_ai.agent.id": identity.id,
    "gen_ai.agent.name": identity.name,
    "mandate.sponsor": identity.sponsor,
  };
  if (identity.tenant !== undefined) e["mandate.tenant"] = identity.tenant;
  if (ctx) {
    e["mandate.context.id"] = ctx.id;
    e["mandate.context.path"] = ctx.path;
    e["mandate.intent.id"] = ctx.intent.id;
  }
  return e;
}

function linkTo(e: Mutable<AuditEvent>, reasoning: ReasoningLink | undefined): void {
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
): EventBuilder {
  return (id, seq) => {
    const e = base(id, seq, time, "tool.decision", ctx.identity, ctx);
    e["gen_ai.tool.name"] = decision.tool;
    e["gen_ai.tool.call.id"] = decision.callId;
    linkTo(e, reasoning);
    e["mandate.decision"] = decision.effect;
    e["mandate.deviation"] = decision.deviation;
    e["mandate.reasons"] = decision.reasons;
    e["mandate.accesses"] = decision.accesses;
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
): EventBuilder {
  return (id, seq) => {
    const e = base(id, seq, time, "tool.outcome", ctx.identity, ctx);
    e["gen_ai.tool.name"] = decision.tool;
    e["gen_ai.tool.call.id"] = decision.callId;
    linkTo(e, reasoning);
    e["mandate.outcome"] = outcome;
    e["mandate.duration_ms"] = durationMs;
    if (error !== undefined) e["mandate.error"] = error;
    return e;
  };
}

/** Builds a lifecycle event (identity issued, intent declared, revoked, approval…). */
export function lifecycleEvent(
  time: number,
  type: AuditEventType,
  identity: AgentIdentity,
  ctx: AgentContext | undefined,
  detail: Record<string, unknown>,
): EventBuilder {
  return (id, seq) => {
    const e = base(id, seq, time, type, identity, ctx);
    e["mandate.detail"] = detail;
    return e;
  };
}
