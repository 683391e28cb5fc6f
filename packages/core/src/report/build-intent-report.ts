import { isDeviation, type ReasonCode } from "../decision.js";
import type {
  AgentSection,
  ApprovalResult,
  IntentReport,
  IntentReportOptions,
  IntentSection,
  ReportAccess,
  ReportAgentRef,
  ReportApproval,
  ReportCall,
  ReportContextRef,
  ReportCounts,
  ReportDenial,
  ReportDeviation,
  ReportLifecycle,
  ReportReason,
  ReportScopeEntry,
  ReportStatus,
  ReportTimelineEntry,
  ReportTreeNode,
} from "./report-types.js";

/*
 * The trail is untrusted input: a report is often built from a file of unknown provenance, possibly
 * one the verifier just rejected. Every field is read with a type check, unknown shapes are skipped
 * rather than trusted, and nothing from an event is ever used as an object key without a
 * null-prototype map.
 */

type Obj = Record<string, unknown>;

interface AccessLike {
  readonly action: string;
  readonly resource: string;
  readonly data: readonly string[];
  readonly uninspectable?: { readonly field: string; readonly reason: string };
}

interface Reason extends ReportReason {
  readonly access?: number;
}

/** An event as the report reads it: each field present only when it had the expected type. */
interface Ev {
  readonly order: number;
  readonly type: string;
  readonly time?: string;
  readonly stream?: string;
  readonly seq?: number;
  readonly agent: ReportAgentRef;
  readonly contextId?: string;
  readonly path?: readonly string[];
  readonly intentId?: string;
  readonly intentDigest?: string;
  readonly tool?: string;
  readonly callId?: string;
  readonly effect?: string;
  readonly deviation: boolean;
  readonly reasons: readonly Reason[];
  readonly accesses: readonly AccessLike[];
  readonly outcome?: string;
  readonly durationMs?: number;
  readonly error?: string;
  readonly detail: Obj;
}

const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];

function isoOf(ms: unknown): string | undefined {
  const n = num(ms);
  if (n === undefined || Math.abs(n) > 8.64e15) return undefined;
  return new Date(n).toISOString();
}

/** Copies only the defined values, so optional fields stay absent rather than `undefined`. */
function defined<T extends object>(o: T): T {
  const out: Obj = {};
  for (const k in o) {
    const v = o[k];
    if (v !== undefined) out[k] = v;
  }
  return out as T;
}

function readAccess(v: unknown): AccessLike | undefined {
  if (!isObj(v)) return undefined;
  const u = isObj(v.uninspectable) ? v.uninspectable : undefined;
  const a: { action: string; resource: string; data: string[]; uninspectable?: AccessLike["uninspectable"] } =
    {
      action: str(v.action) ?? "?",
      resource: str(v.resource) ?? "",
      data: strings(v.data),
    };
  if (u) a.uninspectable = { field: str(u.field) ?? "?", reason: str(u.reason) ?? "" };
  return a;
}

function readReason(v: unknown): Reason | undefined {
  if (!isObj(v)) return undefined;
  const code = str(v.code);
  if (code === undefined) return undefined;
  return {
    code,
    message: str(v.message) ?? "",
    dataClass: str(v.dataClass),
    contextId: str(v.contextId),
    policy: str(v.policy),
    access: num(v.access),
  };
}

function readEvent(v: unknown, order: number): Ev | undefined {
  if (!isObj(v)) return undefined;
  const type = str(v.type);
  if (type === undefined) return undefined;
  const path = strings(v["mandate.context.path"]);
  const reasons: Reason[] = [];
  if (Array.isArray(v["mandate.reasons"])) {
    for (const x of v["mandate.reasons"]) {
      const r = readReason(x);
      if (r !== undefined) reasons.push(r);
    }
  }
  const accesses: AccessLike[] = [];
  if (Array.isArray(v["mandate.accesses"])) {
    for (const x of v["mandate.accesses"]) {
      const a = readAccess(x);
      if (a !== undefined) accesses.push(a);
    }
  }
  // Internal: fields left undefined are fine here; what reaches the report is cleaned on the way.
  return {
    order,
    type,
    time: str(v.time),
    stream: str(v["mandate.stream"]),
    seq: num(v.seq),
    agent: {
      id: str(v["gen_ai.agent.id"]),
      name: str(v["gen_ai.agent.name"]),
      version: str(v["mandate.agent.version"]),
      sponsor: str(v["mandate.sponsor"]),
      tenant: str(v["mandate.tenant"]),
    },
    contextId: str(v["mandate.context.id"]),
    path: path.length > 0 ? path : undefined,
    intentId: str(v["mandate.intent.id"]),
    intentDigest: str(v["mandate.intent.digest"]),
    tool: str(v["gen_ai.tool.name"]),
    callId: str(v["gen_ai.tool.call.id"]),
    effect: str(v["mandate.decision"]),
    deviation: v["mandate.deviation"] === true,
    reasons,
    accesses,
    outcome: str(v["mandate.outcome"]),
    durationMs: num(v["mandate.duration_ms"]),
    error: str(v["mandate.error"]),
    detail: isObj(v["mandate.detail"]) ? v["mandate.detail"] : EMPTY,
  };
}

const EMPTY: Obj = Object.freeze({}) as Obj;

/** Event order: by time, then stream and position, then input order. */
function compareEvents(a: Ev, b: Ev): number {
  const ta = a.time ?? "";
  const tb = b.time ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  const sa = a.stream ?? "";
  const sb = b.stream ?? "";
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (a.seq !== undefined && b.seq !== undefined && a.seq !== b.seq) return a.seq - b.seq;
  return a.order - b.order;
}

const isDeviationCode = (code: string): boolean => isDeviation(code as ReasonCode);

/** One decision on a call: a call asked for approval is decided again once approved. */
interface DecisionState {
  readonly time?: string;
  readonly effect?: string;
  readonly reasons: readonly Reason[];
}

interface CallState {
  callId: string;
  tool: string;
  time?: string;
  /** Every decision on the call, in order; the last one stands. */
  decisions: DecisionState[];
  deviation: boolean;
  accesses: AccessLike[];
  /** Findings about the call's output (`output.undeclared`), from its outcome event. */
  outputReasons: Reason[];
  approval?: ApprovalResult;
  askedAt?: string;
  decidedAt?: string;
  approvalWhy?: string;
  approvalBy?: string;
  approvalGrants?: number;
  approvalCodes: string[];
  approvalSeen: boolean;
  outcome?: string;
  durationMs?: number;
  error?: string;
}

function newCall(callId: string, tool: string): CallState {
  return {
    callId,
    tool,
    decisions: [],
    deviation: false,
    accesses: [],
    outputReasons: [],
    approvalCodes: [],
    approvalSeen: false,
  };
}

/**
 * Whether a reason says the call strayed from its intent. `policy.ask` alone is a request for a
 * human, not a deviation (as core records it); every other code of the deviation family is.
 */
const strays = (r: Reason): boolean => r.code !== "policy.ask" && isDeviationCode(r.code);

interface CtxState {
  readonly id: string;
  readonly order: number;
  intentId?: string;
  intentDigest?: string;
  path?: readonly string[];
  agent: ReportAgentRef;
  purpose?: string;
  mode?: string;
  declaredAt?: string;
  scope: ReportScopeEntry[];
  limits?: Obj;
  declared: boolean;
  parentId?: string;
  delegatedBy?: string;
  readonly events: Ev[];
  readonly calls: Map<string, CallState>;
  readonly lifecycle: Ev[];
}

interface IdentityInfo {
  model?: string;
  roles?: string[];
  fingerprint?: string;
  tenant?: string;
  version?: string;
  name?: string;
  sponsor?: string;
}

function readScope(v: unknown): ReportScopeEntry[] {
  if (!Array.isArray(v)) return [];
  const out: ReportScopeEntry[] = [];
  for (const e of v) {
    if (!isObj(e)) continue;
    out.push(
      defined({
        action: str(e.action) ?? "?",
        resource: str(e.resource) ?? "?",
        data: strings(e.data),
        where: isObj(e.where) ? e.where : undefined,
      }),
    );
  }
  return out;
}

/**
 * Accumulates audit events one at a time (for a log read as a stream) and builds the report at
 * the end. {@link buildIntentReport} is the one-call form.
 */
export interface IntentReportBuilder {
  /** Adds one event (anything: what is not an audit event is counted as skipped). */
  add(event: unknown): void;
  /** Builds the report from everything added so far. */
  build(): IntentReport;
}

/** Creates an {@link IntentReportBuilder}. */
export function createIntentReportBuilder(options: IntentReportOptions = {}): IntentReportBuilder {
  const events: Ev[] = [];
  let skipped = 0;
  let order = 0;
  return {
    add(event: unknown) {
      const ev = readEvent(event, order++);
      if (ev === undefined) skipped++;
      else events.push(ev);
    },
    build() {
      return assemble(events, skipped, options);
    },
  };
}

/**
 * Builds an intent-based report from audit events: per intent (context), the agent instance, the
 * purpose and declared scope, the delegation tree, what was accessed versus declared, data classes,
 * denials, deviations (with reason codes and data classes), approvals, revocations and pauses, a
 * timeline and counts; and per agent instance, the same aggregated. The events are read as
 * untrusted input; pass the verifier's verdict in `options.verification` to show it in the report.
 *
 * @param events - audit events, in any order (e.g. the parsed lines of a JSONL trail)
 */
export function buildIntentReport(
  events: Iterable<unknown>,
  options: IntentReportOptions = {},
): IntentReport {
  const builder = createIntentReportBuilder(options);
  for (const e of events) builder.add(e);
  return builder.build();
}

function emptyCounts(): {
  events: number;
  calls: number;
  allowed: number;
  denied: number;
  asked: number;
  deviations: number;
  approvals: { asked: number; granted: number; denied: number };
  outcomes: { ok: number; error: number; aborted: number };
  revocations: number;
  pauses: number;
} {
  return {
    events: 0,
    calls: 0,
    allowed: 0,
    denied: 0,
    asked: 0,
    deviations: 0,
    approvals: { asked: 0, granted: 0, denied: 0 },
    outcomes: { ok: 0, error: 0, aborted: 0 },
    revocations: 0,
    pauses: 0,
  };
}

type MutableCounts = ReturnType<typeof emptyCounts>;

function addCounts(into: MutableCounts, c: ReportCounts): void {
  into.events += c.events;
  into.calls += c.calls;
  into.allowed += c.allowed;
  into.denied += c.denied;
  into.asked += c.asked;
  into.deviations += c.deviations;
  into.approvals.asked += c.approvals.asked;
  into.approvals.granted += c.approvals.granted;
  into.approvals.denied += c.approvals.denied;
  into.outcomes.ok += c.outcomes.ok;
  into.outcomes.error += c.outcomes.error;
  into.outcomes.aborted += c.outcomes.aborted;
  into.revocations += c.revocations;
  into.pauses += c.pauses;
}

function assemble(raw: Ev[], skipped: number, options: IntentReportOptions): IntentReport {
  const events = [...raw].sort(compareEvents);
  const contexts = new Map<string, CtxState>();
  const identities = new Map<string, IdentityInfo>();
  const agentOrder: string[] = [];
  const firstRef = new Map<string, ReportAgentRef>();
  const noteAgent = (e: Ev) => {
    const id = e.agent.id;
    if (id !== undefined && !identities.has(id)) {
      identities.set(id, {});
      agentOrder.push(id);
      firstRef.set(id, defined(e.agent));
    }
  };

  const ctxOf = (id: string): CtxState => {
    let c = contexts.get(id);
    if (c === undefined) {
      c = {
        id,
        order: contexts.size,
        agent: {},
        scope: [],
        declared: false,
        events: [],
        calls: new Map(),
        lifecycle: [],
      };
      contexts.set(id, c);
    }
    return c;
  };

  for (const e of events) {
    noteAgent(e);
    if (e.type === "identity.issued" && e.agent.id !== undefined) {
      const info = identities.get(e.agent.id) as IdentityInfo;
      const d = isObj(e.detail.identity) ? e.detail.identity : {};
      Object.assign(
        info,
        defined({
          model: str(d.model),
          roles: Array.isArray(d.roles) ? strings(d.roles) : undefined,
          fingerprint: str(d.fingerprint),
          tenant: str(d.tenant) ?? e.agent.tenant,
          version: str(d.version) ?? e.agent.version,
          name: str(d.name) ?? e.agent.name,
          sponsor: str(d.sponsor) ?? e.agent.sponsor,
        }),
      );
    }
    if (e.contextId === undefined) continue;
    const c = ctxOf(e.contextId);
    c.events.push(e);
    if (e.agent.id !== undefined && c.agent.id === undefined) c.agent = defined(e.agent);
    c.intentId ??= e.intentId;
    c.intentDigest ??= e.intentDigest;
    if (e.path !== undefined && e.path[e.path.length - 1] === c.id) c.path ??= e.path;

    switch (e.type) {
      case "intent.declared":
      case "context.delegated": {
        const intent = isObj(e.detail.intent) ? e.detail.intent : {};
        c.declared = true;
        if (e.agent.id !== undefined) c.agent = defined(e.agent);
        c.intentId = str(intent.id) ?? e.intentId ?? c.intentId;
        c.purpose = str(intent.purpose) ?? c.purpose;
        c.mode = str(intent.mode) ?? c.mode;
        c.declaredAt = isoOf(intent.declaredAt) ?? e.time;
        c.scope = readScope(intent.scope);
        c.limits = isObj(intent.limits) ? intent.limits : undefined;
        if (e.type === "context.delegated") {
          c.parentId = str(e.detail.parent) ?? c.parentId;
          c.delegatedBy = str(e.detail.delegatedBy) ?? c.delegatedBy;
        }
        break;
      }
      case "tool.decision":
      case "tool.outcome": {
        const id = e.callId ?? `event-${e.stream ?? ""}-${e.seq ?? e.order}`;
        let call = c.calls.get(id);
        if (call === undefined) {
          call = newCall(id, e.tool ?? "?");
          c.calls.set(id, call);
        }
        if (e.tool !== undefined) call.tool = e.tool;
        call.time ??= e.time;
        // A log that says "no deviation" next to a reason that is one is still flagged.
        if (e.deviation || e.reasons.some(strays)) call.deviation = true;
        if (e.type === "tool.decision") {
          call.decisions.push({ time: e.time, effect: e.effect, reasons: e.reasons });
          if (call.accesses.length === 0) call.accesses = [...e.accesses];
        } else {
          call.outcome = e.outcome;
          call.durationMs = e.durationMs;
          call.error = e.error;
          call.outputReasons = [...e.reasons];
        }
        break;
      }
      case "approval.asked":
      case "approval.granted":
      case "approval.denied": {
        const id = str(e.detail.callId) ?? `event-${e.stream ?? ""}-${e.seq ?? e.order}`;
        let call = c.calls.get(id);
        if (call === undefined) {
          call = newCall(id, str(e.detail.tool) ?? "?");
          c.calls.set(id, call);
        }
        call.approvalSeen = true;
        const codes = Array.isArray(e.detail.reasons)
          ? e.detail.reasons.map(readReason).flatMap((r) => (r ? [r.code] : []))
          : [];
        if (codes.length > 0) call.approvalCodes = codes;
        if (e.type === "approval.asked") {
          call.askedAt = e.time;
          call.approval ??= "pending";
        } else {
          call.decidedAt = e.time;
          call.approval = e.type === "approval.granted" ? "granted" : "denied";
          const why = str(e.detail.why) ?? str(e.detail.reason);
          if (why !== undefined) call.approvalWhy = why;
          const by = str(e.detail.by);
          if (by !== undefined) call.approvalBy = by;
          if (Array.isArray(e.detail.grants)) call.approvalGrants = e.detail.grants.length;
        }
        break;
      }
      case "context.revoked":
      case "context.paused":
      case "context.resumed":
        c.lifecycle.push(e);
        break;
      default:
        break;
    }
  }

  // Parents and paths: from the delegation event, else from the path an event carried.
  for (const c of contexts.values()) {
    if (c.parentId === undefined && c.path !== undefined && c.path.length > 1) {
      c.parentId = c.path[c.path.length - 2];
    }
  }
  const pathOf = (c: CtxState): readonly string[] => {
    if (c.path !== undefined) return c.path;
    const seen = new Set<string>([c.id]);
    const path = [c.id];
    for (let p = c.parentId; p !== undefined && !seen.has(p); p = contexts.get(p)?.parentId) {
      seen.add(p);
      path.unshift(p);
    }
    return path;
  };
  const paths = new Map<string, readonly string[]>();
  for (const c of contexts.values()) paths.set(c.id, pathOf(c));
  const children = new Map<string, CtxState[]>();
  for (const c of contexts.values()) {
    if (c.parentId === undefined || c.parentId === c.id) continue;
    const list = children.get(c.parentId) ?? [];
    list.push(c);
    children.set(c.parentId, list);
  }
  // Contexts named only as a parent still appear (as undeclared stubs), so the tree holds together.
  for (const parentId of children.keys()) ctxOf(parentId);

  // Selection.
  let selected = [...contexts.values()];
  let filter: IntentReport["filter"];
  if (options.intent !== undefined) {
    const want = options.intent;
    const matched = selected.filter((c) => c.id === want || c.intentId === want).map((c) => c.id);
    const subtree = options.subtree ?? true;
    selected = selected.filter(
      (c) => matched.includes(c.id) || (subtree && (paths.get(c.id) ?? []).some((p) => matched.includes(p))),
    );
    filter = { intent: want, matched: matched.length > 0 };
  }
  selected.sort((a, b) => a.order - b.order);
  const selectedIds = new Set(selected.map((c) => c.id));

  const maxTimeline = options.maxTimeline ?? 10_000;
  const sections = new Map<string, IntentSection>();
  const refOf = (c: CtxState): ReportContextRef =>
    defined({
      contextId: c.id,
      intentId: c.intentId,
      purpose: c.purpose,
      agent: c.agent.id !== undefined || c.agent.name !== undefined ? c.agent : undefined,
    });

  for (const c of selected) {
    const path = paths.get(c.id) ?? [c.id];
    const ancestors = path.slice(0, -1);

    // Lifecycle: own, and inherited from every ancestor on the path.
    const lifecycleEvents: { e: Ev; on: string }[] = [];
    for (const id of path) {
      const holder = contexts.get(id);
      if (holder) for (const e of holder.lifecycle) lifecycleEvents.push({ e, on: id });
    }
    lifecycleEvents.sort((a, b) => compareEvents(a.e, b.e));
    const lifecycle: ReportLifecycle[] = lifecycleEvents.map(({ e, on }) =>
      defined({
        type: e.type as ReportLifecycle["type"],
        time: e.time,
        contextId: on,
        inherited: on !== c.id,
        reason: str(e.detail.reason),
      }),
    );
    const status = statusOf(lifecycle);

    // Calls.
    const calls: ReportCall[] = [];
    const denials: ReportDenial[] = [];
    const deviations: ReportDeviation[] = [];
    const approvals: ReportApproval[] = [];
    const permittedAcc = new AccessTally();
    const refusedAcc = new AccessTally();
    const counts = emptyCounts();
    for (const call of c.calls.values()) {
      const last = call.decisions[call.decisions.length - 1];
      const effect = last?.effect;
      const asked = call.decisions.some((d) => d.effect === "ask") || call.approvalSeen;
      const refused = effect === "deny" || call.approval === "denied";
      const permitted =
        !refused &&
        (effect === "allow" ||
          (effect === "ask" && call.approval === "granted") ||
          (effect === undefined && call.outcome !== undefined));
      // Every reason given on the way (the first decision's, before an approval re-decided it).
      const reasons =
        call.decisions.length === 1
          ? (last?.reasons ?? [])
          : dedupeReasons(call.decisions.flatMap((d) => d.reasons));
      calls.push(
        defined({
          callId: call.callId,
          tool: call.tool,
          time: call.time,
          effect,
          asked,
          deviation: call.deviation,
          reasons: reasons.map(stripAccess),
          outputReasons: call.outputReasons.length > 0 ? call.outputReasons.map(stripAccess) : undefined,
          accesses: call.accesses.map((a) => ({ action: a.action, resource: a.resource, data: a.data })),
          approval: call.approval,
          outcome: call.outcome,
          durationMs: call.durationMs,
          error: call.error,
          permitted,
        }),
      );
      counts.calls++;
      if (permitted) counts.allowed++;
      else if (refused) counts.denied++;
      if (asked) counts.asked++;
      if (call.deviation) counts.deviations++;
      if (call.outcome === "ok" || call.outcome === "error" || call.outcome === "aborted")
        counts.outcomes[call.outcome]++;
      for (const a of call.accesses) {
        if (permitted) permittedAcc.add(a, call.tool);
        else if (refused) refusedAcc.add(a, call.tool);
      }
      if (refused) {
        const codes = [
          ...new Set([
            ...reasons.map((r) => r.code),
            ...(call.approval === "denied" ? ["approval.denied"] : []),
          ]),
        ];
        denials.push(
          defined({
            callId: call.callId,
            tool: call.tool,
            time: call.time,
            codes,
            reasons: reasons.map(stripAccess),
            deviation: call.deviation,
          }),
        );
      }
      const found: ReportDeviation[] = [];
      for (const d of call.decisions) {
        for (const r of d.reasons.filter(strays)) {
          const a = r.access !== undefined ? call.accesses[r.access] : undefined;
          found.push(
            defined({
              callId: call.callId,
              tool: call.tool,
              time: d.time ?? call.time,
              effect: d.effect,
              stage: "call" as const,
              code: r.code,
              message: r.message,
              dataClass: r.dataClass,
              access: a ? { action: a.action, resource: a.resource, data: a.data } : undefined,
            }),
          );
        }
      }
      for (const r of call.outputReasons.filter(strays)) {
        found.push(
          defined({
            callId: call.callId,
            tool: call.tool,
            time: call.time,
            effect,
            stage: "output" as const,
            code: r.code,
            message: r.message,
            dataClass: r.dataClass,
          }),
        );
      }
      if (call.deviation && found.length === 0) {
        found.push(
          defined({
            callId: call.callId,
            tool: call.tool,
            time: call.time,
            effect,
            stage: "call" as const,
            code: "deviation",
            message: "recorded as a deviation, without a reason",
          }),
        );
      }
      const seen = new Set<string>();
      for (const d of found) {
        const key = `${d.stage}\u0000${d.code}\u0000${d.dataClass ?? ""}\u0000${d.message}`;
        if (!seen.has(key)) deviations.push(d);
        seen.add(key);
      }
      if (call.approvalSeen) {
        approvals.push(
          defined({
            callId: call.callId,
            tool: call.tool,
            askedAt: call.askedAt,
            decidedAt: call.decidedAt,
            result: call.approval ?? "pending",
            why: call.approvalWhy,
            by: call.approvalBy,
            grants: call.approvalGrants,
            codes: call.approvalCodes.length > 0 ? call.approvalCodes : reasons.map((r) => r.code),
          }),
        );
      }
    }
    for (const e of c.events) {
      if (e.type === "approval.asked") counts.approvals.asked++;
      else if (e.type === "approval.granted") counts.approvals.granted++;
      else if (e.type === "approval.denied") counts.approvals.denied++;
      else if (e.type === "context.revoked") counts.revocations++;
      else if (e.type === "context.paused") counts.pauses++;
    }

    // Timeline: this context's events and the lifecycle events of its ancestors.
    const inheritedEvents = lifecycleEvents.filter((l) => l.on !== c.id).map((l) => l.e);
    const all = [...c.events, ...inheritedEvents].sort(compareEvents);
    counts.events = c.events.length;
    const timeline = all.slice(0, maxTimeline).map((e) => timelineEntry(e, c.id, contexts));

    const declaredData = [...new Set(c.scope.flatMap((s) => s.data))];
    const undeclared = [
      ...new Set(deviations.flatMap((d) => (d.dataClass !== undefined ? [d.dataClass] : []))),
    ];
    const parent = c.parentId !== undefined ? contexts.get(c.parentId) : undefined;
    sections.set(
      c.id,
      defined({
        contextId: c.id,
        intentId: c.intentId,
        intentDigest: c.intentDigest,
        path,
        depth: ancestors.length,
        agent: c.agent,
        purpose: c.purpose,
        mode: c.mode,
        declaredAt: c.declaredAt,
        declaredScope: c.scope,
        limits: c.limits,
        declared: c.declared,
        parent: parent ? refOf(parent) : c.parentId !== undefined ? { contextId: c.parentId } : undefined,
        delegatedBy: c.delegatedBy,
        children: (children.get(c.id) ?? []).sort((a, b) => a.order - b.order).map(refOf),
        status,
        accesses: { permitted: permittedAcc.list(), refused: refusedAcc.list() },
        dataClasses: {
          declared: declaredData,
          used: permittedAcc.dataClasses(),
          refused: refusedAcc.dataClasses(),
          undeclared,
        },
        calls,
        denials,
        deviations,
        approvals,
        lifecycle,
        timeline,
        timelineOmitted: Math.max(0, all.length - maxTimeline),
        counts,
      }),
    );
  }

  // The delegation tree over the selection.
  const nodeOf = (c: CtxState, seen: Set<string>): ReportTreeNode => {
    const s = sections.get(c.id) as IntentSection;
    seen.add(c.id);
    const kids = (children.get(c.id) ?? []).filter((k) => selectedIds.has(k.id) && !seen.has(k.id));
    return defined({
      contextId: c.id,
      intentId: c.intentId,
      purpose: c.purpose,
      agent: c.agent,
      status: s.status.state,
      deviations: s.counts.deviations,
      denied: s.denials.length,
      calls: s.counts.calls,
      children: kids.sort((a, b) => a.order - b.order).map((k) => nodeOf(k, seen)),
    });
  };
  const seen = new Set<string>();
  const tree: ReportTreeNode[] = [];
  for (const c of selected) {
    const parentSelected = c.parentId !== undefined && selectedIds.has(c.parentId) && c.parentId !== c.id;
    if (!parentSelected && !seen.has(c.id)) tree.push(nodeOf(c, seen));
  }
  // A cycle in a forged log leaves contexts unreached: show them as roots rather than drop them.
  for (const c of selected) if (!seen.has(c.id)) tree.push(nodeOf(c, seen));

  // Agents, over the selected contexts (or every agent seen, without a filter).
  const agentIds =
    options.intent === undefined
      ? agentOrder
      : [...new Set(selected.flatMap((c) => (c.agent.id !== undefined ? [c.agent.id] : [])))];
  const byAgent = new Map<string, CtxState[]>();
  for (const c of selected) {
    if (c.agent.id === undefined) continue;
    const list = byAgent.get(c.agent.id) ?? [];
    list.push(c);
    byAgent.set(c.agent.id, list);
  }
  const agents: AgentSection[] = [];
  for (const id of agentIds) {
    const own = byAgent.get(id) ?? [];
    const info = identities.get(id) ?? {};
    const first = own[0]?.agent ?? firstRef.get(id) ?? {};
    const counts = emptyCounts();
    const used = new Set<string>();
    const refused = new Set<string>();
    const codes: Record<string, number> = Object.create(null);
    for (const c of own) {
      const s = sections.get(c.id) as IntentSection;
      addCounts(counts, s.counts);
      for (const d of s.dataClasses.used) used.add(d);
      for (const d of s.dataClasses.refused) refused.add(d);
      for (const d of s.deviations) codes[d.code] = (codes[d.code] ?? 0) + 1;
    }
    agents.push(
      defined({
        id,
        name: info.name ?? first.name,
        version: info.version ?? first.version,
        sponsor: info.sponsor ?? first.sponsor,
        tenant: info.tenant ?? first.tenant,
        model: info.model,
        roles: info.roles,
        fingerprint: info.fingerprint,
        contexts: own.map(refOf),
        dataClasses: { used: [...used].sort(), refused: [...refused].sort() },
        deviationCodes: codes,
        counts,
      }),
    );
  }

  // Totals and event types over what the report covers.
  const covered =
    options.intent === undefined ? events : events.filter((e) => e.contextId && selectedIds.has(e.contextId));
  const totals = emptyCounts();
  for (const s of sections.values()) addCounts(totals, s.counts);
  totals.events = covered.length;
  const eventTypes: Record<string, number> = Object.create(null);
  for (const e of covered) eventTypes[e.type] = (eventTypes[e.type] ?? 0) + 1;
  const times = covered.flatMap((e) => (e.time !== undefined ? [e.time] : []));

  return defined({
    version: 1 as const,
    generatedAt: new Date(options.now ?? Date.now()).toISOString(),
    source: options.source,
    verification: options.verification,
    filter,
    period: defined({ from: times[0], to: times[times.length - 1] }),
    streams: [...new Set(events.flatMap((e) => (e.stream !== undefined ? [e.stream] : [])))],
    input: { events: raw.length, skipped },
    totals: { ...totals, intents: sections.size, agents: agents.length },
    eventTypes,
    tree,
    intents: [...sections.values()],
    agents,
  });
}

function dedupeReasons(reasons: readonly Reason[]): readonly Reason[] {
  if (reasons.length < 2) return reasons;
  const seen = new Set<string>();
  const out: Reason[] = [];
  for (const r of reasons) {
    const key = `${r.code}\u0000${r.dataClass ?? ""}\u0000${r.message}\u0000${r.access ?? ""}`;
    if (!seen.has(key)) out.push(r);
    seen.add(key);
  }
  return out;
}

function stripAccess(r: Reason): ReportReason {
  return defined({
    code: r.code,
    message: r.message,
    dataClass: r.dataClass,
    contextId: r.contextId,
    policy: r.policy,
  });
}

function statusOf(lifecycle: readonly ReportLifecycle[]): ReportStatus {
  // Revocation is final; a pause holds until its own context is resumed.
  const revoked = lifecycle.find((l) => l.type === "context.revoked");
  if (revoked)
    return defined({ state: "revoked", by: revoked.contextId, reason: revoked.reason, time: revoked.time });
  const paused = new Map<string, ReportLifecycle>();
  for (const l of lifecycle) {
    if (l.type === "context.paused") paused.set(l.contextId, l);
    else if (l.type === "context.resumed") paused.delete(l.contextId);
  }
  const p = [...paused.values()][0];
  if (p) return defined({ state: "paused", by: p.contextId, reason: p.reason, time: p.time });
  return { state: "active" };
}

class AccessTally {
  private readonly map = new Map<string, { a: AccessLike; count: number; tools: Set<string> }>();

  add(a: AccessLike, tool: string): void {
    const key = `${a.action}\u0000${a.resource}\u0000${a.data.join("\u0001")}\u0000${a.uninspectable?.field ?? ""}`;
    const have = this.map.get(key);
    if (have) {
      have.count++;
      have.tools.add(tool);
    } else this.map.set(key, { a, count: 1, tools: new Set([tool]) });
  }

  list(): ReportAccess[] {
    return [...this.map.values()].map(({ a, count, tools }) =>
      defined({
        action: a.action,
        resource: a.resource,
        data: a.data,
        count,
        tools: [...tools],
        uninspectable: a.uninspectable,
      }),
    );
  }

  dataClasses(): string[] {
    return [...new Set([...this.map.values()].flatMap(({ a }) => a.data))];
  }
}

function quote(s: string | undefined): string {
  return s === undefined ? "(purpose not in the trail)" : `"${s}"`;
}

function accessText(a: AccessLike): string {
  if (a.uninspectable)
    return `${a.action} (uninspectable ${a.uninspectable.field}: ${a.uninspectable.reason})`;
  return `${a.action} ${a.resource}${a.data.length > 0 ? ` [${a.data.join(", ")}]` : ""}`;
}

function timelineEntry(e: Ev, self: string, contexts: Map<string, CtxState>): ReportTimelineEntry {
  const codes = [...new Set(e.reasons.map((r) => r.code))];
  const inherited = e.contextId !== self;
  let summary: string;
  switch (e.type) {
    case "intent.declared": {
      const intent = isObj(e.detail.intent) ? e.detail.intent : {};
      summary = `intent declared: ${quote(str(intent.purpose))}${str(intent.mode) ? ` (${str(intent.mode)} mode)` : ""}`;
      break;
    }
    case "context.delegated": {
      const intent = isObj(e.detail.intent) ? e.detail.intent : {};
      const parent = str(e.detail.parent);
      const by = parent ? contexts.get(parent)?.agent.name : undefined;
      summary = `delegated${parent ? ` from ${parent}${by ? ` (${by})` : ""}` : ""}: ${quote(str(intent.purpose))}`;
      break;
    }
    case "tool.decision": {
      const effect = (e.effect ?? "?").toUpperCase();
      const touched = e.accesses.map(accessText).join("; ");
      const devClasses = e.reasons.filter((r) => strays(r) && r.dataClass).map((r) => r.dataClass);
      const why =
        codes.length > 0
          ? ` — ${codes.join(", ")}${devClasses.length > 0 ? ` (${devClasses.join(", ")})` : ""}`
          : "";
      const dev = e.deviation || e.reasons.some(strays) ? " DEVIATION" : "";
      summary = `${e.tool ?? "?"}: ${effect}${dev} ${touched}${why}`.replace(/ {2,}/g, " ");
      break;
    }
    case "tool.outcome": {
      const found = e.reasons.filter(strays);
      const carried = found.flatMap((r) => (r.dataClass !== undefined ? [r.dataClass] : []));
      const dev =
        e.deviation || found.length > 0
          ? ` — DEVIATION ${codes.join(", ")}${carried.length > 0 ? ` (output carried ${carried.join(", ")})` : ""}`
          : "";
      summary = `${e.tool ?? "?"}: ran, ${e.outcome ?? "?"}${e.durationMs !== undefined ? ` in ${e.durationMs} ms` : ""}${e.error !== undefined ? `: ${e.error}` : ""}${dev}`;
      break;
    }
    case "approval.asked":
      summary = `approval asked for ${str(e.detail.tool) ?? "?"}`;
      break;
    case "approval.granted":
    case "approval.denied": {
      const verb = e.type === "approval.granted" ? "granted" : "denied";
      const why = str(e.detail.why) ?? str(e.detail.reason);
      const by = str(e.detail.by);
      summary = `approval ${verb} for ${str(e.detail.tool) ?? "?"}${by ? ` by ${by}` : ""}${why ? ` (${why})` : ""}`;
      break;
    }
    case "context.revoked":
    case "context.paused":
    case "context.resumed": {
      const verb = e.type.slice("context.".length);
      const reason = str(e.detail.reason);
      summary = `${inherited ? `ancestor ${e.contextId} ` : ""}${verb}${reason ? `: ${reason}` : ""}`;
      break;
    }
    default:
      summary = e.type;
  }
  const dev =
    (e.type === "tool.decision" || e.type === "tool.outcome") && (e.deviation || e.reasons.some(strays));
  return defined({
    time: e.time,
    stream: e.stream,
    seq: e.seq,
    type: e.type,
    contextId: inherited ? e.contextId : undefined,
    tool: e.tool ?? str(e.detail.tool),
    callId: e.callId ?? str(e.detail.callId),
    effect: e.effect,
    deviation: dev,
    codes,
    summary,
  });
}
