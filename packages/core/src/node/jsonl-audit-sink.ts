import { mkdir, open, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { AuditEvent, AuditSink } from "../audit/audit-event.js";
import { eventLine } from "../audit/chain.js";

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
      handle = await open(options.path, "a");
      return handle;
    })();
    return opening;
  };
  const checkpointPath = `${options.path}.checkpoint`;
  const latest = new Map<string, AuditEvent>();
  return {
    path: options.path,
    checkpointPath,
    async write(events: readonly AuditEvent[]) {
      if (events.length === 0) return;
      let text = "";
      let checkpointed = false;
      for (const e of events) {
        text += `${eventLine(e)}\n`;
        if (e.type === "audit.checkpoint") {
          latest.set(e["mandate.stream"], e);
          checkpointed = true;
        }
      }
      const fh = await file();
      await fh.write(text);
      if (fsync === "batch") await fh.datasync();
      if (checkpointed) {
        const tmp = `${checkpointPath}.${process.pid}.tmp`;
        await writeFile(tmp, [...latest.values()].map((e) => `${eventLine(e)}\n`).join(""));
        await rename(tmp, checkpointPath);
      }
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
