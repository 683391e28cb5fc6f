/**
 * Mandate for the Model Context Protocol: guard an MCP server's tools with context tokens verified
 * offline, and a client's tool calls before they leave. Thin translations onto `@mandate/core`:
 * every decision is core's.
 * @packageDocumentation
 */
export { type DenialMeta, type DenialResult, denialOf, denialResult, refusal } from "./denial.js";
export { type ElicitationApproverOptions, elicitationApprover } from "./elicitation-approver.js";
export { type GuardClientOptions, guardClient } from "./guard-client.js";
export { type GuardServerOptions, guardServer } from "./guard-server.js";
export type { ServerExtra } from "./in-flight.js";
export { CALL_ID_META, CONTEXT_TOKEN_META, DECISION_META } from "./meta.js";
export { defaultTokenSource, type TokenSource } from "./token-source.js";
export {
  deriveToolDefinition,
  type McpToolHints,
  type McpToolMapping,
  OPEN_WORLD_DATA_CLASS,
  type ToolResolutionOptions,
} from "./tool-definitions.js";
