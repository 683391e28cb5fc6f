/**
 * What the PostgreSQL adapter needs from node-postgres: a `pg.Pool` (anything with `query` and
 * `connect`). Typed structurally so that the package does not depend on one `pg` version's
 * declarations. The application brings its own pool; nothing here connects on import.
 */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount?: number | null }>;
}

/** A connection checked out of the pool. */
export interface PgPoolClient extends PgQueryable {
  /** Returns the connection; with an error (or `true`) the pool discards it instead. */
  release(err?: Error | boolean): void;
  /** A connection that breaks while checked out says so with an `error` event. */
  on(event: "error", listener: (err: Error) => void): unknown;
  removeListener(event: "error", listener: (err: Error) => void): unknown;
}

/** A `pg.Pool`. */
export interface PgPool extends PgQueryable {
  connect(): Promise<PgPoolClient>;
}
