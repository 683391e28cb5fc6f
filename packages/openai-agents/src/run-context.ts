import { AgentContext, MandateError } from "@mandate/core";
import type { RunContext } from "@openai/agents";

/**
 * What a guarded run carries in the SDK's run context: the Mandate context its tool calls are
 * checked against. Pass it as (part of) the run's `context`:
 * `run(agent, input, { context: { mandateContext: ctx } })`. A handoff made with `mandateHandoff`
 * replaces it with the child context it delegates.
 */
export interface MandateRunContext {
  mandateContext: AgentContext;
}

/** The Mandate context of a run; throws (failing the run closed) when the run was started without one. */
export function contextOf(runContext: RunContext<unknown> | undefined): AgentContext {
  const ctx = (runContext?.context as Partial<MandateRunContext> | undefined)?.mandateContext;
  if (!(ctx instanceof AgentContext)) {
    throw new MandateError(
      "ERR_INVALID_CALL",
      "this run has no Mandate context: run the agent with { context: { mandateContext: ctx } }",
    );
  }
  return ctx;
}
