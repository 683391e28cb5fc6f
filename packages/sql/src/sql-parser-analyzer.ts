import { GENERIC_ADMIN_FUNCTIONS, GENERIC_ADMIN_RELATIONS, nameMatcher } from "./admin-functions.js";
import type { CatalogLookup } from "./catalog-lookup.js";
import { GENERIC_BUILTIN_FUNCTIONS } from "./generic-builtins.js";
import { Scope, type Source, StatementRecorder, type TableRef } from "./relation-scope.js";
import type { StatementAnalysis } from "./sql-analysis.js";
import type { SqlDialect } from "./sql-dialect.js";
import { UninspectableSql } from "./uninspectable-sql.js";

type Node = Record<string, unknown>;

/** What the node-sql-parser analyzer needs besides the tree. @internal */
export interface SqlParserEnv {
  readonly catalog: CatalogLookup;
  /** Folded: the current database (MySQL/SQLite) or default dataset (BigQuery) first. */
  readonly searchPath: readonly string[];
  /** BigQuery: the project a `project.dataset.table` name may name. */
  readonly database: string | undefined;
}

const isAdminFunction = nameMatcher(GENERIC_ADMIN_FUNCTIONS);
const isAdminRelation = nameMatcher(GENERIC_ADMIN_RELATIONS);
const SYSTEM_SCHEMAS = new Set(["information_schema", "performance_schema", "mysql", "sys"]);
/** Keys of node-sql-parser nodes that hold no SQL: positions and the parser's own guesses. */
const SKIP_KEYS = new Set(["loc", "tableList", "columnList", "surround", "collate", "keyword", "prefix"]);
const LITERALS = new Set([
  "single_quote_string",
  "backticks_quote_string",
  "natural_string",
  "hex_string",
  "full_hex_string",
  "bit_string",
  "number",
  "bool",
  "boolean",
  "null",
  "param",
  "origin",
  "default",
  "star",
  "datatype",
  "interval_unit",
]);
const MISPARSED_NAMES = new Set(
  "from where select join on using set values into table update delete insert and or not as union group order by having limit with".split(
    " ",
  ),
);
const RELATION_KEYWORDS = new Set(["table", "view", "temporary table"]);

/**
 * Analyses node-sql-parser's tree of one or several statements (MySQL, MariaDB, SQLite, BigQuery).
 * @internal
 */
export function analyzeSqlParserAst(
  tree: unknown,
  dialect: SqlDialect,
  env: SqlParserEnv,
): StatementAnalysis[] {
  const stmts = Array.isArray(tree) ? tree : [tree];
  return stmts.map((raw, i) => {
    const stmt = obj(raw);
    if (!stmt) throw new UninspectableSql(`statement ${i} is empty`);
    const rec = new StatementRecorder(env.catalog, "transaction");
    new SqlParserWalker(env, dialect, rec).statement(stmt, new Scope(undefined));
    return rec.result(i, String(stmt.type ?? "unknown"));
  });
}

class SqlParserWalker {
  private readonly quotedIdentifiers: boolean;

  constructor(
    private readonly env: SqlParserEnv,
    private readonly dialect: SqlDialect,
    private readonly rec: StatementRecorder,
  ) {
    // SQLite reads "x" as a column when one exists; MySQL does under ANSI_QUOTES.
    this.quotedIdentifiers = dialect !== "bigquery";
  }

  statement(ast: Node, scope: Scope): void {
    const rec = this.rec;
    const type = String(ast.type ?? "");
    switch (type) {
      case "select":
        this.select(ast, scope);
        return;
      case "insert":
      case "replace":
        this.insert(ast, scope);
        return;
      case "update":
        this.update(ast, scope);
        return;
      case "delete":
        this.delete(ast, scope);
        return;
      case "explain": {
        const inner = obj(ast.expr);
        if (inner) this.statement(inner, scope);
        rec.operation("read");
        return;
      }
      case "create":
        this.create(ast, scope);
        return;
      case "drop": {
        const keyword = String(ast.keyword ?? "").toLowerCase();
        if (!RELATION_KEYWORDS.has(keyword) && keyword !== "index") {
          rec.admin(`DROP ${keyword.toUpperCase()}`);
          return;
        }
        for (const n of list(ast.name)) {
          const t = this.tableOf(obj(n));
          if (t) rec.ddl(t, keyword === "index" ? [] : "all");
        }
        rec.operation("ddl");
        return;
      }
      case "alter":
      case "rename": {
        const targets = [...list(ast.table), ...list(obj(ast.table) ? [ast.table] : [])];
        let any = false;
        for (const t of targets.flatMap((x) => (Array.isArray(x) ? x : [x]))) {
          const ref = this.tableOf(obj(t));
          if (ref) {
            rec.ddl(ref, "all");
            any = true;
          }
        }
        if (!any) rec.admin(`${type.toUpperCase()} of an object the inspector cannot name`);
        return;
      }
      case "truncate":
        for (const n of list(ast.name)) {
          const t = this.tableOf(obj(n));
          if (t) rec.writeAll(t);
        }
        rec.operation("write");
        return;
      case "transaction":
        rec.operation("transaction");
        return;
      case "use":
        rec.admin("USE changes the default database: later names would resolve elsewhere");
        return;
      case "set":
        rec.admin("SET changes session or server variables");
        return;
      case "show":
      case "desc":
        rec.admin(`${type.toUpperCase()} reads server metadata`);
        return;
      case "call":
        rec.admin("CALL runs a stored procedure");
        return;
      case "attach":
        rec.admin("ATTACH opens another database file");
        return;
      case "load_data":
        rec.admin("LOAD DATA reads a file");
        return;
    }
    rec.admin(`${type || "this statement"} is not a statement the inspector classifies as data access`);
  }

  private select(ast: Node, parent: Scope): void {
    this.rec.operation("read");
    const outer = this.withClause(ast.with, parent);
    for (let sel: Node | undefined = ast; sel; sel = obj(sel._next)) {
      if (sel !== ast && sel.with) this.withClause(sel.with, outer);
      this.selectBody(sel, outer);
    }
  }

  private selectBody(sel: Node, outer: Scope): void {
    const scope = new Scope(outer);
    for (const item of list(sel.from)) this.fromItem(obj(item), scope);
    const into = obj(sel.into);
    if (into && (into.keyword !== undefined || into.expr !== undefined) && into.position !== undefined) {
      const expr = obj(into.expr);
      if (expr && expr.type !== "var")
        this.rec.admin("SELECT … INTO OUTFILE/DUMPFILE writes a file on the server");
    }
    if (sel.columns === "*") this.rec.star(scope);
    else this.walk(sel.columns, scope);
    this.walk(sel.where, scope);
    this.walk(sel.having, scope);
    this.walk(sel.qualify, scope);
    this.walk(sel.window, scope);
    this.walk(sel.limit, scope);
    this.walk(sel._limit, scope);
    scope.outputNames = new Set(outputNames(sel) ?? []);
    const groupby = obj(sel.groupby);
    this.walk(groupby ? groupby.columns : sel.groupby, scope);
    this.walk(sel.orderby, scope);
    this.walk(sel._orderby, scope);
    scope.outputNames = undefined;
    if (sel.distinct && typeof sel.distinct === "object") this.walk(sel.distinct, scope);
  }

  private withClause(w: unknown, parent: Scope): Scope {
    const ctes = list(w);
    if (ctes.length === 0) return parent;
    const s = new Scope(parent);
    s.ctes = new Map();
    const recursive = ctes.some((c) => obj(c)?.recursive === true);
    const nameOf = (c: Node) => this.ident(obj(c.name)?.value ?? c.name);
    const columnsOf = (c: Node) => {
      const declared = list(c.columns)
        .map((x) => columnName(obj(x)))
        .filter((x): x is string => x !== undefined)
        .map((x) => this.ident(x));
      return declared.length > 0 ? declared : outputNames(statementOf(c.stmt));
    };
    if (recursive)
      for (const c of ctes) if (obj(c)) s.ctes.set(nameOf(obj(c) as Node), columnsOf(obj(c) as Node));
    for (const c of ctes) {
      const cte = obj(c);
      const stmt = cte ? statementOf(cte.stmt) : undefined;
      if (!cte || !stmt) throw new UninspectableSql("malformed WITH clause");
      this.statement(stmt, s);
      s.ctes.set(nameOf(cte), columnsOf(cte));
    }
    return s;
  }

  private insert(ast: Node, scope: Scope): void {
    const rec = this.rec;
    const target = this.tableOf(obj(list(ast.table)[0]));
    if (!target) throw new UninspectableSql("INSERT without a target table");
    rec.writeTarget(target);
    const cols = list(ast.columns)
      .map((c) => (typeof c === "string" ? c : columnName(obj(c))))
      .filter((c): c is string => c !== undefined);
    const set = list(ast.set);
    for (const c of cols) rec.write(target, this.ident(c));
    const s = new Scope(scope);
    s.sources.push({ name: target.name, table: target, columns: target.columns });
    for (const item of set) {
      const it = obj(item);
      if (typeof it?.column === "string") rec.write(target, this.ident(it.column));
      this.walk(it?.value, s);
    }
    if (cols.length === 0 && set.length === 0) rec.writeAll(target);
    const values = obj(ast.values);
    if (values) {
      if (values.type === "select") this.statement(values, scope);
      else this.walk(values, scope);
    } else if (Array.isArray(ast.values)) this.walk(ast.values, scope);
    if (obj(ast.select)) this.statement(obj(ast.select) as Node, scope);
    for (const item of list(obj(ast.on_duplicate_update)?.set)) {
      const it = obj(item);
      if (typeof it?.column === "string") rec.write(target, this.ident(it.column));
      this.walk(it?.value, s);
    }
    this.walk(obj(ast.returning)?.columns, s);
  }

  private update(ast: Node, parent: Scope): void {
    const outer = this.withClause(ast.with, parent);
    const scope = new Scope(outer);
    for (const item of list(ast.table)) this.fromItem(obj(item), scope);
    for (const item of list(ast.from)) this.fromItem(obj(item), scope);
    const tables = scope.sources.filter((s) => s.table);
    if (tables.length === 0) throw new UninspectableSql("UPDATE without a target table");
    for (const item of list(ast.set)) {
      const it = obj(item);
      if (!it || typeof it.column !== "string")
        throw new UninspectableSql("UPDATE … SET of something that is not a column");
      const column = this.ident(it.column);
      const qualifier = typeof it.table === "string" ? this.ident(it.table) : undefined;
      const targets = qualifier
        ? tables.filter((s) => s.name === qualifier || s.table?.name === qualifier)
        : tables.filter((s) => s.columns === undefined || s.columns.includes(column));
      // A column no target is known to have: it may be any of them.
      for (const t of targets.length > 0 ? targets : tables) if (t.table) this.rec.write(t.table, column);
      this.walk(it.value, scope);
    }
    this.walk(ast.where, scope);
    this.walk(ast.orderby, scope);
    this.walk(ast.limit, scope);
    this.walk(obj(ast.returning)?.columns, scope);
  }

  private delete(ast: Node, parent: Scope): void {
    const outer = this.withClause(ast.with, parent);
    const scope = new Scope(outer);
    const from = list(ast.from);
    for (const item of from.length > 0 ? from : list(ast.table)) this.fromItem(obj(item), scope);
    const targets = list(ast.table).length > 0 ? list(ast.table) : from;
    for (const item of targets) {
      const it = obj(item);
      const name = it && typeof it.table === "string" ? this.ident(it.table) : undefined;
      const src = scope.sources.find((s) => s.table && (s.name === name || s.table.name === name));
      const t = src?.table ?? this.tableOf(it);
      if (!t) throw new UninspectableSql("DELETE without a target table");
      this.rec.writeAll(t);
    }
    this.walk(ast.where, scope);
    this.walk(ast.orderby, scope);
    this.walk(ast.limit, scope);
    this.walk(obj(ast.returning)?.columns, scope);
  }

  private create(ast: Node, scope: Scope): void {
    const keyword = String(ast.keyword ?? "").toLowerCase();
    if (!RELATION_KEYWORDS.has(keyword) && keyword !== "index") {
      this.rec.admin(`CREATE ${keyword.toUpperCase() || "of an unknown kind"}`);
      return;
    }
    const names = [...list(ast.table), ...(obj(ast.view) ? [ast.view] : [])];
    for (const n of names) {
      const t = this.tableOf(obj(n));
      if (t) this.rec.ddl(t, keyword === "index" ? [] : []);
    }
    const indexTable = obj(ast.table) ? this.tableOf(obj(ast.table)) : undefined;
    if (keyword === "index" && indexTable) this.rec.ddl(indexTable);
    this.rec.operation("ddl");
    const query = statementOf(ast.query_expr) ?? statementOf(ast.select);
    if (query) this.statement(query, scope);
    // Column definitions may carry defaults and checks that call functions.
    const s = new Scope(scope);
    this.walkDefinitions(ast.create_definitions, s);
  }

  private walkDefinitions(defs: unknown, scope: Scope): void {
    for (const d of list(defs)) {
      const def = obj(d);
      if (!def) continue;
      for (const [k, v] of Object.entries(def)) {
        if (k === "column" || k === "definition" || k === "reference_definition") continue;
        this.walk(v, scope);
      }
    }
  }

  // ---- FROM ---------------------------------------------------------------------------------

  private fromItem(item: Node | undefined, scope: Scope): void {
    if (!item) throw new UninspectableSql("malformed FROM item");
    const alias = typeof item.as === "string" ? this.ident(item.as) : undefined;
    const expr = obj(item.expr);
    if (typeof item.table === "string" && !expr) {
      const parts = this.nameParts(item);
      const name = parts[parts.length - 1] as string;
      const cte = parts.length === 1 ? scope.cte(name) : undefined;
      if (cte) scope.sources.push({ name: alias ?? name, columns: cte.columns });
      else {
        const t = this.table(parts);
        this.rec.scan(t);
        scope.sources.push({ name: alias ?? t.name, table: t, columns: t.columns });
      }
    } else if (expr && (obj(expr.ast) || expr.type === "select")) {
      const stmt = statementOf(expr);
      if (!stmt) throw new UninspectableSql("malformed subquery");
      this.statement(stmt, scope);
      scope.sources.push({ name: alias, columns: outputNames(stmt) });
    } else if (item.type === "unnest" || (expr && (expr.type === "function" || expr.type === "values"))) {
      this.walk(item.type === "unnest" ? item.expr : expr, scope);
      scope.sources.push({ name: alias, columns: undefined });
    } else if (
      item.type === "dual" ||
      (typeof item.table === "string" && item.table.toLowerCase() === "dual")
    ) {
      return;
    } else {
      throw new UninspectableSql(
        `FROM item of type ${String(item.type ?? expr?.type ?? "unknown")} is not understood`,
      );
    }
    if (item.join !== undefined) {
      const added = scope.sources[scope.sources.length - 1] as Source;
      for (const u of list(item.using)) {
        const name = typeof u === "string" ? u : obj(u)?.value;
        if (typeof name === "string") this.rec.column(scope, this.ident(name));
      }
      if (String(item.join).toUpperCase().includes("NATURAL")) {
        for (const s of scope.sources) this.rec.wholeRow(s);
        void added;
      }
      this.walk(item.on, scope);
    }
  }

  // ---- expressions --------------------------------------------------------------------------

  walk(node: unknown, scope: Scope): void {
    if (Array.isArray(node)) {
      for (const n of node) this.walk(n, scope);
      return;
    }
    const n = obj(node);
    if (!n) return;
    const type = n.type;
    if (type === "column_ref") {
      this.columnRef(n, scope);
      return;
    }
    if (obj(n.ast)) {
      const stmt = statementOf(n);
      if (stmt) this.statement(stmt, scope);
      return;
    }
    if (
      type === "select" ||
      type === "insert" ||
      type === "update" ||
      type === "delete" ||
      type === "replace"
    ) {
      this.statement(n, scope);
      return;
    }
    if (type === "function" || type === "aggr_func") this.functionCall(n);
    if (type === "double_quote_string" && this.quotedIdentifiers && typeof n.value === "string") {
      this.rec.columnIfPresent(scope, this.ident(n.value));
      return;
    }
    if (type === "var") {
      if (n.prefix === "@@") this.rec.admin("reads server variables (@@…)");
      return;
    }
    if (typeof type === "string" && LITERALS.has(type)) return;
    for (const [k, v] of Object.entries(n)) {
      if (SKIP_KEYS.has(k) || (k === "name" && (type === "function" || type === "aggr_func"))) continue;
      if (v !== null && typeof v === "object") this.walk(v, scope);
    }
  }

  private columnRef(n: Node, scope: Scope): void {
    const column = columnName(n);
    if (column === undefined) throw new UninspectableSql("column reference without a name");
    const name = column === "*" ? "*" : this.ident(column);
    const qualifier: string[] = [];
    for (const k of ["db", "schema", "table"]) {
      const v = n[k];
      const s = typeof v === "string" ? v : obj(v)?.value;
      if (typeof s === "string" && s !== "") {
        if (this.dialect === "bigquery") qualifier.push(...s.split(".").map((x) => this.ident(x)));
        else qualifier.push(this.ident(s));
      }
    }
    if (qualifier.length === 0) {
      if (name === "*") this.rec.star(scope);
      else this.rec.column(scope, name);
      return;
    }
    // BigQuery: `project.dataset.table.column`; drop the project once checked.
    if (qualifier.length === 3) this.checkProject(qualifier.shift() as string);
    if (qualifier.length > 2) throw new UninspectableSql(`column reference with too many parts`);
    this.rec.qualified(scope, qualifier, name);
  }

  private functionCall(n: Node): void {
    const parts = functionNameParts(n.name).map((p) => p.toLowerCase());
    const name = parts[parts.length - 1];
    if (name === undefined) throw new UninspectableSql("function call without a name");
    if (parts.length === 1) {
      if (isAdminFunction(name)) {
        this.rec.admin(`calls ${name}, which reaches outside the data`);
        return;
      }
      if (GENERIC_BUILTIN_FUNCTIONS.has(name)) return;
    }
    const schema = parts.length > 1 ? (parts[parts.length - 2] as string) : undefined;
    for (const s of schema === undefined ? this.env.searchPath : [schema]) {
      const classes = this.env.catalog.functionClasses(s, name);
      if (classes) {
        this.rec.declaredFunction({ schema: s, name }, classes);
        return;
      }
    }
    const fn = { schema: schema ?? this.env.searchPath[0] ?? "", name };
    this.rec.admin(
      `calls ${parts.join(".")}, which is neither a known built-in nor declared in the catalog (opaque code)`,
      fn,
    );
  }

  // ---- names --------------------------------------------------------------------------------

  private ident(s: unknown): string {
    if (typeof s !== "string" || s === "") throw new UninspectableSql("identifier that is not a name");
    return this.env.catalog.name(s);
  }

  private nameParts(item: Node): string[] {
    const parts: string[] = [];
    for (const k of ["catalog", "db", "schema"]) {
      const v = item[k];
      if (typeof v === "string" && v !== "" && !(k === "catalog" && v === item.db)) {
        parts.push(...(this.dialect === "bigquery" ? v.split(".") : [v]));
      }
    }
    const table = String(item.table);
    parts.push(...(this.dialect === "bigquery" ? table.split(".") : [table]));
    // node-sql-parser's grammars have gaps (BigQuery's DELETE FROM t reads "FROM" as the table):
    // a keyword where a table name should be means the tree is wrong, so nothing in it is trusted.
    if (parts.some((p) => MISPARSED_NAMES.has(p.toLowerCase()))) {
      throw new UninspectableSql(`the parser read the keyword "${table}" as a table name`);
    }
    return parts.map((p) => this.ident(p));
  }

  private tableOf(item: Node | undefined): TableRef | undefined {
    if (!item || typeof item.table !== "string") return undefined;
    return this.table(this.nameParts(item));
  }

  private checkProject(project: string): void {
    if (this.env.database === undefined || project !== this.env.catalog.name(this.env.database)) {
      throw new UninspectableSql(`"${project}" names a project other than the configured one`);
    }
  }

  private table(parts: readonly string[]): TableRef {
    let p = [...parts];
    // BigQuery: project.dataset.table, or dataset.INFORMATION_SCHEMA.view / region-x.INFORMATION_SCHEMA.view.
    if (p.length === 3 && p[1] === "information_schema") p = ["information_schema", p[2] as string];
    if (p.length === 3) {
      this.checkProject(p[0] as string);
      p = p.slice(1);
    }
    if (p.length > 2 || p.length === 0)
      throw new UninspectableSql(`table name "${parts.join(".")}" has too many parts`);
    const name = p[p.length - 1] as string;
    let schema = p.length === 2 ? (p[0] as string) : undefined;
    if (schema === undefined) {
      schema = this.env.searchPath.find((s) => this.env.catalog.kindOf(s, name) !== undefined);
      schema ??= this.env.searchPath[0] ?? "main";
    }
    const system = SYSTEM_SCHEMAS.has(schema) || (this.dialect === "sqlite" && name.startsWith("sqlite_"));
    const ref: TableRef = {
      schema,
      name,
      key: `${schema}\u0000${name}`,
      columns: this.env.catalog.columnsOf(schema, name),
      system,
    };
    if (isAdminRelation(`${schema}.${name}`)) return { ...ref, adminReason: `reads ${schema}.${name}` };
    return ref;
  }
}

function obj(x: unknown): Node | undefined {
  return x !== null && typeof x === "object" && !Array.isArray(x) ? (x as Node) : undefined;
}

function list(x: unknown): unknown[] {
  return Array.isArray(x) ? x : [];
}

/** A statement wrapped as `{ ast }` (or `{ tableList, columnList, ast }`), or bare. */
function statementOf(x: unknown): Node | undefined {
  const n = obj(x);
  if (!n) return undefined;
  return obj(n.ast) ?? (typeof n.type === "string" ? n : undefined);
}

function columnName(n: Node | undefined): string | undefined {
  if (!n) return undefined;
  const c = n.column;
  if (typeof c === "string") return c;
  const v = obj(obj(c)?.expr)?.value;
  return typeof v === "string" ? v : undefined;
}

function functionNameParts(name: unknown): string[] {
  if (typeof name === "string") return [name];
  const n = obj(name);
  if (!n) return [];
  const parts: string[] = [];
  const schema = obj(n.schema)?.value;
  if (typeof schema === "string") parts.push(schema);
  for (const p of list(n.name)) {
    const v = obj(p)?.value;
    if (typeof v === "string") parts.push(v);
  }
  return parts;
}

/** Output column names of a select (first branch of a set operation), or undefined behind a `*`. */
function outputNames(sel: Node | undefined): string[] | undefined {
  if (sel?.type !== "select") {
    const returning = list(obj(sel?.returning)?.columns);
    if (returning.length === 0) return undefined;
    return namesOf(returning);
  }
  if (sel.columns === "*") return undefined;
  return namesOf(list(sel.columns));
}

function namesOf(columns: unknown[]): string[] | undefined {
  const out: string[] = [];
  for (const c of columns) {
    const col = obj(c);
    const as = col?.as;
    if (typeof as === "string") {
      out.push(as.toLowerCase());
      continue;
    }
    const expr = obj(col?.expr);
    if (expr?.type === "column_ref") {
      const name = columnName(expr);
      if (name === undefined || name === "*") return undefined;
      out.push(name.toLowerCase());
    } else out.push("?column?");
  }
  return out;
}
