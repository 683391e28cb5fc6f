import type { ReasoningLink } from "./audit/audit-event.js";
import type { Decision } from "./decision.js";
import { digestValue } from "./digest.js";
import type { Grant } from "./grant.js";
import { ContextHistory, type Provenance } from "./history.js";
import { type Metered, Usage } from "./limits.js";
import type { AgentIdentity, IdentityInput } from "./schema/identity.js";
import type { IntentDeclaration, IntentInput, Limits } from "./schema/intent.js";
import type { CompiledScope } from "./scope/compiled-scope.js";
import type { AnyTool, ToolDefinition } from "./tool.js";

/** One tool call, as a framework or the guard hands it to `check`. */
export interface ToolCall {
  /** The tool's registered name, or its definition. */
  readonly tool: string | AnyTool;
  readonly args: unknown;
  /** The framework's tool-call id (`gen_ai.tool.call.id`); generated when absent. */
  readonly callId?: string;
  /** The reasoning step behind the call, for the audit trail. */
  readonly reasoning?: ReasoningLink;
}

/** Per-call extras a guarded tool accepts besides its arguments. */
export interface CallOptions {
  readonly callId?: string;
  readonly reasoning?: ReasoningLink;
  /** The caller's own signal: aborting it aborts the call. */
  readonly signal?: AbortSignal;
}

/** What a guarded function receives besides its arguments. */
export interface ToolRun {
  /** Aborted when the context (or an ancestor) is revoked, or the caller's signal aborts. */
  readonly signal: AbortSignal;
  readonly context: AgentContext;
  readonly decision: Decision;
}

/** A guarded tool: same arguments and result as the function it wraps, checked on every call. */
export type GuardedTool<A, R> = (args: A, options?: CallOptions) => Promise<R>;

/** @internal What a context needs from the Mandate that created it. */
export interface ContextHost {
  check(context: AgentContext, call: ToolCall): Decision;
  guard<A, R>(
    context: AgentContext,
    tool: string | ToolDefinition<A>,
    fn: (args: A, run: ToolRun) => R | Promise<R>,
  ): GuardedTool<A, Awaited<R>>;
  delegate(
    parent: AgentContext,
    identity: AgentIdentity | IdentityInput,
    intent: IntentInput,
  ): Promise<AgentContext>;
  token(context: AgentContext): Promise<string>;
  revoke(contextId: string, reason?: string): Promise<void>;
  pause(contextId: string, reason?: string): Promise<void>;
  resume(contextId: string): Promise<void>;
}

/**
 * A runtime context: one agent instance acting under one declared intent, as a node in the
 * delegation tree. Created by `mandate.declare` (a root) or `context.delegate` (a child).
 *
 * Revoking or pausing a context affects its whole subtree at once: every check reads the state of
 * each context on its path from the root, so nothing has to be walked or cascaded.
 */
export class AgentContext implements Metered {
  readonly id: string;
  readonly identity: AgentIdentity;
  readonly intent: IntentDeclaration;
  /** `sha256:` of the intent's canonical JSON, as audit events and context tokens carry it. */
  readonly intentDigest: string;
  readonly parent: AgentContext | undefined;
  /** Context ids from the root to this context. */
  readonly path: readonly string[];
  /** When this context stops working: the earliest of its ttl, its ancestors' and its identity's. */
  readonly expiresAt: number;
  readonly limits: Limits;
  readonly usage: Usage;
  /** @internal this context and its ancestors that have limits, nearest first */
  readonly metered: readonly Metered[];
  /** @internal */
  readonly ceiling: CompiledScope;
  /**
   * @internal this context and each ancestor whose roles differ from the one below it, nearest
   * first: every ceiling on the path binds a call
   */
  readonly ceilings: readonly AgentContext[];
  /** @internal */
  readonly scope: CompiledScope;
  /** Exceptions approved at run time, narrowest first (see {@link Grant}). */
  readonly grants: Grant[] = [];
  /** Recent calls, taint labels and the values seen in tool outputs, for history-aware policies. */
  readonly history = new ContextHistory();
  /** @internal lower-cased text the intent states (purpose, prompt, constraint values): values from here are the user's */
  readonly intentText: string;
  readonly #host: ContextHost;

  /** @internal use `mandate.declare` or `context.delegate` */
  constructor(
    host: ContextHost,
    fields: {
      id: string;
      identity: AgentIdentity;
      intent: IntentDeclaration;
      parent: AgentContext | undefined;
      ceiling: CompiledScope;
      scope: CompiledScope;
      now: number;
      /** For a context rebuilt from a token: the token's expiry. */
      expiresAt?: number;
      /** The prompt behind the intent, kept in memory only (for provenance checks). */
      prompt?: string;
    },
  ) {
    this.#host = host;
    this.id = fields.id;
    this.identity = fields.identity;
    this.intent = fields.intent;
    this.intentDigest = digestValue(fields.intent);
    const constraintValues = fields.intent.scope.flatMap((e) =>
      Object.values(e.where ?? {}).flatMap((c) => [
        ...(c.equals === undefined ? [] : [c.equals]),
        ...(c.oneOf ?? []),
      ]),
    );
    this.intentText = [fields.intent.purpose, fields.prompt ?? "", ...constraintValues.map(String)]
      .join("\n")
      .toLowerCase();
    this.parent = fields.parent;
    this.path = fields.parent ? [...fields.parent.path, fields.id] : [fields.id];
    this.limits = fields.intent.limits;
    this.usage = new Usage(this.limits, fields.now);
    const own =
      fields.expiresAt ??
      (this.limits.ttlMs !== undefined ? fields.now + this.limits.ttlMs : Number.POSITIVE_INFINITY);
    this.expiresAt = Math.min(
      own,
      fields.parent?.expiresAt ?? Number.POSITIVE_INFINITY,
      fields.identity.expiresAt ?? Number.POSITIVE_INFINITY,
    );
    const metered = Object.keys(this.limits).some((k) => k !== "ttlMs" && k !== "costs")
      ? [this as Metered]
      : [];
    this.metered = fields.parent ? [...metered, ...fields.parent.metered] : metered;
    this.ceiling = fields.ceiling;
    const parent = fields.parent;
    const sameRoles =
      parent !== undefined && parent.identity.roles.join("\u0000") === fields.identity.roles.join("\u0000");
    this.ceilings = parent === undefined ? [this] : sameRoles ? parent.ceilings : [this, ...parent.ceilings];
    this.scope = fields.scope;
  }

  /** Whether this context or an ancestor has read untrusted content. */
  get tainted(): boolean {
    for (let c: AgentContext | undefined = this; c !== undefined; c = c.parent)
      if (c.history.taints.size > 0) return true;
    return false;
  }

  /** Where a value came from, for this context: its intent, or what it and its ancestors saw. */
  provenance(value: string): Provenance {
    const v = value.trim().toLowerCase();
    if (v === "") return "unknown";
    let untrusted = false;
    for (let c: AgentContext | undefined = this; c !== undefined; c = c.parent) {
      if (mentions(c.intentText, v)) return "intent";
      const seen = c.history.seen(v);
      if (seen === "trusted") return "trusted";
      if (seen === "untrusted") untrusted = true;
    }
    return untrusted ? "untrusted" : "unknown";
  }

  /** How deep in the delegation tree: 0 for a root. */
  get depth(): number {
    return this.path.length - 1;
  }

  /** Checks a call without running anything. An allow consumes one call from the limits. */
  check(call: ToolCall): Decision {
    return this.#host.check(this, call);
  }

  /**
   * Wraps a function as a guarded tool of this context: every call is checked, audited, run with
   * an `AbortSignal` tied to the context, and its outcome audited. A denied call rejects with a
   * `DeniedError` and never reaches the function.
   */
  guard<A, R>(
    tool: string | ToolDefinition<A>,
    fn: (args: A, run: ToolRun) => R | Promise<R>,
  ): GuardedTool<A, Awaited<R>> {
    return this.#host.guard(this, tool, fn);
  }

  /**
   * Creates a child context for another agent instance (or a sub-task of this one) with a narrower
   * intent. Fails with `ERR_BEYOND_PARENT` naming the entry or limit that would exceed this one.
   */
  delegate(identity: AgentIdentity | IdentityInput, intent: IntentInput): Promise<AgentContext> {
    return this.#host.delegate(this, identity, intent);
  }

  /**
   * A signed context token for handing this context to another process or service, which rebuilds
   * it with `mandate.verifyContextToken`. Needs a signing key (`keys.signing`).
   */
  token(): Promise<string> {
    return this.#host.token(this);
  }

  /** Revokes this context and its whole subtree, for good. In-flight calls are aborted. */
  revoke(reason?: string): Promise<void> {
    return this.#host.revoke(this.id, reason);
  }

  /** Pauses this context and its subtree until {@link resume}. */
  pause(reason?: string): Promise<void> {
    return this.#host.pause(this.id, reason);
  }

  /** Resumes a paused context; calls waiting on the pause proceed. */
  resume(): Promise<void> {
    return this.#host.resume(this.id);
  }
}

const WORD = /[\p{L}\p{N}]/u;

/** Whether `text` states `value` as a whole token: `1250` does not state `125`, nor `DE89…00` its prefix. */
function mentions(text: string, value: string): boolean {
  for (let i = text.indexOf(value); i !== -1; i = text.indexOf(value, i + 1)) {
    const before = i > 0 ? (text[i - 1] as string) : "";
    const after = text[i + value.length] ?? "";
    const startsWord = WORD.test(value[0] as string);
    const endsWord = WORD.test(value[value.length - 1] as string);
    if ((!startsWord || !WORD.test(before)) && (!endsWord || !WORD.test(after))) return true;
  }
  return false;
}
