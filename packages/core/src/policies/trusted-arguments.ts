import type { Policy } from "../policy.js";

/** Options of {@link trustedArguments}. */
export interface TrustedArgumentsOptions {
  /** By tool name, the arguments that decide where data or money goes (`to`, `url`, `iban`, `amount`). */
  readonly tools: Readonly<Record<string, readonly string[]>>;
}

function valuesAt(args: unknown, path: string): unknown[] {
  let v: unknown = args;
  for (const key of path.split(".")) {
    if (v === null || typeof v !== "object" || !Object.hasOwn(v, key)) return [];
    v = (v as Record<string, unknown>)[key];
  }
  return Array.isArray(v) ? v : v === undefined ? [] : [v];
}

/**
 * A side-effecting call's critical arguments — recipient, URL, account, amount — must come from the
 * declared intent (its purpose, its prompt, its constraint values) or from the output of a trusted
 * tool; a value that only appeared in untrusted content, or nowhere, needs approval. This is what
 * stops an injected "change the payee IBAN to …" even when the new IBAN is in scope.
 */
export function trustedArguments(options: TrustedArgumentsOptions): Policy {
  return {
    name: "trusted-arguments",
    evaluate(input) {
      const critical = Object.hasOwn(options.tools, input.tool) ? options.tools[input.tool] : undefined;
      if (critical === undefined) return "abstain";
      for (const path of critical) {
        for (const raw of valuesAt(input.args, path)) {
          if (typeof raw !== "string" && typeof raw !== "number") {
            return {
              effect: "ask",
              reason: `argument "${path}" is not a plain value: its origin cannot be traced`,
            };
          }
          const origin = input.provenance(String(raw));
          if (origin === "intent" || origin === "trusted") continue;
          const where =
            origin === "untrusted"
              ? "only appeared in untrusted content"
              : "does not come from the intent or a trusted tool";
          return { effect: "ask", reason: `argument "${path}" = ${JSON.stringify(raw)} ${where}` };
        }
      }
      return "abstain";
    },
  };
}
