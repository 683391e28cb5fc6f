import { escapeTerminal, MandateError, type TrailVerification } from "@mandate/core";
import { verifyAuditFile } from "@mandate/core/node";
import { CliError, type CliIo } from "./cli-io.js";
import { readKeySets, requireFile } from "./files.js";

/** How the trail verification of `audit verify` and `audit report` is set up. */
export interface TrailOptions {
  readonly file: string;
  readonly keys: readonly string[];
  /** An explicit checkpoint file, `false` to ignore any, or undefined for `<file>.checkpoint`. */
  readonly checkpoint: string | false | undefined;
  /** Show progress on stderr: true, false, or undefined for "when stderr is a terminal". */
  readonly progress: boolean | undefined;
}

/** What {@link verifyTrail} found, with where the checkpoints came from. */
export interface TrailResult {
  readonly verification: TrailVerification;
  readonly checkpointFile: string | undefined;
  readonly keyFiles: readonly string[];
}

const PROGRESS_EVERY = 100_000;

/**
 * Verifies a JSONL trail with core's verifier (hash chain, sequence, checkpoints, the checkpoint
 * file beside the log, signatures given keys). Input problems — a missing file, unreadable keys, a
 * file with no audit event in it — end with exit 2; a broken chain is a result, not an error.
 */
export async function verifyTrail(io: CliIo, o: TrailOptions): Promise<TrailResult> {
  const size = await requireFile(o.file, "audit file");
  const keys = await readKeySets(o.keys);
  let checkpointFile: string | undefined;
  if (typeof o.checkpoint === "string") {
    await requireFile(o.checkpoint, "checkpoint file");
    checkpointFile = o.checkpoint;
  } else if (o.checkpoint === undefined) {
    const beside = `${o.file}.checkpoint`;
    checkpointFile = await requireFile(beside).then(
      () => beside,
      () => undefined,
    );
  }
  const show = o.progress ?? io.stderrIsTTY;
  const tty = io.stderrIsTTY;
  let shown = false;
  let verification: TrailVerification;
  try {
    verification = await verifyAuditFile(o.file, {
      keys,
      checkpointFile: checkpointFile ?? false,
      onProgress: (lines) => {
        if (!show || lines % PROGRESS_EVERY !== 0) return;
        shown = true;
        const text = `verifying ${o.file}: ${lines.toLocaleString("en-US")} lines read`;
        io.stderr.write(tty ? `\r${text}` : `${text}\n`);
      },
    });
  } catch (err) {
    if (err instanceof MandateError) throw new CliError(`cannot verify: ${err.code}: ${err.message}`);
    if (err instanceof SyntaxError && checkpointFile !== undefined) {
      throw new CliError(`checkpoint file ${checkpointFile} is not JSONL: ${err.message}`);
    }
    throw new CliError(`cannot read ${o.file}: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    if (shown && tty) io.stderr.write("\r\u001b[K");
  }
  if (verification.events === 0 && size > 0 && !verification.problems.some((p) => p.kind === "truncated")) {
    const first = verification.problems[0];
    const why = first
      ? ` (line ${first.line ?? "?"}: ${first.message})`
      : verification.tornLine !== undefined
        ? ` (line ${verification.tornLine}: not JSON)`
        : "";
    throw new CliError(
      `${escapeTerminal(o.file)} is not a Mandate audit trail: no line is an audit event${why}. Expected JSON Lines as the JSONL sink writes them.`,
    );
  }
  return { verification, checkpointFile, keyFiles: o.keys };
}
