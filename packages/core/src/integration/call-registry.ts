/**
 * For framework integration authors: the frameworks ask "does this call need approval?" before they
 * run a tool, while core's guard both decides and records the outcome. A tracked call bridges the
 * two — see {@link TrackedCall}. Shared by the AI SDK and LangChain integrations.
 */
import type { ApprovalRequest, ApprovalVerdict, Approver, PendingApproval } from "../approval.js";
import type { CallOptions, GuardedTool, ToolRun } from "../context.js";

/**
 * Where one guarded call stands: Mandate is deciding, waiting for an approval, has let it run (and
 * waits for the framework to hand over its execution), or is done.
 */
export type CallState = "deciding" | "asked" | "allowed" | "settled";

/** Runs the framework's tool under the guard's run (signal, context, decision). */
export type Runner<R> = (run: ToolRun) => Promise<R>;

/**
 * One framework tool call running through core's guard.
 *
 * The framework asks "does this call need approval?" before it runs the tool, and the guard is the
 * only thing that both decides *and* records the tool's outcome. So the guarded call starts when
 * the framework first asks, and once the guard allows it, it parks until the framework hands over
 * its own execution (`supply`). An `ask` reaches Mandate's approver (see {@link CallRegistry.approver})
 * and parks here until the framework's approval flow answers it. One decision, one outcome, in
 * core's order.
 */
export class TrackedCall<R> {
  /** Set once Mandate asked for approval: the framework must keep treating the call as approval-gated. */
  asked = false;
  /** The approval Mandate opened, while it waits. */
  pending: PendingApproval | undefined;
  /** The guarded call; rejects with a `DeniedError` when Mandate did not let it run. */
  result!: Promise<R>;
  #state: CallState = "deciding";
  #waiters: (() => void)[] = [];
  #verdict: ((verdict: ApprovalVerdict) => void) | undefined;
  #supply!: (runner: Runner<R>) => void;
  #fail!: (err: unknown) => void;
  readonly #runner = new Promise<Runner<R>>((resolve, reject) => {
    this.#supply = resolve;
    this.#fail = reject;
  });
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly claimTimeoutMs: number) {}

  get state(): CallState {
    return this.#state;
  }

  /** Resolves with the state once Mandate has decided (allowed, asked and unanswered, or settled). */
  decided(): Promise<CallState> {
    return this.#until((s) => s !== "deciding");
  }

  /** Resolves with the state once the call is allowed or settled (an approval was answered). */
  ready(): Promise<CallState> {
    return this.#until((s) => s === "allowed" || s === "settled");
  }

  /** Called by the bridge approver: parks the approval until the framework answers it. */
  ask(pending: PendingApproval): Promise<ApprovalVerdict> {
    this.pending = pending;
    this.asked = true;
    const verdict = new Promise<ApprovalVerdict>((resolve) => {
      this.#verdict = resolve;
    });
    this.#set("asked");
    return verdict;
  }

  /** Answers an open approval; false when none is open (already answered, or never asked). */
  answer(verdict: ApprovalVerdict): boolean {
    const resolve = this.#verdict;
    if (resolve === undefined) return false;
    this.#verdict = undefined;
    this.#set("deciding");
    resolve(verdict);
    return true;
  }

  /** The guarded function's body: the call is allowed; wait for the framework to run it. */
  allowed(run: ToolRun): Promise<R> {
    this.#set("allowed");
    // A framework that never runs an allowed call (its loop stopped) must not hold it forever.
    this.#timer = setTimeout(
      () => this.#fail(new Error("the framework never ran the allowed call")),
      this.claimTimeoutMs,
    );
    this.#timer.unref?.();
    return this.#runner.then((runner) => runner(run));
  }

  /** Hands over the framework's execution of the tool. */
  supply(runner: Runner<R>): void {
    clearTimeout(this.#timer);
    this.#supply(runner);
  }

  /** @internal */
  settle(): void {
    clearTimeout(this.#timer);
    this.#set("settled");
  }

  #set(state: CallState): void {
    this.#state = state;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  #until(done: (state: CallState) => boolean): Promise<CallState> {
    if (done(this.#state)) return Promise.resolve(this.#state);
    return new Promise((resolve) => {
      const check = () => {
        if (done(this.#state)) resolve(this.#state);
        else this.#waiters.push(check);
      };
      this.#waiters.push(check);
    });
  }
}

/** Options of a {@link CallRegistry}. */
export interface CallRegistryOptions {
  /** Asked about calls this registry does not track (guarded elsewhere); default: refuse them. */
  readonly fallback?: Approver;
  /** How long an allowed call waits for the framework to run it (default 10 minutes). */
  readonly claimTimeoutMs?: number;
}

/** The tool calls of one integration in flight, by context and call id. */
export class CallRegistry {
  readonly #calls = new Map<string, TrackedCall<unknown>>();
  readonly #fallback: Approver | undefined;
  readonly #claimTimeoutMs: number;

  constructor(options: CallRegistryOptions = {}) {
    this.#fallback = options.fallback;
    this.#claimTimeoutMs = options.claimTimeoutMs ?? 10 * 60_000;
  }

  /** The body every guarded function of this registry runs: hand the run to the tracked call. */
  readonly body = (_args: unknown, run: ToolRun): Promise<unknown> => {
    const call = this.#calls.get(keyOf(run.decision.contextId, run.decision.callId));
    if (call === undefined) return Promise.reject(new Error(`call ${run.decision.callId} is not tracked`));
    return call.allowed(run);
  };

  /**
   * An approver for `createMandate`: asks about tracked calls park until the framework's approval
   * flow answers them; others go to the fallback approver, or are refused.
   */
  readonly approver: Approver = (request: ApprovalRequest) => {
    const call = this.#calls.get(keyOf(request.decision.contextId, request.decision.callId));
    if (call !== undefined) return call.ask(request.pending);
    if (this.#fallback !== undefined) return this.#fallback(request);
    return Promise.resolve({
      approved: false,
      reason: "no approver for calls outside the framework integration",
    });
  };

  /** Starts a guarded call and tracks it until {@link finish}. */
  begin<A, R>(
    contextId: string,
    callId: string,
    guarded: GuardedTool<A, R>,
    args: A,
    options: CallOptions,
  ): TrackedCall<R> {
    const key = keyOf(contextId, callId);
    const call = new TrackedCall<R>(this.#claimTimeoutMs);
    // Tracked before the guard runs: an allowed call reaches `body` synchronously.
    this.#calls.set(key, call as unknown as TrackedCall<unknown>);
    call.result = guarded(args, { ...options, callId });
    const settle = () => {
      call.settle();
      // Forget a call nobody collects (the framework's loop stopped) after a while.
      const timer = setTimeout(
        () => this.finish(contextId, callId, call as unknown as TrackedCall<unknown>),
        60_000,
      );
      timer.unref?.();
    };
    call.result.then(settle, settle);
    return call;
  }

  get<R>(contextId: string, callId: string): TrackedCall<R> | undefined {
    return this.#calls.get(keyOf(contextId, callId)) as TrackedCall<R> | undefined;
  }

  /** Every tracked call with this framework call id (whatever its context). */
  byCallId(callId: string): TrackedCall<unknown>[] {
    const found: TrackedCall<unknown>[] = [];
    for (const [key, call] of this.#calls) if (key.endsWith(`\u0000${callId}`)) found.push(call);
    return found;
  }

  finish(contextId: string, callId: string, call: TrackedCall<unknown>): void {
    const key = keyOf(contextId, callId);
    if (this.#calls.get(key) === call) this.#calls.delete(key);
  }

  /** Refuses every approval still open (e.g. on shutdown), so no call waits for the approver's timeout. */
  refuseOpen(reason: string): number {
    let n = 0;
    for (const call of this.#calls.values()) if (call.answer({ approved: false, reason })) n++;
    return n;
  }
}

function keyOf(contextId: string, callId: string): string {
  return `${contextId}\u0000${callId}`;
}
