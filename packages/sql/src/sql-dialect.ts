/**
 * The SQL dialects the inspector parses: PostgreSQL with PostgreSQL's own parser (libpg-query,
 * WebAssembly), the others with node-sql-parser's grammar for that dialect.
 */
export type SqlDialect = "postgresql" | "mysql" | "mariadb" | "sqlite" | "bigquery";

/** Parses SQL text into the dialect's tree; throws on a syntax error. @internal */
export type DialectParser = (sql: string) => unknown;

interface SqlParserModule {
  Parser: new () => { astify(sql: string, options: { database: string }): unknown };
}

let pgModule: Promise<(sql: string) => { stmts?: unknown[] }> | undefined;

/**
 * Loads a dialect's parser once per process. PostgreSQL's parser is WebAssembly: `loadModule()`
 * compiles it once, after which `parseSync` parses synchronously, as an inspector must.
 * @internal
 */
export async function loadDialectParser(dialect: SqlDialect): Promise<DialectParser> {
  if (dialect === "postgresql") {
    pgModule ??= import("libpg-query").then(async (m) => {
      await m.loadModule();
      return m.parseSync as (sql: string) => { stmts?: unknown[] };
    });
    const parseSync = await pgModule;
    return (sql) => parseSync(sql).stmts ?? [];
  }
  const mod = (await importSqlParser(dialect)) as SqlParserModule | { default: SqlParserModule };
  const Parser = "Parser" in mod ? mod.Parser : mod.default.Parser;
  const parser = new Parser();
  const database = dialect === "mariadb" ? "mariadb" : dialect;
  return (sql) => parser.astify(sql, { database });
}

/** Each dialect's build holds only its grammar (the full package bundles every dialect: 2.5 MB). */
function importSqlParser(dialect: Exclude<SqlDialect, "postgresql">): Promise<unknown> {
  switch (dialect) {
    case "mysql":
      return import("node-sql-parser/build/mysql.js");
    case "mariadb":
      return import("node-sql-parser/build/mariadb.js");
    case "sqlite":
      return import("node-sql-parser/build/sqlite.js");
    case "bigquery":
      return import("node-sql-parser/build/bigquery.js");
  }
}
