import { type FieldIssue, MandateError } from "@mandate/core";
import { quoteIdentifier, splitQualifiedName } from "./qualified-name.js";

/** One data class (`employee.salary`) or several. */
export type DataClasses = string | readonly string[];

/** A table (or any relation) the catalog describes. */
export interface CatalogTableInput {
  /**
   * The relation's columns, in order: plain names, or a map from name to the data class(es) the
   * column holds (`null` or `[]`: unclassified). Knowing every column is what lets the inspector
   * expand `SELECT *`.
   */
  readonly columns: readonly string[] | Readonly<Record<string, DataClasses | null>>;
}

/** A view: each of its columns and the base column(s) it shows. */
export interface CatalogViewInput {
  /**
   * View column → base column(s) as `schema.table.column` (`[]` for a computed column that shows
   * no base column). A view column carries the classes of its base columns, plus any class the
   * catalog gives the view column itself.
   */
  readonly columns: Readonly<Record<string, string | readonly string[]>>;
}

/**
 * A data catalog as written by hand (JSON or YAML) or produced by introspection. Names are SQL
 * names: unquoted parts fold to lower case, double-quoted parts keep their case
 * (`hr."Employees".salary`). Tables and views are named `schema.table`; always give the schema.
 */
export interface CatalogInput {
  /** Relations whose columns are known (needed to expand `*`), optionally with column classes. */
  readonly tables?: Readonly<Record<string, CatalogTableInput>>;
  /** Views, with the base columns behind each column. */
  readonly views?: Readonly<Record<string, CatalogViewInput>>;
  /**
   * `schema.table.column` → data class(es). Any part may be `*` (any one identifier):
   * `hr.*.ssn`, `hr.payroll.*`. A column carries the classes of **every** entry that matches it
   * (exact entries, patterns and view lineage alike): nothing overrides, so a broad pattern can
   * only add classes, never hide one.
   */
  readonly classes?: Readonly<Record<string, DataClasses>>;
  /**
   * User-defined functions the inspector may treat as known: `schema.function` → the data classes
   * a call reads (`[]` for none). Any other function that is not a built-in is opaque code and is
   * reported as an admin operation.
   */
  readonly functions?: Readonly<Record<string, DataClasses>>;
}

/** Data classes are dot-separated segments of `[A-Za-z0-9_-]`, as scopes spell them. */
const CLASS_SYNTAX = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

/** A relation the catalog knows, with its columns in order. */
export interface CatalogRelation {
  readonly schema: string;
  readonly name: string;
  readonly kind: "table" | "view";
  readonly columns: readonly string[];
}

interface Pattern {
  readonly schema: string;
  readonly table: string;
  readonly column: string;
  readonly classes: readonly string[];
}

interface ColumnRef {
  readonly schema: string;
  readonly table: string;
  readonly column: string;
}

const SEP = "\u0000";

/**
 * Maps `schema.table.column` to data classes and knows the columns of tables and views. Immutable:
 * build one with {@link createCatalog}, {@link parseCatalog}, `loadCatalogFile` or
 * `introspectPostgresCatalog`, and combine several with {@link mergeCatalogs}.
 */
export class DataCatalog {
  /** @internal */
  readonly relations: ReadonlyMap<string, CatalogRelation>;
  /** @internal exact `schema\0table\0column` → classes */
  readonly exact: ReadonlyMap<string, readonly string[]>;
  /** @internal */
  readonly patterns: readonly Pattern[];
  /** @internal view `schema\0view` → column → base columns */
  readonly lineage: ReadonlyMap<string, ReadonlyMap<string, readonly ColumnRef[]>>;
  /** @internal `schema\0function` → classes */
  readonly functions: ReadonlyMap<string, readonly string[]>;

  /** @internal use {@link createCatalog} */
  constructor(parts: {
    relations: ReadonlyMap<string, CatalogRelation>;
    exact: ReadonlyMap<string, readonly string[]>;
    patterns: readonly Pattern[];
    lineage: ReadonlyMap<string, ReadonlyMap<string, readonly ColumnRef[]>>;
    functions: ReadonlyMap<string, readonly string[]>;
  }) {
    this.relations = parts.relations;
    this.exact = parts.exact;
    this.patterns = parts.patterns;
    this.lineage = parts.lineage;
    this.functions = parts.functions;
  }

  /** The relation `schema.name`, exactly as spelled (case-sensitive), or undefined. */
  relation(schema: string, name: string): CatalogRelation | undefined {
    return this.relations.get(schema + SEP + name);
  }

  /** Every relation the catalog knows. */
  listRelations(): readonly CatalogRelation[] {
    return [...this.relations.values()];
  }

  /** The catalog as plain data (the {@link CatalogInput} shape), e.g. to save an introspected one. */
  toJSON(): CatalogInput {
    const tables: Record<string, CatalogTableInput> = {};
    const views: Record<string, CatalogViewInput> = {};
    const classes: Record<string, DataClasses> = {};
    const used = new Set<string>();
    for (const r of this.relations.values()) {
      const name = `${quoteIdentifier(r.schema)}.${quoteIdentifier(r.name)}`;
      const lineage = this.lineage.get(r.schema + SEP + r.name);
      if (r.kind === "view" && lineage) {
        const columns: Record<string, string[]> = {};
        for (const c of r.columns) {
          columns[quoteIdentifier(c)] = (lineage.get(c) ?? []).map(
            (b) => `${quoteIdentifier(b.schema)}.${quoteIdentifier(b.table)}.${quoteIdentifier(b.column)}`,
          );
        }
        views[name] = { columns };
        continue;
      }
      const columns: Record<string, DataClasses | null> = {};
      for (const c of r.columns) {
        const key = r.schema + SEP + r.name + SEP + c;
        const found = this.exact.get(key);
        if (found) used.add(key);
        columns[quoteIdentifier(c)] =
          found === undefined ? null : found.length === 1 ? (found[0] as string) : [...found];
      }
      tables[name] = { columns };
    }
    for (const [key, found] of this.exact) {
      if (used.has(key)) continue;
      const [s, t, c] = key.split(SEP) as [string, string, string];
      classes[`${quoteIdentifier(s)}.${quoteIdentifier(t)}.${quoteIdentifier(c)}`] = [...found];
    }
    for (const p of this.patterns) {
      const name = [p.schema, p.table, p.column].map((x) => (x === "*" ? "*" : quoteIdentifier(x))).join(".");
      classes[name] = [...p.classes];
    }
    const functions: Record<string, string[]> = {};
    for (const [key, found] of this.functions) {
      const [s, f] = key.split(SEP) as [string, string];
      functions[`${quoteIdentifier(s)}.${quoteIdentifier(f)}`] = [...found];
    }
    const out: { -readonly [K in keyof CatalogInput]: CatalogInput[K] } = {};
    if (Object.keys(tables).length > 0) out.tables = tables;
    if (Object.keys(views).length > 0) out.views = views;
    if (Object.keys(classes).length > 0) out.classes = classes;
    if (Object.keys(functions).length > 0) out.functions = functions;
    return out;
  }
}

/**
 * Builds a {@link DataCatalog} from plain data, validating every name and data class.
 *
 * @throws MandateError `ERR_INVALID_CONFIG` naming the first offending entry.
 */
export function createCatalog(input: CatalogInput): DataCatalog {
  const issues: FieldIssue[] = [];
  const b = new Builder();
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new MandateError("ERR_INVALID_CONFIG", "invalid catalog: expected an object", [
      { field: "", rule: "type", message: "expected an object" },
    ]);
  }
  for (const key of Object.keys(input)) {
    if (!["tables", "views", "classes", "functions"].includes(key)) {
      issues.push({ field: key, rule: "unknown", message: `unknown catalog section "${key}"` });
    }
  }
  for (const [name, table] of entries(input.tables, "tables", issues)) {
    const field = `tables[${JSON.stringify(name)}]`;
    const parts = nameParts(name, 2, false, field, issues);
    if (!parts || !isObject(table, field, issues)) continue;
    const [schema, rel] = parts;
    const cols = (table as CatalogTableInput).columns;
    if (Array.isArray(cols)) {
      const names: string[] = [];
      for (const [i, c] of cols.entries()) {
        const col = columnName(c, `${field}.columns[${i}]`, issues);
        if (col !== undefined) names.push(col);
      }
      b.relation(schema, rel, "table", names);
    } else if (cols !== null && typeof cols === "object") {
      const names: string[] = [];
      for (const [c, classes] of Object.entries(cols)) {
        const col = columnName(c, `${field}.columns`, issues);
        if (col === undefined) continue;
        names.push(col);
        if (classes === null) continue;
        const list = classList(classes, `${field}.columns[${JSON.stringify(c)}]`, issues);
        if (list) b.exactClasses(schema, rel, col, list);
      }
      b.relation(schema, rel, "table", names);
    } else {
      issues.push({
        field: `${field}.columns`,
        rule: "type",
        message: "expected a list or a map of columns",
      });
    }
  }
  for (const [name, view] of entries(input.views, "views", issues)) {
    const field = `views[${JSON.stringify(name)}]`;
    const parts = nameParts(name, 2, false, field, issues);
    if (!parts || !isObject(view, field, issues)) continue;
    const [schema, rel] = parts;
    const cols = (view as CatalogViewInput).columns;
    if (cols === null || typeof cols !== "object" || Array.isArray(cols)) {
      issues.push({ field: `${field}.columns`, rule: "type", message: "expected a map of view columns" });
      continue;
    }
    const names: string[] = [];
    const lineage = new Map<string, ColumnRef[]>();
    for (const [c, bases] of Object.entries(cols)) {
      const col = columnName(c, `${field}.columns`, issues);
      if (col === undefined) continue;
      names.push(col);
      const refs: ColumnRef[] = [];
      const list = typeof bases === "string" ? [bases] : bases;
      if (!Array.isArray(list)) {
        issues.push({
          field: `${field}.columns[${JSON.stringify(c)}]`,
          rule: "type",
          message: "expected a base column or a list of them",
        });
        continue;
      }
      for (const base of list) {
        const p = nameParts(base, 3, false, `${field}.columns[${JSON.stringify(c)}]`, issues);
        if (p) refs.push({ schema: p[0], table: p[1], column: p[2] });
      }
      lineage.set(col, refs);
    }
    b.relation(schema, rel, "view", names);
    b.viewLineage(schema, rel, lineage);
  }
  for (const [name, classes] of entries(input.classes, "classes", issues)) {
    const field = `classes[${JSON.stringify(name)}]`;
    const parts = nameParts(name, 3, true, field, issues);
    const list = classList(classes, field, issues);
    if (!parts || !list) continue;
    const [schema, table, column] = parts;
    if (schema === "*" || table === "*" || column === "*")
      b.pattern({ schema, table, column, classes: list });
    else b.exactClasses(schema, table, column, list);
  }
  for (const [name, classes] of entries(input.functions, "functions", issues)) {
    const field = `functions[${JSON.stringify(name)}]`;
    const parts = nameParts(name, 2, false, field, issues);
    const list = classList(classes, field, issues, true);
    if (parts && list) b.functionClasses(parts[0], parts[1], list);
  }
  if (issues.length > 0) {
    const first = issues[0] as FieldIssue;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
    throw new MandateError(
      "ERR_INVALID_CONFIG",
      `invalid catalog at "${first.field}": ${first.message}${more}`,
      issues,
    );
  }
  return b.build();
}

/**
 * Combines catalogs into one: relations with the same name get the union of their columns (in
 * first-seen order) and every class of every catalog applies. Typical use: an introspected catalog
 * plus a hand-written file of patterns and views.
 */
export function mergeCatalogs(...catalogs: readonly DataCatalog[]): DataCatalog {
  const b = new Builder();
  for (const c of catalogs) {
    for (const r of c.relations.values()) b.relation(r.schema, r.name, r.kind, r.columns);
    for (const [key, list] of c.exact) {
      const [s, t, col] = key.split(SEP) as [string, string, string];
      b.exactClasses(s, t, col, list);
    }
    for (const p of c.patterns) b.pattern(p);
    for (const [key, lin] of c.lineage) {
      const [s, t] = key.split(SEP) as [string, string];
      b.viewLineage(s, t, lin);
    }
    for (const [key, list] of c.functions) {
      const [s, f] = key.split(SEP) as [string, string];
      b.functionClasses(s, f, list);
    }
  }
  return b.build();
}

class Builder {
  private readonly relations = new Map<
    string,
    { schema: string; name: string; kind: "table" | "view"; columns: string[] }
  >();
  private readonly exact = new Map<string, Set<string>>();
  private readonly patterns: Pattern[] = [];
  private readonly lineage = new Map<string, Map<string, ColumnRef[]>>();
  private readonly functions = new Map<string, Set<string>>();

  relation(schema: string, name: string, kind: "table" | "view", columns: readonly string[]): void {
    const key = schema + SEP + name;
    const found = this.relations.get(key);
    if (!found) {
      this.relations.set(key, { schema, name, kind, columns: [...new Set(columns)] });
      return;
    }
    if (kind === "view") found.kind = "view";
    for (const c of columns) if (!found.columns.includes(c)) found.columns.push(c);
  }

  exactClasses(schema: string, table: string, column: string, classes: readonly string[]): void {
    const key = schema + SEP + table + SEP + column;
    const set = this.exact.get(key) ?? new Set<string>();
    for (const c of classes) set.add(c);
    this.exact.set(key, set);
  }

  pattern(p: Pattern): void {
    this.patterns.push({ ...p, classes: [...p.classes] });
  }

  viewLineage(schema: string, view: string, lineage: ReadonlyMap<string, readonly ColumnRef[]>): void {
    const key = schema + SEP + view;
    const map = this.lineage.get(key) ?? new Map<string, ColumnRef[]>();
    for (const [col, refs] of lineage) map.set(col, [...(map.get(col) ?? []), ...refs]);
    this.lineage.set(key, map);
  }

  functionClasses(schema: string, name: string, classes: readonly string[]): void {
    const key = schema + SEP + name;
    const set = this.functions.get(key) ?? new Set<string>();
    for (const c of classes) set.add(c);
    this.functions.set(key, set);
  }

  build(): DataCatalog {
    const sorted = (s: Iterable<string>) => Object.freeze([...s].sort());
    return new DataCatalog({
      relations: new Map(
        [...this.relations].map(([k, r]) => [
          k,
          Object.freeze({ ...r, columns: Object.freeze([...r.columns]) }),
        ]),
      ),
      exact: new Map([...this.exact].map(([k, s]) => [k, sorted(s)])),
      patterns: Object.freeze(this.patterns.map((p) => Object.freeze({ ...p, classes: sorted(p.classes) }))),
      lineage: new Map(this.lineage),
      functions: new Map([...this.functions].map(([k, s]) => [k, sorted(s)])),
    });
  }
}

function entries(section: unknown, field: string, issues: FieldIssue[]): [string, unknown][] {
  if (section === undefined) return [];
  if (section === null || typeof section !== "object" || Array.isArray(section)) {
    issues.push({ field, rule: "type", message: `"${field}" must be a map` });
    return [];
  }
  return Object.entries(section);
}

function isObject(value: unknown, field: string, issues: FieldIssue[]): boolean {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) return true;
  issues.push({ field, rule: "type", message: "expected an object" });
  return false;
}

function nameParts(
  name: unknown,
  count: number,
  wildcard: boolean,
  field: string,
  issues: FieldIssue[],
): [string, string, string] | undefined {
  const parts = typeof name === "string" ? splitQualifiedName(name) : undefined;
  const shape = ["schema", "table", "column"].slice(0, count).join(".");
  if (!parts || parts.length !== count) {
    issues.push({ field, rule: "name", message: `"${String(name)}" is not a name of the form ${shape}` });
    return undefined;
  }
  if (!wildcard && parts.includes("*")) {
    issues.push({ field, rule: "name", message: `"${name}": wildcards are only allowed in "classes"` });
    return undefined;
  }
  // Only the first `count` parts are read by the caller.
  return parts as [string, string, string];
}

function columnName(name: unknown, field: string, issues: FieldIssue[]): string | undefined {
  const parts = typeof name === "string" ? splitQualifiedName(name) : undefined;
  if (parts?.length !== 1 || parts[0] === "*") {
    issues.push({ field, rule: "name", message: `"${String(name)}" is not a column name` });
    return undefined;
  }
  return parts[0];
}

function classList(
  value: unknown,
  field: string,
  issues: FieldIssue[],
  allowEmpty = true,
): string[] | undefined {
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || (!allowEmpty && list.length === 0)) {
    issues.push({ field, rule: "type", message: "expected a data class or a list of them" });
    return undefined;
  }
  for (const c of list) {
    if (typeof c !== "string" || !CLASS_SYNTAX.test(c)) {
      issues.push({
        field,
        rule: "class",
        message: `"${String(c)}" is not a data class (dot-separated segments of [A-Za-z0-9_-])`,
      });
      return undefined;
    }
  }
  return list as string[];
}
