import type { z } from "zod";
import { type FieldIssue, invalid, type MandateError, type MandateErrorCode } from "../errors.js";

/** Formats a zod path as `allow[2].where.amount`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function ruleOf(issue: z.core.$ZodIssue, input: unknown): string {
  if (issue.code === "custom") return String(issue.params?.rule ?? "custom");
  if (issue.code === "invalid_type" && valueAt(input, issue.path) === undefined) return "required";
  switch (issue.code) {
    case "invalid_type":
      return "type";
    case "too_small":
      return "min";
    case "too_big":
      return "max";
    case "invalid_format":
      return "format";
    case "unrecognized_keys":
      return "unknown_key";
    case "invalid_value":
      return "value";
    case "invalid_key":
      return "key";
    case "invalid_union":
      return "type";
    default:
      return issue.code;
  }
}

/** Converts zod issues into {@link FieldIssue}s; unknown keys are reported at the key itself. */
export function toFieldIssues(error: z.ZodError, input: unknown): FieldIssue[] {
  return error.issues.map((issue) => {
    const path =
      issue.code === "unrecognized_keys"
        ? [...issue.path, issue.keys[0] ?? ""]
        : (issue.path as PropertyKey[]);
    return { field: formatPath(path), rule: ruleOf(issue, input), message: issue.message };
  });
}

/**
 * Parses `input` with `schema`, throwing a {@link MandateError} with `code` that names the first
 * offending field when it does not conform.
 */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  code: MandateErrorCode,
  what: string,
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw invalid(code, what, toFieldIssues(result.error, input)) as MandateError;
}
