/**
 * `pnpm bench`: runs every benchmark suite in one process, prints a table and writes
 * `test/bench/results.json` (a flat object of figure name → number). Never edit that file by hand.
 */
import { readFile, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { mcpBench } from "../../packages/mcp/bench/mcp.bench.js";
import { postgresBench } from "../../packages/postgres/bench/postgres.bench.js";
import { redisBench } from "../../packages/redis/bench/redis.bench.js";
import { sqlBench } from "../../packages/sql/bench/sql.bench.js";
import { auditBench } from "./audit.bench.js";
import { contextBench } from "./context.bench.js";
import { coreBench } from "./core.bench.js";
import { round } from "./measure.js";

const suites: Record<string, () => Promise<Record<string, number>>> = {
  core: coreBench,
  context: contextBench,
  audit: auditBench,
  sql: sqlBench,
  mcp: mcpBench,
  redis: redisBench,
  postgres: postgresBench,
};

const only = process.argv.slice(2);
const results: Record<string, number> = {};
for (const [name, suite] of Object.entries(suites)) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stderr.write(`running ${name}…\n`);
  for (const [k, v] of Object.entries(await suite())) results[k] = round(v);
}

const width = Math.max(...Object.keys(results).map((k) => k.length));
console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}`);
for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(width)}  ${v}`);

const file = fileURLToPath(new URL("./results.json", import.meta.url));
// A run of some suites updates their figures and keeps the others'.
const previous =
  only.length === 0
    ? {}
    : (JSON.parse(await readFile(file, "utf8").catch(() => "{}")) as Record<string, number>);
await writeFile(file, `${JSON.stringify({ ...previous, ...results }, null, 2)}\n`);
console.log(`\nwrote ${file}`);

// The docs quote this run, never a hand-typed figure: rewrite the marked table in place.
if (only.length === 0) {
  const doc = fileURLToPath(new URL("../../docs/benchmarks.md", import.meta.url));
  const text = await readFile(doc, "utf8");
  const machine = `node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}`;
  const rows = Object.entries(results).map(([k, v]) => `| \`${k}\` | ${v} |`);
  const table = [`Machine: ${machine}.`, "", "| figure | value |", "| --- | --- |", ...rows].join("\n");
  const updated = text.replace(
    /<!-- bench:start -->[\s\S]*<!-- bench:end -->/,
    `<!-- bench:start -->\n${table}\n<!-- bench:end -->`,
  );
  await writeFile(doc, updated);
  console.log(`updated ${doc}`);
}
