import { AIMessage, type BaseMessage, ToolMessage } from "@langchain/core/messages";
import type { ToolCall } from "@langchain/core/messages/tool";
import { type Command, interrupt, isGraphInterrupt } from "@langchain/langgraph";
import {
  type AgentContext,
  type AnyTool,
  CallRegistry,
  type Decision,
  DeniedError,
  type GuardedTool,
  MandateError,
  newId,
  type ReasoningLink,
} from "@mandate/core";
import { type AgentMiddleware, createMiddleware } from "langchain";
import {
  type ApprovalSettings,
  type InterruptApprovals,
  interruptFor,
  registryOf,
  settingsOf,
  verdictOfResume,
} from "./interrupt-approvals.js";

/** One LangChain tool call, as {@link MandateMiddlewareOptions.reasoning} sees it. */
export interface ToolCallInfo {
  readonly toolCall: ToolCall;
  /** The tool call id: also the audit trail's `gen_ai.tool.call.id`. */
  readonly callId: string;
  /** The agent's messages when the call runs. */
  readonly messages: readonly BaseMessage[];
  /** The thread (`configurable.thread_id`), when the agent runs with one. */
  readonly threadId: string | undefined;
}

/** Options of {@link mandateMiddleware}. */
export interface MandateMiddlewareOptions {
  /**
   * The agent's tools (the array given to `createAgent`): each must have a Mandate definition,
   * checked when the middleware is created. A call to a tool not listed is still guarded (and
   * denied as `tool.unknown` if Mandate has no such tool).
   */
  readonly tools?: readonly { readonly name: string }[];
  /**
   * The Mandate tool behind each LangChain tool name: a registered tool's name or a definition.
   * A name without an entry must be the name of a tool registered with the Mandate.
   */
  readonly definitions?: Readonly<Record<string, string | AnyTool>>;
  /**
   * Routes `ask` decisions to LangGraph interrupts (see {@link interruptApprovals}); the agent
   * needs a checkpointer. Without it, an `ask` goes to the Mandate's own approver, and without
   * one it is denied (`approval.required`).
   */
  readonly approvals?: InterruptApprovals;
  /** The trace of this agent run, for the reasoning link. */
  readonly traceId?: string;
  /**
   * Adds to (or replaces parts of) a call's reasoning link. By default: the thread id as the
   * conversation, the AI message that made the call as the step (its id, or `step-N` by position)
   * and the AI message before it as the parent step.
   */
  readonly reasoning?: (call: ToolCallInfo) => ReasoningLink;
}

/**
 * A `createAgent` middleware that guards every tool call of the agent with a Mandate context
 * (`wrapToolCall`): each call is checked by core's guard with the tool call id as its call id and
 * the AI message that made it as its reasoning link; it runs with an `AbortSignal` that a
 * revocation aborts (handed to the tool as `config.signal`); its outcome is audited.
 *
 * - A denied call becomes a `ToolMessage` with `status: "error"` (the denial's message as content,
 *   the decision as `artifact.mandate`): the model reads it and can recover; the loop goes on.
 * - With {@link MandateMiddlewareOptions.approvals}, a call Mandate asks about interrupts the run
 *   (LangGraph `interrupt`, in the human-in-the-loop middleware's `HITLRequest` shape); resuming
 *   with a `Command` answers Mandate's pending approval, and an approved call runs under the grant.
 *
 * Fails at once, with a `MandateError` (`ERR_UNKNOWN_TOOL`), on a listed tool that has no Mandate
 * definition.
 */
export function mandateMiddleware(
  ctx: AgentContext,
  options: MandateMiddlewareOptions = {},
): AgentMiddleware {
  let registry: CallRegistry;
  let settings: ApprovalSettings | undefined;
  if (options.approvals === undefined) registry = new CallRegistry();
  else {
    const known = registryOf.get(options.approvals);
    if (known === undefined) {
      throw new MandateError("ERR_INVALID_CONFIG", "options.approvals must come from interruptApprovals()", [
        { field: "approvals", rule: "type", message: "not created by interruptApprovals()" },
      ]);
    }
    registry = known;
    settings = settingsOf.get(options.approvals);
  }
  const guarded = new Map<string, GuardedTool<unknown, unknown>>();
  const guardedFor = (name: string): GuardedTool<unknown, unknown> => {
    let g = guarded.get(name);
    if (g === undefined) {
      // Throws ERR_UNKNOWN_TOOL for a name Mandate has no tool for.
      g = ctx.guard(options.definitions?.[name] ?? name, registry.body);
      guarded.set(name, g);
    }
    return g;
  };
  for (const tool of options.tools ?? []) guardedFor(tool.name);

  return createMiddleware({
    name: "MandateMiddleware",
    wrapToolCall: async (request, handler) => {
      const { toolCall } = request;
      const callId = toolCall.id ?? newId();
      const messages = request.state.messages ?? [];
      const threadId = request.runtime.configurable?.thread_id;
      const reasoning = reasoningFor({ toolCall, callId, messages, threadId }, options);
      let run: GuardedTool<unknown, unknown>;
      try {
        run = guardedFor(toolCall.name);
      } catch (err) {
        if (!(err instanceof MandateError) || err.code !== "ERR_UNKNOWN_TOOL") throw err;
        // Core decides (and records) what a call to an unknown tool gets: a denial.
        return denial(ctx.check({ tool: toolCall.name, args: toolCall.args, callId, reasoning }), toolCall);
      }
      const call =
        registry.get<unknown>(ctx.id, callId) ??
        registry.begin(ctx.id, callId, run, toolCall.args, {
          reasoning,
          ...(request.runtime.signal === undefined ? {} : { signal: request.runtime.signal }),
        });
      if ((await call.decided()) === "asked" && settings !== undefined && call.pending !== undefined) {
        // First time: throws GraphInterrupt and the run stops here, the call kept waiting. On
        // resume this node runs again, finds the call, and `interrupt` returns the answer.
        let answer: unknown;
        try {
          answer = interrupt(interruptFor(call.pending, toolCall));
        } catch (err) {
          // No checkpointer, or no graph around: refuse now rather than leave the approval open.
          if (!isGraphInterrupt(err)) {
            const reason = `the interrupt failed: ${err instanceof Error ? err.message : String(err)}`;
            call.answer({ approved: false, by: settings.by, reason });
          }
          throw err;
        }
        call.answer(verdictOfResume(answer, settings));
      }
      let message: ToolMessage | Command | undefined;
      if ((await call.ready()) === "allowed") {
        call.supply(async (guardRun) => {
          const tool = request.tool;
          // The tool is invoked with the guard's signal: a revocation aborts it.
          message = await handler(
            tool === undefined ? request : { ...request, tool: withSignal(tool, guardRun.signal) },
          );
          return auditedOutput(message);
        });
      }
      try {
        await call.result;
        return message as ToolMessage | Command;
      } catch (err) {
        if (err instanceof DeniedError) return denial(err.decision, toolCall);
        throw err;
      } finally {
        registry.finish(ctx.id, callId, call);
      }
    },
  });
}

/** The ToolMessage a denied call answers the model with. */
function denial(decision: Decision, toolCall: ToolCall): ToolMessage {
  return new ToolMessage({
    content: new DeniedError(decision).message,
    tool_call_id: toolCall.id ?? decision.callId,
    name: toolCall.name,
    status: "error",
    artifact: { mandate: decision },
  });
}

/**
 * What the audit trail (and the tool's output inspector) sees of a call's result: the content the
 * model receives, parsed back from JSON when LangChain serialised an object; a Command as is.
 */
function auditedOutput(result: ToolMessage | Command): unknown {
  if (!ToolMessage.isInstance(result)) return result;
  const content = result.content;
  if (typeof content !== "string") return content;
  try {
    return JSON.parse(content);
  } catch {
    return content;
  }
}

/** The same tool, invoked with `signal` joined to the run's own. */
function withSignal<T extends object>(tool: T, signal: AbortSignal): T {
  const invoke = (tool as { invoke?: unknown }).invoke;
  if (typeof invoke !== "function") return tool;
  return Object.create(tool, {
    invoke: {
      value: (input: unknown, config?: { signal?: AbortSignal }) =>
        invoke.call(tool, input, {
          ...config,
          signal: config?.signal === undefined ? signal : AbortSignal.any([config.signal, signal]),
        }),
    },
  }) as T;
}

/** The reasoning link of a call: its thread, and the AI message that made it. */
export function reasoningFor(info: ToolCallInfo, options: MandateMiddlewareOptions = {}): ReasoningLink {
  const ai = info.messages.filter((m) => AIMessage.isInstance(m)) as AIMessage[];
  let index = ai.findIndex((m) => m.tool_calls?.some((c) => c.id === info.callId));
  if (index < 0) index = ai.length;
  const stepOf = (i: number) => ai[i]?.id ?? `step-${i}`;
  const link: ReasoningLink = {
    ...(info.threadId === undefined ? {} : { conversationId: info.threadId }),
    ...(options.traceId === undefined ? {} : { traceId: options.traceId }),
    stepId: stepOf(index),
    ...(index > 0 ? { parentStepId: stepOf(index - 1) } : {}),
  };
  return options.reasoning === undefined ? link : { ...link, ...options.reasoning(info) };
}
