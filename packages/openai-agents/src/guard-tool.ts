import { type AgentContext, type AnyTool, DeniedError, linkSignals, newId } from "@mandate/core";
import {
  defineToolInputGuardrail,
  type FunctionTool,
  type RunContext,
  ToolGuardrailFunctionOutputFactory,
  type ToolInputGuardrailDefinition,
} from "@openai/agents";
import { type Execution, find, forget, InFlightCall, type ToolCallDetails, track } from "./in-flight.js";
import { contextOf } from "./run-context.js";

/** Options of {@link guardTool}. */
export interface GuardToolOptions {
  /**
   * The Mandate tool the SDK tool is checked as: a registered tool's name or a definition (default:
   * the registered Mandate tool of the same name as the SDK tool).
   */
  readonly definition?: string | AnyTool;
  /**
   * How long an allowed call waits for the SDK to execute it before it is recorded as not run
   * (default 5 minutes). The SDK normally executes it at once; it does not when another guardrail
   * rejects the call or the run is cancelled.
   */
  readonly executeWithinMs?: number;
}

/** Name of the tool input guardrail through which Mandate's refusals reach the model. */
export const MANDATE_GUARDRAIL = "mandate";

/** How long a settled call that the SDK never came back for is remembered. */
const FORGET_AFTER_MS = 60_000;

// biome-ignore lint/suspicious/noExplicitAny: SDK tools are generic over context, parameters and result
type AnyFunctionTool = FunctionTool<any, any, any>;

/**
 * Guards an OpenAI Agents SDK function tool with Mandate. The run must carry a Mandate context
 * (`run(agent, input, { context: { mandateContext: ctx } })`).
 *
 * - The call is checked when the SDK asks whether it needs approval (`needsApproval`): core decides
 *   and audits it there.
 * - `deny`: the `mandate` tool input guardrail rejects the call with core's message
 *   (`lookup denied: intent.data_undeclared: …`), which the model sees as the tool's output; the
 *   tool never runs. The decision is in `result.toolInputGuardrailResults`.
 * - `ask`: the run stops with an interruption (`result.interruptions`), carrying core's pending
 *   approval (see `pendingApprovalOf`). `state.approve(item)` (or `approveCall`) and `run(agent,
 *   state)` resume it: the Mandate approval is granted, and the call runs under the narrow grant.
 *   `rejectCall` refuses both. Needs `runApprover()` as the Mandate's approver.
 * - `allow`: the tool runs when the SDK executes it, with the context's abort signal (a
 *   revocation cancels it); its outcome is audited.
 */
export function guardTool<T extends AnyFunctionTool>(tool: T, options: GuardToolOptions = {}): T {
  const definition = options.definition ?? tool.name;
  const executeWithinMs = options.executeWithinMs ?? 5 * 60_000;
  const original = tool;

  const start = (ctx: AgentContext, args: unknown, callId: string): InFlightCall => {
    const call = new InFlightCall(ctx, callId);
    track(call);
    const guarded = ctx.guard(definition, async (_args: unknown, run) => {
      call.phase.resolve("allow");
      const exec = await awaitExecution(call, run.signal, executeWithinMs);
      // The tool stops on a revocation (core's signal) as well as on the SDK's own cancellation. It
      // gets a signal of its own call: listeners it leaves behind must not pile up on the
      // context's signal, which every call of the context shares.
      const own = new AbortController();
      const unlink = linkSignals(own, run.signal, exec.details?.signal);
      try {
        const details: ToolCallDetails = { ...exec.details, signal: own.signal };
        return await original.invoke(exec.runContext, exec.input, details);
      } finally {
        unlink();
      }
    });
    call.result = guarded(args, { callId });
    call.result.then(
      () => undefined,
      (err) => {
        if (err instanceof DeniedError) call.denial = err;
        // Refused before the approval or execution phase: that is the first phase's answer.
        call.phase.resolve("deny");
      },
    );
    const settle = () => {
      setTimeout(() => forget(call), FORGET_AFTER_MS).unref?.();
    };
    call.result.then(settle, settle);
    return call;
  };

  const guardrail: ToolInputGuardrailDefinition = defineToolInputGuardrail({
    name: MANDATE_GUARDRAIL,
    run: async ({ toolCall }) => {
      const call = find(toolCall.callId);
      if (call?.denial !== undefined) {
        forget(call);
        return ToolGuardrailFunctionOutputFactory.rejectContent(call.denial.message, {
          decision: call.denial.decision,
        });
      }
      return ToolGuardrailFunctionOutputFactory.allow();
    },
  });

  const guardedTool: AnyFunctionTool = {
    ...original,
    inputGuardrails: [...(original.inputGuardrails ?? []), guardrail],
    needsApproval: async (runContext: RunContext, args: unknown, callId?: string) => {
      const own = await original.needsApproval(runContext, args, callId);
      const ctx = contextOf(runContext);
      if (callId === undefined) return own; // checked when executed, where the call id is known
      const call = start(ctx, args, callId);
      const phase = await call.phase.promise;
      return own || phase === "ask";
    },
    invoke: async (runContext: RunContext<unknown>, input: string, details?: ToolCallDetails) => {
      const ctx = contextOf(runContext);
      const callId = details?.toolCall?.callId;
      let call = find(callId);
      let approvedBySdk = true;
      if (call === undefined || call.context !== ctx) {
        // needsApproval did not start this call: the SDK skipped it because the run state already
        // holds an approval for it (`alwaysApprove`), or the tool is invoked directly. Check it now;
        // an `ask` counts as approved only if the run state says so.
        approvedBySdk =
          callId !== undefined && runContext.isToolApproved({ toolName: original.name, callId }) === true;
        call = start(ctx, parseArgs(input), callId ?? newId());
        await call.phase.promise;
      }
      if (call.verdict !== undefined && !call.verdict.settled) {
        // The SDK executes a call that needed approval only once it is approved: that answers the
        // Mandate approval.
        call.verdict.resolve(
          approvedBySdk
            ? (call.wanted ?? { approved: true, by: "openai-agents" })
            : {
                approved: false,
                by: "openai-agents",
                reason: "the run state holds no approval for this call",
              },
        );
      }
      call.execution.resolve({ runContext, input, details });
      try {
        return await call.result;
      } catch (err) {
        // Refused late (revoked while waiting, approval expired…): the model sees why.
        if (err instanceof DeniedError) return err.message;
        throw err;
      } finally {
        forget(call);
      }
    },
  };
  return guardedTool as T;
}

/** Guards each tool of a list (see {@link guardTool}). */
export function guardTools<T extends AnyFunctionTool>(tools: readonly T[], options?: GuardToolOptions): T[] {
  return tools.map((t) => guardTool(t, options));
}

/** Waits for the SDK to execute an allowed call, bounded, and cut short by the context's signal. */
function awaitExecution(call: InFlightCall, signal: AbortSignal, withinMs: number): Promise<Execution> {
  return new Promise<Execution>((resolve, reject) => {
    const timer = setTimeout(() => {
      call.execution.reject(
        new Error(`not run: the SDK did not execute the allowed call within ${withinMs} ms`),
      );
    }, withinMs);
    (timer as { unref?: () => void }).unref?.();
    const onAbort = () => call.execution.reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    call.execution.promise.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    });
  });
}

function parseArgs(input: string): unknown {
  try {
    return JSON.parse(input);
  } catch {
    return input;
  }
}
