import type { AgentIdentity, IdentityInput, IntentInput } from "@mandate/core";
import {
  type Agent,
  type AgentOutputType,
  type Handoff,
  handoff,
  type NonStreamRunOptions,
  type RunContext,
  run,
  tool,
} from "@openai/agents";
import { contextOf, type MandateRunContext } from "./run-context.js";

/** The SDK's handoff options (its type is not exported by name). */
type HandoffOptions = NonNullable<Parameters<typeof handoff>[1]>;

/** Who the receiving agent is and what it may do: a narrower intent than its parent's. */
export interface Delegation {
  /** The receiving agent instance (an identity, or the input to issue one). */
  readonly identity: AgentIdentity | IdentityInput;
  /** Its intent: checked to be within the parent's scope and limits when the delegation happens. */
  readonly intent: IntentInput;
}

/**
 * A handoff that delegates: when the model hands off, a child context is created from the run's
 * current Mandate context (`ctx.delegate(identity, intent)`: scope and limits checked to be within
 * the parent's, audited as `context.delegated`) and becomes the run's `mandateContext`, so every
 * tool call of the receiving agent is checked against the child's narrower intent. Revoking the
 * parent revokes the child. A delegation that widens the parent's intent fails the run
 * (`ERR_BEYOND_PARENT`), as does a handoff from a revoked context (`ERR_CONTEXT_CLOSED`).
 */
export function mandateHandoff<TContext, TOutput extends AgentOutputType>(
  agent: Agent<TContext, TOutput>,
  delegation: Delegation &
    Omit<HandoffOptions, "onHandoff"> & {
      // biome-ignore lint/suspicious/noExplicitAny: passed through to the SDK
      readonly onHandoff?: (context: RunContext<TContext>, input?: any) => void | Promise<void>;
    },
): Handoff<TContext, TOutput> {
  const { identity, intent, onHandoff, ...config } = delegation;
  return handoff(agent, {
    ...config,
    onHandoff: async (context: RunContext<TContext>, input?: unknown) => {
      const parent = contextOf(context as RunContext<unknown>);
      const child = await parent.delegate(identity, intent);
      (context.context as MandateRunContext).mandateContext = child;
      await onHandoff?.(context, input);
    },
  });
}

/** Options of {@link mandateAgentTool}. */
export interface AgentToolDelegation<TContext = unknown> extends Delegation {
  /** The tool's name (default: the agent's name as a tool name). */
  readonly toolName?: string;
  readonly toolDescription?: string;
  /** Options of the nested run (its `context` is the parent run's, with the child Mandate context). */
  readonly runOptions?: Omit<NonStreamRunOptions<TContext>, "context">;
}

/**
 * An agent as a tool, under a delegated context: each call creates a child context (narrower
 * intent, checked against the calling run's context) and runs the agent with it, so the sub-agent's
 * guarded tools are checked against the child's intent and the parent's revocation stops them. The
 * tool returns the sub-agent's final output. A sub-agent call that needs approval stops the
 * sub-agent: give the sub-intent what it needs, or hand off instead.
 */
export function mandateAgentTool<TContext>(
  // biome-ignore lint/suspicious/noExplicitAny: any agent output
  agent: Agent<TContext, any>,
  options: AgentToolDelegation<TContext>,
) {
  const name = options.toolName ?? agent.name.replace(/[^A-Za-z0-9_-]+/g, "_").toLowerCase();
  return tool({
    name,
    description: options.toolDescription ?? `Ask ${agent.name}`,
    parameters: {
      type: "object",
      properties: { input: { type: "string", description: "What to ask the agent" } },
      required: ["input"],
      additionalProperties: false,
    },
    strict: true,
    execute: async (params, runContext) => {
      const { input } = params as { input: string };
      const parent = contextOf(runContext as RunContext<unknown> | undefined);
      const child = await parent.delegate(options.identity, options.intent);
      const outer = (runContext?.context ?? {}) as object;
      const result = await run(agent, input, {
        ...options.runOptions,
        context: { ...outer, mandateContext: child } as TContext,
      });
      if (result.interruptions.length > 0) {
        const names = result.interruptions.map((i) => i.name ?? "a tool").join(", ");
        return `${agent.name} stopped: ${names} needs approval, which is not available inside an agent tool`;
      }
      const out = result.finalOutput;
      return typeof out === "string" ? out : JSON.stringify(out ?? null);
    },
  });
}
