/** Where the CLI reads and writes: the process in `bin.ts`, a fake in unit use. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads all of standard input (for `mandate token inspect -`). */
  readStdin(): Promise<string>;
  /** Aborted on SIGINT/SIGTERM: long-running commands (`audit tail --follow`) stop and exit 0. */
  readonly signal: AbortSignal;
}

/** Exit codes, as documented in the README. */
export const EXIT = {
  /** Success: the trail verifies, the report was written, the token decodes (and verifies, given keys). */
  OK: 0,
  /** The trail does not verify (tampered, truncated, reordered), or the token does not verify. */
  FAILED: 1,
  /** Usage or input/output error: unknown command or option, missing or unreadable file, not JSONL. */
  USAGE: 2,
} as const;

/** An error that ends the command with a message and an exit code (2 unless said otherwise). */
export class CliError extends Error {
  override readonly name = "CliError";
  readonly exitCode: number;
  /** Print the command's usage after the message. */
  readonly showUsage: boolean;

  constructor(message: string, options: { exitCode?: number; showUsage?: boolean } = {}) {
    super(message);
    this.exitCode = options.exitCode ?? EXIT.USAGE;
    this.showUsage = options.showUsage ?? false;
  }
}

/** Whether to colour a stream: a TTY, unless NO_COLOR is set (https://no-color.org). */
export function useColor(io: CliIo, stream: "stdout" | "stderr"): boolean {
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== "") return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== "" && io.env.FORCE_COLOR !== "0")
    return true;
  return stream === "stdout" ? io.stdoutIsTTY : io.stderrIsTTY;
}
