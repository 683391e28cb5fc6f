/**
 * Mandate for the OpenAI Agents SDK: guarded function tools (refusals as tool input guardrail
 * rejections, `ask` as run interruptions resolved into Mandate grants), and handoffs and agents as
 * tools as delegation. Thin translations onto `@mandate/core`: every decision is core's.
 * @packageDocumentation
 */
export {
  approveCall,
  pendingApprovalOf,
  type RunApproverOptions,
  rejectCall,
  runApprover,
} from "./approvals.js";
export { type AgentToolDelegation, type Delegation, mandateAgentTool, mandateHandoff } from "./delegation.js";
export { type GuardToolOptions, guardTool, guardTools, MANDATE_GUARDRAIL } from "./guard-tool.js";
export { contextOf, type MandateRunContext } from "./run-context.js";
