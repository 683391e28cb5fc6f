import {
  type AgentContext,
  type AnyTool,
  CallRegistry,
  MandateError,
  type ReasoningLink,
  type ToolRun,
  type TrackedCall,
} from "@mandate/core";
import type { ModelMessage, Tool, ToolExecutionOptions, ToolSet } from "ai";
import {
  type ApprovalSettings,
  answerFrom,
  registryOf,
  settingsOf,
  type ToolApprovals,
} from "./tool-approvals.js";

/** One AI SDK tool call, as {@link GuardToolsOptions.reasoning} sees it. */
export interface ToolCallInfo {
  /** The tool's key in the `tools` record. */
  readonly toolName: string;
  /** The SDK's tool call id; it is also the audit trail's `gen_ai.tool.call.id`. */
  readonly toolCallId: string;
  readonly input: unknown;
  /** The messages the model answered with this call (without the answer itself). */
  readonly messages: readonly ModelMessage[];
  readonly experimental_context?: unknown;
}

/** Options of {@link guardTools}. */
export interface GuardToolsOptions {
  /**
   * The Mandate tool behind each AI SDK tool key: a registered tool's name or a definition. A key
   * without an entry must be the name of a tool registered with the Mandate.
   */
  readonly definitions?: Readonly<Record<string, string | AnyTool>>;
  /**
   * Routes `ask` decisions to the SDK's tool-approval flow (see {@link toolApprovals}). Without
   * it, an `ask` goes to the Mandate's own approver, and without one it is denied
   * (`approval.required`).
   */
  readonly approvals?: ToolApprovals;
  /** The conversation (`gen_ai.conversation.id`) the calls belong to, e.g. your chat id. */
  readonly conversationId?: string;
  /** The trace of this agent run. */
  readonly traceId?: string;
  /**
   * Adds to (or replaces parts of) the reasoning link of a call. By default a call's step is the
   * position of the model response that made it among the conversation's assistant messages
   * (`step-N`, its parent `step-N-1`).
   */
  readonly reasoning?: (call: ToolCallInfo) => ReasoningLink;
}

/**
 * Guards every tool of an AI SDK `tools` record with a Mandate context: each call the SDK makes
 * is checked by core's guard (with the SDK's tool call id as its call id and the model step as its
 * reasoning link), runs with an `AbortSignal` that a revocation aborts (together with the SDK's
 * own), and has its outcome audited.
 *
 * - A denied call throws a `DeniedError` from `execute`: the SDK turns it into a `tool-error` part,
 *   which the model receives as the tool's result and can recover from; the loop goes on.
 * - With {@link GuardToolsOptions.approvals}, a call Mandate asks about becomes the SDK's tool
 *   approval (`needsApproval`): a `tool-approval-request` part; the application's
 *   `tool-approval-response` resolves Mandate's pending approval, and an approved call runs under
 *   the resulting grant.
 *
 * Fails at once, with a `MandateError`, on a tool that has no Mandate definition
 * (`ERR_UNKNOWN_TOOL`) or no `execute` function (`ERR_INVALID_CONFIG`).
 *
 * @example
 * const result = await generateText({ model, tools: guardTools(ctx, { lookup, send_email }), prompt });
 */
export function guardTools<TOOLS extends ToolSet>(
  ctx: AgentContext,
  tools: TOOLS,
  options: GuardToolsOptions = {},
): TOOLS {
  let registry: CallRegistry;
  let settings: ApprovalSettings | undefined;
  if (options.approvals === undefined) registry = new CallRegistry();
  else {
    const known = registryOf.get(options.approvals);
    if (known === undefined) {
      throw new MandateError("ERR_INVALID_CONFIG", "options.approvals must come from toolApprovals()", [
        { field: "approvals", rule: "type", message: "not created by toolApprovals()" },
      ]);
    }
    registry = known;
    settings = settingsOf.get(options.approvals);
  }
  const guarded: Record<string, Tool> = {};
  for (const [key, tool] of Object.entries(tools)) {
    guarded[key] = guardOne(ctx, key, tool as Tool, registry, settings, options);
  }
  return guarded as TOOLS;
}

function guardOne(
  ctx: AgentContext,
  key: string,
  tool: Tool,
  registry: CallRegistry,
  settings: ApprovalSettings | undefined,
  options: GuardToolsOptions,
): Tool {
  const execute = tool.execute;
  if (typeof execute !== "function") {
    const message = `AI SDK tool "${key}" has no execute function: Mandate guards the calls the SDK runs`;
    throw new MandateError("ERR_INVALID_CONFIG", message, [
      { field: `tools.${key}.execute`, rule: "required", message },
    ]);
  }
  // Throws ERR_UNKNOWN_TOOL now, not at the first call, for a key Mandate has no tool for.
  const guardedCall = ctx.guard(options.definitions?.[key] ?? key, registry.body);
  const userNeedsApproval = tool.needsApproval;
  // The SDK hands its abort signal to `onInputAvailable`, before it asks whether to approve.
  const signals = new Map<string, AbortSignal>();

  const start = (
    input: unknown,
    toolCallId: string,
    messages: readonly ModelMessage[],
    experimental_context: unknown,
    signal: AbortSignal | undefined,
  ): TrackedCall<unknown> => {
    const info: ToolCallInfo = { toolName: key, toolCallId, input, messages, experimental_context };
    return registry.begin(ctx.id, toolCallId, guardedCall, input, {
      reasoning: reasoningFor(info, options),
      ...(signal === undefined ? {} : { signal }),
    });
  };

  const wrapped: Tool = {
    ...tool,
    execute: async (input: unknown, opts: ToolExecutionOptions) => {
      if (settings !== undefined) answerFrom(registry, settings, opts.messages);
      signals.delete(opts.toolCallId);
      const call =
        registry.get<unknown>(ctx.id, opts.toolCallId) ??
        start(input, opts.toolCallId, opts.messages, opts.experimental_context, opts.abortSignal);
      try {
        if ((await call.decided()) === "asked" && settings !== undefined) {
          // Started here (the tool's own needsApproval gated it): the SDK's approval answers Mandate.
          answerFrom(registry, settings, opts.messages);
          // The SDK only runs approved calls: an ask with no readable answer fails closed.
          call.answer({
            approved: false,
            by: settings.by,
            reason: "no tool-approval-response for this call",
          });
        }
        if ((await call.ready()) === "allowed") call.supply((run) => runTool(execute, input, opts, run));
        return await call.result;
      } finally {
        registry.finish(ctx.id, opts.toolCallId, call);
      }
    },
  };
  if (settings !== undefined) {
    const approvalSettings = settings;
    wrapped.onInputAvailable = async (opts) => {
      if (opts.abortSignal !== undefined) signals.set(opts.toolCallId, opts.abortSignal);
      await tool.onInputAvailable?.(opts);
    };
    wrapped.needsApproval = async (input: unknown, opts) => {
      answerFrom(registry, approvalSettings, opts.messages);
      // The tool's own gate: the SDK asks the user, and the guard runs when `execute` is called.
      if (userNeedsApproval === true) return true;
      if (typeof userNeedsApproval === "function" && (await userNeedsApproval(input as never, opts)))
        return true;
      let call = registry.get<unknown>(ctx.id, opts.toolCallId);
      if (call === undefined) {
        const signal = signals.get(opts.toolCallId);
        signals.delete(opts.toolCallId);
        call = start(input, opts.toolCallId, opts.messages, opts.experimental_context, signal);
      }
      // A resumed conversation in a fresh process: the answer is already in the messages.
      if ((await call.decided()) === "asked") answerFrom(registry, approvalSettings, opts.messages);
      // Once asked, always asked: the SDK checks again before it runs an approved call, and
      // treats `false` then as a refusal.
      return call.asked;
    };
  }
  return wrapped;
}

/** Runs the SDK tool's own `execute` under the guard's run: its signal joins the SDK's. */
async function runTool(
  execute: NonNullable<Tool["execute"]>,
  input: unknown,
  opts: ToolExecutionOptions,
  run: ToolRun,
): Promise<unknown> {
  const abortSignal =
    opts.abortSignal === undefined ? run.signal : AbortSignal.any([run.signal, opts.abortSignal]);
  const output = execute(input, { ...opts, abortSignal });
  if (isAsyncIterable(output)) {
    // A streaming tool: preliminary results are collapsed into the final one the guard audits.
    let last: unknown;
    for await (const part of output) last = part;
    return last;
  }
  return await output;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function"
  );
}

/** The reasoning link of a call: the conversation, and the model step that made the call. */
export function reasoningFor(info: ToolCallInfo, options: GuardToolsOptions = {}): ReasoningLink {
  const step = stepOf(info.messages, info.toolCallId);
  const link: ReasoningLink = {
    ...(options.conversationId === undefined ? {} : { conversationId: options.conversationId }),
    ...(options.traceId === undefined ? {} : { traceId: options.traceId }),
    stepId: `step-${step}`,
    ...(step > 0 ? { parentStepId: `step-${step - 1}` } : {}),
  };
  return options.reasoning === undefined ? link : { ...link, ...options.reasoning(info) };
}

/**
 * The position, among the conversation's assistant messages, of the model response that made the
 * call: found by its tool call when the messages hold it (a resumed call), otherwise the response
 * being handled now, which comes after every assistant message so far.
 */
function stepOf(messages: readonly ModelMessage[], toolCallId: string): number {
  let step = 0;
  for (const m of messages) {
    if (m.role !== "assistant") continue;
    if (
      typeof m.content !== "string" &&
      m.content.some((p) => p.type === "tool-call" && p.toolCallId === toolCallId)
    )
      return step;
    step++;
  }
  return step;
}
