import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { escapeTerminal as t } from "@mandate/core";
import { bool, onePositional, parse, str } from "../args.js";
import { CliError, type CliIo, EXIT, useColor } from "../cli-io.js";
import { eventLine, jsonLine } from "../event-line.js";
import { requireFile } from "../files.js";
import { paint } from "../paint.js";

export const TAIL_USAGE = `Usage: mandate audit tail <file> [options]

Prints the last events of a JSONL audit trail as readable one-liners (time, seq, type, agent,
context, tool, decision, accesses, reason codes; deviations flagged).

Options:
  -n, --lines <count>   how many of the last events to print first (default 10; 0 for none)
  -f, --follow          keep watching the file and print events as they are appended, until Ctrl-C
  --json                print each event as one line of JSON instead
  --interval <ms>       how often --follow checks the file (default 200)
  -h, --help            show this help

Exit codes: 0 ok (also when --follow is stopped with Ctrl-C) · 2 usage or I/O error`;

const NL = 0x0a;
const CHUNK = 1 << 20;

/** Splits bytes into lines on "\\n", keeping an incomplete last line until its end arrives. */
class LineSplitter {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer, emit: (line: string) => void): void {
    let buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    for (let i = buf.indexOf(NL); i >= 0; i = buf.indexOf(NL)) {
      emit(buf.subarray(0, i).toString("utf8").replace(/\r$/, ""));
      buf = buf.subarray(i + 1);
    }
    this.pending = Buffer.from(buf);
  }

  /** The incomplete last line, if any, and forget it. */
  rest(): string | undefined {
    if (this.pending.length === 0) return undefined;
    const line = this.pending.toString("utf8");
    this.pending = Buffer.alloc(0);
    return line;
  }

  reset(): void {
    this.pending = Buffer.alloc(0);
  }
}

function parseCount(v: string | undefined): number {
  if (v === undefined) return 10;
  if (!/^\d+$/.test(v))
    throw new CliError(`audit tail: -n must be a whole number, not "${v}"`, { showUsage: true });
  return Number(v);
}

/** `mandate audit tail`. */
export async function auditTail(io: CliIo, args: readonly string[]): Promise<number> {
  const { values, positionals } = parse("audit tail", args, {
    lines: { type: "string", short: "n" },
    follow: { type: "boolean", short: "f" },
    json: { type: "boolean" },
    interval: { type: "string" },
  });
  if (values.help) {
    io.stdout.write(`${TAIL_USAGE}\n`);
    return EXIT.OK;
  }
  const file = onePositional("audit tail", positionals, "file");
  const count = parseCount(str(values.lines));
  const interval = str(values.interval) === undefined ? 200 : Number(str(values.interval));
  if (!Number.isInteger(interval) || interval < 10) {
    throw new CliError("audit tail: --interval must be a whole number of milliseconds ≥ 10", {
      showUsage: true,
    });
  }
  const follow = bool(values.follow);
  const json = bool(values.json);
  const p = paint(useColor(io, "stdout"));
  await requireFile(file, "audit file");

  let lineNo = 0;
  const print = (raw: string, n: number) => {
    if (raw.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      io.stderr.write(`line ${n}: not JSON (a torn or corrupted line)\n`);
      return;
    }
    io.stdout.write(`${json ? jsonLine(value) : eventLine(value, p)}\n`);
  };

  // The last `count` lines, and where the file ended when they were read.
  const splitter = new LineSplitter();
  const last: { raw: string; n: number }[] = [];
  let offset = 0;
  try {
    for await (const chunk of createReadStream(file)) {
      const buf = chunk as Buffer;
      offset += buf.length;
      splitter.push(buf, (raw) => {
        lineNo++;
        if (raw.trim() === "" || count === 0) return;
        last.push({ raw, n: lineNo });
        if (last.length > count) last.shift();
      });
    }
  } catch (err) {
    throw new CliError(`cannot read ${t(file)}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!follow) {
    // Without --follow an incomplete last line is shown for what it is.
    const rest = splitter.rest();
    if (rest !== undefined && count > 0) {
      last.push({ raw: rest, n: lineNo + 1 });
      if (last.length > count) last.shift();
    }
  }
  for (const { raw, n } of last) print(raw, n);
  if (!follow) return EXIT.OK;

  // Follow: poll the size (works on every file system, unlike change notifications), read what was
  // appended, and keep an incomplete last line until its newline arrives.
  let missing = false;
  while (!io.signal.aborted) {
    try {
      await sleep(interval, undefined, { signal: io.signal });
    } catch {
      break;
    }
    const st = await stat(file).catch(() => undefined);
    if (st === undefined) {
      if (!missing) io.stderr.write(`${t(file)} is gone; waiting for it to come back\n`);
      missing = true;
      continue;
    }
    if (missing) {
      missing = false;
      offset = 0;
      lineNo = 0;
      splitter.reset();
    }
    if (st.size < offset) {
      io.stderr.write(`${t(file)} was truncated; reading it from the start\n`);
      offset = 0;
      lineNo = 0;
      splitter.reset();
    }
    if (st.size === offset) continue;
    const fh = await open(file, "r");
    try {
      // In bounded chunks: a burst of appended events never needs one large buffer.
      const buf = Buffer.alloc(CHUNK);
      while (offset < st.size) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, st.size - offset), offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
        splitter.push(buf.subarray(0, bytesRead), (raw) => {
          lineNo++;
          print(raw, lineNo);
        });
      }
    } finally {
      await fh.close();
    }
  }
  return EXIT.OK;
}
