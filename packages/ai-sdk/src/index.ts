/**
 * Mandate for the AI SDK: guard every tool call of `generateText` / `streamText` with a Mandate
 * context. Denials reach the model as tool errors; asks become the SDK's tool approvals.
 * @packageDocumentation
 */
export { type GuardToolsOptions, guardTools, reasoningFor, type ToolCallInfo } from "./guard-tools.js";
export {
  type ApprovalAnswer,
  approvalAnswers,
  type ToolApprovals,
  type ToolApprovalsOptions,
  toolApprovals,
} from "./tool-approvals.js";
