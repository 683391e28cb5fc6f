import type { Decision } from "./decision.js";

/**
 * Errors with stable codes. A denial is a value ({@link Decision}); these are thrown for bad input,
 * bad configuration and infrastructure failures. Branch on `err.code`, never on the message.
 */

/** Every code a {@link MandateError} can carry. */
export type MandateErrorCode =
  | "ERR_INVALID_IDENTITY"
  | "ERR_INVALID_INTENT"
  | "ERR_INVALID_CONFIG"
  | "ERR_INVALID_CALL"
  | "ERR_BEYOND_CEILING"
  | "ERR_BEYOND_PARENT"
  | "ERR_DELEGATION_DEPTH"
  | "ERR_CONTEXT_CLOSED"
  | "ERR_UNKNOWN_TOOL"
  | "ERR_UNKNOWN_ROLE"
  | "ERR_DENIED"
  | "ERR_AUDIT_UNAVAILABLE"
  | "ERR_CLOSED"
  | "ERR_NO_SIGNING_KEY"
  | "ERR_TOKEN_MALFORMED"
  | "ERR_TOKEN_ALG"
  | "ERR_TOKEN_TYPE"
  | "ERR_TOKEN_KID"
  | "ERR_TOKEN_SIGNATURE"
  | "ERR_TOKEN_EXPIRED"
  | "ERR_TOKEN_NOT_YET_VALID"
  | "ERR_TOKEN_ISSUER"
  | "ERR_TOKEN_CLAIMS"
  | "ERR_TOKEN_CHAIN"
  | "ERR_TOKEN_WIDENED"
  | "ERR_TOKEN_DEPTH"
  | "ERR_TOKEN_REVOKED";

/** Where in the input a problem was found. */
export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `allow[2].resource`; empty for the whole value. */
  readonly field: string;
  /** Short machine-readable rule that failed, e.g. `required`, `type`, `pattern.syntax`. */
  readonly rule: string;
  /** Human-readable explanation. */
  readonly message: string;
}

/** Base class of every error Mandate throws. */
export class MandateError extends Error {
  override readonly name: string = "MandateError";
  /** Stable code to branch on. */
  readonly code: MandateErrorCode;
  /** The first offending field, when the error is about input. */
  readonly field: string | undefined;
  /** Every problem found, when the error is about input. */
  readonly issues: readonly FieldIssue[];

  constructor(
    code: MandateErrorCode,
    message: string,
    issues: readonly FieldIssue[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.code = code;
    this.issues = issues;
    this.field = issues[0]?.field;
  }
}

/** Builds a {@link MandateError} for input that failed validation, naming the first offending field. */
export function invalid(code: MandateErrorCode, what: string, issues: readonly FieldIssue[]): MandateError {
  const first = issues[0];
  const where = first ? (first.field === "" ? "" : ` at "${first.field}"`) : "";
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
  return new MandateError(code, `invalid ${what}${where}: ${first?.message ?? "rejected"}${more}`, issues);
}

/**
 * Thrown by a guarded tool when the guard did not let the call run, or revoked it while it ran.
 * The decision says why: branch on `err.decision.reasons[0].code`.
 */
export class DeniedError extends MandateError {
  override readonly name = "DeniedError";
  readonly decision: Decision;

  constructor(decision: Decision) {
    const first = decision.reasons[0];
    super(
      "ERR_DENIED",
      `${decision.tool} denied: ${first ? `${first.code}: ${first.message}` : "no reason"}`,
    );
    this.decision = decision;
  }
}
