#!/usr/bin/env node
import { main } from "./main.js";

// Ctrl-C (and SIGTERM) stop long-running commands such as `audit tail --follow`, which then exit 0.
const stop = new AbortController();
const onSignal = () => stop.abort();
process.once("SIGINT", onSignal);
process.once("SIGTERM", onSignal);

// `mandate audit tail big.jsonl | head` closes the pipe early: that is not an error.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

async function readStdin(): Promise<string> {
  let text = "";
  process.stdin.setEncoding("utf8");
  for await (const chunk of process.stdin) text += chunk as string;
  return text;
}

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdoutIsTTY: process.stdout.isTTY === true,
  stderrIsTTY: process.stderr.isTTY === true,
  env: process.env,
  readStdin,
  signal: stop.signal,
});
process.off("SIGINT", onSignal);
process.off("SIGTERM", onSignal);
// exitCode, not exit(): let stdout drain first.
process.exitCode = code;
