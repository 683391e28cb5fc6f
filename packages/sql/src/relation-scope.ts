import type { CatalogLookup } from "./catalog-lookup.js";
import {
  type AdminUse,
  type FunctionUse,
  OPERATION_RANK,
  type SqlOperation,
  type StatementAnalysis,
  type TableName,
  type TableUse,
} from "./sql-analysis.js";
import { UninspectableSql } from "./uninspectable-sql.js";

/**
 * A relation as resolved against the catalog. `columns` is undefined when the catalog does not know
 * them (then `*` cannot be expanded and is reported as such).
 * @internal
 */
export interface TableRef extends TableName {
  readonly key: string;
  readonly columns: readonly string[] | undefined;
  readonly system: boolean;
  /** Set when merely reading this relation is an admin operation (credentials, statistics). */
  readonly adminReason?: string;
}

/**
 * Something a FROM clause makes visible under a name: a base relation, a derived one (subquery,
 * CTE, function, VALUES: its columns come from a body analysed on its own, so references to them
 * add nothing), or a join alias covering other sources.
 * @internal
 */
export interface Source {
  readonly name: string | undefined;
  readonly table?: TableRef;
  readonly columns: readonly string[] | undefined;
  readonly members?: readonly Source[];
  /** Column aliases (`FROM employees AS e(a, b)`): visible name → real column (`*` when unknown). */
  readonly rename?: ReadonlyMap<string, string>;
}

/**
 * One query level: the sources of its FROM clause, the CTEs it defines, and its parent level (for
 * correlated references). `outputNames` is set while walking ORDER BY / GROUP BY, where a name may
 * also be an output column alias.
 * @internal
 */
export class Scope {
  readonly sources: Source[] = [];
  ctes: Map<string, readonly string[] | undefined> | undefined;
  outputNames: ReadonlySet<string> | undefined;
  constructor(readonly parent: Scope | undefined) {}

  /** The CTE visible from this level under `name`, if any (columns may be unknown). */
  cte(name: string): { columns: readonly string[] | undefined } | undefined {
    for (let s: Scope | undefined = this; s; s = s.parent) {
      if (s.ctes?.has(name)) return { columns: s.ctes.get(name) };
    }
    return undefined;
  }
}

interface MutableUse {
  table: TableRef;
  reads: boolean;
  writes: boolean;
  ddl: boolean;
  read: Set<string>;
  written: Set<string>;
  altered: Set<string>;
}

/**
 * Records what one statement touches and resolves column references the way the SQL engine
 * would, erring on the side of reporting more: every column named anywhere (select list, WHERE,
 * JOIN, GROUP BY, ORDER BY, function arguments, subqueries, CTE bodies whether used or not) counts
 * as read, an ambiguous name counts for every candidate, and `*` over a relation whose columns are
 * unknown is recorded as `*`.
 * @internal
 */
export class StatementRecorder {
  private readonly uses = new Map<string, MutableUse>();
  private readonly adminUses: AdminUse[] = [];
  private readonly adminSeen = new Set<string>();
  private readonly functionUses = new Map<string, FunctionUse>();
  private readonly unresolvedNames = new Set<string>();
  private op: SqlOperation;

  constructor(
    readonly catalog: CatalogLookup,
    operation: SqlOperation,
  ) {
    this.op = operation;
  }

  /** Raises the statement's operation to at least `op`. */
  operation(op: SqlOperation): void {
    if (OPERATION_RANK[op] > OPERATION_RANK[this.op]) this.op = op;
  }

  admin(reason: string, fn?: TableName): void {
    const key = fn ? `${reason}\u0000${fn.schema}\u0000${fn.name}` : reason;
    if (this.adminSeen.has(key)) return;
    this.adminSeen.add(key);
    this.adminUses.push(fn ? { reason, function: { schema: fn.schema, name: fn.name } } : { reason });
    this.operation("admin");
  }

  declaredFunction(fn: TableName, classes: readonly string[]): void {
    this.functionUses.set(`${fn.schema}\u0000${fn.name}`, { function: fn, classes });
  }

  private use(t: TableRef): MutableUse {
    let u = this.uses.get(t.key);
    if (!u) {
      u = {
        table: t,
        reads: false,
        writes: false,
        ddl: false,
        read: new Set(),
        written: new Set(),
        altered: new Set(),
      };
      this.uses.set(t.key, u);
      if (t.adminReason) this.admin(t.adminReason);
    }
    return u;
  }

  /** The relation is read (scanned), whether or not a column is named. */
  scan(t: TableRef): void {
    this.use(t).reads = true;
  }

  read(t: TableRef, column: string): void {
    const u = this.use(t);
    u.reads = true;
    u.read.add(column);
  }

  readAll(t: TableRef): void {
    const u = this.use(t);
    u.reads = true;
    addAll(u.read, t);
  }

  write(t: TableRef, column: string): void {
    const u = this.use(t);
    u.writes = true;
    u.written.add(column);
    this.operation("write");
  }

  /** Every column is written (INSERT without a column list, DELETE, TRUNCATE). */
  writeAll(t: TableRef): void {
    const u = this.use(t);
    u.writes = true;
    addAll(u.written, t);
    this.operation("write");
  }

  /** A write target named without columns yet (the columns follow). */
  writeTarget(t: TableRef): void {
    this.use(t).writes = true;
    this.operation("write");
  }

  /** DDL on the relation; `columns` are those whose data or definition it touches (`all` for every one). */
  ddl(t: TableRef, columns: "all" | readonly string[] = []): void {
    const u = this.use(t);
    u.ddl = true;
    if (columns === "all") addAll(u.altered, t);
    else for (const c of columns) u.altered.add(c);
    this.operation("ddl");
  }

  unresolved(name: string): void {
    this.unresolvedNames.add(name);
  }

  // ---- name resolution ----------------------------------------------------------------------

  /** `*`: every source of the level. */
  star(scope: Scope): void {
    for (const s of scope.sources) if (!s.members) this.wholeRow(s);
  }

  /** `q.*` or a whole-row reference to source `q`. */
  wholeRow(s: Source): void {
    if (s.members) {
      for (const m of s.members) this.wholeRow(m);
      return;
    }
    if (s.table) this.readAll(s.table);
  }

  /** An unqualified column name. */
  column(scope: Scope, name: string): void {
    let sawMaybe = false;
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      let definite = 0;
      const rows: Source[] = [];
      for (const src of s.sources) {
        if (src.name === name) rows.push(src);
        if (src.members) continue;
        if (src.columns === undefined) {
          // The source may have the column: count it there, and keep looking outward too.
          sawMaybe = true;
          this.readFrom(src, name);
        } else if (src.columns.includes(name)) {
          definite++;
          this.readFrom(src, name);
        }
      }
      // A name that matches no column but names a source is a whole-row reference (`SELECT e FROM
      // employees e`, `row_to_json(e)`): every column of the source.
      for (const r of rows) this.wholeRow(r);
      if (definite > 1) this.unresolved(name);
      if (definite > 0 || rows.length > 0) return;
      if (s.outputNames?.has(name) && !sawMaybe) return;
    }
    if (sawMaybe) return;
    // Found nowhere: the engine would reject it, unless the catalog is out of date. Count it for
    // every relation of the nearest level that has any.
    this.unresolved(name);
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      const tables = s.sources.filter((x) => x.table);
      if (tables.length === 0) continue;
      for (const t of tables) if (t.table) this.read(t.table, name);
      return;
    }
  }

  /**
   * A double-quoted string that the server may read as a column name (SQLite does when a column of
   * that name exists; MySQL does under ANSI_QUOTES): counted as a column wherever one may exist,
   * and otherwise left alone as the string it then is.
   */
  columnIfPresent(scope: Scope, name: string): void {
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      let found = false;
      for (const src of s.sources) {
        if (src.members) continue;
        if (src.columns === undefined || src.columns.includes(name)) {
          this.readFrom(src, name);
          if (src.columns !== undefined) found = true;
        }
      }
      if (found) return;
    }
  }

  /**
   * A qualified reference `q.name` (or `q.*` when name is `*`), where `q` is a source name, or
   * `schema.table` given as two parts. A qualifier that names no source is uninspectable.
   */
  qualified(scope: Scope, qualifier: readonly string[], name: string): void {
    const src = this.findSource(scope, qualifier);
    if (!src) {
      // The engine would reject a qualifier that names nothing in scope; the inspector refuses it
      // too, so that a gap in its own scoping can never turn into a silent under-report.
      throw new UninspectableSql(
        `"${qualifier.join(".")}.${name}": "${qualifier.join(".")}" is not a relation in scope`,
      );
    }
    if (name === "*") {
      this.wholeRow(src);
      return;
    }
    this.sourceColumn(src, name, `${qualifier.join(".")}.${name}`);
  }

  private sourceColumn(src: Source, name: string, written: string): void {
    if (src.members) {
      const having = src.members.filter(
        (m) => m.members || m.columns === undefined || m.columns.includes(name),
      );
      if (having.length === 0) {
        this.attributeCall(written);
        for (const m of src.members) this.wholeRow(m);
        return;
      }
      for (const m of having) this.sourceColumn(m, name, written);
      return;
    }
    if (src.columns !== undefined && !src.columns.includes(name)) {
      // `t.f` where t has no column f is PostgreSQL's attribute notation for calling f(t): opaque
      // code over the whole row (or an error, when the catalog is out of date).
      this.attributeCall(written);
      this.wholeRow(src);
      return;
    }
    this.readFrom(src, name);
  }

  private readFrom(src: Source, name: string): void {
    if (!src.table) return;
    const real = src.rename?.get(name) ?? name;
    if (real === "*") this.readAll(src.table);
    else this.read(src.table, real);
  }

  private attributeCall(written: string): void {
    this.unresolved(written);
    this.admin(
      `"${written}" names no known column: a function called on the row (attribute notation) or a stale catalog`,
    );
  }

  private findSource(scope: Scope, qualifier: readonly string[]): Source | undefined {
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      for (const src of s.sources) {
        if (qualifier.length === 1) {
          if (src.name === qualifier[0]) return src;
        } else if (
          qualifier.length === 2 &&
          src.table &&
          src.table.schema === qualifier[0] &&
          src.table.name === qualifier[1]
        ) {
          return src;
        }
      }
      // An aliased relation may still be named by its table name in some dialects: accept it.
      if (qualifier.length === 1) {
        for (const src of s.sources) if (src.table && src.table.name === qualifier[0]) return src;
      }
    }
    return undefined;
  }

  // ---- result -------------------------------------------------------------------------------

  result(index: number, kind: string): StatementAnalysis {
    const tables: TableUse[] = [];
    for (const u of this.uses.values()) {
      tables.push({
        table: { schema: u.table.schema, name: u.table.name },
        known: u.table.columns !== undefined,
        system: u.table.system,
        reads: u.reads,
        writes: u.writes,
        ddl: u.ddl,
        columnsRead: [...u.read],
        columnsWritten: [...u.written],
        columnsAltered: [...u.altered],
      });
    }
    return {
      index,
      operation: this.op,
      kind,
      tables,
      admin: this.adminUses,
      functions: [...this.functionUses.values()],
      unresolved: [...this.unresolvedNames],
    };
  }
}

function addAll(set: Set<string>, t: TableRef): void {
  if (t.columns === undefined) set.add("*");
  else for (const c of t.columns) set.add(c);
}
