import type { Access } from "@mandate/core";
import type { CatalogLookup } from "./catalog-lookup.js";
import { quoteIdentifier } from "./qualified-name.js";
import type { StatementAnalysis, TableName, TableUse } from "./sql-analysis.js";

/** How analyses become accesses. @internal */
export interface AccessOptions {
  readonly catalog: CatalogLookup;
  readonly prefix: string;
  readonly unclassified: string | undefined;
  readonly unknown: string;
  readonly systemClass: string;
  readonly strict: boolean;
}

/**
 * Maps statement analyses to Mandate accesses: per relation, one `db.read`, `db.write` and/or
 * `db.ddl` access on `<prefix>/<schema>/<table>` carrying the classes of the columns involved; one
 * `db.read` per declared function called (`<prefix>/<schema>/<function>()`); one `db.admin` per
 * admin reason; and, for a statement that touches none of these, one access for its operation on
 * `<prefix>` itself. Every access of a statement shares the statement's facts.
 * @internal
 */
export function accessesOf(statements: readonly StatementAnalysis[], o: AccessOptions): readonly Access[] {
  const out: Access[] = [];
  for (const st of statements) {
    const facts = statementFacts(st);
    const before = out.length;
    for (const u of st.tables) {
      const resource = `${o.prefix}/${segment(u.table.schema)}/${segment(u.table.name)}`;
      const unknownTable = o.strict && !u.known && !u.system;
      if (u.reads) out.push(access("db.read", resource, classes(u, u.columnsRead, unknownTable, o), facts));
      if (u.writes)
        out.push(access("db.write", resource, classes(u, u.columnsWritten, unknownTable, o), facts));
      if (u.ddl) {
        const touched = u.columnsAltered.length > 0;
        out.push(access("db.ddl", resource, classes(u, u.columnsAltered, unknownTable && touched, o), facts));
      }
    }
    for (const f of st.functions) {
      out.push(access("db.read", functionResource(o.prefix, f.function), f.classes, facts));
    }
    for (const a of st.admin) {
      const resource = a.function ? functionResource(o.prefix, a.function) : o.prefix;
      out.push(access("db.admin", resource, [], Object.freeze({ ...facts, reason: a.reason })));
    }
    if (out.length === before) out.push(access(`db.${st.operation}`, o.prefix, [], facts));
  }
  return Object.freeze(out);
}

function access(action: string, resource: string, data: readonly string[], facts: Access["facts"]): Access {
  return Object.freeze({ action, resource, data: Object.freeze([...data]), facts });
}

function classes(u: TableUse, columns: readonly string[], unknownTable: boolean, o: AccessOptions): string[] {
  const { schema, name } = u.table;
  const out = new Set<string>();
  for (const c of columns) {
    if (c === "*") {
      // Every column of a relation whose columns are unknown: all it may hold, and the marker.
      for (const k of o.catalog.wildcardClassesOf(schema, name)) out.add(k);
      if (u.system) out.add(o.systemClass);
      else {
        if (o.unclassified !== undefined) out.add(o.unclassified);
        out.add(o.unknown);
      }
      continue;
    }
    const found = o.catalog.classesOf(schema, name, c);
    for (const k of found) out.add(k);
    if (u.system) out.add(o.systemClass);
    else if (found.length === 0 && o.unclassified !== undefined) out.add(o.unclassified);
  }
  if (unknownTable) out.add(o.unknown);
  return [...out].sort();
}

function statementFacts(st: StatementAnalysis): Readonly<Record<string, unknown>> {
  const q = (t: TableName) => `${quoteIdentifier(t.schema)}.${quoteIdentifier(t.name)}`;
  const cols = (u: TableUse, list: readonly string[]) =>
    list.map((c) => `${q(u.table)}.${c === "*" ? "*" : quoteIdentifier(c)}`);
  const facts: Record<string, unknown> = {
    statement: st.index,
    operation: st.operation,
    tables: Object.freeze(st.tables.map((u) => q(u.table))),
    columnsRead: Object.freeze(st.tables.flatMap((u) => cols(u, u.columnsRead))),
    columnsWritten: Object.freeze(st.tables.flatMap((u) => cols(u, u.columnsWritten))),
  };
  if (st.admin.length > 0) facts.admin = Object.freeze(st.admin.map((a) => a.reason));
  if (st.unresolved.length > 0) facts.unresolved = Object.freeze([...st.unresolved]);
  return Object.freeze(facts);
}

function functionResource(prefix: string, fn: TableName): string {
  return `${prefix}/${segment(fn.schema)}/${segment(fn.name)}()`;
}

/**
 * One resource segment: percent-encoded (as `encodeURIComponent` does) so that a `/`, `%`,
 * whitespace or control character inside a quoted identifier can never forge another path.
 */
export function segment(name: string): string {
  return encodeURIComponent(name);
}
