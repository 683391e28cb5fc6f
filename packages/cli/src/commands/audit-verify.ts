import { escapeTerminal as t } from "@mandate/core";
import { bool, onePositional, parse, str, strs } from "../args.js";
import { type CliIo, EXIT, useColor } from "../cli-io.js";
import { paint } from "../paint.js";
import { verifyTrail } from "../trail.js";

export const VERIFY_USAGE = `Usage: mandate audit verify <file> [options]

Verifies a JSONL audit trail: each event's hash, the links between events, sequence numbers
(deleted, inserted, reordered events), signed checkpoints, events after a final checkpoint, and a
truncated tail (against <file>.checkpoint). Prints where and how the chain breaks.

Options:
  --keys <jwks.json>     the issuer's public keys, to check checkpoint signatures (repeatable)
  --checkpoint <file>    the checkpoint file kept outside the log (default: <file>.checkpoint if present)
  --no-checkpoint        ignore any checkpoint file
  --json                 print the verdict as JSON
  --progress             report progress on stderr every 100,000 lines (default: when stderr is a terminal)
  -h, --help             show this help

Exit codes: 0 the trail verifies · 1 it does not (tampered, truncated, reordered) · 2 usage or I/O error`;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** `mandate audit verify`. */
export async function auditVerify(io: CliIo, args: readonly string[]): Promise<number> {
  const { values, positionals } = parse("audit verify", args, {
    keys: { type: "string", multiple: true },
    checkpoint: { type: "string" },
    "no-checkpoint": { type: "boolean" },
    json: { type: "boolean" },
    progress: { type: "boolean" },
  });
  if (values.help) {
    io.stdout.write(`${VERIFY_USAGE}\n`);
    return EXIT.OK;
  }
  const file = onePositional("audit verify", positionals, "file");
  const { verification: v, checkpointFile } = await verifyTrail(io, {
    file,
    keys: strs(values.keys),
    checkpoint: bool(values["no-checkpoint"]) ? false : str(values.checkpoint),
    progress: values.progress === true ? true : undefined,
  });
  const code = v.ok ? EXIT.OK : EXIT.FAILED;
  if (bool(values.json)) {
    io.stdout.write(`${JSON.stringify({ file, checkpointFile: checkpointFile ?? null, ...v }, null, 2)}\n`);
    return code;
  }

  const p = paint(useColor(io, "stdout"));
  const out: string[] = [];
  const streams = plural(v.streams.length, "stream");
  if (v.ok) {
    out.push(
      `${t(file)}: ${p.green("VERIFIED")} — ${plural(v.events, "event")} in ${streams}; hash chain intact`,
    );
  } else {
    out.push(
      `${t(file)}: ${p.red("BROKEN")} — ${plural(v.problems.length, "problem")} in ${plural(v.events, "event")} (${streams})`,
    );
    for (const q of v.problems) {
      const where = [
        q.line !== undefined ? `line ${q.line}` : "",
        q.seq !== undefined ? `seq ${q.seq}` : "",
        q.stream !== undefined ? `stream ${t(q.stream)}` : "",
      ]
        .filter(Boolean)
        .join(", ");
      out.push(`  ${p.red(q.kind.padEnd(13))} ${where ? `${where}: ` : ""}${t(q.message)}`);
    }
  }
  if (v.tornLine !== undefined) {
    out.push(
      `  note: line ${v.tornLine} is torn (an incomplete last line, as a crash mid-write leaves): not counted as tampering`,
    );
  }
  for (const s of v.streams) {
    const cp =
      s.checkpoints === 0
        ? p.yellow("no valid checkpoint")
        : `${plural(s.checkpoints, "checkpoint")}, ${s.checkpointedSeq > 0 ? `vouched up to seq ${s.checkpointedSeq}` : "none vouching for an event present"}${s.final ? ", closed by a final checkpoint" : ""}`;
    out.push(`  stream ${t(s.stream)}: ${plural(s.events, "event")}, last seq ${s.lastSeq}; ${cp}`);
  }
  if (v.signaturesChecked) {
    out.push(`  checkpoint signatures: checked against ${strs(values.keys).map(t).join(", ")}`);
  } else {
    out.push(
      `  checkpoint signatures: ${p.yellow("NOT checked")} — pass --keys <jwks.json>; without them, whoever can rewrite the file can recompute the chain`,
    );
  }
  out.push(
    checkpointFile !== undefined
      ? `  checkpoint file: ${t(checkpointFile)} (compared, so a truncated tail shows)`
      : "  checkpoint file: none (a truncated tail after the last checkpoint in the log cannot be detected)",
  );
  io.stdout.write(`${out.join("\n")}\n`);
  return code;
}
