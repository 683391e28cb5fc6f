import { type Access, MandateError, uninspectable } from "@mandate/core";
import { CatalogLookup } from "./catalog-lookup.js";
import { createCatalog, type DataCatalog } from "./data-catalog.js";
import { analyzePostgres } from "./postgres-analyzer.js";
import { accessesOf } from "./sql-accesses.js";
import type { StatementAnalysis } from "./sql-analysis.js";
import { loadDialectParser, type SqlDialect } from "./sql-dialect.js";
import { analyzeSqlParserAst } from "./sql-parser-analyzer.js";
import { StatementCache } from "./statement-cache.js";
import { UninspectableSql } from "./uninspectable-sql.js";

/** Options of {@link createSqlInspector}. */
export interface SqlInspectorOptions {
  /** The data catalog: classes of columns, columns of tables (default: empty, every table unknown). */
  readonly catalog?: DataCatalog;
  /** The SQL dialect (default `postgresql`). */
  readonly dialect?: SqlDialect;
  /** The argument holding the SQL text (default `sql`). */
  readonly field?: string;
  /**
   * First segment of every resource: `<prefix>/<schema>/<table>` (default `pg` for PostgreSQL,
   * otherwise the dialect's name). Name the database when agents reach several: `crm-db`.
   */
  readonly prefix?: string;
  /**
   * Schemas searched for an unqualified table, in order (PostgreSQL's `search_path`; for MySQL the
   * current database; for BigQuery the default dataset). An unqualified name resolves to the first
   * schema whose table the catalog knows, else to the first schema. Default `["public"]` for
   * PostgreSQL, `["main"]` for SQLite, `["default"]` otherwise.
   */
  readonly searchPath?: readonly string[];
  /**
   * PostgreSQL: the database name, so that a three-part name (`db.schema.table`) naming another one
   * is uninspectable. BigQuery: the project, with the same rule for `project.dataset.table`
   * (without it, every project-qualified name is uninspectable).
   */
  readonly database?: string;
  /** Class reported for a column the catalog gives no class (default `unclassified`; `null` reports none). */
  readonly unclassified?: string | null;
  /**
   * Marker class for data the inspector cannot classify: `*` over a relation whose columns are
   * unknown, and (with `strict`) any use of a relation the catalog does not know. Intents should
   * never grant it, so such calls are denied. Default `unknown`.
   */
  readonly unknown?: string;
  /** Class of every column of a system catalog (`pg_catalog`, `information_schema`…). Default `system.catalog`. */
  readonly systemClass?: string;
  /**
   * When true (the default), reading or writing a relation the catalog does not know (no column
   * list) also reports the `unknown` class: the catalog must describe every table agents use.
   */
  readonly strict?: boolean;
  /** Statements kept in the LRU cache (default 1000; 0 disables it). */
  readonly cacheSize?: number;
  /** Longest statement text cached, in UTF-16 code units (default 16384): longer ones are parsed every time. */
  readonly maxCachedLength?: number;
  /** Longest statement text inspected at all (default 1,000,000): longer is uninspectable. */
  readonly maxLength?: number;
}

/** The outcome of analysing one SQL string. */
export type SqlAnalysis =
  | { readonly ok: true; readonly statements: readonly StatementAnalysis[] }
  | { readonly ok: false; readonly reason: string };

/**
 * A Mandate inspector for SQL tools (`inspect: sqlInspector`): synchronous, side-effect free,
 * never throws. Also exposes the finer views it is built on.
 */
export interface SqlInspector {
  /** The accesses the call's SQL argument makes; uninspectable when it cannot be understood. */
  (args: unknown): readonly Access[];
  /** The accesses of one SQL string (cached). */
  accesses(sql: string): readonly Access[];
  /** Every statement's tables, columns, operation and admin reasons (never cached). */
  analyze(sql: string): SqlAnalysis;
  readonly dialect: SqlDialect;
  readonly cache: StatementCache<readonly Access[]>;
}

const DIALECTS: readonly SqlDialect[] = ["postgresql", "mysql", "mariadb", "sqlite", "bigquery"];
const PREFIX = /^[A-Za-z0-9_.:-]+$/;
const CLASS = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

/**
 * Creates a SQL inspector. Asynchronous only because the parsers load once (PostgreSQL's parser is
 * WebAssembly); every inspection afterwards is synchronous.
 *
 * @example
 * const inspect = await createSqlInspector({ catalog, prefix: "pg" });
 * const query = defineTool<{ sql: string }>({ name: "query", action: "db.read", inspect });
 *
 * @throws MandateError `ERR_INVALID_CONFIG` for an unknown dialect or a malformed option.
 */
export async function createSqlInspector(options: SqlInspectorOptions = {}): Promise<SqlInspector> {
  const dialect = options.dialect ?? "postgresql";
  if (!DIALECTS.includes(dialect)) {
    throw config("dialect", `unknown dialect "${String(dialect)}" (one of ${DIALECTS.join(", ")})`);
  }
  const field = options.field ?? "sql";
  const prefix = options.prefix ?? (dialect === "postgresql" ? "pg" : dialect);
  if (!PREFIX.test(prefix)) throw config("prefix", "must be letters, digits and _.:- (no / or spaces)");
  const searchPath =
    options.searchPath ??
    (dialect === "postgresql" ? ["public"] : dialect === "sqlite" ? ["main"] : ["default"]);
  if (searchPath.length === 0 || searchPath.some((s) => typeof s !== "string" || s === "")) {
    throw config("searchPath", "must list at least one schema name");
  }
  const unclassified = options.unclassified === null ? undefined : (options.unclassified ?? "unclassified");
  const unknown = options.unknown ?? "unknown";
  const systemClass = options.systemClass ?? "system.catalog";
  for (const [name, value] of [
    ["unclassified", unclassified],
    ["unknown", unknown],
    ["systemClass", systemClass],
  ] as const) {
    if (value !== undefined && !CLASS.test(value)) throw config(name, `"${value}" is not a data class`);
  }
  const caseInsensitive = dialect !== "postgresql";
  const lookup = new CatalogLookup(options.catalog ?? createCatalog({}), caseInsensitive);
  const fold = (s: string) => lookup.name(s);
  const maxLength = options.maxLength ?? 1_000_000;
  const maxCachedLength = options.maxCachedLength ?? 16_384;
  const cache = new StatementCache<readonly Access[]>(options.cacheSize ?? 1000);
  const accessOptions = {
    catalog: lookup,
    prefix,
    unclassified,
    unknown,
    systemClass,
    strict: options.strict ?? true,
  };

  const parse = await loadDialectParser(dialect);
  const env = { catalog: lookup, searchPath: searchPath.map(fold), database: options.database };

  const analyze = (sql: string): SqlAnalysis => {
    if (typeof sql !== "string") return { ok: false, reason: "the SQL is not a string" };
    if (sql.length > maxLength)
      return { ok: false, reason: `the SQL is longer than ${maxLength} characters` };
    // A NUL ends the text for C parsers and wire protocols alike: what follows could be read
    // differently by the inspector and the server.
    if (sql.includes("\u0000")) return { ok: false, reason: "the SQL contains a NUL character" };
    if (sql.trim() === "") return { ok: false, reason: "the SQL is empty" };
    try {
      const tree = parse(sql);
      const statements =
        dialect === "postgresql"
          ? analyzePostgres(tree as unknown[], env)
          : analyzeSqlParserAst(tree, dialect, env);
      if (statements.length === 0) return { ok: false, reason: "the SQL holds no statement" };
      return { ok: true, statements };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof UninspectableSql) return { ok: false, reason: message };
      return { ok: false, reason: `the SQL does not parse as ${dialect}: ${message}` };
    }
  };

  const compute = (sql: string): readonly Access[] => {
    const result = analyze(sql);
    if (!result.ok) return Object.freeze([Object.freeze(uninspectable("db.query", field, result.reason))]);
    try {
      return accessesOf(result.statements, accessOptions);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return Object.freeze([Object.freeze(uninspectable("db.query", field, `inspector failed: ${message}`))]);
    }
  };

  const accesses = (sql: string): readonly Access[] => {
    if (typeof sql !== "string") return [uninspectable("db.query", field, "the SQL is not a string")];
    const hit = cache.get(sql);
    if (hit !== undefined) return hit;
    const out = compute(sql);
    if (sql.length <= maxCachedLength) cache.set(sql, out);
    return out;
  };

  const inspector = ((args: unknown): readonly Access[] => {
    const sql =
      args !== null && typeof args === "object" ? (args as Record<string, unknown>)[field] : undefined;
    if (typeof sql !== "string")
      return [uninspectable("db.query", field, `argument "${field}" is not a SQL string`)];
    return accesses(sql);
  }) as SqlInspector;
  Object.defineProperties(inspector, {
    accesses: { value: accesses },
    analyze: { value: analyze },
    dialect: { value: dialect },
    cache: { value: cache },
  });
  return inspector;
}

function config(field: string, message: string): MandateError {
  return new MandateError("ERR_INVALID_CONFIG", `invalid SQL inspector option "${field}": ${message}`, [
    { field, rule: "option", message },
  ]);
}
