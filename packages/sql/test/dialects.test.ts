import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createSqlInspector, type SqlDialect, type SqlInspector } from "../src/index.js";
import { seedCatalog } from "./seed-catalog.js";

interface DialectEntry {
  readonly dialect: SqlDialect;
  readonly sql: string;
  readonly operations?: readonly string[];
  readonly classes?: readonly string[];
  readonly tables?: readonly string[];
  readonly uninspectable?: boolean;
}

const corpus = JSON.parse(
  readFileSync(new URL("./corpus/dialects.json", import.meta.url), "utf8"),
) as DialectEntry[];

describe("MySQL, MariaDB, SQLite and BigQuery through node-sql-parser", async () => {
  const inspectors = new Map<SqlDialect, SqlInspector>();
  for (const dialect of ["mysql", "mariadb", "sqlite", "bigquery"] as const) {
    inspectors.set(
      dialect,
      await createSqlInspector({ catalog: seedCatalog(), dialect, searchPath: ["public"], database: "proj" }),
    );
  }

  it("never under-reports the dialect corpus (classes, tables, operations)", () => {
    const failures: string[] = [];
    for (const e of corpus) {
      const inspect = inspectors.get(e.dialect) as SqlInspector;
      const accesses = inspect.accesses(e.sql);
      const denied = accesses.some((a) => a.uninspectable);
      if (e.uninspectable) {
        if (!denied) failures.push(`${e.dialect}: ${e.sql}: expected uninspectable`);
        continue;
      }
      if (denied) {
        failures.push(`${e.dialect}: ${e.sql}: uninspectable: ${accesses[0]?.uninspectable?.reason}`);
        continue;
      }
      const analysis = inspect.analyze(e.sql);
      const ops = analysis.ok ? analysis.statements.map((s) => s.operation) : [];
      if (JSON.stringify(ops) !== JSON.stringify(e.operations)) {
        failures.push(
          `${e.dialect}: ${e.sql}: operations ${JSON.stringify(ops)}, expected ${JSON.stringify(e.operations)}`,
        );
      }
      const reported = new Set(accesses.flatMap((a) => a.data));
      const missing = (e.classes ?? []).filter((c) => !reported.has(c));
      if (missing.length > 0)
        failures.push(`${e.dialect}: ${e.sql}: UNDER-REPORT, missing ${missing.join(", ")}`);
      const tables = new Set(accesses.flatMap((a) => (a.facts?.tables as string[] | undefined) ?? []));
      const missingTables = (e.tables ?? []).filter((t) => !tables.has(t));
      if (missingTables.length > 0)
        failures.push(`${e.dialect}: ${e.sql}: missing tables ${missingTables.join(", ")}`);
    }
    console.log(`dialect corpus: ${corpus.length} statements, ${failures.length} failures`);
    expect(failures).toEqual([]);
  });

  it("uses the dialect's name as the default resource prefix", () => {
    const inspect = inspectors.get("mysql") as SqlInspector;
    expect(inspect.accesses("SELECT name FROM customers")[0]?.resource).toBe("mysql/public/customers");
  });
});
