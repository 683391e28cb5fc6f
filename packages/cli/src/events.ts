import { readAuditLines } from "@mandate/core/node";
import { CliError } from "./cli-io.js";

/**
 * Reads a JSONL trail line by line and hands each parsed line to `add` (a line that is not JSON is
 * handed on as `undefined`, for the caller to count). Returns how many non-empty lines there were
 * and how many parsed.
 */
export async function readEvents(
  file: string,
  add: (value: unknown, line: number) => void,
): Promise<{ lines: number; parsed: number }> {
  let lines = 0;
  let parsed = 0;
  let n = 0;
  try {
    for await (const raw of readAuditLines(file)) {
      n++;
      if (raw.trim() === "") continue;
      lines++;
      let value: unknown;
      try {
        value = JSON.parse(raw);
        parsed++;
      } catch {
        value = undefined;
      }
      add(value, n);
    }
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { lines, parsed };
}
