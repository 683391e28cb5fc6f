import { createMandate, DeniedError, defineTool } from "@mandate/core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createSqlInspector,
  type DataCatalog,
  introspectPostgresCatalog,
  type SqlInspector,
} from "../src/index.js";
import { SALARY_GRABS } from "./salary-grabs.js";

// These tests need the PostgreSQL server of the development machine and CI: they fail, never skip,
// when it is unreachable.
const url = process.env.MANDATE_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = `mandate_sql_${process.pid}_${Date.now().toString(36)}`;

let admin: pg.Pool;
let catalog: DataCatalog;
let inspect: SqlInspector;

// A setup failure is kept and rethrown by every test, so that an unreachable server counts as
// failed tests (vitest would report tests after a failed beforeAll as skipped).
let setupError: unknown;
function ready(): void {
  if (setupError !== undefined) throw setupError;
}

beforeAll(async () => {
  try {
    await setup();
  } catch (err) {
    setupError = err;
  }
});

async function setup(): Promise<void> {
  admin = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 5000 });
  await admin.query("SELECT 1");
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`
    SET search_path = ${schema};
    CREATE TABLE customers (id serial PRIMARY KEY, name text, email text, phone text);
    CREATE TABLE employees (id serial PRIMARY KEY, name text, scratch int, salary numeric, ssn text, manager_id int);
    ALTER TABLE employees DROP COLUMN scratch;
    CREATE TABLE "Staff" (id int, "Salary" numeric);
    CREATE TABLE notes (id int, body text);
    CREATE VIEW staff_directory AS SELECT name FROM employees WHERE salary > 0;
    COMMENT ON COLUMN customers.name IS 'Display name. mandate:class=customer.name';
    COMMENT ON COLUMN customers.email IS 'mandate:class=customer.email,pii.email';
    COMMENT ON COLUMN employees.name IS 'mandate:class=employee.name';
    COMMENT ON COLUMN employees.salary IS 'Gross pay in EUR (mandate:class=employee.salary).';
    COMMENT ON COLUMN employees.ssn IS 'mandate:class=employee.ssn';
    COMMENT ON COLUMN "Staff"."Salary" IS 'mandate:class=employee.salary';
    COMMENT ON TABLE notes IS 'Free text from support. mandate:class=support.note';
    INSERT INTO customers (name, email, phone) VALUES ('Ada Lovelace', 'ada@example.com', '1'), ('Alan Turing', 'alan@example.com', '2');
    INSERT INTO employees (name, salary, ssn) VALUES ('Grace Hopper', 185000, '123-45-6789');
  `);
  catalog = await introspectPostgresCatalog(admin, { schemas: [schema] });
  inspect = await createSqlInspector({ catalog, searchPath: [schema], database: "test" });
}

afterAll(async () => {
  await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  await admin?.end();
});

describe("introspectPostgresCatalog on a live PostgreSQL", () => {
  it("lists every live column in order, without dropped ones", () => {
    ready();
    expect(catalog.relation(schema, "employees")?.columns).toEqual([
      "id",
      "name",
      "salary",
      "ssn",
      "manager_id",
    ]);
    expect(catalog.relation(schema, "customers")?.columns).toEqual(["id", "name", "email", "phone"]);
    expect(catalog.relation(schema, "Staff")?.columns).toEqual(["id", "Salary"]);
  });

  it("reads data classes from COMMENT tags on columns and tables", () => {
    ready();
    const data = (sql: string) => inspect.accesses(sql).flatMap((a) => a.data);
    expect(data("SELECT email FROM customers")).toEqual(["customer.email", "pii.email"]);
    expect(data("SELECT salary FROM employees")).toEqual(["employee.salary"]);
    expect(data('SELECT "Salary" FROM "Staff"')).toEqual(["employee.salary"]);
    expect(data("SELECT body FROM notes")).toEqual(["support.note"]);
    expect(data("SELECT id FROM customers")).toEqual(["unclassified"]);
  });

  it("gives a view's columns the classes of every base column the view reads", () => {
    ready();
    expect(catalog.relation(schema, "staff_directory")?.kind).toBe("view");
    const data = inspect.accesses("SELECT name FROM staff_directory").flatMap((a) => a.data);
    expect(data).toEqual(expect.arrayContaining(["employee.name", "employee.salary"]));
  });

  it("expands * through the introspected columns", () => {
    ready();
    const [a] = inspect.accesses("SELECT * FROM employees");
    expect(a?.resource).toBe(`pg/${schema}/employees`);
    expect(a?.data).toEqual(["employee.name", "employee.salary", "employee.ssn", "unclassified"]);
    expect(a?.facts?.columnsRead).toEqual(
      ["id", "name", "salary", "ssn", "manager_id"].map((c) => `${schema}.employees.${c}`),
    );
  });

  it("rejects a malformed class tag instead of leaving the column unclassified", async () => {
    ready();
    await admin.query(`COMMENT ON COLUMN ${schema}.customers.phone IS 'mandate:class=customer phone'`);
    try {
      await expect(introspectPostgresCatalog(admin, { schemas: [schema] })).resolves.toBeDefined();
      await admin.query(`COMMENT ON COLUMN ${schema}.customers.phone IS 'mandate:class=customer/phone'`);
      await expect(introspectPostgresCatalog(admin, { schemas: [schema] })).rejects.toMatchObject({
        code: "ERR_INVALID_CONFIG",
      });
    } finally {
      await admin.query(`COMMENT ON COLUMN ${schema}.customers.phone IS NULL`);
    }
  });
});

describe("a guarded query tool running real SQL", () => {
  it("runs the allowed query and never sends a denied one to the server", async () => {
    ready();
    const pool = new pg.Pool({ connectionString: url, max: 1, options: `-c search_path=${schema}` });
    const sent: string[] = [];
    const run = async (sql: string) => {
      sent.push(sql);
      return (await pool.query(sql)).rows;
    };
    const query = defineTool<{ sql: string }>({ name: "query", action: "db.read", inspect });
    const mandate = createMandate({
      roles: { analyst: [{ action: "db.**", resource: "pg/**", data: ["**"] }] },
      tools: [query],
    });
    const agent = mandate.identity({ name: "support-bot", sponsor: "user:alice", roles: ["analyst"] });
    const ctx = await mandate.declare(agent, {
      purpose: "find all customer names",
      allow: [{ action: "db.read", resource: `pg/${schema}/customers`, data: ["customer.name"] }],
    });
    const guarded = ctx.guard(query, ({ sql }) => run(sql));
    try {
      const rows = await guarded({ sql: "SELECT name FROM customers ORDER BY name" });
      expect(rows).toEqual([{ name: "Ada Lovelace" }, { name: "Alan Turing" }]);

      for (const sql of SALARY_GRABS) {
        // Each grab is a query the server accepts and answers: unguarded, it would leak.
        const direct = (await pool.query(sql)) as pg.QueryResult | pg.QueryResult[];
        const results = Array.isArray(direct) ? direct : [direct];
        expect(
          results.some((r) => r.rows.length > 0),
          sql,
        ).toBe(true);
        const before = sent.length;
        const err = await guarded({ sql }).catch((e: unknown) => e);
        expect(err, sql).toBeInstanceOf(DeniedError);
        expect(
          (err as DeniedError).decision.reasons.some((r) => r.dataClass === "employee.salary"),
          sql,
        ).toBe(true);
        expect(sent.length, `${sql} reached the server`).toBe(before);
      }
      expect(sent).toEqual(["SELECT name FROM customers ORDER BY name"]);
    } finally {
      await mandate.close();
      await pool.end();
    }
  });
});
