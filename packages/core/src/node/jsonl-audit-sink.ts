import { mkdir, open, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { AuditEvent, AuditSink } from "../audit/audit-event.js";
import { eventLine, HASH_FIELD, sealedText } from "../audit/chain.js";

/** When the JSONL sink asks the OS to put written events on disk. */
export type FsyncPolicy = "batch" | "none";

/** Options of {@link jsonlAuditSink}. */
export interface JsonlAuditSinkOptions {
  /** The file to append to; its folder is created if missing. */
  readonly path: string;
  /**
   * `batch` (default): fsync after every batch, so a written batch survives a crash of the
   * machine. `none`: leave it to the OS (survives a crash of the process, not of the machine).
   */
  readonly fsync?: FsyncPolicy;
}

/** A {@link AuditSink} appending one JSON object per line to a local file. */
export interface JsonlAuditSink extends AuditSink {
  readonly path: string;
  /** Where the latest signed checkpoint is kept (`<path>.checkpoint`), for truncation checks. */
  readonly checkpointPath: string;
}

/**
 * The embedded file sink: appends each batch as JSON Lines with one write call (events in their
 * sealed form: hash first, then the canonical text it covers). The file is opened lazily on the
 * first write and never truncated.
 *
 * The latest signed checkpoint of each batch is also written, atomically (temporary file, then
 * rename), to `<path>.checkpoint`, after the batch itself is on disk: a verifier compares the log
 * with it to detect a truncated tail, which the log alone cannot show.
 */
export function jsonlAuditSink(options: JsonlAuditSinkOptions): JsonlAuditSink {
  const fsync = options.fsync ?? "batch";
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  let opening: Promise<Awaited<ReturnType<typeof open>>> | undefined;
  const file = async () => {
    if (handle) return handle;
    opening ??= (async () => {
      await mkdir(dirname(options.path), { recursive: true });
      await setAsideTornTail(options.path);
      handle = await open(options.path, "a");
      return handle;
    })();
    return opening;
  };
  const checkpointPath = `${options.path}.checkpoint`;
  const latest = new Map<string, AuditEvent>();
  /** Highest sequence number written per stream: a retried or repeated batch is written once. */
  const written = new Map<string, number>();
  /** Writes run one at a time, in the order they were asked for. */
  let tail: Promise<unknown> = Promise.resolve();
  /** One buffer for every batch (writes run one at a time), grown as batches need. */
  let buf = Buffer.allocUnsafe(1 << 20);
  const append = async (events: readonly AuditEvent[]) => {
    let checkpointed = false;
    const highest = new Map<string, number>();
    /** Each event with its sealed text, or else its whole line. */
    const lines: [AuditEvent, string | undefined, string | undefined][] = [];
    let bound = 0;
    for (const e of events) {
      const stream = e["mandate.stream"];
      if (e.seq <= (written.get(stream) ?? 0)) continue; // already on disk
      highest.set(stream, Math.max(highest.get(stream) ?? 0, e.seq));
      const text = sealedText(e);
      const line = text === undefined ? eventLine(e) : undefined;
      // UTF-8 takes at most three bytes per UTF-16 code unit; the hash prefix is ASCII.
      bound += 3 * (text ?? (line as string)).length + 128;
      lines.push([e, text, line]);
      if (e.type === "audit.checkpoint") {
        latest.set(stream, e);
        checkpointed = true;
      }
    }
    if (lines.length === 0) return;
    if (buf.length < bound) buf = Buffer.allocUnsafe(Math.max(bound, 2 * buf.length));
    // Each line is encoded straight into the buffer: no batch-sized string is ever built.
    let n = 0;
    for (const [e, text, line] of lines) {
      if (text === undefined) {
        n += buf.write(line as string, n, "utf8");
      } else {
        n += buf.write(`{"${HASH_FIELD}":"${e[HASH_FIELD]}",`, n, "latin1");
        n += buf.write(text.slice(1), n, "utf8");
      }
      buf[n++] = 0x0a;
    }
    const fh = await file();
    for (let at = 0; at < n; ) at += (await fh.write(buf, at, n - at)).bytesWritten;
    if (fsync === "batch") await fh.datasync();
    for (const [stream, seq] of highest) written.set(stream, seq);
    if (checkpointed) {
      const tmp = `${checkpointPath}.${process.pid}.tmp`;
      await writeFile(tmp, [...latest.values()].map((e) => `${eventLine(e)}\n`).join(""));
      await rename(tmp, checkpointPath);
    }
  };
  return {
    path: options.path,
    checkpointPath,
    write(events: readonly AuditEvent[]) {
      const run = tail.then(() => append(events));
      tail = run.catch(() => undefined);
      return run;
    },

    async flush() {
      if (handle) await handle.datasync();
    },
    async close() {
      const fh = handle;
      handle = undefined;
      opening = undefined;
      if (fh) {
        await fh.datasync();
        await fh.close();
      }
    },
  };
}

/**
 * A crash can leave a last line without its newline: an event whose write never completed (so
 * never reported as written). Appending after it would glue the next event to it, so before the
 * first write the fragment is moved to `<path>.torn-<time>` and the log cut back to its last
 * complete line.
 */
async function setAsideTornTail(path: string): Promise<void> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, "r+");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  try {
    const { size } = await fh.stat();
    if (size === 0) return;
    const last = Buffer.alloc(1);
    await fh.read(last, 0, 1, size - 1);
    if (last[0] === 0x0a) return;
    // Find the start of the fragment: the byte after the last newline.
    const chunk = 1 << 16;
    let end = size;
    let start = 0;
    while (end > 0) {
      const from = Math.max(0, end - chunk);
      const buf = Buffer.alloc(end - from);
      await fh.read(buf, 0, buf.length, from);
      const nl = buf.lastIndexOf(0x0a);
      if (nl !== -1) {
        start = from + nl + 1;
        break;
      }
      end = from;
    }
    const fragment = Buffer.alloc(size - start);
    await fh.read(fragment, 0, fragment.length, start);
    await writeFile(`${path}.torn-${Date.now()}`, fragment);
    await fh.truncate(start);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}
