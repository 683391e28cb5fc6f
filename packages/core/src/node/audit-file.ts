import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { type TrailVerification, type VerifyTrailOptions, verifyAuditLines } from "../audit/verify-trail.js";

/** Reads a JSONL audit file line by line, without loading it whole. */
export async function* readAuditLines(path: string): AsyncGenerator<string> {
  const lines = createInterface({ input: createReadStream(path, { encoding: "utf8" }), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) yield line;
}

/** Options of {@link verifyAuditFile}. */
export interface VerifyAuditFileOptions extends Omit<VerifyTrailOptions, "checkpoints"> {
  /**
   * The checkpoint file kept beside the log (default `<path>.checkpoint`, as the JSONL sink writes
   * it; `false` to ignore it). A missing file is not an error: truncation is then only detected
   * against checkpoints inside the log.
   */
  readonly checkpointFile?: string | false;
}

/**
 * Verifies a JSONL audit file written by the JSONL sink: hash chain, sequence, signed checkpoints
 * (given the issuer's keys), the checkpoint file beside it (truncated tail), and a torn last line
 * left by a crash (reported, not counted as tampering).
 */
export async function verifyAuditFile(path: string, options: VerifyAuditFileOptions = {}): Promise<TrailVerification> {
  const cpPath = options.checkpointFile === false ? undefined : (options.checkpointFile ?? `${path}.checkpoint`);
  let checkpoints: unknown[] = [];
  if (cpPath !== undefined) {
    const text = await readFile(cpPath, "utf8").catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return "";
      throw err;
    });
    checkpoints = text
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as unknown);
  }
  const { checkpointFile: _, ...rest } = options;
  return verifyAuditLines(readAuditLines(path), { ...rest, checkpoints });
}
