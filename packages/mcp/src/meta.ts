/**
 * The `_meta` keys Mandate uses on MCP requests and results. MCP reserves `_meta` for protocol
 * metadata; keys carry a reverse-DNS prefix so they never clash with the protocol's own.
 */

/** Request `_meta` key carrying the caller's signed context token (any transport, stdio included). */
export const CONTEXT_TOKEN_META = "dev.mandate/context-token";

/** Request `_meta` key carrying the caller's tool-call id, so both sides audit the call under one id. */
export const CALL_ID_META = "dev.mandate/call-id";

/** Result `_meta` key of a refused call: the effect and the reason codes. */
export const DECISION_META = "dev.mandate/decision";
