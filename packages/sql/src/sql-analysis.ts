/**
 * What a statement does, as the inspector classifies it:
 * - `read`: SELECT, VALUES, TABLE, EXPLAIN of a read, COPY … TO STDOUT, cursors (DECLARE, FETCH);
 * - `write`: INSERT, UPDATE, DELETE, MERGE, TRUNCATE, COPY … FROM STDIN;
 * - `ddl`: CREATE/ALTER/DROP of tables, views, indexes, sequences, types; SELECT INTO;
 * - `admin`: anything that reaches outside the data or changes who may do what (see the README's
 *   list: file and program access, dblink, large objects, settings, roles, grants, code, DO, CALL,
 *   EXECUTE, opaque functions…), and any statement kind the inspector does not classify;
 * - `transaction`: BEGIN, COMMIT, ROLLBACK, SAVEPOINT, SET TRANSACTION, DEALLOCATE, DISCARD.
 */
export type SqlOperation = "read" | "write" | "ddl" | "admin" | "transaction";

/** A table or view as the statement names it once resolved: schema (or database/dataset) and name. */
export interface TableName {
  readonly schema: string;
  readonly name: string;
}

/** What one statement does to one relation. */
export interface TableUse {
  readonly table: TableName;
  /** Whether the catalog knows the relation's columns. */
  readonly known: boolean;
  /** Whether it is a system catalog (`pg_catalog`, `information_schema`, `mysql`…). */
  readonly system: boolean;
  /** Whether the statement reads from it (even without naming a column, as `count(*)` does). */
  readonly reads: boolean;
  /** Whether the statement writes to it. */
  readonly writes: boolean;
  /** Whether the statement changes its definition (CREATE, ALTER, DROP…). */
  readonly ddl: boolean;
  /** Columns read. `*` means every column of a relation whose columns the catalog does not know. */
  readonly columnsRead: readonly string[];
  /** Columns written, with the same `*` convention (DELETE and TRUNCATE write every column). */
  readonly columnsWritten: readonly string[];
  /** Columns whose definition or data a DDL statement touches, with the same `*` convention. */
  readonly columnsAltered: readonly string[];
}

/** Something a statement does that reaches outside the data: an admin operation. */
export interface AdminUse {
  /** Why it is admin, in words a reviewer can act on (`calls pg_read_file`, `DO block`). */
  readonly reason: string;
  /** The function or procedure concerned, if any. */
  readonly function?: TableName;
}

/** A call to a user function the catalog declares. */
export interface FunctionUse {
  readonly function: TableName;
  /** The data classes the catalog says a call reads. */
  readonly classes: readonly string[];
}

/** The analysis of one statement of a (possibly multi-statement) string. */
export interface StatementAnalysis {
  /** Position of the statement in the string, from 0. */
  readonly index: number;
  /** The most privileged operation among everything the statement does. */
  readonly operation: SqlOperation;
  /** The parser's name for the statement (`SelectStmt`, `select`). */
  readonly kind: string;
  readonly tables: readonly TableUse[];
  readonly admin: readonly AdminUse[];
  readonly functions: readonly FunctionUse[];
  /** Column references that could not be attributed to one relation (attributed to every candidate). */
  readonly unresolved: readonly string[];
}

/** The rank of operations: a statement's operation is the highest it performs. */
export const OPERATION_RANK: Readonly<Record<SqlOperation, number>> = {
  transaction: 0,
  read: 1,
  write: 2,
  ddl: 3,
  admin: 4,
};
