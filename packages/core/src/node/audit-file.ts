import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { type TrailVerification, type VerifyTrailOptions, verifyAuditLines } from "../audit/verify-trail.js";
import { verifySealedFile } from "./verify-sealed-file.js";

/**
 * Reads a JSONL audit file line by line, in chunks, without loading it whole. A last line without
 * its newline (a write torn by a crash) is yielded as it is, for the verifier to report.
 */
export async function* readAuditLines(path: string): AsyncGenerator<string> {
  let rest = "";
  for await (const chunk of createReadStream(path, { encoding: "utf8", highWaterMark: 1 << 20 })) {
    const text = rest + (chunk as string);
    let start = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
      yield text.slice(start, nl);
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  if (rest !== "") yield rest;
}

/** Options of {@link verifyAuditFile}. */
export interface VerifyAuditFileOptions extends Omit<VerifyTrailOptions, "checkpoints"> {
  /**
   * The checkpoint file kept beside the log (default `<path>.checkpoint`, as the JSONL sink writes
   * it; `false` to ignore it). A missing file is not an error: truncation is then only detected
   * against checkpoints inside the log.
   */
  readonly checkpointFile?: string | false;
  /**
   * Try the fast pass first (default true): with keys given, a file whose lines are all sealed,
   * linked and vouched for by signed checkpoints is verified from its bytes without parsing each
   * line; anything else is left to the exact pass, which parses every line. `false` goes straight
   * to the exact pass. The verdict is the same either way.
   */
  readonly fast?: boolean;
}

/**
 * Verifies a JSONL audit file written by the JSONL sink: hash chain, sequence, signed checkpoints
 * (given the issuer's keys), the checkpoint file beside it (truncated tail), and a torn last line
 * left by a crash (reported, not counted as tampering).
 */
export async function verifyAuditFile(
  path: string,
  options: VerifyAuditFileOptions = {},
): Promise<TrailVerification> {
  const cpPath =
    options.checkpointFile === false ? undefined : (options.checkpointFile ?? `${path}.checkpoint`);
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
  const { checkpointFile: _, fast = true, ...rest } = options;
  if (fast) {
    const verdict = await verifySealedFile(path, checkpoints, rest);
    if (verdict !== undefined) return verdict;
  }
  return verifyAuditLines(readAuditLines(path), { ...rest, checkpoints });
}
