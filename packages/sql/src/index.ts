/**
 * Mandate SQL: turns a SQL string into the accesses it really makes (tables, columns, data classes,
 * read/write/ddl/admin/transaction) with PostgreSQL's own parser or node-sql-parser, and the data
 * catalog that maps columns to data classes.
 * @packageDocumentation
 */
export {
  GENERIC_ADMIN_FUNCTIONS,
  GENERIC_ADMIN_RELATIONS,
  POSTGRES_ADMIN_FUNCTIONS,
  POSTGRES_ADMIN_RELATIONS,
} from "./admin-functions.js";
export { type CatalogFormat, loadCatalogFile, parseCatalog } from "./catalog-file.js";
export { CLASS_TAG, parseClassTags } from "./class-tag.js";
export {
  type CatalogInput,
  type CatalogRelation,
  type CatalogTableInput,
  type CatalogViewInput,
  createCatalog,
  DataCatalog,
  type DataClasses,
  mergeCatalogs,
} from "./data-catalog.js";
export {
  type IntrospectOptions,
  introspectPostgresCatalog,
  type PgQueryable,
} from "./introspect-postgres-catalog.js";
export type {
  AdminUse,
  FunctionUse,
  SqlOperation,
  StatementAnalysis,
  TableName,
  TableUse,
} from "./sql-analysis.js";
export type { SqlDialect } from "./sql-dialect.js";
export {
  createSqlInspector,
  type SqlAnalysis,
  type SqlInspector,
  type SqlInspectorOptions,
} from "./sql-inspector.js";
export { StatementCache } from "./statement-cache.js";
