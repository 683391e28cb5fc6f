import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { ServerNotification, ServerRequest } from "@modelcontextprotocol/sdk/types.js";

/** The request handler extras of a tool call on a server. */
export type ServerExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** A guarded call being served, as the elicitation approver needs it. */
export interface InFlightCall {
  readonly server: McpServer;
  readonly extra: ServerExtra;
  readonly tool: string;
}

/**
 * Calls being served by guarded handlers, by context id and call id. A Mandate's approver is called
 * with the decision, not the request: this is how the elicitation approver finds the request (and
 * so the client session) to ask.
 */
const calls = new Map<string, InFlightCall>();

const key = (contextId: string, callId: string) => `${contextId}\u0000${callId}`;

/** @internal */
export function enter(contextId: string, callId: string, call: InFlightCall): () => void {
  const k = key(contextId, callId);
  calls.set(k, call);
  return () => {
    if (calls.get(k) === call) calls.delete(k);
  };
}

/** @internal */
export function inFlight(contextId: string, callId: string): InFlightCall | undefined {
  return calls.get(key(contextId, callId));
}
