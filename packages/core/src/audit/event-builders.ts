import type { Access } from "../access.js";
import type { AgentContext } from "../context.js";
import type { Decision, Reason } from "../decision.js";
import { canonicalJson } from "../digest.js";
import type { AgentIdentity } from "../schema/identity.js";
import type { AuditEvent, AuditEventType, KeptValue, ReasoningLink } from "./audit-event.js";
import type { EventBuilder, UnsealedEvent } from "./audit-queue.js";
import { sealText } from "./chain.js";
import { keepSnapshot, type Retention, redact, snapshot } from "./redact.js";

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

/** The fields every event of an agent carries, from its identity and context. */
interface Who {
  readonly identity: AgentIdentity | undefined;
  readonly ctx: AgentContext | undefined;
  /** A context this process does not know, named by id alone. */
  readonly contextId?: string;
}

/**
 * The fields of one agent context's events, encoded once (a context's identity, path and intent
 * never change), ready to splice into an event's text: `agent` as `"key":value,` pairs (it opens
 * the object), the others as `,"key":value`.
 */
interface Head {
  readonly agent: string;
  readonly version: string;
  readonly context: string;
  readonly intent: string;
  readonly sponsor: string;
  readonly tenant: string;
}

const heads = new WeakMap<AgentContext, Head>();
const str: (s: string) => string = JSON.stringify;

function headOf({ identity, ctx, contextId }: Who): Head {
  const cacheable = ctx !== undefined && identity === ctx.identity;
  const cached = cacheable ? heads.get(ctx) : undefined;
  if (cached !== undefined) return cached;
  const head: Head = {
    agent:
      identity === undefined
        ? ""
        : `"gen_ai.agent.id":${str(identity.id)},"gen_ai.agent.name":${str(identity.name)},`,
    version: identity === undefined ? "" : `,"mandate.agent.version":${str(identity.version)}`,
    context:
      ctx !== undefined
        ? `,"mandate.context.id":${str(ctx.id)},"mandate.context.path":${canonicalJson(ctx.path)}`
        : contextId !== undefined
          ? `,"mandate.context.id":${str(contextId)}`
          : "",
    intent:
      ctx === undefined
        ? ""
        : `,"mandate.intent.digest":${str(ctx.intentDigest)},"mandate.intent.id":${str(ctx.intent.id)}`,
    sponsor: identity === undefined ? "" : `,"mandate.sponsor":${str(identity.sponsor)}`,
    tenant: identity?.tenant === undefined ? "" : `,"mandate.tenant":${str(identity.tenant)}`,
  };
  if (cacheable) heads.set(ctx, head);
  return head;
}

/**
 * The fields an event type adds; `undefined` leaves a field out. Arguments and output come with
 * their canonical text, as {@link keepSnapshot} encodes them.
 */
type Fields = {
  -readonly [K in Exclude<keyof UnsealedEvent, "mandate.args" | "mandate.output">]?:
    | UnsealedEvent[K]
    | undefined;
} & {
  args?: [KeptValue, string] | undefined;
  output?: [KeptValue, string] | undefined;
};

const pieces: string[] = [];

/** A finite number as JSON writes it (which is also its canonical form). */
function num(n: number): string {
  if (!Number.isFinite(n)) throw new TypeError("canonical JSON has no form for a non-finite number");
  return String(n);
}

/**
 * Writes an event and its canonical text in one pass, key by key in canonical (sorted) order, and
 * seals it: the object for sinks and listeners, the text for the hash and for line-oriented sinks.
 * A context's fixed fields come pre-encoded from its {@link Head}; values this module makes itself
 * (ids, hashes, times, types, decisions) need no escaping; anything else is encoded by
 * `canonicalJson`. It costs a fraction of canonicalising the finished object, and the property test
 * in audit-event-text.property.test.ts holds the text to the canonical JSON of the object.
 */
function event(
  id: string,
  seq: number,
  stream: string,
  prev: string,
  time: number,
  type: AuditEventType,
  who: Who,
  f: Fields,
): AuditEvent {
  const { identity, ctx } = who;
  const h = headOf(who);
  const e: Record<string, unknown> = {};
  // The text is gathered in pieces and joined once: one flat string, ready to hash. The pieces go
  // in one array kept for every event (building is synchronous), so no array is allocated. Each
  // field is written out rather than through a `put(key, value, json)` helper: with the helper's
  // key lookup and per-value strings the audit bench appended a fifth fewer events per second.
  const t = pieces;
  t.length = 0;
  t.push("{", h.agent);
  if (identity !== undefined) {
    e["gen_ai.agent.id"] = identity.id;
    e["gen_ai.agent.name"] = identity.name;
  }
  // The conversation is the reasoning link's, under its OpenTelemetry name.
  const conversation = f["mandate.reasoning"]?.conversationId;
  if (conversation !== undefined) {
    e["gen_ai.conversation.id"] = conversation;
    t.push('"gen_ai.conversation.id":', str(conversation), ",");
  }
  const callId = f["gen_ai.tool.call.id"];
  if (callId !== undefined) {
    e["gen_ai.tool.call.id"] = callId;
    t.push('"gen_ai.tool.call.id":', str(callId), ",");
  }
  const tool = f["gen_ai.tool.name"];
  if (tool !== undefined) {
    e["gen_ai.tool.name"] = tool;
    t.push('"gen_ai.tool.name":', str(tool), ",");
  }
  e.id = id;
  t.push('"id":"', id, '"');
  const accesses = f["mandate.accesses"];
  if (accesses !== undefined) {
    e["mandate.accesses"] = accesses;
    t.push(',"mandate.accesses":', canonicalJson(accesses));
  }
  if (identity !== undefined) e["mandate.agent.version"] = identity.version;
  t.push(h.version);
  if (f.args !== undefined) {
    e["mandate.args"] = f.args[0];
    t.push(',"mandate.args":', f.args[1]);
  }
  if (ctx !== undefined) {
    e["mandate.context.id"] = ctx.id;
    e["mandate.context.path"] = ctx.path;
  } else if (who.contextId !== undefined) {
    e["mandate.context.id"] = who.contextId;
  }
  t.push(h.context);
  const decision = f["mandate.decision"];
  if (decision !== undefined) {
    e["mandate.decision"] = decision;
    t.push(',"mandate.decision":"', decision, '"');
  }
  const detail = f["mandate.detail"];
  if (detail !== undefined) {
    e["mandate.detail"] = detail;
    t.push(',"mandate.detail":', canonicalJson(detail));
  }
  const deviation = f["mandate.deviation"];
  if (deviation !== undefined) {
    e["mandate.deviation"] = deviation;
    t.push(deviation ? ',"mandate.deviation":true' : ',"mandate.deviation":false');
  }
  const duration = f["mandate.duration_ms"];
  if (duration !== undefined) {
    e["mandate.duration_ms"] = duration;
    t.push(',"mandate.duration_ms":', num(duration));
  }
  const error = f["mandate.error"];
  if (error !== undefined) {
    e["mandate.error"] = error;
    t.push(',"mandate.error":', str(error));
  }
  e["mandate.hash"] = undefined; // holds its place until sealed, below
  if (ctx !== undefined) {
    e["mandate.intent.digest"] = ctx.intentDigest;
    e["mandate.intent.id"] = ctx.intent.id;
  }
  t.push(h.intent);
  const outcome = f["mandate.outcome"];
  if (outcome !== undefined) {
    e["mandate.outcome"] = outcome;
    t.push(',"mandate.outcome":"', outcome, '"');
  }
  if (f.output !== undefined) {
    e["mandate.output"] = f.output[0];
    t.push(',"mandate.output":', f.output[1]);
  }
  e["mandate.prev"] = prev;
  t.push(',"mandate.prev":"', prev, '"');
  const reasoning = f["mandate.reasoning"];
  if (reasoning !== undefined) {
    e["mandate.reasoning"] = reasoning;
    t.push(',"mandate.reasoning":', canonicalJson(reasoning));
  }
  const reasons = f["mandate.reasons"];
  if (reasons !== undefined) {
    e["mandate.reasons"] = reasons;
    t.push(',"mandate.reasons":', reasons.length === 0 ? "[]" : canonicalJson(reasons));
  }
  if (identity !== undefined) e["mandate.sponsor"] = identity.sponsor;
  t.push(h.sponsor, ',"mandate.stream":"', stream, '"');
  e["mandate.stream"] = stream;
  if (identity?.tenant !== undefined) e["mandate.tenant"] = identity.tenant;
  t.push(h.tenant);
  const at = isoTime(time);
  e.seq = seq;
  e.time = at;
  e.type = type;
  t.push(',"seq":', num(seq), ',"time":"', at, '","type":"', type, '"}');
  const text = t.join("");
  t.length = 0; // let go of the pieces
  return sealText(e as unknown as AuditEvent, text);
}

/** The reasoning link with its keys in canonical order (the caller may build it in any order). */
function sortedReasoning(reasoning: ReasoningLink | undefined): ReasoningLink | undefined {
  if (reasoning === undefined) return undefined;
  const r: { -readonly [K in keyof ReasoningLink]: ReasoningLink[K] } = {};
  if (reasoning.conversationId !== undefined) r.conversationId = reasoning.conversationId;
  if (reasoning.parentStepId !== undefined) r.parentStepId = reasoning.parentStepId;
  if (reasoning.rationaleDigest !== undefined) r.rationaleDigest = reasoning.rationaleDigest;
  if (reasoning.stepId !== undefined) r.stepId = reasoning.stepId;
  if (reasoning.traceId !== undefined) r.traceId = reasoning.traceId;
  return r;
}

/**
 * Builds the `tool.decision` event of a call. What the caller could still change — the arguments,
 * the reasoning link, inspector facts — is captured now; the rest of the work waits for the drain.
 */
export function decisionEvent(
  time: number,
  ctx: AgentContext,
  decision: Decision,
  reasoning: ReasoningLink | undefined,
  args: unknown,
  retention: Retention,
): EventBuilder {
  const argsText = snapshot(args, retention);
  const link = sortedReasoning(reasoning);
  const accesses = hasFacts(decision.accesses) ? decision.accesses.map(redactFacts) : undefined;
  return (id, seq, stream, prev) =>
    event(
      id,
      seq,
      stream,
      prev,
      time,
      "tool.decision",
      { identity: ctx.identity, ctx },
      {
        "mandate.reasoning": link,
        "gen_ai.tool.name": decision.tool,
        "gen_ai.tool.call.id": decision.callId,
        "mandate.decision": decision.effect,
        "mandate.deviation": decision.deviation,
        "mandate.reasons":
          decision.reasons.length === 0 ? decision.reasons : decision.reasons.map(sortedReason),
        "mandate.accesses": accesses ?? decision.accesses.map(redactFacts),
        args: keepSnapshot(argsText, retention),
      },
    );
}

/** Builds the `tool.outcome` event of a call that ran; its output is captured now. */
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
  const outputText = outcome === "ok" ? snapshot(output, retention) : undefined;
  const link = sortedReasoning(reasoning);
  return (id, seq, stream, prev) =>
    event(
      id,
      seq,
      stream,
      prev,
      time,
      "tool.outcome",
      { identity: ctx.identity, ctx },
      {
        "mandate.reasoning": link,
        "gen_ai.tool.name": decision.tool,
        "gen_ai.tool.call.id": decision.callId,
        "mandate.outcome": outcome,
        "mandate.duration_ms": durationMs,
        "mandate.error": error === undefined ? undefined : (redact(error) as string),
        output: keepSnapshot(outputText, retention),
        "mandate.deviation": findings.length > 0 ? true : undefined,
        "mandate.reasons": findings.length > 0 ? findings.map(sortedReason) : undefined,
      },
    );
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
  return (id, seq, stream, prev) =>
    event(id, seq, stream, prev, time, type, { identity, ctx, contextId }, { "mandate.detail": detail });
}

function hasFacts(accesses: readonly Access[]): boolean {
  for (let i = 0; i < accesses.length; i++) if ((accesses[i] as Access).facts !== undefined) return true;
  return false;
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
