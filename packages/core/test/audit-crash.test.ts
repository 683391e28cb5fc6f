/**
 * Crash consistency of the JSONL audit trail. A writer runs in a REAL child process
 * (fixtures/audit-crash-writer.ts): a Mandate in durable mode making guarded calls, reporting each
 * call whose tool ran (so whose decision was durably written first). The test SIGKILLs it mid-stream
 * and checks the file: at most a torn last line, everything else verifies, and every reported call
 * is there as a `tool.decision` event. Then a new writer appends a new stream to the same file and
 * closes cleanly: both streams verify, the new one with a signed final checkpoint.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { appendFile, mkdtemp, readdir, readFile, rm, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { AuditEvent, JsonWebKeySet, TrailVerification } from "../src/index.js";
import { verifyAuditFile } from "../src/node/index.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const WRITER = fileURLToPath(new URL("./fixtures/audit-crash-writer.ts", import.meta.url));
/** Longest wait for anything the child should do. */
const WAIT_MS = 20_000;

/** A writer process, with what it reported. Always stopped in afterEach. */
class Writer {
  readonly ran: string[] = [];
  readonly ready: Promise<{ pid: number; jwks: JsonWebKeySet }>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  closed = false;
  private stderr = "";

  constructor(readonly child: ChildProcess) {
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => resolve({ code, signal }));
    });
    this.ready = within(
      new Promise((resolve, reject) => {
        child.once("error", reject);
        child.once("exit", (code) =>
          reject(new Error(`writer exited (${code}) before ready: ${this.stderr}`)),
        );
        child.on("message", (m: { ready?: boolean; pid: number; jwks: JsonWebKeySet }) => {
          if (m.ready) resolve({ pid: m.pid, jwks: m.jwks });
        });
      }),
      "writer ready",
    );
    child.on("message", (m: { ran?: string; closed?: boolean }) => {
      if (m.ran !== undefined) this.ran.push(m.ran);
      if (m.closed) this.closed = true;
    });
  }

  get log(): string {
    return this.stderr;
  }

  /** Resolves once `n` calls have run. */
  async ranAtLeast(n: number): Promise<void> {
    await within(
      (async () => {
        while (this.ran.length < n) {
          if (this.child.exitCode !== null) throw new Error(`writer exited early: ${this.stderr}`);
          await sleep(5);
        }
      })(),
      `${n} calls`,
    );
  }

  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    await within(this.exited, "writer exit");
  }
}

const writers: Writer[] = [];

function startWriter(path: string, mode: string): Writer {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--conditions=@mandate/source", WRITER, path, mode],
    {
      cwd: REPO,
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    },
  );
  const w = new Writer(child);
  writers.push(w);
  return w;
}

afterEach(async () => {
  // Never leave a child behind, whatever failed.
  for (const w of writers.splice(0)) await w.kill().catch(() => {});
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The file's complete lines (those ended by a newline) and the torn rest, if any. */
async function readTrail(path: string): Promise<{ complete: string[]; torn: string | undefined }> {
  const text = await readFile(path, "utf8");
  const end = text.lastIndexOf("\n");
  const complete = end < 0 ? [] : text.slice(0, end).split("\n");
  const rest = text.slice(end + 1);
  return { complete, torn: rest === "" ? undefined : rest };
}

/** Runs a writer until it has made some calls, kills it after a random delay, and checks the file. */
async function crash(path: string, minCalls: number, delayMs: number) {
  const w = startWriter(path, "loop");
  const { jwks } = await w.ready;
  await w.ranAtLeast(minCalls);
  await sleep(delayMs);
  await w.kill();
  const ran = [...w.ran];
  const { complete, torn } = await readTrail(path);
  const events = complete.map((l) => JSON.parse(l) as AuditEvent);
  return { jwks, ran, complete, torn, events, stream: events[0]?.["mandate.stream"] as string };
}

/** The verifier's verdict must be clean: no problem at all (a torn last line is not one). */
function expectClean(verdict: TrailVerification): void {
  expect(verdict.problems).toEqual([]);
  expect(verdict.ok).toBe(true);
  expect(verdict.signaturesChecked).toBe(true);
}

describe("a writer killed mid-stream (SIGKILL, durable mode)", () => {
  it("leaves a trail that verifies up to its last complete event, with every reported call in it; a restarted writer appends a new stream that verifies to its final checkpoint", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mandate-crash-"));
    const report: string[] = [];
    try {
      for (let iteration = 0; iteration < 3; iteration++) {
        const path = join(dir, `audit-${iteration}.jsonl`);
        const delayMs = Math.floor(Math.random() * 400);
        const first = await crash(path, 5 + iteration * 40, delayMs);

        // At most a torn last line; otherwise everything verifies, up to the last complete event.
        const verdict = await verifyAuditFile(path, { keys: [first.jwks] });
        expectClean(verdict);
        expect(verdict.tornLine).toBe(first.torn === undefined ? undefined : first.complete.length + 1);
        expect(verdict.events).toBe(first.events.length);
        expect(verdict.streams).toEqual([
          expect.objectContaining({ stream: first.stream, lastSeq: first.events.length, final: false }),
        ]);
        expect(first.events.map((e) => e.seq)).toEqual(first.events.map((_, i) => i + 1));

        // Every call the child saw run had its decision in the file before it ran.
        const decided = new Set(
          first.events.filter((e) => e.type === "tool.decision").map((e) => e["gen_ai.tool.call.id"]),
        );
        const missing = first.ran.filter((id) => !decided.has(id));
        expect(missing).toEqual([]);
        expect(first.ran.length).toBeGreaterThanOrEqual(5);

        // A new writer on the same file: a new stream, appended, closed cleanly.
        const second = startWriter(path, "calls:30");
        const { jwks } = await second.ready;
        expect(await within(second.exited, "second writer to finish")).toEqual({ code: 0, signal: null });
        expect(second.closed).toBe(true);

        const after = await readTrail(path);
        expect(after.torn).toBeUndefined();
        const all = after.complete.map((l) => JSON.parse(l) as AuditEvent);
        const newStream = all.at(-1)?.["mandate.stream"] as string;
        expect(newStream).not.toBe(first.stream);

        const whole = await verifyAuditFile(path, { keys: [first.jwks, jwks] });
        expectClean(whole);
        expect(whole.tornLine).toBeUndefined();
        const byStream = new Map(whole.streams.map((s) => [s.stream, s]));
        expect(byStream.get(first.stream)).toEqual(
          expect.objectContaining({
            lastSeq: first.events.length,
            events: first.events.length,
            final: false,
          }),
        );
        const fresh = byStream.get(newStream);
        expect(fresh).toEqual(expect.objectContaining({ final: true, lastSeq: fresh?.events }));
        expect(fresh?.checkpointedSeq).toBe((fresh?.lastSeq ?? 0) - 1);
        expect(second.ran).toHaveLength(30);
        const decidedNew = new Set(
          all
            .filter((e) => e["mandate.stream"] === newStream && e.type === "tool.decision")
            .map((e) => e["gen_ai.tool.call.id"]),
        );
        expect(second.ran.filter((id) => !decidedNew.has(id))).toEqual([]);

        report.push(
          `kill ${iteration + 1}: ${delayMs} ms after ${5 + iteration * 40} calls → ${first.ran.length} calls reported, ` +
            `${first.events.length} events on file${first.torn === undefined ? "" : " + a torn line"}; ` +
            `restart appended ${fresh?.events} events`,
        );
      }
    } finally {
      console.log(report.join("\n"));
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("a torn last line (a write cut short) is reported as torn; a restarted writer sets it aside and loses nothing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mandate-torn-"));
    try {
      const path = join(dir, "audit.jsonl");
      const first = await crash(path, 20, 0);
      // A crash in the middle of a write leaves the start of a line that was never reported as
      // written: keep the complete lines, then half a line after them. (Cutting a complete line
      // instead would be truncation, which the checkpoint beside the log may rightly report.)
      const size = first.complete.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
      await truncate(path, size);
      const half = (first.complete.at(-1) as string).slice(0, 200);
      await appendFile(path, half);

      const verdict = await verifyAuditFile(path, { keys: [first.jwks] });
      expectClean(verdict);
      expect(verdict.tornLine).toBe(first.complete.length + 1);
      expect(verdict.streams).toEqual([
        expect.objectContaining({ stream: first.stream, lastSeq: first.events.length, final: false }),
      ]);

      const second = startWriter(path, "calls:10");
      const { jwks } = await second.ready;
      expect(await within(second.exited, "second writer to finish")).toEqual({ code: 0, signal: null });

      const whole = await verifyAuditFile(path, { keys: [first.jwks, jwks] });
      const streams = new Map(whole.streams.map((s) => [s.stream, s]));
      const newStream = whole.streams.find((s) => s.stream !== first.stream);
      // The new stream is whole: every event from seq 1, and the final checkpoint.
      expect(whole.problems.filter((p) => p.stream === newStream?.stream)).toEqual([]);
      expect(newStream).toEqual(expect.objectContaining({ final: true, lastSeq: newStream?.events }));
      // The crashed stream verifies up to its last complete event.
      expect(streams.get(first.stream)).toEqual(
        expect.objectContaining({ lastSeq: first.events.length, final: false }),
      );
      expect(whole.problems.filter((p) => p.stream === first.stream)).toEqual([]);
      // The fragment was set aside (it never became an event): the file verifies clean.
      expectClean(whole);
      expect(whole.tornLine).toBeUndefined();
      const asides = (await readdir(dir)).filter((f) => f.startsWith("audit.jsonl.torn-"));
      expect(asides).toHaveLength(1);
      const fragment = await readFile(join(dir, asides[0] as string), "utf8");
      expect(fragment).toBe(half);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
