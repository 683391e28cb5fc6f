import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createSqlInspector } from "../src/index.js";
import { seedCatalog } from "./seed-catalog.js";

interface CorpusEntry {
  readonly tag: string;
  readonly sql: string;
  readonly operations?: readonly string[];
  readonly classes?: readonly string[];
  readonly tables?: readonly string[];
  readonly uninspectable?: boolean;
  readonly note?: string;
}

const corpus = JSON.parse(
  readFileSync(new URL("./corpus/postgres.json", import.meta.url), "utf8"),
) as CorpusEntry[];

describe("adversarial PostgreSQL corpus", async () => {
  const inspect = await createSqlInspector({ catalog: seedCatalog(), database: "test" });

  it("holds at least 200 statements covering every adversarial family", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    const tags = new Set(corpus.map((e) => e.tag));
    for (const t of ["comment", "quoting", "cte", "subquery", "setop", "join", "star", "dml", "window"]) {
      expect(tags).toContain(t);
    }
    for (const t of ["catalog", "function", "admin", "ddl", "multi", "literal", "view", "uninspectable"]) {
      expect(tags).toContain(t);
    }
  });

  it("never under-reports: every expected class, table and operation is reported for every statement", () => {
    const failures: string[] = [];
    let over = 0;
    const overByEntry: string[] = [];
    for (const e of corpus) {
      const accesses = inspect.accesses(e.sql);
      const denied = accesses.some((a) => a.uninspectable);
      if (e.uninspectable) {
        if (!denied) failures.push(`${e.sql}: expected uninspectable, got ${JSON.stringify(accesses)}`);
        continue;
      }
      if (denied) {
        failures.push(`${e.sql}: uninspectable: ${accesses[0]?.uninspectable?.reason}`);
        continue;
      }
      const analysis = inspect.analyze(e.sql);
      if (!analysis.ok) throw new Error("analyze disagrees with accesses");
      const ops = analysis.statements.map((s) => s.operation);
      if (JSON.stringify(ops) !== JSON.stringify(e.operations)) {
        failures.push(
          `${e.sql}: operations ${JSON.stringify(ops)}, expected ${JSON.stringify(e.operations)}`,
        );
      }
      const reported = new Set(accesses.flatMap((a) => a.data));
      const missing = (e.classes ?? []).filter((c) => !reported.has(c));
      if (missing.length > 0) failures.push(`${e.sql}: UNDER-REPORT, missing ${missing.join(", ")}`);
      const tables = new Set(accesses.flatMap((a) => (a.facts?.tables as string[] | undefined) ?? []));
      const missingTables = (e.tables ?? []).filter((t) => !tables.has(t));
      if (missingTables.length > 0) failures.push(`${e.sql}: missing tables ${missingTables.join(", ")}`);
      const extra = [...reported].filter((c) => !(e.classes ?? []).includes(c) && c !== "unclassified");
      if (extra.length > 0) {
        over++;
        overByEntry.push(`  ${e.sql.replaceAll("\n", " ").slice(0, 90)}  +${extra.join(", +")}`);
      }
    }
    console.log(
      `corpus: ${corpus.length} statements, ${failures.length} failures, ${over} over-reported (classes beyond the expected ones, "unclassified" aside)\n${overByEntry.join("\n")}`,
    );
    expect(failures).toEqual([]);
  });
});
