/**
 * `pnpm eval <corpus.json> [--json] [--no-policies] [--fail-under-utility X] [--fail-under-block Y]`
 *
 * Replays an evaluation corpus through the real guard and prints utility, false-deny rate and
 * attack block rate per scenario, per domain and overall. Exit codes: 0 done (and every gate
 * held), 1 a `--fail-under-*` gate failed, 2 a corpus or usage error.
 */
import { parseArgs } from "node:util";
import { CorpusError, loadCorpus, runCorpus } from "./harness.js";
import { formatReport, percent } from "./report.js";

const USAGE = `usage: pnpm eval <corpus.json> [--json] [--no-policies] [--fail-under-utility X] [--fail-under-block Y]

  --json                   print the results as JSON instead of a table
  --no-policies            leave the corpus's policies out (scope, limits and inspectors alone)
  --fail-under-utility X   exit 1 when overall utility is below X (0.95 or 95%)
  --fail-under-block Y     exit 1 when the overall attack block rate is below Y (0.8 or 80%)

exit codes: 0 ok, 1 a gate failed, 2 corpus or usage error`;

class UsageError extends Error {}

/** A threshold as a fraction: `0.95` or `95%`. */
function threshold(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(value.trim());
  const n = m ? Number(m[1]) / (m[2] ? 100 : 1) : Number.NaN;
  if (!(n >= 0 && n <= 1))
    throw new UsageError(`--${name} must be a fraction in [0, 1] or a percentage, got "${value}"`);
  return n;
}

async function main(argv: readonly string[]): Promise<number> {
  let json = false;
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        json: { type: "boolean", default: false },
        "no-policies": { type: "boolean", default: false },
        "fail-under-utility": { type: "string" },
        "fail-under-block": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    json = values.json === true;
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError("give exactly one corpus file");
    const minUtility = threshold("fail-under-utility", values["fail-under-utility"]);
    const minBlock = threshold("fail-under-block", values["fail-under-block"]);
    const source = positionals[0] as string;

    const policies = values["no-policies"] !== true;
    const results = await runCorpus(await loadCorpus(source), { policies });

    const gates: { gate: string; min: number; actual: number | null; ok: boolean }[] = [];
    if (minUtility !== undefined) {
      const actual = results.overall.utility;
      gates.push({ gate: "utility", min: minUtility, actual, ok: actual === null || actual >= minUtility });
    }
    if (minBlock !== undefined) {
      const actual = results.overall.blockRate;
      gates.push({ gate: "blockRate", min: minBlock, actual, ok: actual === null || actual >= minBlock });
    }
    if (json) {
      console.log(JSON.stringify({ corpus: source, policies, ...results, gates }, null, 2));
    } else {
      console.log(formatReport(results, policies ? source : `${source} (policies left out)`));
      for (const g of gates) {
        console.log(`gate ${g.gate} ≥ ${percent(g.min)}: ${percent(g.actual)} ${g.ok ? "ok" : "FAILED"}`);
      }
    }
    return gates.every((g) => g.ok) ? 0 : 1;
  } catch (err) {
    if (err instanceof CorpusError || err instanceof UsageError || isParseArgsError(err)) {
      const issues =
        err instanceof CorpusError ? err.issues : [{ field: "", message: (err as Error).message }];
      if (json)
        console.log(
          JSON.stringify({ error: { kind: err instanceof CorpusError ? "corpus" : "usage", issues } }),
        );
      if (err instanceof CorpusError) {
        console.error("corpus error:");
        for (const i of issues) console.error(`  ${i.field || "(corpus)"}: ${i.message}`);
      } else {
        console.error(`${(err as Error).message}\n\n${USAGE}`);
      }
      return 2;
    }
    throw err;
  }
}

function isParseArgsError(err: unknown): boolean {
  const code = err instanceof Error ? (err as Error & { code?: unknown }).code : undefined;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS");
}

process.exitCode = await main(process.argv.slice(2));
