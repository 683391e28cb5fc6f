import type { AgentContext, ApprovalVerdict, DeniedError, PendingApproval } from "@mandate/core";
import type { FunctionTool, RunContext } from "@openai/agents";

/** What the SDK passes a tool's `invoke` besides its input (its type is not exported by name). */
export type ToolCallDetails = Parameters<FunctionTool["invoke"]>[2];

/** How the first phase of a guarded call ended: it may run, it needs approval, or it was refused. */
export type Phase = "allow" | "ask" | "deny";

/** What the SDK hands the tool when it finally executes the call. */
export interface Execution {
  readonly runContext: RunContext<unknown>;
  readonly input: string;
  readonly details: ToolCallDetails | undefined;
}

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
  settled: boolean;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const d: Deferred<T> = {
    promise,
    settled: false,
    resolve: (v) => {
      if (d.settled) return;
      d.settled = true;
      resolve(v);
    },
    reject: (e) => {
      if (d.settled) return;
      d.settled = true;
      reject(e);
    },
  };
  // Nobody may be listening yet (or ever): an unobserved rejection must not crash the process.
  promise.catch(() => {});
  return d;
}

/**
 * One guarded tool call, held open across the SDK's phases: `needsApproval` starts it (core checks
 * and audits the decision there), the run may stop on an interruption and resume later, and the
 * SDK's `invoke` finally lets the tool body run under the same decision. Core's guard is one call
 * (decide, run, audit the outcome); the SDK decides and executes in separate steps, so the guarded
 * call waits in between.
 */
export class InFlightCall {
  readonly phase = deferred<Phase>();
  readonly execution = deferred<Execution>();
  /** Created when core asks the approver: resolving it answers the Mandate approval. */
  verdict: Deferred<ApprovalVerdict> | undefined;
  /** The approval core opened for this call (plain JSON), while it waits. */
  pending: PendingApproval | undefined;
  /** What `approveCall` asked for (who, ttl, uses), applied when the SDK resumes the call. */
  wanted: ApprovalVerdict | undefined;
  denial: DeniedError | undefined;
  result!: Promise<unknown>;

  constructor(
    readonly context: AgentContext,
    readonly callId: string,
  ) {}

  /** Called from core's approver: the call now waits for a verdict, and the SDK must interrupt. */
  ask(pending: PendingApproval): Promise<ApprovalVerdict> {
    this.pending = pending;
    this.verdict = deferred<ApprovalVerdict>();
    this.phase.resolve("ask");
    return this.verdict.promise;
  }
}

/**
 * Calls in flight, by the SDK's call id. The SDK's approval items and hooks name calls by that id;
 * the entry records its Mandate context, and a call id reused by another context while the first
 * is still open is refused rather than confused with it.
 */
const calls = new Map<string, InFlightCall>();

/** @internal */
export function track(call: InFlightCall): void {
  const open = calls.get(call.callId);
  if (open !== undefined && open !== call && open.context !== call.context) {
    throw new Error(`tool call id ${call.callId} is already in flight for another Mandate context`);
  }
  calls.set(call.callId, call);
}

/** @internal */
export function find(callId: string | undefined): InFlightCall | undefined {
  return callId === undefined ? undefined : calls.get(callId);
}

/** @internal */
export function forget(call: InFlightCall): void {
  if (calls.get(call.callId) === call) calls.delete(call.callId);
}
