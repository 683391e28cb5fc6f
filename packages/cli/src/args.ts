import { type ParseArgsConfig, parseArgs } from "node:util";
import { CliError } from "./cli-io.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parsed options: strings, booleans, or lists of strings for `multiple` options. */
export type Values = Readonly<Record<string, string | boolean | readonly string[] | undefined>>;

/**
 * `util.parseArgs` in strict mode, with its errors turned into usage errors (exit 2) that name the
 * command, so `mandate audit verify --kyes k.json` says what is wrong and how to call it.
 */
export function parse(
  command: string,
  args: readonly string[],
  options: Options,
): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Values, positionals };
  } catch (err) {
    // parseArgs appends advice about "--" that does not fit here.
    const message =
      err instanceof Error ? err.message.replace(/\. To specify a positional.*$/s, "") : String(err);
    throw new CliError(`${command}: ${message}`, { showUsage: true });
  }
}

/** The one positional argument a command takes. */
export function onePositional(command: string, positionals: readonly string[], name: string): string {
  if (positionals.length === 0) throw new CliError(`${command}: missing <${name}>`, { showUsage: true });
  if (positionals.length > 1) {
    throw new CliError(`${command}: unexpected argument "${positionals[1]}"`, { showUsage: true });
  }
  return positionals[0] as string;
}

export const str = (v: Values[string]): string | undefined => (typeof v === "string" ? v : undefined);
export const strs = (v: Values[string]): readonly string[] =>
  Array.isArray(v) ? (v as readonly string[]) : typeof v === "string" ? [v] : [];
export const bool = (v: Values[string]): boolean => v === true;
