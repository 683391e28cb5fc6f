/**
 * Shared set-up of the PostgreSQL tests: the server from MANDATE_TEST_PG_URL (default
 * postgres://postgres@127.0.0.1:5432/test). A missing server fails the tests; it never skips them.
 */
import { newId } from "@mandate/core";
import pg from "pg";
import { migrateAuditTable } from "../src/index.js";

export const PG_URL = process.env.MANDATE_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const pools = new Set<pg.Pool>();
const tables = new Set<string>();

/** A pool of its own; `url` overrides host and port (a proxy). */
export function newPool(config: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 4, connectionTimeoutMillis: 3_000, ...config });
  // An idle connection cut by an outage test errors on the pool: expected there, never fatal.
  pool.on("error", () => {});
  pools.add(pool);
  return pool;
}

let admin: pg.Pool | undefined;
/** The tests' own pool, straight to the server. */
export function adminPool(): pg.Pool {
  admin ??= newPool();
  return admin;
}

let available: Promise<void> | undefined;

/**
 * Fails with a clear message when the server is not there. Run before each test (not once before
 * all), so that every test fails, rather than being reported as skipped.
 */
export function requirePostgres(): Promise<void> {
  available ??= probePostgres();
  return available;
}

async function probePostgres(): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${PG_URL} (${String(err)}); the @mandate/postgres tests need it. ` +
        "Start it (see .ci/run) or set MANDATE_TEST_PG_URL.",
    );
  } finally {
    await client.end().catch(() => {});
  }
}

/** A new, migrated audit table for one test. */
export async function freshTable(): Promise<string> {
  const table = `mandate_audit_t_${newId().toLowerCase()}`;
  tables.add(table);
  await migrateAuditTable(adminPool(), { table });
  return table;
}

/** Drops the tables made and ends every pool. */
export async function cleanUp(): Promise<void> {
  const pool = adminPool();
  for (const t of tables) await pool.query(`DROP TABLE IF EXISTS "${t}"`);
  tables.clear();
  for (const p of pools) await p.end().catch(() => {});
  pools.clear();
  admin = undefined;
}
