import { EventEmitter } from "eventemitter3";
import { z } from "zod";
import { linkSignals, raceAbort } from "./abort-signals.js";
import type { ApprovalVerdict, Approver, PendingApproval } from "./approval.js";
import { ApprovalDesk, type PendingResolution, withReason } from "./approval-desk.js";
import type { AuditSink } from "./audit/audit-event.js";
import { AuditQueue, type AuditQueueOptions } from "./audit/audit-queue.js";
import { decisionEvent, lifecycleEvent, outcomeEvent } from "./audit/event-builders.js";
import { memoryAuditSink } from "./audit/memory-audit-sink.js";
import { CallsInFlight } from "./calls-in-flight.js";
import {
  AgentContext,
  type CallOptions,
  type ContextHost,
  type GuardedTool,
  type ToolCall,
  type ToolRun,
} from "./context.js";
import type { Decision, Reason } from "./decision.js";
import { limitExcess } from "./delegation-limits.js";
import { digestText, digestValue } from "./digest.js";
import { toMillis } from "./duration.js";
import { DeniedError, invalid, MandateError } from "./errors.js";
import { contextState, type Evaluation, type EvaluationEnv, evaluate } from "./evaluate.js";
import { newId } from "./ids.js";
import { inspectOutput } from "./inspect-output.js";
import { consume } from "./limits.js";
import { PauseWaiters } from "./pause-waiters.js";
import type { Policy } from "./policy.js";
import { clampToCeiling, type IntentResolver, parseProposal } from "./resolve/intent-resolver.js";
import { memoryRevocationStore } from "./revocation/memory-revocation-store.js";
import type { RevocationStore } from "./revocation/revocation-store.js";
import { parseOrThrow } from "./schema/field-issues.js";
import { AgentIdentity, IdentityInput } from "./schema/identity.js";
import { type IntentDeclaration, IntentInput, type Limits } from "./schema/intent.js";
import { Scope } from "./schema/scope.js";
import { CompiledScope } from "./scope/compiled-scope.js";
import { scopeExcess } from "./scope/scope-includes.js";
import { signCheckpoint } from "./token/checkpoint-token.js";
import type { ChainLink } from "./token/context-token.js";
import type { SessionRevoked } from "./token/security-event.js";
import type { JsonWebKeySet } from "./token/signing-key.js";
import { type TokenOptions, TokenService } from "./token/token-service.js";
import type { AnyTool, ToolDefinition } from "./tool.js";

/** Audit settings: a sink, and how the queue in front of it behaves. */
export interface AuditOptions extends AuditQueueOptions {
  readonly sink: AuditSink;
  /**
   * Durable mode: a guarded call waits until its decision event is written before the tool runs
   * (default false: the event is written in the background).
   */
  readonly durable?: boolean;
  /** In durable mode, how long to wait for the sink before denying (default 5 s). */
  readonly durableTimeoutMs?: number;
}

/** Options of {@link createMandate}. */
export interface MandateOptions {
  /** Roles and the scope each grants: an identity's ceiling is the union of its roles. */
  readonly roles: Readonly<Record<string, Scope>>;
  /** The tools agents may call. */
  readonly tools?: readonly AnyTool[];
  /** Code policies run on every call after scope and limits. */
  readonly policies?: readonly Policy[];
  /** Where revocations and pauses live (default: in memory, this process only). */
  readonly revocations?: RevocationStore;
  /**
   * Strict revocation (default false). Normally a call is decided on this process's view of the
   * store, which a shared store keeps fresh within its staleness bound. In strict mode every
   * guarded call first waits for the store's read barrier (`sync()`), so it sees every revocation
   * and pause committed anywhere before it — at the cost of a round trip to the store per call; a
   * call whose barrier fails is denied (`store.unavailable`). `check()` is synchronous: await
   * `mandate.sync()` before it for the same guarantee. Needs a store with `sync()`.
   */
  readonly strictRevocations?: boolean;
  /** Where audit events go (default: in memory). */
  readonly audit?: AuditSink | AuditOptions;
  /**
   * Asked when a call needs approval (a policy says `ask`, or an intent declared with
   * `outOfScope: "ask"` strays). Without one, guarded calls that need approval are denied
   * (`approval.required`); frameworks can still resolve pending approvals themselves.
   */
  readonly approver?: Approver;
  /** How long an approver may take, and a pending approval stays open (default 5 minutes). */
  readonly approvalTimeoutMs?: number;
  /** How long a call to a paused context waits for resume before it is denied (default 0: deny at once). */
  readonly pauseWaitMs?: number;
  /** Data classes the application knows (from its catalog), offered to intent resolvers. */
  readonly dataClasses?: readonly string[];
  /** Deepest delegation allowed; a root is depth 0 (default 16). */
  readonly maxDepth?: number;
  /** Signing and trusted keys for identity and context tokens and security events. */
  readonly tokens?: TokenOptions;
  /** Clock, epoch milliseconds (for tests). */
  readonly now?: () => number;
}

/** What {@link Mandate.declareResolved} takes: an intent without its scope, which the resolver proposes. */
export interface ResolvedIntentInput extends Omit<IntentInput, "allow" | "promptDigest"> {
  /** A template name, for template resolvers (default: the purpose). */
  readonly template?: string;
  readonly params?: Readonly<Record<string, string>>;
}

/** Live events, for dashboards and hooks. Listeners run synchronously: keep them cheap. */
export interface MandateEvents {
  decision: (decision: Decision, context: AgentContext | undefined) => void;
  deviation: (decision: Decision, context: AgentContext) => void;
  revoked: (contextId: string, reason: string) => void;
  paused: (contextId: string, reason: string) => void;
  resumed: (contextId: string) => void;
  "audit.error": (error: unknown) => void;
  "audit.overflow": (decision: Decision) => void;
}

/** The entry point: issues identities, declares intents, and checks and guards tool calls. */
export interface Mandate {
  readonly events: EventEmitter<MandateEvents>;
  /** Issues an identity for one new agent instance. */
  identity(input: IdentityInput): AgentIdentity;
  /** Declares what an agent instance will do, creating a root runtime context. */
  declare(identity: AgentIdentity | IdentityInput, intent: IntentInput): Promise<AgentContext>;
  /**
   * Declares an intent whose scope a resolver infers from the purpose (a template, a model…). The
   * proposal is validated, clamped to the identity's ceiling, and both what was proposed and what
   * was granted (and dropped) are recorded with the `intent.declared` event.
   */
  declareResolved(
    identity: AgentIdentity | IdentityInput,
    input: ResolvedIntentInput,
    resolver: IntentResolver,
  ): Promise<AgentContext>;
  /** A live context of this process by id. */
  context(id: string): AgentContext | undefined;
  /** Checks one call without running it (for framework hooks). Unknown context ids are denied. */
  check(context: AgentContext | string, call: ToolCall): Decision;
  /** Revokes a context and its whole subtree, for good. */
  revoke(contextId: string, reason?: string): Promise<void>;
  /** Pauses a context and its subtree. */
  pause(contextId: string, reason?: string): Promise<void>;
  /** Resumes a paused context. */
  resume(contextId: string): Promise<void>;
  /** This Mandate's own public signing key as a JWKS, for verifiers to trust (empty without one). */
  jwks(): JsonWebKeySet;
  /** Issues a signed identity token for an agent instance. */
  issueIdentityToken(identity: AgentIdentity): Promise<string>;
  /** Verifies an identity token and returns the identity. */
  verifyIdentityToken(jwt: string): Promise<AgentIdentity>;
  /**
   * Verifies a context token offline (every link's signature, times, attenuation and revocation
   * state) and rebuilds its context here, ready to check and guard calls. Verified tokens are
   * cached: one signature check per token, re-checked against revocation and expiry on each use.
   */
  verifyContextToken(jwt: string): Promise<AgentContext>;
  /**
   * Opens an approval request for an `ask` decision (from `check`), for a framework to surface as
   * its own interruption. The request is plain JSON: keep it in the run state, resolve it later.
   */
  requestApproval(decision: Decision): PendingApproval;
  /**
   * Resolves an approval request. An approval becomes one grant per access of the call — exactly
   * that access, for the verdict's ttl and number of uses — so checking the same call again is
   * allowed; a refusal is recorded. Both are audited.
   */
  resolveApproval(pending: PendingApproval | string, verdict: ApprovalVerdict): PendingResolution;
  /** Issues an OpenID CAEP `session-revoked` Security Event Token for a revoked context. */
  issueSessionRevoked(contextId: string, options?: { reason?: string; audience?: string }): Promise<string>;
  /** Verifies a CAEP `session-revoked` Security Event Token and revokes the context it names. */
  acceptSecurityEvent(jwt: string): Promise<SessionRevoked>;
  /**
   * Reports a tool's output when the framework runs the tool itself (after `check`): notes its
   * values for provenance, taints the context if the tool is marked untrusted, and runs the tool's
   * output inspector. Returns the `output.undeclared` findings (also emitted as a deviation).
   * Guarded tools do this on their own.
   */
  observe(
    context: AgentContext,
    report: { tool: string | AnyTool; output: unknown; args?: unknown; callId?: string },
  ): readonly Reason[];
  /** Resolves once every audit event so far is written. */
  flush(): Promise<void>;
  /**
   * Waits for the revocation store's read barrier: once it resolves, `check()` sees every
   * revocation and pause committed before the call, by any process. Rejects when the store cannot
   * confirm its view (treat as a denial), or has no barrier (`ERR_INVALID_CONFIG`).
   */
  sync(): Promise<void>;
  /** Flushes audit and closes the sink and store. */
  close(): Promise<void>;
}

const Options = z.object({
  roles: z.record(z.string().min(1), Scope),
  strictRevocations: z.boolean().optional(),
  maxDepth: z.number().int().min(0).max(64).optional(),
  pauseWaitMs: z.number().int().min(0).optional(),
});

const ToolShape = z.object({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/, { message: "must be a tool name of [A-Za-z0-9_.:-]" }),
  action: z
    .string()
    .regex(/^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/, { message: "must be a concrete action like db.read" }),
  cost: z.number().nonnegative().finite().optional(),
});

/**
 * Creates a Mandate. Everything defaults to embedded, in-memory parts: a memory revocation store
 * and a memory audit sink (use `jsonlAuditSink` from `@mandate/core/node` for a file).
 */
export function createMandate(options: MandateOptions): Mandate {
  return new Runtime(options);
}

class Runtime implements Mandate, ContextHost {
  readonly events = new EventEmitter<MandateEvents>();
  private readonly roles: Readonly<Record<string, Scope>>;
  private readonly tools = new Map<string, AnyTool>();
  private readonly policies: readonly Policy[];
  private readonly store: RevocationStore;
  private readonly sink: AuditSink;
  private readonly queue: AuditQueue;
  private readonly durable: boolean;
  private readonly durableTimeoutMs: number;
  private readonly approvals: ApprovalDesk;
  private readonly dataClasses: readonly string[];
  private readonly pauseWaitMs: number;
  private readonly maxDepth: number;
  private readonly now: () => number;
  private readonly contexts = new Map<string, AgentContext>();
  /** Contexts with calls in flight, and how many. Revocation scans only these. */
  /** The signal a context's calls run with; aborted once, for good, when it is revoked. */
  private readonly pauseWaiters = new PauseWaiters();
  private readonly inFlight: CallsInFlight;
  private readonly strict: boolean;
  private readonly env: EvaluationEnv;
  private readonly unsubscribe: () => void;
  private closed = false;
  private sweepAt = 1024;
  private readonly tokens: TokenService;

  constructor(options: MandateOptions) {
    const parsed = parseOrThrow(Options, options, "ERR_INVALID_CONFIG", "configuration");
    this.roles = parsed.roles;
    for (const [i, tool] of (options.tools ?? []).entries()) this.register(tool, `tools[${i}]`);
    this.policies = options.policies ?? [];
    this.store = options.revocations ?? memoryRevocationStore();
    this.strict = parsed.strictRevocations ?? false;
    if (this.strict && typeof this.store.sync !== "function") {
      throw invalid("ERR_INVALID_CONFIG", "configuration", [
        {
          field: "strictRevocations",
          rule: "store.sync",
          message: "the revocation store has no sync() read barrier",
        },
      ]);
    }
    const audit: AuditOptions =
      options.audit === undefined
        ? { sink: memoryAuditSink() }
        : "write" in options.audit
          ? { sink: options.audit }
          : options.audit;
    this.sink = audit.sink;
    const signing = options.tokens?.signing;
    const issuer = options.tokens?.issuer ?? "mandate";
    this.queue = new AuditQueue(
      audit.sink,
      audit,
      (err) => this.events.emit("audit.error", err),
      signing ? (claims) => signCheckpoint(claims, signing, issuer, this.now()) : undefined,
    );
    this.durable = audit.durable ?? false;
    this.durableTimeoutMs = audit.durableTimeoutMs ?? 5_000;
    this.dataClasses = options.dataClasses ?? [];
    this.pauseWaitMs = parsed.pauseWaitMs ?? 0;
    this.maxDepth = parsed.maxDepth ?? 16;
    this.now = options.now ?? Date.now;
    this.inFlight = new CallsInFlight(this.now);
    this.env = { store: this.store, tools: this.tools, policies: this.policies };
    this.approvals = new ApprovalDesk(
      { store: this.store, queue: this.queue, context: (id) => this.contexts.get(id), now: () => this.now() },
      options.approver,
      options.approvalTimeoutMs ?? 5 * 60_000,
    );
    const store = this.store;
    this.tokens = new TokenService(
      {
        store,
        now: () => this.now(),
        maxDepth: this.maxDepth,
        adopt: (links) => this.adopt(links),
        stateOf: (ctx) => contextState(store, ctx, this.now()),
      },
      options.tokens,
    );
    this.unsubscribe = this.store.subscribe((id, status) => this.onStatus(id, status?.state, status?.reason));
  }

  private register(tool: AnyTool, field: string): void {
    this.validateTool(tool, field);
    if (this.tools.has(tool.name)) {
      throw invalid("ERR_INVALID_CONFIG", "tool", [
        { field: `${field}.name`, rule: "duplicate", message: `tool "${tool.name}" is registered twice` },
      ]);
    }
    this.tools.set(tool.name, tool);
  }

  private validateTool(tool: AnyTool, field: string): void {
    const r = ToolShape.safeParse(tool);
    if (!r.success) {
      const issue = r.error.issues[0];
      const at = [field, ...(issue?.path ?? []).map(String)].join(".");
      throw invalid("ERR_INVALID_CONFIG", "tool", [
        { field: at, rule: "tool", message: issue?.message ?? "" },
      ]);
    }
    const registered = this.tools.get(tool.name);
    if (registered !== undefined && registered !== tool && field === "tool") {
      throw invalid("ERR_INVALID_CONFIG", "tool", [
        {
          field: "tool.name",
          rule: "conflict",
          message: `a different tool named "${tool.name}" is registered`,
        },
      ]);
    }
  }

  // ---- identities and intents ---------------------------------------------------------------

  identity(input: IdentityInput): AgentIdentity {
    const v = parseOrThrow(IdentityInput, input, "ERR_INVALID_IDENTITY", "identity");
    if (v.config !== undefined && v.fingerprint !== undefined) {
      throw invalid("ERR_INVALID_IDENTITY", "identity", [
        { field: "fingerprint", rule: "exclusive", message: "give either config or fingerprint, not both" },
      ]);
    }
    this.ceilingOf(v.roles, "ERR_INVALID_IDENTITY");
    const now = this.now();
    const identity: AgentIdentity = {
      id: newId(now),
      name: v.name,
      version: v.version ?? "0.0.0",
      sponsor: v.sponsor,
      roles: v.roles,
      issuedAt: now,
    };
    if (v.tenant !== undefined) identity.tenant = v.tenant;
    if (v.model !== undefined) identity.model = v.model;
    if (v.fingerprint !== undefined) identity.fingerprint = v.fingerprint;
    if (v.config !== undefined) {
      identity.fingerprint = digestValue({
        systemPrompt: v.config.systemPrompt ?? "",
        tools: [...(v.config.tools ?? [])].sort(),
      });
    }
    if (v.ttl !== undefined) identity.expiresAt = now + (toMillis(v.ttl) as number);
    this.queue.offer(now, lifecycleEvent(now, "identity.issued", identity, undefined, { identity }), true);
    return identity;
  }

  private resolveIdentity(identity: AgentIdentity | IdentityInput): AgentIdentity {
    if ("id" in identity) return parseOrThrow(AgentIdentity, identity, "ERR_INVALID_IDENTITY", "identity");
    return this.identity(identity);
  }

  /** The union of the roles' scopes; unknown roles are an error, never an empty ceiling. */
  private ceilingOf(roles: readonly string[], code: "ERR_INVALID_IDENTITY" | "ERR_UNKNOWN_ROLE"): Scope {
    const scope: Scope = [];
    for (const [i, role] of roles.entries()) {
      const entries = Object.hasOwn(this.roles, role) ? this.roles[role] : undefined;
      if (entries === undefined) {
        throw invalid(code === "ERR_INVALID_IDENTITY" ? "ERR_UNKNOWN_ROLE" : code, "identity", [
          { field: `roles[${i}]`, rule: "role.unknown", message: `role "${role}" is not configured` },
        ]);
      }
      scope.push(...entries);
    }
    return scope;
  }

  private intentOf(
    input: IntentInput,
    parent: IntentDeclaration | undefined,
    now: number,
  ): IntentDeclaration {
    const v = parseOrThrow(IntentInput, input, "ERR_INVALID_INTENT", "intent");
    if (v.prompt !== undefined && v.promptDigest !== undefined) {
      throw invalid("ERR_INVALID_INTENT", "intent", [
        { field: "promptDigest", rule: "exclusive", message: "give either prompt or promptDigest, not both" },
      ]);
    }
    const limits: { -readonly [K in keyof Limits]: Limits[K] } = {};
    if (v.limits?.calls !== undefined) limits.calls = v.limits.calls;
    if (v.limits?.perMinute !== undefined) limits.perMinute = v.limits.perMinute;
    if (v.limits?.ttl !== undefined) limits.ttlMs = toMillis(v.limits.ttl) as number;
    if (v.limits?.budget !== undefined) limits.budget = v.limits.budget;
    if (v.limits?.costs !== undefined) limits.costs = v.limits.costs;
    const intent: IntentDeclaration = {
      id: newId(now),
      version: 1,
      purpose: v.purpose,
      scope: v.allow,
      limits,
      mode: v.mode ?? parent?.mode ?? "enforce",
      declaredAt: now,
    };
    if (v.outOfScope !== undefined) intent.outOfScope = v.outOfScope;
    if (v.prompt !== undefined) intent.promptDigest = digestText(v.prompt);
    if (v.promptDigest !== undefined) intent.promptDigest = v.promptDigest;
    if (v.prompt !== undefined && v.keepPrompt === true) intent.prompt = v.prompt;
    if (parent) intent.parent = parent.id;
    return intent;
  }

  private within(
    scope: Scope,
    outer: Scope,
    code: "ERR_BEYOND_CEILING" | "ERR_BEYOND_PARENT",
    whose: string,
  ): void {
    const excess = scopeExcess(scope, outer);
    if (excess === undefined) return;
    const field = excess.dataClass === undefined ? `allow[${excess.entry}]` : `allow[${excess.entry}].data`;
    throw new MandateError(code, `intent reaches beyond ${whose}: ${excess.message}`, [
      { field, rule: code === "ERR_BEYOND_CEILING" ? "ceiling" : "attenuation", message: excess.message },
    ]);
  }

  async declare(identityInput: AgentIdentity | IdentityInput, input: IntentInput): Promise<AgentContext> {
    this.assertOpen();
    return this.declareAs(this.resolveIdentity(identityInput), input, {});
  }

  private declareAs(
    identity: AgentIdentity,
    input: IntentInput,
    extra: Record<string, unknown>,
  ): AgentContext {
    const now = this.now();
    const intent = this.intentOf(input, undefined, now);
    const ceiling = this.ceilingOf(identity.roles, "ERR_UNKNOWN_ROLE");
    this.within(intent.scope, ceiling, "ERR_BEYOND_CEILING", `the roles of ${identity.name}`);
    const ctx = this.createContext(identity, intent, ceiling, undefined, now, promptOf(input));
    this.queue.offer(
      now,
      lifecycleEvent(now, "intent.declared", identity, ctx, { ...intentDetail(intent), ...extra }),
      true,
    );
    return ctx;
  }

  async declareResolved(
    identityInput: AgentIdentity | IdentityInput,
    input: ResolvedIntentInput,
    resolver: IntentResolver,
  ): Promise<AgentContext> {
    this.assertOpen();
    const identity = this.resolveIdentity(identityInput);
    const ceiling = this.ceilingOf(identity.roles, "ERR_UNKNOWN_ROLE");
    let answer: unknown;
    try {
      answer = await resolver.resolve({
        purpose: input.purpose,
        ...(input.prompt === undefined ? {} : { prompt: input.prompt }),
        ...(input.template === undefined ? {} : { template: input.template }),
        ...(input.params === undefined ? {} : { params: input.params }),
        identity,
        ceiling,
        tools: [...this.tools.values()].map((t) => ({
          name: t.name,
          action: t.action,
          ...(t.description ? { description: t.description } : {}),
        })),
        dataClasses: this.dataClasses,
      });
    } catch (err) {
      if (err instanceof MandateError) throw err;
      throw new MandateError(
        "ERR_INVALID_INTENT",
        `resolver "${resolver.name}" failed: ${err instanceof Error ? err.message : String(err)}`,
        [],
        { cause: err },
      );
    }
    const proposal = parseProposal(answer, resolver.name);
    const { granted, dropped } = clampToCeiling(proposal.allow, ceiling);
    if (granted.length === 0) {
      throw new MandateError(
        "ERR_BEYOND_CEILING",
        `nothing resolver "${resolver.name}" proposed lies within the roles of ${identity.name}`,
        [{ field: "allow", rule: "ceiling", message: dropped[0]?.reason ?? "empty proposal" }],
      );
    }
    const limits = input.limits ?? proposal.limits;
    const intentInput: IntentInput = {
      purpose: input.purpose,
      allow: granted,
      ...(limits === undefined ? {} : { limits }),
      ...(input.prompt === undefined ? {} : { prompt: input.prompt }),
      ...(input.keepPrompt === undefined ? {} : { keepPrompt: input.keepPrompt }),
      ...(input.mode === undefined ? {} : { mode: input.mode }),
      ...(input.outOfScope === undefined ? {} : { outOfScope: input.outOfScope }),
    };
    const resolution = {
      resolver: resolver.name,
      proposed: proposal.allow,
      granted,
      dropped,
      ...(proposal.rationale === undefined ? {} : { rationale: proposal.rationale }),
    };
    return this.declareAs(identity, intentInput, { resolution });
  }

  async delegate(
    parent: AgentContext,
    identityInput: AgentIdentity | IdentityInput,
    input: IntentInput,
  ): Promise<AgentContext> {
    this.assertOpen();
    const now = this.now();
    const state = contextState(this.store, parent, now);
    if (state)
      throw new MandateError("ERR_CONTEXT_CLOSED", `cannot delegate from ${parent.id}: ${state.message}`);
    if (parent.depth + 1 > this.maxDepth) {
      throw new MandateError("ERR_DELEGATION_DEPTH", `delegation deeper than ${this.maxDepth} levels`);
    }
    const identity = this.resolveIdentity(identityInput);
    const intent = this.intentOf(input, parent.intent, now);
    const ceiling = this.ceilingOf(identity.roles, "ERR_UNKNOWN_ROLE");
    this.within(intent.scope, ceiling, "ERR_BEYOND_CEILING", `the roles of ${identity.name}`);
    this.within(
      intent.scope,
      parent.intent.scope,
      "ERR_BEYOND_PARENT",
      `the parent intent ("${parent.intent.purpose}")`,
    );
    const issues = limitExcess(intent, parent, now);
    if (issues.length > 0) {
      throw new MandateError(
        "ERR_BEYOND_PARENT",
        `intent limits exceed what the parent has left: ${issues[0]?.message}`,
        issues,
      );
    }
    const ctx = this.createContext(identity, intent, ceiling, parent, now, promptOf(input));
    const detail = { ...intentDetail(intent), parent: parent.id, delegatedBy: parent.identity.id };
    this.queue.offer(now, lifecycleEvent(now, "context.delegated", identity, ctx, detail), true);
    return ctx;
  }

  private createContext(
    identity: AgentIdentity,
    intent: IntentDeclaration,
    ceiling: Scope,
    parent: AgentContext | undefined,
    now: number,
    prompt: string | undefined,
  ): AgentContext {
    const ctx = new AgentContext(this, {
      id: newId(now),
      identity,
      intent,
      parent,
      ceiling: new CompiledScope(ceiling),
      scope: new CompiledScope(intent.scope),
      now,
      ...(prompt === undefined ? {} : { prompt }),
    });
    this.track(ctx, now);
    return ctx;
  }

  private track(ctx: AgentContext, now: number): void {
    this.contexts.set(ctx.id, ctx);
    if (this.contexts.size >= this.sweepAt) {
      this.sweep(now);
      this.sweepAt = Math.max(1024, this.contexts.size * 2);
    }
  }

  /** Forgets contexts that can never act again (expired, or revoked along their path). */
  private sweep(now: number): void {
    for (const [id, ctx] of this.contexts) {
      const state = contextState(this.store, ctx, now);
      if (state && state.code !== "context.paused" && state.code !== "store.unavailable")
        this.contexts.delete(id);
    }
  }

  /**
   * Builds the contexts of a verified chain here, root first, reusing those this process already
   * has. Each link is held to this Mandate's own roles: a service never trusts a ceiling it did
   * not configure.
   */
  private adopt(links: readonly ChainLink[]): AgentContext {
    const now = this.now();
    let parent: AgentContext | undefined;
    for (const link of links) {
      const known = this.contexts.get(link.id);
      if (known !== undefined && known.parent === parent) {
        parent = known;
        continue;
      }
      const ceiling = this.ceilingOf(link.identity.roles, "ERR_UNKNOWN_ROLE");
      this.within(link.intent.scope, ceiling, "ERR_BEYOND_CEILING", `the roles of ${link.identity.name}`);
      const ctx = new AgentContext(this, {
        id: link.id,
        identity: link.identity,
        intent: link.intent,
        parent,
        ceiling: new CompiledScope(ceiling),
        scope: new CompiledScope(link.intent.scope),
        now,
        expiresAt: link.expiresAt,
      });
      this.tokens.remember(ctx, link);
      this.track(ctx, now);
      parent = ctx;
    }
    return parent as AgentContext;
  }

  jwks(): JsonWebKeySet {
    return this.tokens.jwks();
  }

  token(ctx: AgentContext): Promise<string> {
    return this.tokens.contextToken(ctx);
  }

  async issueIdentityToken(identity: AgentIdentity): Promise<string> {
    return this.tokens.identityToken(identity);
  }

  verifyIdentityToken(jwt: string): Promise<AgentIdentity> {
    return this.tokens.verifyIdentity(jwt);
  }

  verifyContextToken(jwt: string): Promise<AgentContext> {
    if (this.closed) return Promise.reject(new MandateError("ERR_CLOSED", "this Mandate is closed"));
    return this.tokens.verifyContext(jwt);
  }

  issueSessionRevoked(
    contextId: string,
    options: { reason?: string; audience?: string } = {},
  ): Promise<string> {
    const reason = options.reason ?? this.store.status(contextId)?.reason ?? "revoked";
    return this.tokens.sessionRevoked(contextId, reason, options.audience);
  }

  async acceptSecurityEvent(jwt: string): Promise<SessionRevoked> {
    const event = await this.tokens.verifySessionRevoked(jwt);
    await this.revoke(event.contextId, `${event.reason} (security event ${event.jti} from ${event.issuer})`);
    return event;
  }

  context(id: string): AgentContext | undefined {
    return this.contexts.get(id);
  }

  // ---- the decision pipeline ----------------------------------------------------------------

  private evaluate(
    ctx: AgentContext | undefined,
    contextId: string,
    call: ToolCall,
    callId: string,
  ): Evaluation {
    return evaluate(this.env, ctx, contextId, call.tool, call.args, callId, this.now());
  }

  /** Records a decision (audit, limits, events). Returns the decision and its queue position. */
  private commit(ctx: AgentContext | undefined, ev: Evaluation, call: ToolCall): [Decision, number] {
    let decision = ev.decision;
    const now = this.now();
    let position = -1;
    if (ctx !== undefined) {
      const retention = ev.tool?.audit?.args ?? "preview";
      position = this.queue.offer(
        now,
        decisionEvent(now, ctx, decision, call.reasoning, call.args, retention),
      );
      if (position === 0) {
        decision = auditUnavailable(decision);
        this.events.emit("audit.overflow", decision);
      } else if (decision.effect === "allow" && ev.tool !== undefined) {
        consume(ctx.metered, ev.tool.name, ev.tool.cost, now);
        for (const g of ev.grants) g.remaining--;
      }
      if (ev.tool !== undefined) {
        ctx.history.record({
          tool: decision.tool,
          callId: decision.callId,
          at: now,
          effect: decision.effect,
          accesses: decision.accesses,
        });
      }
    }
    this.events.emit("decision", decision, ctx);
    if (decision.deviation && ctx !== undefined) this.events.emit("deviation", decision, ctx);
    return [decision, position];
  }

  check(context: AgentContext | string, call: ToolCall): Decision {
    const id = typeof context === "string" ? context : context.id;
    const ctx = typeof context === "string" ? this.contexts.get(context) : this.contexts.get(context.id);
    const callId = call.callId ?? newId(this.now());
    const live = this.closed ? undefined : ctx;
    return this.commit(live, this.evaluate(live, id, call, callId), call)[0];
  }

  guard<A, R>(
    ctx: AgentContext,
    tool: string | ToolDefinition<A>,
    fn: (args: A, run: ToolRun) => R | Promise<R>,
  ): GuardedTool<A, Awaited<R>> {
    if (typeof tool === "string" && !this.tools.has(tool)) {
      throw new MandateError("ERR_UNKNOWN_TOOL", `tool "${tool}" is not registered with this Mandate`);
    }
    if (typeof tool !== "string") this.validateTool(tool as AnyTool, "tool");
    return (args: A, options?: CallOptions) => this.run(ctx, tool as string | AnyTool, fn, args, options);
  }

  private async run<A, R>(
    ctx: AgentContext,
    tool: string | AnyTool,
    fn: (args: A, run: ToolRun) => R | Promise<R>,
    args: A,
    options: CallOptions | undefined,
  ): Promise<Awaited<R>> {
    const call: ToolCall = { tool, args, ...options };
    const callId = options?.callId ?? newId(this.now());
    const live = this.closed ? undefined : ctx;
    const barrier = this.strict && live !== undefined ? await this.barrier() : undefined;
    let ev = this.evaluate(live, ctx.id, call, callId);
    if (barrier !== undefined) ev = { ...ev, decision: withReason(ev.decision, barrier), paused: false };
    if (ev.paused && this.pauseWaitMs > 0 && live !== undefined) {
      ev = await this.pauseWaiters.wait(live.path, this.pauseWaitMs, ev, () =>
        this.evaluate(live, ctx.id, call, callId),
      );
    }
    let [decision, position] = this.commit(live, ev, call);
    if (decision.effect === "ask") {
      await this.approvals.approve(ctx, decision, args);
      // Checked again with the new grants: the context may have been revoked, or its limits used
      // up, while the approver decided. The second decision is the one that lets the call run.
      ev = this.evaluate(this.closed ? undefined : ctx, ctx.id, call, callId);
      [decision, position] = this.commit(this.closed ? undefined : ctx, ev, call);
    }
    if (decision.effect !== "allow") throw new DeniedError(decision);
    if (this.durable) {
      await this.awaitDurable(ctx, position, decision, call, ev.tool);
      // The context may have been revoked while the event was being written.
      const state = contextState(this.store, ctx, this.now());
      if (state) throw new DeniedError(withReason(decision, state));
    }

    // The call is raced against its context's signal (and the caller's), with listeners this
    // code removes when the call ends. The tool gets a signal of its own, made when it first asks
    // for one: frameworks that leave listeners on the signals they are given then leave them on a
    // short-lived signal, never on the context's — and a tool that ignores its signal costs nothing.
    const own = this.inFlight.enter(ctx);
    const callerSignal = options?.signal;
    let controller: AbortController | undefined;
    let unlink: (() => void) | undefined;
    const run: ToolRun = {
      context: ctx,
      decision,
      get signal() {
        if (controller === undefined) {
          controller = new AbortController();
          unlink = linkSignals(controller, own, callerSignal);
        }
        return controller.signal;
      },
    };
    const aborted = () => own.aborted || callerSignal?.aborted === true;
    const abortReason = () => (own.aborted ? own.reason : callerSignal?.reason);
    const started = this.now();
    let recorded = false;
    try {
      if (aborted()) throw abortReason();
      const result = await raceAbort(fn(args, run), own, callerSignal);
      const findings = this.observeOutput(ctx, ev.tool, args, result, decision);
      const withheld =
        findings.length > 0 && ev.tool?.output?.onUndeclared === "withhold" && ctx.intent.mode !== "monitor";
      if (withheld) {
        this.outcome(ctx, decision, call, ev.tool, started, {
          outcome: "error",
          error: "output withheld: undeclared data",
          findings,
        });
        recorded = true;
        throw new DeniedError({ ...decision, effect: "deny", deviation: true, reasons: findings });
      }
      this.outcome(ctx, decision, call, ev.tool, started, { outcome: "ok", output: result, findings });
      return result as Awaited<R>;
    } catch (err) {
      if (recorded) throw err;
      const outcome = aborted() ? "aborted" : "error";
      this.outcome(ctx, decision, call, ev.tool, started, {
        outcome,
        error: err instanceof Error ? err.message : String(err),
      });
      // A revocation aborts every call of the subtree with one shared error: give this caller one
      // that names its own call.
      if (err instanceof DeniedError && err === abortReason()) {
        throw new DeniedError({ ...decision, effect: "deny", reasons: err.decision.reasons });
      }
      throw err;
    } finally {
      unlink?.();
      this.inFlight.leave(ctx);
    }
  }

  private outcome(
    ctx: AgentContext,
    decision: Decision,
    call: ToolCall,
    tool: AnyTool | undefined,
    started: number,
    result: {
      outcome: "ok" | "error" | "aborted";
      error?: string;
      output?: unknown;
      findings?: readonly Reason[];
    },
  ): void {
    const now = this.now();
    const retention = tool?.audit?.output ?? "preview";
    const build = outcomeEvent(
      now,
      ctx,
      decision,
      call.reasoning,
      result.outcome,
      now - started,
      result.error,
      result.output,
      retention,
      result.findings ?? [],
    );
    // The call already ran: its outcome is recorded even past the queue bound.
    this.queue.offer(now, build, true);
  }

  /** Asks the configured approver about an `ask` decision; throws a DeniedError unless approved. */
  observe(
    context: AgentContext,
    report: { tool: string | AnyTool; output: unknown; args?: unknown; callId?: string },
  ): readonly Reason[] {
    const tool = typeof report.tool === "string" ? this.tools.get(report.tool) : report.tool;
    const decision: Decision = {
      effect: "allow",
      deviation: false,
      reasons: [],
      accesses: [],
      contextId: context.id,
      tool: typeof report.tool === "string" ? report.tool : report.tool.name,
      callId: report.callId ?? "unknown",
    };
    return this.observeOutput(context, tool, report.args, report.output, decision);
  }

  requestApproval(decision: Decision): PendingApproval {
    return this.approvals.request(decision);
  }

  resolveApproval(pending: PendingApproval | string, verdict: ApprovalVerdict): PendingResolution {
    return this.approvals.resolve(pending, verdict);
  }

  /** Takes in a tool's output (history, taint, output inspection); emits findings as a deviation. */
  private observeOutput(
    ctx: AgentContext,
    tool: AnyTool | undefined,
    args: unknown,
    output: unknown,
    decision: Decision,
  ): Reason[] {
    const findings = inspectOutput(ctx, tool, args, output, this.now());
    if (findings.length > 0)
      this.events.emit("deviation", { ...decision, deviation: true, reasons: findings }, ctx);
    return findings;
  }

  private async awaitDurable(
    ctx: AgentContext,
    position: number,
    decision: Decision,
    call: ToolCall,
    tool: AnyTool | undefined,
  ): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<false>((r) => {
      timer = setTimeout(() => r(false), this.durableTimeoutMs);
    });
    const ok = await Promise.race([this.queue.settled(position).then(() => true), timeout]);
    clearTimeout(timer);
    if (!ok) {
      const denied = auditUnavailable(decision);
      // The allow decision may still reach the sink later: record that the tool never ran.
      this.outcome(ctx, decision, call, tool, this.now(), {
        outcome: "error",
        error: "not run: audit.unavailable (durable write timed out)",
      });
      throw new DeniedError(denied);
    }
  }

  // ---- revocation ---------------------------------------------------------------------------

  /** Reacts to a state change from this process or, through the store, from any other. */
  private onStatus(id: string, state: "revoked" | "paused" | undefined, reason: string | undefined): void {
    if (state === "revoked") {
      this.inFlight.abortUnder(id, {
        code: "context.revoked",
        message: `context revoked: ${reason ?? ""}`,
        contextId: id,
      });
      this.events.emit("revoked", id, reason ?? "");
    } else if (state === "paused") {
      this.events.emit("paused", id, reason ?? "");
    } else {
      this.events.emit("resumed", id);
    }
    if (state !== "paused") this.pauseWaiters.wake(id);
  }

  private lifecycle(
    type: "context.revoked" | "context.paused" | "context.resumed",
    id: string,
    reason?: string,
  ): void {
    const ctx = this.contexts.get(id);
    const now = this.now();
    const detail = reason === undefined ? {} : { reason };
    this.queue.offer(now, lifecycleEvent(now, type, ctx?.identity, ctx, detail, id), true);
  }

  private statusFor(contextId: string, reason: string): { reason: string; at: number; expiresAt?: number } {
    const ctx = this.contexts.get(contextId);
    const status: { reason: string; at: number; expiresAt?: number } = { reason, at: this.now() };
    if (ctx && Number.isFinite(ctx.expiresAt)) status.expiresAt = ctx.expiresAt;
    return status;
  }

  async revoke(contextId: string, reason = "revoked"): Promise<void> {
    if (this.store.status(contextId)?.state === "revoked") return;
    await this.store.revoke(contextId, this.statusFor(contextId, reason));
    this.lifecycle("context.revoked", contextId, reason);
  }

  async pause(contextId: string, reason = "paused"): Promise<void> {
    if (this.store.status(contextId) !== undefined) return; // already paused, or revoked for good
    await this.store.pause(contextId, this.statusFor(contextId, reason));
    this.lifecycle("context.paused", contextId, reason);
  }

  async resume(contextId: string): Promise<void> {
    if (this.store.status(contextId)?.state !== "paused") return;
    await this.store.resume(contextId);
    this.lifecycle("context.resumed", contextId);
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  flush(): Promise<void> {
    return this.queue.flush();
  }

  sync(): Promise<void> {
    if (typeof this.store.sync !== "function") {
      return Promise.reject(
        new MandateError("ERR_INVALID_CONFIG", "the revocation store has no sync() read barrier"),
      );
    }
    return this.store.sync();
  }

  /** Strict mode: waits for the store's read barrier; the reason to deny when it fails. */
  private async barrier(): Promise<Reason | undefined> {
    try {
      await (this.store.sync as () => Promise<void>)();
      return undefined;
    } catch (err) {
      return {
        code: "store.unavailable",
        message: `revocation store could not confirm its view (strict mode): ${err instanceof Error ? err.message : String(err)}; failing closed`,
      };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    await this.queue.finish();
    await this.sink.close?.();
    await this.store.close?.();
  }

  private assertOpen(): void {
    if (this.closed) throw new MandateError("ERR_CLOSED", "this Mandate is closed");
  }
}

function intentDetail(intent: IntentDeclaration): Record<string, unknown> {
  return { intent };
}

/** The raw prompt of an intent input (validated already), kept in memory for provenance checks. */
function promptOf(input: IntentInput): string | undefined {
  return typeof input.prompt === "string" ? input.prompt : undefined;
}

function auditUnavailable(decision: Decision): Decision {
  return withReason(decision, {
    code: "audit.unavailable",
    message: "the audit queue is full; failing closed",
  });
}

export type { PendingResolution };
