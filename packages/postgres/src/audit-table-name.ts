/** A table name, split and quoted for SQL. */
export interface AuditTableName {
  /** As given, e.g. `audit.mandate_audit_events`. */
  readonly name: string;
  /** Quoted for SQL, e.g. `"audit"."mandate_audit_events"`. */
  readonly sql: string;
  /** The unqualified name, for naming indexes. */
  readonly base: string;
}

/** The default table. */
export const DEFAULT_AUDIT_TABLE = "mandate_audit_events";

const IDENT = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/**
 * Parses `table` or `schema.table`. Only plain identifiers are accepted (the names end up in DDL
 * and in index names), so a name can never inject SQL.
 */
export function auditTableName(table: string = DEFAULT_AUDIT_TABLE): AuditTableName {
  const parts = table.split(".");
  if (parts.length > 2 || !parts.every((p) => IDENT.test(p))) {
    throw new TypeError(`invalid audit table name "${table}": use table or schema.table of [A-Za-z0-9_$]`);
  }
  return {
    name: table,
    sql: parts.map((p) => `"${p}"`).join("."),
    base: parts[parts.length - 1] as string,
  };
}
