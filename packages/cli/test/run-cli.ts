/** Runs the `mandate` CLI from its sources as a real process, as a user would. */
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The workspace root: tsx is installed there. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const BIN = resolve(ROOT, "packages/cli/src/bin.ts");

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The process, before it ends (for `--follow`). */
export function startCli(args: readonly string[], options: { input?: string } = {}): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=@mandate/source", BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdin?.end(options.input ?? "");
  return child;
}

/** Collects a started process's output until it ends. */
export function finished(child: ChildProcess): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  return new Promise((done, fail) => {
    child.on("error", fail);
    child.on("close", (code, signal) => done({ code, signal, stdout, stderr }));
  });
}

/** Runs the CLI to completion. */
export function runCli(args: readonly string[], options: { input?: string } = {}): Promise<CliResult> {
  return finished(startCli(args, options));
}
