import { writeFile } from "node:fs/promises";
import {
  createIntentReportBuilder,
  type IntentReport,
  renderReportHtml,
  renderReportText,
  escapeTerminal as t,
} from "@mandate/core";
import { bool, onePositional, parse, str, strs } from "../args.js";
import { CliError, type CliIo, EXIT, useColor } from "../cli-io.js";
import { readEvents } from "../events.js";
import { requireFile } from "../files.js";
import { verifyTrail } from "../trail.js";

export const REPORT_USAGE = `Usage: mandate audit report <file> [options]

Builds an intent-based report of a JSONL audit trail: per intent, the agent instance, its purpose
and declared scope, the delegation tree, what was accessed versus declared, data classes,
denials, deviations, approvals, revocations and a timeline; and per agent. The trail is verified
first and the verdict shown at the top (a broken trail is still reported, marked BROKEN).

Options:
  --intent <id>           only this intent (an intent id or a context id) and what it delegated
  --format <format>       text (default), json or html (default from --out's extension)
  --out <file>            write the report to a file instead of stdout
  --keys <jwks.json>      the issuer's public keys, to check checkpoint signatures (repeatable)
  --checkpoint <file>     the checkpoint file (default: <file>.checkpoint if present)
  --no-verify             do not verify the trail (the report then says so)
  --limit <n>             text and html: most entries per list (deviations, timeline…) (default 200, 0: all)
  -h, --help              show this help

Exit codes: 0 report written (whatever the verdict) · 2 usage or I/O error, or no such intent`;

const FORMATS = ["text", "json", "html"] as const;
type Format = (typeof FORMATS)[number];

function formatOf(format: string | undefined, out: string | undefined): Format {
  if (format !== undefined) {
    if (!(FORMATS as readonly string[]).includes(format)) {
      throw new CliError(`audit report: --format must be one of ${FORMATS.join(", ")}, not "${format}"`, {
        showUsage: true,
      });
    }
    return format as Format;
  }
  if (out !== undefined && /\.html?$/i.test(out)) return "html";
  if (out !== undefined && /\.json$/i.test(out)) return "json";
  return "text";
}

/** `mandate audit report`. */
export async function auditReport(io: CliIo, args: readonly string[]): Promise<number> {
  const { values, positionals } = parse("audit report", args, {
    intent: { type: "string" },
    format: { type: "string" },
    out: { type: "string", short: "o" },
    keys: { type: "string", multiple: true },
    checkpoint: { type: "string" },
    "no-verify": { type: "boolean" },
    limit: { type: "string" },
  });
  if (values.help) {
    io.stdout.write(`${REPORT_USAGE}\n`);
    return EXIT.OK;
  }
  const file = onePositional("audit report", positionals, "file");
  const out = str(values.out);
  const format = formatOf(str(values.format), out);
  const intent = str(values.intent);
  const limitText = str(values.limit) ?? "200";
  if (!/^\d+$/.test(limitText)) {
    throw new CliError(`audit report: --limit must be a whole number, not "${limitText}"`, {
      showUsage: true,
    });
  }
  const limit = Number(limitText);
  await requireFile(file, "audit file");

  const verification = bool(values["no-verify"])
    ? undefined
    : (
        await verifyTrail(io, {
          file,
          keys: strs(values.keys),
          checkpoint: str(values.checkpoint),
          progress: undefined,
        })
      ).verification;

  const base = file.split(/[\\/]/).pop() ?? file;
  const options = {
    source: base,
    ...(verification ? { verification } : {}),
  };
  const builder = createIntentReportBuilder(intent !== undefined ? { ...options, intent } : options);
  const { lines, parsed } = await readEvents(file, (value) => builder.add(value));
  if (lines > 0 && parsed === 0) {
    throw new CliError(`${t(file)} is not a Mandate audit trail: no line is JSON. Expected JSON Lines.`);
  }
  const report: IntentReport = builder.build();
  if (lines > 0 && report.input.events === report.input.skipped) {
    throw new CliError(`${t(file)} is not a Mandate audit trail: no line is an audit event.`);
  }
  if (report.filter !== undefined && !report.filter.matched) {
    const all = createIntentReportBuilder();
    await readEvents(file, (value) => all.add(value));
    const known = all
      .build()
      .intents.slice(0, 20)
      .map(
        (s) =>
          `  ${t(s.intentId ?? "?")}  context ${t(s.contextId)}  ${s.purpose !== undefined ? `"${t(s.purpose)}"` : ""}`,
      );
    throw new CliError(
      `no intent or context with id ${t(intent)} in ${t(file)}${known.length > 0 ? `; intents in this trail:\n${known.join("\n")}` : ""}`,
    );
  }

  const text =
    format === "json"
      ? `${JSON.stringify(report, null, 2)}\n`
      : format === "html"
        ? renderReportHtml(report, { limit })
        : renderReportText(report, { color: out === undefined && useColor(io, "stdout"), limit });
  if (out === undefined) {
    io.stdout.write(text);
  } else {
    try {
      await writeFile(out, text);
    } catch (err) {
      throw new CliError(`cannot write ${out}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const verdict = verification === undefined ? "not verified" : verification.ok ? "verified" : "BROKEN";
    io.stderr.write(
      `wrote ${format} report to ${t(out)} (${report.totals.intents} intents, ${report.totals.deviations} deviating calls; trail ${verdict})\n`,
    );
  }
  return EXIT.OK;
}
