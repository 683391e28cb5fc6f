import { mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import type { AuditEvent, AuditSink } from "../audit/audit-event.js";

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
}

/**
 * The embedded file sink: appends each batch as JSON Lines with one write call. The file is
 * opened lazily on the first write and never truncated.
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
  return {
    path: options.path,
    async write(events: readonly AuditEvent[]) {
      if (events.length === 0) return;
      let text = "";
      for (const e of events) text += `${JSON.stringify(e)}\n`;
      const fh = await file();
      await fh.write(text);
      if (fsync === "batch") await fh.datasync();
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
