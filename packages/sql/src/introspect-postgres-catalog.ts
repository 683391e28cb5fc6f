import { MandateError } from "@mandate/core";
import { parseClassTags } from "./class-tag.js";
import {
  type CatalogInput,
  type CatalogTableInput,
  type CatalogViewInput,
  createCatalog,
  type DataCatalog,
} from "./data-catalog.js";
import { quoteIdentifier } from "./qualified-name.js";

/**
 * What {@link introspectPostgresCatalog} needs: a `pg.Pool`, `pg.Client` or `PoolClient` (anything
 * with node-postgres's `query(text, values)`). The application brings its own; nothing here connects.
 */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: readonly unknown[] }>;
}

/** Options of {@link introspectPostgresCatalog}. */
export interface IntrospectOptions {
  /** Schemas to read (default: every schema but `pg_catalog`, `information_schema`, `pg_toast*`, `pg_temp*`). */
  readonly schemas?: readonly string[];
}

const COLUMNS_SQL = `
SELECT n.nspname AS schema_name, c.relname AS table_name, c.relkind::text AS kind, a.attname AS column_name,
       pg_catalog.col_description(c.oid, a.attnum) AS column_comment,
       pg_catalog.obj_description(c.oid, 'pg_class') AS table_comment
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm')
   AND ($1::text[] IS NULL AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
        OR n.nspname = ANY ($1::text[]))
 ORDER BY n.nspname, c.relname, a.attnum`;

// The base columns every view reads, from the dependencies of its rewrite rule.
const VIEW_SQL = `
SELECT DISTINCT vn.nspname AS view_schema, v.relname AS view_name,
       bn.nspname AS base_schema, b.relname AS base_table, ba.attname AS base_column
  FROM pg_catalog.pg_rewrite r
  JOIN pg_catalog.pg_class v ON v.oid = r.ev_class AND v.relkind IN ('v', 'm')
  JOIN pg_catalog.pg_namespace vn ON vn.oid = v.relnamespace
  JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid
   AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjsubid > 0 AND d.refobjid <> v.oid
  JOIN pg_catalog.pg_class b ON b.oid = d.refobjid
  JOIN pg_catalog.pg_namespace bn ON bn.oid = b.relnamespace
  JOIN pg_catalog.pg_attribute ba ON ba.attrelid = b.oid AND ba.attnum = d.refobjsubid
 WHERE ($1::text[] IS NULL AND vn.nspname NOT IN ('pg_catalog', 'information_schema') OR vn.nspname = ANY ($1::text[]))`;

interface ColumnRow {
  schema_name: string;
  table_name: string;
  kind: string;
  column_name: string;
  column_comment: string | null;
  table_comment: string | null;
}

interface ViewRow {
  view_schema: string;
  view_name: string;
  base_schema: string;
  base_table: string;
  base_column: string;
}

/**
 * Builds a catalog from a live PostgreSQL database: every column of every table and view (from
 * `pg_catalog`, which unlike `information_schema.columns` also lists columns the connecting role
 * may not read, so that `*` is never expanded short), data classes from `mandate:class=` tags in
 * column comments (a tag on a table's comment applies to all its columns), and for each view the
 * base columns it reads. A view column conservatively carries the classes of **every** base column
 * its view reads (a filter on `salary` leaks salary through any column); declare views by hand for
 * finer lineage.
 *
 * It also checks that `standard_conforming_strings` is on: with it off the server reads backslashes
 * in string literals differently from the inspector's parser, and a literal could hide a statement.
 *
 * @throws MandateError `ERR_INVALID_CONFIG` on a malformed tag or with `standard_conforming_strings` off.
 */
export async function introspectPostgresCatalog(
  client: PgQueryable,
  options: IntrospectOptions = {},
): Promise<DataCatalog> {
  const scs = (await client.query("SELECT pg_catalog.current_setting('standard_conforming_strings') AS v"))
    .rows[0] as { v?: string } | undefined;
  if (scs?.v !== "on") {
    throw new MandateError(
      "ERR_INVALID_CONFIG",
      "standard_conforming_strings is off: the server would read string literals differently from the inspector",
      [{ field: "standard_conforming_strings", rule: "setting", message: "must be on" }],
    );
  }
  const schemas = options.schemas ? [...options.schemas] : null;
  const columns = (await client.query(COLUMNS_SQL, [schemas])).rows as ColumnRow[];
  const views = (await client.query(VIEW_SQL, [schemas])).rows as ViewRow[];

  const q = (...parts: string[]) => parts.map(quoteIdentifier).join(".");
  const tables: Record<string, { columns: Record<string, string[] | null> }> = {};
  const viewDefs: Record<string, { columns: Record<string, string[]> }> = {};
  const classes: Record<string, string[]> = {};
  const viewBases = new Map<string, string[]>();
  for (const v of views) {
    const key = q(v.view_schema, v.view_name);
    const list = viewBases.get(key) ?? [];
    list.push(q(v.base_schema, v.base_table, v.base_column));
    viewBases.set(key, list);
  }
  for (const row of columns) {
    const rel = q(row.schema_name, row.table_name);
    const col = quoteIdentifier(row.column_name);
    const tagged = [
      ...parseClassTags(row.table_comment, rel),
      ...parseClassTags(row.column_comment, `${rel}.${col}`),
    ];
    const isView = row.kind === "v" || row.kind === "m";
    if (isView) {
      viewDefs[rel] ??= { columns: {} };
      (viewDefs[rel] as { columns: Record<string, string[]> }).columns[col] = viewBases.get(rel) ?? [];
      if (tagged.length > 0) classes[`${rel}.${col}`] = tagged;
    } else {
      tables[rel] ??= { columns: {} };
      (tables[rel] as { columns: Record<string, string[] | null> }).columns[col] =
        tagged.length > 0 ? tagged : null;
    }
  }
  const input: CatalogInput = {
    tables: tables as Record<string, CatalogTableInput>,
    views: viewDefs as Record<string, CatalogViewInput>,
    classes,
  };
  return createCatalog(input);
}
