/**
 * `pnpm bench`: runs every benchmark suite, each in a process of its own (so that one suite's heap
 * — 300,000 contexts, say — does not slow the next), prints a table and writes
 * `test/bench/results.json` (a flat object of figure name → number). Never edit that file by hand.
 */
import { spawn } from "node:child_process";
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

const CHILD = "MANDATE_BENCH_SUITE";

// In a child: run the one suite named and hand its figures to the parent as one JSON line.
const childSuite = process.env[CHILD];
if (childSuite !== undefined) {
  const suite = suites[childSuite];
  if (suite === undefined) throw new Error(`no bench suite ${childSuite}`);
  process.stdout.write(`${JSON.stringify(await suite())}\n`);
  process.exit(0);
}

/** Runs one suite in a fresh process (same Node flags, so the same TypeScript loader). */
function runInChild(name: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
      env: { ...process.env, [CHILD]: name },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      const last = out.trim().split("\n").at(-1) ?? "";
      if (code !== 0) return reject(new Error(`bench suite ${name} exited with ${code}`));
      resolve(JSON.parse(last) as Record<string, number>);
    });
  });
}

const only = process.argv.slice(2);
const results: Record<string, number> = {};
for (const name of Object.keys(suites)) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stderr.write(`running ${name}…\n`);
  for (const [k, v] of Object.entries(await runInChild(name))) results[k] = round(v);
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
