import { nameMatcher, POSTGRES_ADMIN_FUNCTIONS, POSTGRES_ADMIN_RELATIONS } from "./admin-functions.js";
import type { CatalogLookup } from "./catalog-lookup.js";
import { PG_BUILTIN_FUNCTION_LIST, PG_BUILTIN_OPERATORS, PG_CATALOG_RELATIONS } from "./postgres-builtins.js";
import { Scope, type Source, StatementRecorder, type TableRef } from "./relation-scope.js";
import type { StatementAnalysis } from "./sql-analysis.js";
import { UninspectableSql } from "./uninspectable-sql.js";

/** A node of libpg-query's JSON parse tree: `{ TypeName: { …fields } }` or a bare field object. */
type Node = Record<string, unknown>;

/** What the PostgreSQL analyzer needs besides the parse tree. @internal */
export interface PostgresEnv {
  readonly catalog: CatalogLookup;
  /** Schemas searched for unqualified names, in order (pg_catalog always comes first). */
  readonly searchPath: readonly string[];
  /** The database the statements run in; a three-part name naming another one is uninspectable. */
  readonly database: string | undefined;
}

const isAdminFunction = nameMatcher(POSTGRES_ADMIN_FUNCTIONS);
const ADMIN_RELATIONS = new Set(POSTGRES_ADMIN_RELATIONS);
let builtinFunctions: ReadonlySet<string> | undefined;
function isBuiltinFunction(name: string): boolean {
  builtinFunctions ??= new Set(PG_BUILTIN_FUNCTION_LIST.split(" "));
  return builtinFunctions.has(name);
}

const SYSTEM_SCHEMAS = new Set(["pg_catalog", "information_schema"]);
const RELATION_OBJECTS = new Set(["OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_FOREIGN_TABLE"]);
const PLAIN_DDL_OBJECTS = new Set([
  "OBJECT_INDEX",
  "OBJECT_SEQUENCE",
  "OBJECT_TYPE",
  "OBJECT_DOMAIN",
  "OBJECT_STATISTIC_EXT",
  "OBJECT_TABCONSTRAINT",
  "OBJECT_DOMCONSTRAINT",
]);
/** ALTER TABLE sub-commands that change who may see or run what, rather than the table's shape. */
const ADMIN_ALTER =
  /Owner|RowSecurity|Trig|Rule|ReplicaIdentity|GenericOptions|AccessMethod|TableSpace|Policy/;
/** Simple DDL statements: no relation, no expression worth walking beyond function calls. */
const SIMPLE_DDL = new Set([
  "CreateSeqStmt",
  "AlterSeqStmt",
  "CreateEnumStmt",
  "AlterEnumStmt",
  "CompositeTypeStmt",
  "CreateDomainStmt",
  "AlterDomainStmt",
]);
const TRANSACTION_STMTS = new Set(["TransactionStmt", "DeallocateStmt", "DiscardStmt", "ConstraintsSetStmt"]);

/**
 * Analyses every statement of a libpg-query parse result. Throws {@link UninspectableSql} for
 * anything it cannot attribute (the caller denies the whole call).
 * @internal
 */
export function analyzePostgres(stmts: readonly unknown[], env: PostgresEnv): StatementAnalysis[] {
  const out: StatementAnalysis[] = [];
  for (const [i, raw] of stmts.entries()) {
    const stmt = obj(obj(raw)?.stmt);
    if (!stmt) throw new UninspectableSql(`statement ${i} is empty`);
    const [kind] = entry(stmt);
    const rec = new StatementRecorder(env.catalog, "transaction");
    new PostgresWalker(env, rec).statement(stmt, new Scope(undefined));
    out.push(rec.result(i, kind));
  }
  return out;
}

class PostgresWalker {
  constructor(
    private readonly env: PostgresEnv,
    private readonly rec: StatementRecorder,
  ) {}

  // ---- statements ---------------------------------------------------------------------------

  statement(node: Node, scope: Scope): void {
    const [type, body] = entry(node);
    const rec = this.rec;
    switch (type) {
      case "SelectStmt":
        rec.operation("read");
        if (body.intoClause) {
          const rel = obj(obj(body.intoClause)?.rel);
          if (rel) rec.ddl(this.rangeVarTable(rel));
        }
        this.select(body, scope);
        return;
      case "InsertStmt":
      case "UpdateStmt":
      case "DeleteStmt":
      case "MergeStmt":
        this.dml(type, body, scope);
        return;
      case "ExplainStmt":
      case "DeclareCursorStmt":
      case "PrepareStmt":
        rec.operation("read");
        this.nested(body.query, scope);
        return;
      case "CopyStmt":
        this.copy(body, scope);
        return;
      case "CreateTableAsStmt": {
        const rel = obj(obj(body.into)?.rel);
        if (rel) rec.ddl(this.rangeVarTable(rel));
        this.nested(body.query, scope);
        return;
      }
      case "ViewStmt": {
        const view = obj(body.view);
        if (view) rec.ddl(this.rangeVarTable(view));
        this.nested(body.query, scope);
        return;
      }
      case "VariableSetStmt": {
        const name = String(body.name ?? "");
        if (name === "TRANSACTION" || name === "SESSION CHARACTERISTICS") rec.operation("transaction");
        else rec.admin(`SET/RESET ${name || "ALL"} changes session settings`);
        return;
      }
      case "VariableShowStmt":
        rec.admin(`SHOW ${String(body.name ?? "")} reads server settings`);
        return;
      case "FetchStmt":
      case "ClosePortalStmt":
        // The cursor's query was inspected when it was declared.
        rec.operation("read");
        return;
      case "CreateStmt":
        this.createTable(body, scope);
        return;
      case "IndexStmt": {
        const rel = obj(body.relation);
        if (!rel) break;
        const t = this.rangeVarTable(rel);
        const cols = list(body.indexParams)
          .map((p) => obj(obj(p)?.IndexElem)?.name)
          .filter((n): n is string => typeof n === "string");
        rec.ddl(t, cols);
        const s = new Scope(scope);
        s.sources.push({ name: t.name, columns: t.columns });
        this.walk(body.indexParams, s);
        this.walk(body.whereClause, s);
        return;
      }
      case "AlterTableStmt":
        this.alterTable(body, scope);
        return;
      case "DropStmt":
        this.drop(body);
        return;
      case "RenameStmt":
      case "AlterObjectSchemaStmt": {
        const rel = obj(body.relation);
        const objType = String(body.renameType ?? body.objectType ?? "");
        if (
          rel &&
          (RELATION_OBJECTS.has(objType) || objType === "OBJECT_COLUMN" || PLAIN_DDL_OBJECTS.has(objType))
        ) {
          rec.ddl(this.rangeVarTable(rel), "all");
          return;
        }
        if (PLAIN_DDL_OBJECTS.has(objType)) {
          rec.operation("ddl");
          return;
        }
        rec.admin(`${type} on ${objType.replace("OBJECT_", "").toLowerCase() || "an object"}`);
        return;
      }
      case "TruncateStmt":
        for (const r of list(body.relations)) {
          const rel = obj(obj(r)?.RangeVar);
          if (rel) rec.writeAll(this.rangeVarTable(rel));
        }
        if (body.behavior === "DROP_CASCADE") rec.admin("TRUNCATE … CASCADE reaches every referencing table");
        return;
      case "CreateSchemaStmt":
        rec.operation("ddl");
        if (body.authrole) rec.admin("CREATE SCHEMA … AUTHORIZATION gives the schema to a role");
        for (const e of list(body.schemaElts)) {
          const el = obj(e);
          if (el) this.statement(el, scope);
        }
        return;
      case "CreateStatsStmt":
        for (const r of list(body.relations)) {
          const rel = obj(obj(r)?.RangeVar);
          if (rel) rec.ddl(this.rangeVarTable(rel), "all");
        }
        return;
      case "CallStmt":
        rec.admin("CALL runs a procedure");
        this.walk(obj(body.funccall)?.args, scope);
        return;
      case "DoStmt":
        rec.admin("DO runs an anonymous code block");
        return;
      case "ExecuteStmt":
        rec.admin(
          `EXECUTE runs prepared statement "${String(body.name ?? "")}", which the inspector cannot see`,
        );
        return;
      case "CommentStmt":
        rec.admin("COMMENT ON changes object comments (the catalog's data-class tags live there)");
        return;
      case "LockStmt":
        rec.admin("LOCK takes table locks");
        return;
      default:
        if (TRANSACTION_STMTS.has(type)) {
          rec.operation("transaction");
          return;
        }
        if (SIMPLE_DDL.has(type)) {
          rec.operation("ddl");
          if (type === "CreateDomainStmt" || type === "AlterDomainStmt")
            this.walk(body, new Scope(scope), true);
          return;
        }
    }
    rec.admin(`${type} is not a statement the inspector classifies as data access`);
  }

  /** A statement nested in another (CTE body, subquery, EXPLAIN, COPY query): wrapped node. */
  private nested(node: unknown, scope: Scope): void {
    const n = obj(node);
    if (!n) throw new UninspectableSql("missing nested statement");
    const [type, body] = entry(n);
    if (type === "SelectStmt") {
      this.rec.operation("read");
      if (body.intoClause) this.statement(n, scope);
      else this.select(body, scope);
    } else this.statement(n, scope);
  }

  private select(sel: Node, parent: Scope): void {
    const outer = this.withClause(sel.withClause, parent);
    if (sel.op !== undefined && sel.op !== "SETOP_NONE") {
      const larg = obj(sel.larg);
      const rarg = obj(sel.rarg);
      if (!larg || !rarg) throw new UninspectableSql("set operation without both sides");
      this.select(larg, outer);
      this.select(rarg, outer);
      const s = new Scope(outer);
      s.outputNames = new Set(outputNames("SelectStmt", sel) ?? []);
      this.walk(sel.sortClause, s);
      this.walk(sel.limitOffset, s);
      this.walk(sel.limitCount, s);
      return;
    }
    const scope = new Scope(outer);
    for (const item of list(sel.fromClause)) this.fromItem(item, scope);
    this.walk(sel.valuesLists, scope);
    this.walk(sel.targetList, scope);
    this.walk(sel.whereClause, scope);
    this.walk(sel.havingClause, scope);
    this.walk(sel.windowClause, scope);
    this.walk(sel.distinctClause, scope);
    this.walk(sel.limitOffset, scope);
    this.walk(sel.limitCount, scope);
    scope.outputNames = new Set(outputNames("SelectStmt", sel) ?? []);
    this.walk(sel.groupClause, scope);
    this.walk(sel.sortClause, scope);
    scope.outputNames = undefined;
  }

  private withClause(w: unknown, parent: Scope): Scope {
    const clause = obj(obj(w)?.WithClause) ?? obj(w);
    if (!clause) return parent;
    const s = new Scope(parent);
    s.ctes = new Map();
    const ctes = list(clause.ctes).map((c) => obj(obj(c)?.CommonTableExpr));
    const columns = (cte: Node) => names(cte.aliascolnames) ?? nestedOutputNames(cte.ctequery);
    // With RECURSIVE every CTE of the list sees every other (and itself); without, only earlier ones.
    if (clause.recursive) for (const c of ctes) if (c) s.ctes.set(String(c.ctename), columns(c));
    for (const c of ctes) {
      if (!c) throw new UninspectableSql("malformed WITH clause");
      this.nested(c.ctequery, s);
      this.walk(c.search_clause, s);
      this.walk(c.cycle_clause, s);
      s.ctes.set(String(c.ctename), columns(c));
    }
    return s;
  }

  private dml(type: string, body: Node, parent: Scope): void {
    const rec = this.rec;
    const outer = this.withClause(body.withClause, parent);
    const rel = obj(body.relation);
    if (!rel) throw new UninspectableSql(`${type} without a target table`);
    const t = this.rangeVarTable(rel);
    rec.writeTarget(t);
    const target: Source = { name: aliasName(rel) ?? t.name, table: t, columns: t.columns };
    // RETURNING sees what the statement's WHERE sees (target, FROM/USING/MERGE source), plus old/new.
    const returning = (from?: Scope) => {
      const s = new Scope(from ?? outer);
      if (!from) s.sources.push(target);
      // PostgreSQL 18: RETURNING old.col / new.col.
      // As aliases over the target, so that an unqualified name does not count three times.
      s.sources.push({ name: "old", members: [target], columns: undefined });
      s.sources.push({ name: "new", members: [target], columns: undefined });
      this.walk(body.returningList, s);
      this.walk(obj(body.returningClause)?.exprs, s);
    };
    if (type === "InsertStmt") {
      const cols = list(body.cols).map((c) => obj(obj(c)?.ResTarget)?.name);
      if (cols.length === 0) rec.writeAll(t);
      for (const c of cols) if (typeof c === "string") rec.write(t, c);
      if (body.selectStmt) this.nested(body.selectStmt, outer);
      const conflict = obj(body.onConflictClause);
      if (conflict) {
        const s = new Scope(outer);
        s.sources.push(target, { name: "excluded", columns: t.columns });
        this.walk(obj(conflict.infer)?.whereClause, s);
        this.setList(conflict.targetList, t, s);
        this.walk(conflict.whereClause, s);
      }
      returning();
      return;
    }
    const s = new Scope(outer);
    s.sources.push(target);
    if (type === "UpdateStmt") {
      for (const item of list(body.fromClause)) this.fromItem(item, s);
      this.setList(body.targetList, t, s);
      this.walk(body.whereClause, s);
    } else if (type === "DeleteStmt") {
      for (const item of list(body.usingClause)) this.fromItem(item, s);
      rec.writeAll(t);
      this.walk(body.whereClause, s);
    } else {
      this.fromItem(body.sourceRelation, s);
      this.walk(body.joinCondition, s);
      for (const w of list(body.mergeWhenClauses)) {
        const when = obj(obj(w)?.MergeWhenClause);
        if (!when) throw new UninspectableSql("malformed MERGE");
        this.walk(when.condition, s);
        if (when.commandType === "CMD_UPDATE") this.setList(when.targetList, t, s);
        else if (when.commandType === "CMD_INSERT") {
          if (list(when.targetList).length === 0) rec.writeAll(t);
          this.setList(when.targetList, t, s);
          this.walk(when.values, s);
        } else if (when.commandType === "CMD_DELETE") rec.writeAll(t);
      }
    }
    returning(s);
  }

  /** `SET col = expr, (a, b) = (…)`: the columns are written, the expressions read. */
  private setList(targets: unknown, t: TableRef, scope: Scope): void {
    for (const item of list(targets)) {
      const rt = obj(obj(item)?.ResTarget);
      if (!rt) continue;
      if (typeof rt.name === "string") this.rec.write(t, rt.name);
      this.walk(rt.val, scope);
      this.walk(rt.indirection, scope);
    }
  }

  private copy(body: Node, scope: Scope): void {
    const rec = this.rec;
    const rel = obj(body.relation);
    const cols = list(body.attlist)
      .map(sval)
      .filter((c): c is string => c !== undefined);
    if (rel) {
      const t = this.rangeVarTable(rel);
      if (body.is_from) {
        rec.writeTarget(t);
        if (cols.length === 0) rec.writeAll(t);
        for (const c of cols) rec.write(t, c);
        const s = new Scope(scope);
        s.sources.push({ name: t.name, table: t, columns: t.columns });
        this.walk(body.whereClause, s);
      } else {
        rec.operation("read");
        if (cols.length === 0) rec.readAll(t);
        for (const c of cols) rec.read(t, c);
      }
    }
    if (body.query) this.nested(body.query, scope);
    if (body.is_program) rec.admin("COPY … PROGRAM runs a shell command on the server");
    else if (typeof body.filename === "string") rec.admin("COPY … TO/FROM a file on the server");
  }

  private createTable(body: Node, scope: Scope): void {
    const rel = obj(body.relation);
    if (!rel) throw new UninspectableSql("CREATE TABLE without a name");
    const t = this.rangeVarTable(rel);
    this.rec.ddl(t);
    const cols = list(body.tableElts)
      .map((e) => obj(obj(e)?.ColumnDef)?.colname)
      .filter((c): c is string => typeof c === "string");
    const s = new Scope(scope);
    s.sources.push({ name: t.name, columns: cols });
    for (const e of list(body.tableElts)) {
      const like = obj(obj(e)?.TableLikeClause);
      if (like) {
        const r = obj(like.relation);
        if (r) this.rec.scan(this.rangeVarTable(r));
      } else this.walk(e, s, true);
    }
    for (const r of list(body.inhRelations)) {
      const rv = obj(obj(r)?.RangeVar);
      // A child table's rows show up when its parent is read: creating one writes into the parent.
      if (rv) this.rec.ddl(this.rangeVarTable(rv), "all");
    }
    this.walk(body.constraints, s, true);
    this.walk(body.partspec, s, true);
    this.walk(body.partbound, s, true);
  }

  private alterTable(body: Node, scope: Scope): void {
    const rel = obj(body.relation);
    if (!rel) throw new UninspectableSql("ALTER without a relation");
    const t = this.rangeVarTable(rel);
    this.rec.ddl(t, "all");
    const s = new Scope(scope);
    s.sources.push({ name: aliasName(rel) ?? t.name, table: t, columns: t.columns });
    for (const c of list(body.cmds)) {
      const cmd = obj(obj(c)?.AlterTableCmd);
      if (!cmd) continue;
      const subtype = String(cmd.subtype ?? "");
      if (ADMIN_ALTER.test(subtype))
        this.rec.admin(`ALTER … ${subtype.replace("AT_", "")} changes privileges or code`);
      this.walk(cmd.def, s, true);
    }
  }

  private drop(body: Node): void {
    const removeType = String(body.removeType ?? "");
    if (RELATION_OBJECTS.has(removeType) || PLAIN_DDL_OBJECTS.has(removeType)) {
      for (const o of list(body.objects)) {
        const parts = list(obj(obj(o)?.List)?.items)
          .map(sval)
          .filter((p): p is string => p !== undefined);
        if (removeType === "OBJECT_TYPE" || removeType === "OBJECT_DOMAIN" || parts.length === 0) {
          this.rec.operation("ddl");
          continue;
        }
        const t = this.table(parts.slice(0, -1), parts[parts.length - 1] as string);
        this.rec.ddl(t, RELATION_OBJECTS.has(removeType) ? "all" : []);
      }
      if (body.behavior === "DROP_CASCADE") this.rec.admin("DROP … CASCADE drops every dependent object");
      return;
    }
    this.rec.admin(`DROP ${removeType.replace("OBJECT_", "")}`);
  }

  // ---- FROM ---------------------------------------------------------------------------------

  private fromItem(item: unknown, scope: Scope): void {
    const n = obj(item);
    if (!n) throw new UninspectableSql("malformed FROM item");
    const [type, body] = entry(n);
    const alias = obj(body.alias);
    const aliasCols = names(alias?.colnames);
    switch (type) {
      case "RangeVar": {
        const relname = String(body.relname);
        const cte = body.schemaname === undefined ? scope.cte(relname) : undefined;
        if (cte) {
          scope.sources.push({ name: aliasName(body) ?? relname, columns: renamed(cte.columns, aliasCols) });
          return;
        }
        const t = this.rangeVarTable(body);
        this.rec.scan(t);
        scope.sources.push(tableSource(aliasName(body) ?? t.name, t, aliasCols));
        return;
      }
      case "RangeSubselect": {
        // Lateral or not, the subquery sees the sources before it: only lateral ones may use them,
        // and an over-approximation only ever reports more.
        this.nested(body.subquery, scope);
        scope.sources.push({
          name: alias ? String(alias.aliasname) : undefined,
          columns: renamed(nestedOutputNames(body.subquery), aliasCols),
        });
        return;
      }
      case "JoinExpr": {
        const start = scope.sources.length;
        this.fromItem(body.larg, scope);
        const mid = scope.sources.length;
        this.fromItem(body.rarg, scope);
        const left = scope.sources.slice(start, mid);
        const right = scope.sources.slice(mid);
        for (const u of list(body.usingClause)) {
          const name = sval(u);
          if (name !== undefined) this.rec.column(scope, name);
        }
        if (body.isNatural) this.naturalJoin(left, right, scope);
        this.walk(body.quals, scope);
        if (alias) {
          const members = [...left, ...right];
          if (aliasCols) {
            // Renamed join columns cannot be traced to one side: a reference reads every member.
            const all = [...new Set(members.flatMap((m) => m.columns ?? []))];
            scope.sources.push({
              name: String(alias.aliasname),
              members,
              columns: undefined,
              rename: new Map([
                ...aliasCols.map((c) => [c, "*"] as [string, string]),
                ...all.map((c) => [c, c] as [string, string]),
              ]),
            });
          } else scope.sources.push({ name: String(alias.aliasname), members, columns: undefined });
        }
        return;
      }
      case "RangeFunction": {
        this.walk(body.functions, scope);
        const defs = list(body.coldeflist)
          .map((c) => obj(obj(c)?.ColumnDef)?.colname)
          .filter((c): c is string => typeof c === "string");
        const firstFn = obj(obj(list(obj(obj(list(body.functions)[0])?.List)?.items)[0])?.FuncCall);
        const fname = firstFn ? list(firstFn.funcname).map(sval).pop() : undefined;
        scope.sources.push({
          name: alias ? String(alias.aliasname) : fname,
          columns: aliasCols ?? (defs.length > 0 ? defs : undefined),
        });
        return;
      }
      case "RangeTableSample":
        this.fromItem(body.relation, scope);
        this.walk(body.args, scope);
        this.walk(body.repeatable, scope);
        return;
      case "RangeTableFunc":
      case "JsonTable": {
        this.walk(body, scope);
        scope.sources.push({ name: alias ? String(alias.aliasname) : undefined, columns: aliasCols });
        return;
      }
    }
    throw new UninspectableSql(`FROM item ${type} is not understood`);
  }

  private naturalJoin(left: Source[], right: Source[], scope: Scope): void {
    const cols = (side: Source[]) =>
      side.some((s) => s.columns === undefined || s.members)
        ? undefined
        : side.flatMap((s) => s.columns ?? []);
    const l = cols(left);
    const r = cols(right);
    if (l && r) {
      for (const c of new Set(l.filter((c) => r.includes(c)))) this.rec.column(scope, c);
      return;
    }
    // Unknown columns on a side: the join may compare any of them.
    for (const s of [...left, ...right]) this.rec.wholeRow(s);
  }

  // ---- expressions --------------------------------------------------------------------------

  /**
   * Walks any subtree, finding every column reference, subquery, function call and operator. Node
   * types it does not know are walked field by field, so nothing under them is missed. With
   * `definition`, relation names met along the way are DDL references (constraints, LIKE).
   */
  walk(node: unknown, scope: Scope, definition = false): void {
    if (Array.isArray(node)) {
      for (const n of node) this.walk(n, scope, definition);
      return;
    }
    if (node === null || typeof node !== "object") return;
    const n = node as Node;
    for (const key in n) {
      const value = n[key];
      if (value === null || typeof value !== "object") continue;
      const body = value as Node;
      switch (key) {
        case "ColumnRef":
          this.columnRef(body, scope);
          break;
        case "SubLink":
          this.walk(body.testexpr, scope, definition);
          this.operator(body.operName);
          this.nested(body.subselect, scope);
          break;
        case "FuncCall":
          this.functionCall(body);
          this.walk(body.args, scope, definition);
          this.walk(body.agg_order, scope, definition);
          this.walk(body.agg_filter, scope, definition);
          this.walk(body.over, scope, definition);
          break;
        case "A_Expr":
          if (typeof body.kind !== "string" || !body.kind.startsWith("AEXPR_BETWEEN"))
            this.operator(body.name);
          this.walk(body.lexpr, scope, definition);
          this.walk(body.rexpr, scope, definition);
          break;
        case "RangeVar":
          if (definition) this.rec.ddl(this.rangeVarTable(body));
          else this.rec.scan(this.rangeVarTable(body));
          break;
        case "SelectStmt":
        case "InsertStmt":
        case "UpdateStmt":
        case "DeleteStmt":
        case "MergeStmt":
          this.nested(value, scope);
          break;
        case "String":
        case "A_Const":
        case "TypeName":
        case "Integer":
        case "Float":
        case "Boolean":
        case "BitString":
        case "ParamRef":
        case "A_Star":
          break;
        default:
          this.walk(value, scope, definition);
      }
    }
  }

  private columnRef(body: Node, scope: Scope): void {
    const parts = list(body.fields).map((f) => {
      const o = obj(f);
      if (o && "A_Star" in o) return "*";
      const s = sval(f);
      if (s === undefined) throw new UninspectableSql("column reference with a part that is not a name");
      return s;
    });
    if (parts.slice(0, -1).includes("*")) throw new UninspectableSql("`*` inside a column reference");
    const name = parts[parts.length - 1];
    if (name === undefined) throw new UninspectableSql("empty column reference");
    const rec = this.rec;
    switch (parts.length) {
      case 1:
        if (name === "*") rec.star(scope);
        else rec.column(scope, name);
        return;
      case 2:
      case 3:
      case 4: {
        const qual = parts.slice(parts.length === 4 ? 1 : 0, -1);
        if (parts.length === 4) this.checkDatabase(parts[0] as string);
        rec.qualified(scope, qual, name);
        return;
      }
    }
    throw new UninspectableSql(`column reference "${parts.join(".")}" has too many parts`);
  }

  private functionCall(body: Node): void {
    const parts = list(body.funcname).map(sval);
    if (parts.some((p) => p === undefined)) throw new UninspectableSql("function name that is not a name");
    const name = parts[parts.length - 1] as string;
    if (parts.length > 3) throw new UninspectableSql(`function name "${parts.join(".")}" has too many parts`);
    if (parts.length === 3) this.checkDatabase(parts[0] as string);
    const schema = parts.length >= 2 ? (parts[parts.length - 2] as string) : undefined;
    if (schema === undefined || schema === "pg_catalog") {
      if (isAdminFunction(name)) {
        this.rec.admin(`calls ${name}, which reaches outside the data`, { schema: "pg_catalog", name });
        return;
      }
      if (isBuiltinFunction(name)) return;
      if (schema === "pg_catalog") {
        this.rec.admin(`calls pg_catalog.${name}, a function the inspector does not know`, {
          schema: "pg_catalog",
          name,
        });
        return;
      }
    }
    for (const s of schema === undefined ? this.env.searchPath : [schema]) {
      const classes = this.env.catalog.functionClasses(s, name);
      if (classes) {
        this.rec.declaredFunction({ schema: s, name }, classes);
        return;
      }
    }
    const fn = { schema: schema ?? this.env.searchPath[0] ?? "public", name };
    this.rec.admin(
      `calls ${fn.schema}.${name}, which is neither a built-in nor declared in the catalog (opaque code)`,
      fn,
    );
  }

  private operator(nameList: unknown): void {
    const parts = list(nameList).map(sval);
    if (parts.length === 0) return;
    const op = parts[parts.length - 1];
    const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
    if (op !== undefined && (schema === undefined || schema === "pg_catalog") && PG_BUILTIN_OPERATORS.has(op))
      return;
    this.rec.admin(`uses operator ${parts.join(".")}, which is not a built-in (opaque code)`);
  }

  // ---- names --------------------------------------------------------------------------------

  private rangeVarTable(rv: Node): TableRef {
    if (typeof rv.catalogname === "string") this.checkDatabase(rv.catalogname);
    // CREATE TEMP TABLE x: the table lives in the session's temporary schema.
    const schema =
      typeof rv.schemaname === "string" ? [rv.schemaname] : rv.relpersistence === "t" ? ["pg_temp"] : [];
    if (typeof rv.relname !== "string") throw new UninspectableSql("relation without a name");
    return this.table(schema, rv.relname);
  }

  private checkDatabase(db: string): void {
    if (this.env.database !== undefined && db !== this.env.database) {
      throw new UninspectableSql(`"${db}" names another database`);
    }
  }

  /** Resolves a relation name as PostgreSQL would: pg_catalog first, then the search path. */
  private table(qualifier: readonly string[], name: string): TableRef {
    const catalog = this.env.catalog;
    let schema = qualifier[qualifier.length - 1];
    if (qualifier.length > 2) throw new UninspectableSql(`relation name with too many parts: ${name}`);
    if (qualifier.length === 2) this.checkDatabase(qualifier[0] as string);
    if (schema === undefined) {
      if (PG_CATALOG_RELATIONS.has(name)) schema = "pg_catalog";
      else {
        schema = this.env.searchPath.find((s) => catalog.kindOf(s, name) !== undefined);
        schema ??= this.env.searchPath[0] ?? "public";
      }
    }
    const system = SYSTEM_SCHEMAS.has(schema);
    const ref: TableRef = {
      schema,
      name,
      key: `${schema}\u0000${name}`,
      columns: catalog.columnsOf(schema, name),
      system,
    };
    if (schema === "pg_catalog" && ADMIN_RELATIONS.has(name)) {
      return {
        ...ref,
        adminReason: `reads pg_catalog.${name} (credentials, settings, other sessions or column statistics)`,
      };
    }
    // pg_stat_statements is an extension: wherever it is installed, it shows other sessions' queries.
    if (name.startsWith("pg_stat_statements")) return { ...ref, adminReason: `reads ${schema}.${name}` };
    return ref;
  }
}

// ---- helpers --------------------------------------------------------------------------------

function obj(x: unknown): Node | undefined {
  return x !== null && typeof x === "object" && !Array.isArray(x) ? (x as Node) : undefined;
}

function list(x: unknown): unknown[] {
  return Array.isArray(x) ? x : [];
}

/** The single `{ Type: body }` pair of a wrapped node. */
function entry(node: Node): [string, Node] {
  const keys = Object.keys(node);
  const key = keys[0];
  if (keys.length !== 1 || key === undefined) throw new UninspectableSql("malformed parse tree node");
  return [key, obj(node[key]) ?? {}];
}

function sval(x: unknown): string | undefined {
  const s = obj(obj(x)?.String)?.sval;
  return typeof s === "string" ? s : undefined;
}

function names(x: unknown): string[] | undefined {
  if (!Array.isArray(x) || x.length === 0) return undefined;
  return x.map(sval).filter((s): s is string => s !== undefined);
}

function aliasName(rv: Node): string | undefined {
  const a = obj(rv.alias)?.aliasname;
  return typeof a === "string" ? a : undefined;
}

/** Applies column aliases `AS x(a, b)` positionally over known columns. */
function renamed(columns: readonly string[] | undefined, aliases: readonly string[] | undefined) {
  if (!aliases) return columns;
  if (!columns) return undefined;
  return [...aliases, ...columns.slice(aliases.length)];
}

function tableSource(name: string, t: TableRef, aliases: readonly string[] | undefined): Source {
  if (!aliases) return { name, table: t, columns: t.columns };
  const rename = new Map<string, string>();
  for (const [i, a] of aliases.entries()) rename.set(a, t.columns?.[i] ?? "*");
  if (t.columns) for (const c of t.columns.slice(aliases.length)) if (!rename.has(c)) rename.set(c, c);
  return { name, table: t, columns: t.columns ? [...rename.keys()] : undefined, rename };
}

function nestedOutputNames(node: unknown): string[] | undefined {
  const n = obj(node);
  if (!n) return undefined;
  const [type, body] = entry(n);
  return outputNames(type, body);
}

/** The output column names of a query (or of RETURNING), or undefined when a `*` hides them. */
function outputNames(type: string, body: Node): string[] | undefined {
  if (type === "SelectStmt") {
    if (body.op !== undefined && body.op !== "SETOP_NONE") {
      const larg = obj(body.larg);
      return larg ? outputNames("SelectStmt", larg) : undefined;
    }
    const values = list(body.valuesLists);
    if (values.length > 0) {
      const first = list(obj(obj(values[0])?.List)?.items);
      return first.map((_, i) => `column${i + 1}`);
    }
    return targetNames(body.targetList);
  }
  return targetNames(obj(body.returningClause)?.exprs ?? body.returningList);
}

function targetNames(targets: unknown): string[] | undefined {
  const out: string[] = [];
  for (const t of list(targets)) {
    const rt = obj(obj(t)?.ResTarget);
    if (!rt) return undefined;
    if (typeof rt.name === "string") {
      out.push(rt.name);
      continue;
    }
    const name = exprName(obj(rt.val));
    if (name === undefined) return undefined;
    out.push(name);
  }
  return out;
}

function exprName(val: Node | undefined): string | undefined {
  if (!val) return "?column?";
  const [type, body] = entry(val);
  switch (type) {
    case "ColumnRef": {
      const fields = list(body.fields);
      const last = obj(fields[fields.length - 1]);
      if (last && "A_Star" in last) return undefined;
      return sval(last) ?? "?column?";
    }
    case "FuncCall":
      return list(body.funcname).map(sval).pop() ?? "?column?";
    case "TypeCast":
      return exprName(obj(body.arg)) ?? undefined;
    case "A_Indirection": {
      const ind = list(body.indirection);
      const last = obj(ind[ind.length - 1]);
      if (last && "A_Star" in last) return undefined;
      return sval(last) ?? "?column?";
    }
    case "CaseExpr":
      return "case";
    default:
      return "?column?";
  }
}
