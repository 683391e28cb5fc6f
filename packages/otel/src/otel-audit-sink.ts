import type { AuditEvent, AuditSink } from "@mandate/core";
import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from "@opentelemetry/api";

/** Options of {@link otelAuditSink}. */
export interface OtelAuditSinkOptions {
  /** Where spans go (default: the global tracer provider's `@mandate/otel` tracer). */
  readonly tracer?: Tracer;
  /**
   * A sink to write to first (PostgreSQL, a file…): spans are made only for events it stored, and
   * its failures reach core's queue, which retries. Without it, this sink only emits telemetry.
   */
  readonly next?: AuditSink;
  /**
   * Sets `gen_ai.tool.call.arguments` from the arguments the audit trail kept (already redacted,
   * per the tool's retention setting). Opt-in, as in the conventions (default false).
   */
  readonly captureArguments?: boolean;
  /** Sets `gen_ai.tool.call.result` from the output the audit trail kept. Opt-in (default false). */
  readonly captureResult?: boolean;
  /**
   * The parent of a call's span. Default: the agent run's span when the call's reasoning link holds
   * a W3C trace id and step (span) id, else none (a root span).
   */
  readonly parent?: (event: AuditEvent) => Context | undefined;
  /**
   * An allowed call whose outcome has not arrived after this long, ms, gets a span of its decision
   * alone (default 60,000): calls checked with `check()` are never run by Mandate, so no outcome comes.
   */
  readonly pendingTimeoutMs?: number;
  /** Allowed calls waiting for their outcome, at most (default 10,000; the oldest is emitted first). */
  readonly maxPending?: number;
}

/** An {@link AuditSink} that turns guarded calls into OpenTelemetry spans. */
export interface OtelAuditSink extends AuditSink {
  /** Allowed calls whose outcome has not arrived yet. */
  readonly pending: number;
  /** Flushes the sink behind it, if any (spans go to the tracer as they are made). */
  flush(): Promise<void>;
  /** Emits the spans of calls still waiting for their outcome, then closes the sink behind it. */
  close(): Promise<void>;
}

/** The version of the conventions followed, for the record (`gen_ai.*` execute_tool span). */
const INSTRUMENTATION = "@mandate/otel";

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

/** The agent run's span from a reasoning link with W3C ids, as a remote parent. */
export function parentFromReasoning(event: AuditEvent): Context | undefined {
  const r = event["mandate.reasoning"];
  if (r?.traceId === undefined || r.stepId === undefined) return undefined;
  if (!TRACE_ID.test(r.traceId) || !SPAN_ID.test(r.stepId) || /^0+$/.test(r.traceId)) return undefined;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: r.traceId,
    spanId: r.stepId,
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
}

interface Pending {
  readonly decision: AuditEvent;
  readonly since: number;
}

const json = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value));

/**
 * An audit sink that emits one OpenTelemetry `execute_tool` span per guarded call, following the
 * GenAI semantic conventions: span name `execute_tool {gen_ai.tool.name}`, kind INTERNAL,
 * `gen_ai.operation.name = execute_tool`, `gen_ai.tool.name`, `gen_ai.tool.call.id`,
 * `gen_ai.tool.type`, `gen_ai.agent.id`, `gen_ai.agent.name`, `gen_ai.conversation.id`, and
 * `error.type` when the call was refused or failed. The guard's decision rides on the span as
 * guardrail attributes in the `mandate.*` namespace (decision, deviation, reason codes, data
 * classes, context path, intent, sponsor…): the OpenTelemetry guardrail conventions are not settled.
 *
 * Spans are built from the audit events, with their times: a call's span starts at its decision
 * event and ends at its outcome event; a refused call's span has no duration. Nothing is measured
 * twice and nothing sits on the hot path — the spans are made when core's queue drains.
 * Idempotent by event id, as every sink: a retried batch makes no second span.
 */
export function otelAuditSink(options: OtelAuditSinkOptions = {}): OtelAuditSink {
  const tracer = options.tracer ?? trace.getTracer(INSTRUMENTATION);
  const parentOf = options.parent ?? parentFromReasoning;
  const pendingTimeoutMs = options.pendingTimeoutMs ?? 60_000;
  const maxPending = options.maxPending ?? 10_000;
  const pending = new Map<string, Pending>();
  // Recently seen event ids, for idempotency: a retried batch repeats ids from the last batches.
  const seen = new Set<string>();
  const SEEN_LIMIT = 16_384;

  const key = (e: AuditEvent) => `${e["mandate.stream"]}\u0000${e["gen_ai.tool.call.id"] ?? e.id}`;

  const attributesOf = (decision: AuditEvent): Attributes => {
    const a: Attributes = {
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.type": "function",
    };
    const set = (name: string, value: string | number | boolean | string[] | undefined) => {
      if (value !== undefined) a[name] = value;
    };
    set("gen_ai.tool.name", decision["gen_ai.tool.name"]);
    set("gen_ai.tool.call.id", decision["gen_ai.tool.call.id"]);
    set("gen_ai.agent.id", decision["gen_ai.agent.id"]);
    set("gen_ai.agent.name", decision["gen_ai.agent.name"]);
    set("gen_ai.conversation.id", decision["gen_ai.conversation.id"]);
    set("mandate.agent.version", decision["mandate.agent.version"]);
    set("mandate.sponsor", decision["mandate.sponsor"]);
    set("mandate.tenant", decision["mandate.tenant"]);
    set("mandate.context.id", decision["mandate.context.id"]);
    const path = decision["mandate.context.path"];
    if (path !== undefined) set("mandate.context.path", [...path]);
    set("mandate.intent.id", decision["mandate.intent.id"]);
    set("mandate.intent.digest", decision["mandate.intent.digest"]);
    set("mandate.decision", decision["mandate.decision"]);
    set("mandate.deviation", decision["mandate.deviation"]);
    const reasons = decision["mandate.reasons"] ?? [];
    if (reasons.length > 0) {
      set(
        "mandate.reasons",
        reasons.map((r) => r.code),
      );
      set("mandate.reason.message", reasons[0]?.message);
    }
    const accesses = decision["mandate.accesses"] ?? [];
    if (accesses.length > 0) {
      set("mandate.access.actions", [...new Set(accesses.map((x) => x.action))]);
      set("mandate.access.resources", [...new Set(accesses.map((x) => x.resource))]);
      set("mandate.access.data_classes", [...new Set(accesses.flatMap((x) => x.data))]);
    }
    set("mandate.audit.stream", decision["mandate.stream"]);
    set("mandate.audit.seq", decision.seq);
    set("mandate.audit.event_id", decision.id);
    const args = decision["mandate.args"];
    if (options.captureArguments === true && args?.value !== undefined) {
      set("gen_ai.tool.call.arguments", json(args.value));
    }
    return a;
  };

  /** Emits the span of one call: its decision, and its outcome when it ran. */
  const emit = (decision: AuditEvent, outcome: AuditEvent | undefined, refusal?: string) => {
    const attributes = attributesOf(decision);
    const start = new Date(decision.time);
    const name = `execute_tool ${decision["gen_ai.tool.name"] ?? "unknown"}`;
    const span = tracer.startSpan(
      name,
      { kind: SpanKind.INTERNAL, startTime: start, attributes },
      // Never the context active while the queue drains: it has nothing to do with this call.
      parentOf(decision) ?? ROOT_CONTEXT,
    );
    const effect = decision["mandate.decision"];
    if (effect === "deny" || refusal !== undefined) {
      const code = refusal ?? decision["mandate.reasons"]?.[0]?.code ?? "mandate.denied";
      span.setAttribute("error.type", code);
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: decision["mandate.reasons"]?.[0]?.message ?? code,
      });
      span.end(start);
      return;
    }
    if (outcome === undefined) {
      span.end(start);
      return;
    }
    const result = outcome["mandate.outcome"];
    if (result !== undefined) span.setAttribute("mandate.outcome", result);
    const duration = outcome["mandate.duration_ms"];
    if (duration !== undefined) span.setAttribute("mandate.duration_ms", duration);
    if (result === "ok") {
      const output = outcome["mandate.output"];
      if (options.captureResult === true && output?.value !== undefined) {
        span.setAttribute("gen_ai.tool.call.result", json(output.value));
      }
      span.setStatus({ code: SpanStatusCode.UNSET });
    } else {
      // `aborted`: a revocation stopped the call in flight; `error`: the tool threw.
      span.setAttribute("error.type", result === "aborted" ? "mandate.aborted" : "tool.error");
      span.setStatus({ code: SpanStatusCode.ERROR, message: outcome["mandate.error"] ?? result ?? "error" });
    }
    span.end(new Date(outcome.time));
  };

  const expire = (now: number, all: boolean) => {
    for (const [k, p] of pending) {
      if (!all && pending.size <= maxPending && now - p.since < pendingTimeoutMs) break;
      pending.delete(k);
      emit(p.decision, undefined);
    }
  };

  const remember = (id: string) => {
    seen.add(id);
    if (seen.size > SEEN_LIMIT) {
      // Sets iterate in insertion order: forget the oldest quarter.
      let drop = SEEN_LIMIT >> 2;
      for (const old of seen) {
        if (drop-- <= 0) break;
        seen.delete(old);
      }
    }
  };

  const take = (e: AuditEvent, now: number) => {
    if (seen.has(e.id)) return;
    remember(e.id);
    if (e.type === "tool.decision") {
      if (e["mandate.decision"] === "deny") emit(e, undefined);
      else pending.set(key(e), { decision: e, since: now });
    } else if (e.type === "tool.outcome") {
      const k = key(e);
      const p = pending.get(k);
      pending.delete(k);
      if (p !== undefined) emit(p.decision, e);
      else {
        // The decision went out before this sink was there (or was emitted on timeout): a span from
        // the outcome alone, starting when the call started.
        const started = new Date(Date.parse(e.time) - (e["mandate.duration_ms"] ?? 0)).toISOString();
        emit({ ...e, time: started }, e);
      }
    } else if (e.type === "approval.denied") {
      const callId = e["mandate.detail"]?.callId;
      const k = `${e["mandate.stream"]}\u0000${typeof callId === "string" ? callId : ""}`;
      const p = pending.get(k);
      if (p !== undefined) {
        pending.delete(k);
        emit(p.decision, undefined, "approval.denied");
      }
    }
  };

  return {
    get pending() {
      return pending.size;
    },
    async write(events) {
      if (options.next !== undefined) await options.next.write(events);
      const now = Date.now();
      for (const e of events) take(e, now);
      expire(now, false);
    },
    async flush() {
      await options.next?.flush?.();
    },
    async close() {
      expire(Date.now(), true);
      await options.next?.close?.();
    },
  };
}
