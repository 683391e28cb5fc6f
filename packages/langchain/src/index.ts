/**
 * Mandate for LangChain.js: a `createAgent` middleware that guards every tool call with a Mandate
 * context. Denials reach the model as error ToolMessages; asks become LangGraph interrupts in the
 * human-in-the-loop shape, resumed with a `Command`.
 * @packageDocumentation
 */
export {
  type InterruptApprovals,
  type InterruptApprovalsOptions,
  interruptApprovals,
  type MandateInterrupt,
} from "./interrupt-approvals.js";
export {
  type MandateMiddlewareOptions,
  mandateMiddleware,
  reasoningFor,
  type ToolCallInfo,
} from "./mandate-middleware.js";
