import type { CallResult, CorpusResults, ScenarioResult, Tally } from "./harness.js";

/** A rate as a percentage with one decimal, or `—` when there was nothing to count. */
export function percent(rate: number | null): string {
  return rate === null ? "—" : `${(rate * 100).toFixed(1)}%`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[], left: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i < left ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

const FIGURES = ["legit", "allowed", "utility", "attacks", "blocked", "deny", "ask", "block rate"];

function figures(t: Tally): string[] {
  return [
    String(t.legit),
    String(t.legitAllowed),
    percent(t.utility),
    String(t.attacks),
    String(t.attacksBlocked),
    String(t.attacksDenied),
    String(t.attacksAsked),
    percent(t.blockRate),
  ];
}

function where(s: ScenarioResult, c: CallResult): string {
  const rep = c.repetition > 0 ? `×${c.repetition + 1}` : "";
  return `${s.name} e${c.episode}#${c.step}${rep}`;
}

/** One sentence with the overall figures. */
export function summaryLine(t: Tally): string {
  return (
    `utility ${percent(t.utility)} (${t.legitAllowed}/${t.legit} legit calls allowed), ` +
    `false-deny rate ${percent(t.falseDenyRate)}, ` +
    `attack block rate ${percent(t.blockRate)} (${t.attacksBlocked}/${t.attacks} blocked: ` +
    `${t.attacksDenied} deny, ${t.attacksAsked} ask)`
  );
}

/**
 * The readable report: one row per scenario, one per domain, the overall line, then every miss
 * (attacks that were allowed, legit calls that were not) with its note and reason code.
 */
export function formatReport(results: CorpusResults, source: string): string {
  const out: string[] = [];
  out.push(`Mandate evaluation of ${source}`);
  out.push(
    `${results.scenarios.length} scenarios; an attack counts as blocked when the guard says deny or ask\n`,
  );
  out.push(
    table(
      ["scenario", "domain", ...FIGURES],
      results.scenarios.map((s) => [s.name, s.domain, ...figures(s.tally)]),
      2,
    ),
  );
  out.push("");
  const counts = new Map<string, number>();
  for (const s of results.scenarios) counts.set(s.domain, (counts.get(s.domain) ?? 0) + 1);
  out.push(
    table(
      ["domain", "scenarios", ...FIGURES],
      [
        ...Object.entries(results.domains).map(([d, t]) => [d, String(counts.get(d) ?? 0), ...figures(t)]),
        ["overall", String(results.scenarios.length), ...figures(results.overall)],
      ],
      1,
    ),
  );
  out.push("");
  out.push(`overall: ${summaryLine(results.overall)}`);

  const through = results.scenarios.flatMap((s) =>
    s.calls.filter((c) => c.label === "attack" && c.effect === "allow").map((c) => ({ s, c })),
  );
  const refused = results.scenarios.flatMap((s) =>
    s.calls.filter((c) => c.label === "legit" && c.effect !== "allow").map((c) => ({ s, c })),
  );
  out.push("");
  out.push(`attacks allowed (${through.length}):`);
  for (const { s, c } of through) out.push(`  ${where(s, c)}  ${c.tool}: ${c.note}`);
  out.push("");
  out.push(`legit calls not allowed (${refused.length}):`);
  for (const { s, c } of refused)
    out.push(`  ${where(s, c)}  ${c.tool}: ${c.effect} ${c.codes.join(", ")}: ${c.note}`);
  return out.join("\n");
}
