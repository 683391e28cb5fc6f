import type { Decision, Reason } from "@mandate/core";
import { DECISION_META } from "./meta.js";

/** The `_meta` entry of a refused call. */
export interface DenialMeta {
  readonly effect: "deny";
  readonly reasons: readonly { readonly code: string; readonly message: string }[];
  readonly callId?: string;
  /** For a rejected context token: the token error's code (`ERR_TOKEN_*`). */
  readonly error?: string;
}

/** The MCP tool result of a refused call: `isError`, one text line naming the reason code, and `_meta`. */
export interface DenialResult {
  [key: string]: unknown;
  content: { type: "text"; text: string }[];
  isError: true;
  _meta: { [DECISION_META]: DenialMeta };
}

/** Builds the MCP tool error for a decision that did not let a call run. */
export function denialResult(decision: Decision, error?: string): DenialResult {
  return refusal(decision.tool, decision.reasons, decision.callId, error);
}

/** Builds an MCP tool error from reasons alone (a call that never reached a context). */
export function refusal(
  tool: string,
  reasons: readonly Reason[] | readonly { code: string; message: string }[],
  callId?: string,
  error?: string,
): DenialResult {
  const first = reasons[0];
  const text = `${tool} denied: ${first ? `${first.code}: ${first.message}` : "no reason"}`;
  const meta: DenialMeta = {
    effect: "deny",
    reasons: reasons.map((r) => ({ code: r.code, message: r.message })),
    ...(callId === undefined ? {} : { callId }),
    ...(error === undefined ? {} : { error }),
  };
  return { content: [{ type: "text", text }], isError: true, _meta: { [DECISION_META]: meta } };
}

/** Reads the decision `_meta` of a tool result, if Mandate refused the call. */
export function denialOf(result: unknown): DenialMeta | undefined {
  if (result === null || typeof result !== "object") return undefined;
  const meta = (result as { _meta?: Record<string, unknown> })._meta?.[DECISION_META];
  return meta !== null && typeof meta === "object" ? (meta as DenialMeta) : undefined;
}
