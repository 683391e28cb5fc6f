import type { Access } from "./access.js";
import type { AgentContext } from "./context.js";
import { type Decision, type Effect, isDeviation, type Reason } from "./decision.js";
import { findGrant, type Grant } from "./grant.js";
import { limitShortfall } from "./limits.js";
import type { Policy, PolicyVerdict } from "./policy.js";
import type { RevocationStore } from "./revocation/revocation-store.js";
import type { ScopeMiss } from "./scope/compiled-scope.js";
import { type AnyTool, inspectCall } from "./tool.js";

/** What the pipeline reads besides the context. */
export interface EvaluationEnv {
  readonly store: RevocationStore;
  readonly tools: ReadonlyMap<string, AnyTool>;
  readonly policies: readonly Policy[];
}

/** A decision before it is committed (audited, and counted against limits). */
export interface Evaluation {
  readonly decision: Decision;
  /** Grants the call relies on; an allow consumes one use of each. */
  readonly grants: readonly Grant[];
  /** The resolved tool, when there is one. */
  readonly tool: AnyTool | undefined;
  /** True when the only thing in the way is a paused context on the path (the guard may wait). */
  readonly paused: boolean;
}

const NONE: readonly Access[] = [];
const NO_REASONS: readonly Reason[] = [];
const NO_GRANTS: readonly Grant[] = [];

/**
 * Why a context cannot act right now, if it cannot: a stale revocation view, a revoked context on
 * its path (nearest first; revocation wins over pause), a paused one, or expiry. O(depth).
 */
export function contextState(store: RevocationStore, ctx: AgentContext, now: number): Reason | undefined {
  if (!store.fresh)
    return { code: "store.unavailable", message: "revocation state is stale; failing closed" };
  const path = ctx.path;
  let pausedBy: string | undefined;
  for (let i = path.length - 1; i >= 0; i--) {
    const id = path[i] as string;
    const status = store.status(id);
    if (status === undefined) continue;
    if (status.state === "revoked") {
      const by = id === ctx.id ? "" : ` (ancestor ${id})`;
      return { code: "context.revoked", message: `context revoked${by}: ${status.reason}`, contextId: id };
    }
    pausedBy ??= id;
  }
  if (pausedBy !== undefined) {
    const by = pausedBy === ctx.id ? "" : ` (ancestor ${pausedBy})`;
    return { code: "context.paused", message: `context paused${by}`, contextId: pausedBy };
  }
  if (now >= ctx.expiresAt) return { code: "context.expired", message: "context expired", contextId: ctx.id };
  return undefined;
}

function verdictOf(v: PolicyVerdict): { effect: string; reason: string | undefined } {
  return typeof v === "string" ? { effect: v, reason: undefined } : { effect: v.effect, reason: v.reason };
}

function describeMiss(
  miss: ScopeMiss,
  access: Access,
  purpose: string,
): { code: Reason["code"]; message: string } {
  const intent = `the declared intent ("${purpose}")`;
  switch (miss.shortfall) {
    case "action":
      return { code: "intent.action_undeclared", message: `action "${access.action}" is not in ${intent}` };
    case "resource":
      return {
        code: "intent.resource_undeclared",
        message: `resource "${access.resource}" is not in ${intent} for ${access.action}`,
      };
    case "data":
      return {
        code: "intent.data_undeclared",
        message: `data class "${miss.dataClass}" is not in ${intent} (${access.action} on ${access.resource})`,
      };
    case "constraint":
      return {
        code: "intent.constraint_violated",
        message: `argument "${miss.argument}" breaks a constraint of ${intent}`,
      };
  }
}

/** Appends to a list that is only allocated once it has something in it. */
function append<T>(list: T[] | undefined, item: T): T[] {
  if (list === undefined) return [item];
  list.push(item);
  return list;
}

/** A denial before inspection: the context or the tool is not there to act. */
function refuse(reason: Reason, contextId: string, tool: string, callId: string): Evaluation {
  return {
    decision: {
      effect: "deny",
      deviation: false,
      reasons: [reason],
      accesses: NONE,
      contextId,
      tool,
      callId,
    },
    tool: undefined,
    grants: NO_GRANTS,
    paused: reason.code === "context.paused",
  };
}

/**
 * The decision pipeline, without side effects: context state (revoked, paused, expired) along the
 * whole path → inspection → ceiling and intent → limits → policies. Committing the result (audit,
 * limit counters, events) is the caller's job, so that a paused call can wait and re-evaluate.
 */
export function evaluate(
  env: EvaluationEnv,
  ctx: AgentContext | undefined,
  contextId: string,
  toolRef: string | AnyTool,
  args: unknown,
  callId: string,
  now: number,
): Evaluation {
  const toolName = typeof toolRef === "string" ? toolRef : toolRef.name;
  if (ctx === undefined) {
    return refuse(
      { code: "context.unknown", message: `no live context "${contextId}"` },
      contextId,
      toolName,
      callId,
    );
  }
  const state = contextState(env.store, ctx, now);
  if (state !== undefined) return refuse(state, contextId, toolName, callId);

  // A definition passed with the call may not stand in for a different registered tool of that name.
  const registered = env.tools.get(toolName);
  const tool =
    typeof toolRef === "string" || registered === toolRef ? registered : registered ? undefined : toolRef;
  if (tool === undefined) {
    const message = registered
      ? `a different tool named "${toolName}" is registered`
      : `tool "${toolName}" is not registered`;
    return refuse({ code: "tool.unknown", message }, contextId, toolName, callId);
  }

  // Hot path: no closures, and the reasons array only exists once there is a reason.
  const accesses = inspectCall(tool, args);
  let reasons: Reason[] | undefined;
  let granted: Grant[] | undefined;
  for (let i = 0; i < accesses.length; i++) {
    const a = accesses[i] as Access;
    if (a.uninspectable) {
      const field = a.uninspectable.field ? ` "${a.uninspectable.field}"` : "";
      reasons = append(reasons, {
        code: "access.uninspectable",
        message: `argument${field} not understood: ${a.uninspectable.reason}`,
        access: i,
      });
      continue;
    }
    // Every ceiling on the path binds: in monitor mode the intent does not, and a child with
    // broader roles must still not reach beyond what its ancestors' roles allow.
    for (const holder of ctx.ceilings) {
      const over = holder.ceiling.misses(a, args)?.[0];
      if (over === undefined) continue;
      const r: {
        code: "ceiling.exceeded";
        message: string;
        access: number;
        dataClass?: string;
        contextId: string;
      } = {
        code: "ceiling.exceeded",
        message: `${a.action} on ${a.resource} exceeds the roles of ${holder.identity.name} (${holder.identity.roles.join(", ")})`,
        access: i,
        contextId: holder.id,
      };
      if (over.dataClass !== undefined) r.dataClass = over.dataClass;
      reasons = append(reasons, r);
      break;
    }
    let misses = ctx.scope.misses(a, args);
    if (misses && ctx.grants.length > 0) {
      // An approved exception covers exactly this access: it stands in for the intent.
      const g = findGrant(ctx.grants, a, now);
      if (g !== undefined) {
        if (!granted?.includes(g)) granted = append(granted, g);
        misses = undefined;
      }
    }
    if (misses) {
      for (const miss of misses) {
        const { code, message } = describeMiss(miss, a, ctx.intent.purpose);
        reasons = append(
          reasons,
          miss.dataClass === undefined
            ? { code, message, access: i }
            : { code, message, access: i, dataClass: miss.dataClass },
        );
      }
    }
  }

  if (reasons === undefined) {
    const limit = limitShortfall(ctx.metered, tool.name, tool.cost, now);
    if (limit) reasons = append(reasons, limit);
  }

  let ask = false;
  if (reasons === undefined && env.policies.length > 0) {
    const input = {
      identity: ctx.identity,
      intent: ctx.intent,
      path: ctx.path,
      tool: tool.name,
      args,
      accesses,
      history: ctx.history.calls.slice(),
      tainted: ctx.tainted,
      provenance: (value: string) => ctx.provenance(value),
    };
    for (const policy of env.policies) {
      let v: { effect: string; reason: string | undefined };
      try {
        v = verdictOf(policy.evaluate(input));
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        reasons = append(reasons, {
          code: "policy.error",
          message: `policy "${policy.name}" failed: ${why}`,
          policy: policy.name,
        });
        continue;
      }
      if (v.effect === "deny") {
        reasons = append(reasons, {
          code: "policy.denied",
          message: v.reason ?? `denied by policy "${policy.name}"`,
          policy: policy.name,
        });
      } else if (v.effect === "ask") {
        // Asked and already approved: live grants cover every access of this call.
        if (ctx.grants.length > 0 && accesses.every((a) => findGrant(ctx.grants, a, now) !== undefined)) {
          for (const a of accesses) {
            const g = findGrant(ctx.grants, a, now) as Grant;
            if (!granted?.includes(g)) granted = append(granted, g);
          }
          continue;
        }
        ask = true;
        reasons = append(reasons, {
          code: "policy.ask",
          message: v.reason ?? `policy "${policy.name}" asks for approval`,
          policy: policy.name,
        });
      }
    }
  }

  let effect: Effect = "allow";
  let deviation = false;
  if (reasons !== undefined) {
    deviation = true;
    const blocking = reasons.some((r) => r.code !== "policy.ask");
    // An intent declared with outOfScope: "ask" turns a call that only strays from the intent
    // (within every ceiling, fully inspected, within limits) into a request for approval.
    const escalate =
      ctx.intent.outOfScope === "ask" &&
      reasons.every((r) => r.code.startsWith("intent.") || r.code === "policy.ask");
    if (ctx.intent.mode === "monitor" && reasons.every((r) => isDeviation(r.code))) effect = "allow";
    else effect = blocking && !escalate ? "deny" : ask || escalate ? "ask" : "allow";
    // An approval request alone is not a deviation: the policy asked for a human, nothing strayed.
    if (!blocking) deviation = false;
  }
  return {
    decision: {
      effect,
      deviation,
      reasons: reasons ?? NO_REASONS,
      accesses,
      contextId,
      tool: tool.name,
      callId,
    },
    tool,
    grants: granted ?? NO_GRANTS,
    paused: false,
  };
}
