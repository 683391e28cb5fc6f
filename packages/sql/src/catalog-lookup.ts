import type { CatalogRelation, DataCatalog } from "./data-catalog.js";

const SEP = "\u0000";

/**
 * A catalog seen through one dialect's identifier rules: PostgreSQL compares names exactly (its
 * parser has already folded unquoted ones), the other dialects compare them case-insensitively.
 * Lookups are memoised: the catalog is immutable, and the same columns come up again and again.
 * @internal
 */
export class CatalogLookup {
  private readonly fold: (s: string) => string;
  private readonly relations = new Map<string, { columns: string[]; kind: "table" | "view" }>();
  private readonly exact = new Map<string, Set<string>>();
  private readonly patterns: { schema: string; table: string; column: string; classes: readonly string[] }[];
  private readonly lineage = new Map<
    string,
    Map<string, { schema: string; table: string; column: string }[]>
  >();
  private readonly functions = new Map<string, Set<string>>();
  private readonly classMemo = new Map<string, readonly string[]>();
  private readonly wildcardMemo = new Map<string, readonly string[]>();

  constructor(catalog: DataCatalog, caseInsensitive: boolean) {
    const fold = caseInsensitive ? (s: string) => s.toLowerCase() : (s: string) => s;
    this.fold = fold;
    for (const r of catalog.relations.values()) {
      const key = fold(r.schema) + SEP + fold(r.name);
      const found = this.relations.get(key);
      const columns = r.columns.map(fold);
      if (!found) this.relations.set(key, { columns: [...new Set(columns)], kind: r.kind });
      else for (const c of columns) if (!found.columns.includes(c)) found.columns.push(c);
    }
    for (const [key, list] of catalog.exact) {
      const k = key.split(SEP).map(fold).join(SEP);
      const set = this.exact.get(k) ?? new Set<string>();
      for (const c of list) set.add(c);
      this.exact.set(k, set);
    }
    this.patterns = catalog.patterns.map((p) => ({
      schema: p.schema === "*" ? "*" : fold(p.schema),
      table: p.table === "*" ? "*" : fold(p.table),
      column: p.column === "*" ? "*" : fold(p.column),
      classes: p.classes,
    }));
    for (const [key, lin] of catalog.lineage) {
      const k = key.split(SEP).map(fold).join(SEP);
      const map = this.lineage.get(k) ?? new Map();
      for (const [col, refs] of lin) {
        const c = fold(col);
        map.set(c, [
          ...(map.get(c) ?? []),
          ...refs.map((r) => ({ schema: fold(r.schema), table: fold(r.table), column: fold(r.column) })),
        ]);
      }
      this.lineage.set(k, map);
    }
    for (const [key, list] of catalog.functions) {
      const k = key.split(SEP).map(fold).join(SEP);
      const set = this.functions.get(k) ?? new Set<string>();
      for (const c of list) set.add(c);
      this.functions.set(k, set);
    }
  }

  /** Folds an identifier the way this dialect compares names. */
  name(s: string): string {
    return this.fold(s);
  }

  /** The relation's columns (folded), or undefined when the catalog does not know them. */
  columnsOf(schema: string, table: string): readonly string[] | undefined {
    return this.relations.get(schema + SEP + table)?.columns;
  }

  /** Whether the relation is declared, as a table or a view. */
  kindOf(schema: string, table: string): CatalogRelation["kind"] | undefined {
    return this.relations.get(schema + SEP + table)?.kind;
  }

  /** Every class the catalog gives this column (exact entries, patterns, view lineage); may be empty. */
  classesOf(schema: string, table: string, column: string): readonly string[] {
    const key = schema + SEP + table + SEP + column;
    const memo = this.classMemo.get(key);
    if (memo) return memo;
    const out = new Set<string>();
    this.collect(schema, table, column, out, new Set());
    const list = Object.freeze([...out].sort());
    this.classMemo.set(key, list);
    return list;
  }

  private collect(schema: string, table: string, column: string, out: Set<string>, seen: Set<string>): void {
    const key = schema + SEP + table + SEP + column;
    if (seen.has(key)) return;
    seen.add(key);
    for (const c of this.exact.get(key) ?? []) out.add(c);
    for (const p of this.patterns) {
      if (
        (p.schema === "*" || p.schema === schema) &&
        (p.table === "*" || p.table === table) &&
        (p.column === "*" || p.column === column)
      ) {
        for (const c of p.classes) out.add(c);
      }
    }
    for (const base of this.lineage.get(schema + SEP + table)?.get(column) ?? []) {
      this.collect(base.schema, base.table, base.column, out, seen);
    }
  }

  /**
   * Every class any column of the relation may carry, for a `*` whose columns are unknown: exact
   * entries of the relation, patterns that match it whatever the column, and its view lineage.
   */
  wildcardClassesOf(schema: string, table: string): readonly string[] {
    const key = schema + SEP + table;
    const memo = this.wildcardMemo.get(key);
    if (memo) return memo;
    const out = new Set<string>();
    const prefix = key + SEP;
    for (const [k, list] of this.exact) if (k.startsWith(prefix)) for (const c of list) out.add(c);
    for (const p of this.patterns) {
      if ((p.schema === "*" || p.schema === schema) && (p.table === "*" || p.table === table)) {
        for (const c of p.classes) out.add(c);
      }
    }
    for (const col of this.lineage.get(key)?.keys() ?? []) {
      for (const c of this.classesOf(schema, table, col)) out.add(c);
    }
    const list = Object.freeze([...out].sort());
    this.wildcardMemo.set(key, list);
    return list;
  }

  /** The classes a declared user function reads, or undefined when it is not declared. */
  functionClasses(schema: string, name: string): readonly string[] | undefined {
    const set = this.functions.get(schema + SEP + name);
    return set ? [...set].sort() : undefined;
  }
}
