import { createRequire } from "node:module";
import { escapeTerminal as t } from "@mandate/core";
import { CliError, type CliIo, EXIT } from "./cli-io.js";
import { auditReport, REPORT_USAGE } from "./commands/audit-report.js";
import { auditTail, TAIL_USAGE } from "./commands/audit-tail.js";
import { auditVerify, VERIFY_USAGE } from "./commands/audit-verify.js";
import { TOKEN_USAGE, tokenInspect } from "./commands/token-inspect.js";

/** The top-level usage. */
export const USAGE = `mandate — verify and report Mandate audit trails, inspect Mandate tokens

Usage:
  mandate audit verify <file> [--keys <jwks.json>] [--checkpoint <file>] [--json] [--progress]
  mandate audit report <file> [--intent <id>] [--format text|json|html] [--out <file>]
  mandate audit tail <file> [-n <count>] [--follow] [--json]
  mandate token inspect <jwt | - | @file> [--keys <jwks.json>] [--json]
  mandate <group> <command> --help     details of one command
  mandate --version

Exit codes: 0 ok · 1 verification failed (tampered trail, invalid token) · 2 usage or I/O error`;

type Command = (io: CliIo, args: readonly string[]) => Promise<number>;

const COMMANDS: Readonly<Record<string, Readonly<Record<string, { run: Command; usage: string }>>>> = {
  audit: {
    verify: { run: auditVerify, usage: VERIFY_USAGE },
    report: { run: auditReport, usage: REPORT_USAGE },
    tail: { run: auditTail, usage: TAIL_USAGE },
  },
  token: {
    inspect: { run: tokenInspect, usage: TOKEN_USAGE },
  },
};

function version(): string {
  const require = createRequire(import.meta.url);
  try {
    return (require("../package.json") as { version: string }).version;
  } catch {
    return "unknown";
  }
}

function usageError(io: CliIo, message: string, usage = USAGE): number {
  io.stderr.write(`mandate: ${message}\n\n${usage}\n`);
  return EXIT.USAGE;
}

/**
 * Runs the `mandate` command with its arguments (without `node` and the script) and returns the
 * exit code. Errors meant for the user are printed on stderr; nothing is thrown.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [group, command, ...rest] = argv;
  if (group === undefined) return usageError(io, "missing command");
  if (group === "--help" || group === "-h" || group === "help") {
    const usage = command !== undefined ? COMMANDS[command] : undefined;
    io.stdout.write(
      `${
        usage
          ? Object.values(usage)
              .map((c) => c.usage)
              .join("\n\n")
          : USAGE
      }\n`,
    );
    return EXIT.OK;
  }
  if (group === "--version" || group === "-v") {
    io.stdout.write(`${version()}\n`);
    return EXIT.OK;
  }
  const commands = Object.hasOwn(COMMANDS, group) ? COMMANDS[group] : undefined;
  if (commands === undefined) return usageError(io, `unknown command "${t(group)}"`);
  if (command === undefined || command === "--help" || command === "-h") {
    const usage = Object.values(commands)
      .map((c) => c.usage)
      .join("\n\n");
    if (command === undefined) return usageError(io, `missing ${group} command`, usage);
    io.stdout.write(`${usage}\n`);
    return EXIT.OK;
  }
  const entry = Object.hasOwn(commands, command) ? commands[command] : undefined;
  if (entry === undefined) {
    return usageError(
      io,
      `unknown command "${t(group)} ${t(command)}" (${group} commands: ${Object.keys(commands).join(", ")})`,
    );
  }
  try {
    return await entry.run(io, rest);
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr.write(`mandate: ${err.message}\n${err.showUsage ? `\n${entry.usage}\n` : ""}`);
      return err.exitCode;
    }
    // A bug, not a user error: show it in full, still with the I/O-error code.
    io.stderr.write(
      `mandate: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return EXIT.USAGE;
  }
}
