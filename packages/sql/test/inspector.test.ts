import { describe, expect, it } from "vitest";
import { createCatalog, createSqlInspector, StatementCache } from "../src/index.js";
import { seedCatalog } from "./seed-catalog.js";

describe("createSqlInspector", () => {
  it("maps a statement to db.<operation> on <prefix>/<schema>/<table> with statement facts", async () => {
    const inspect = await createSqlInspector({ catalog: seedCatalog(), prefix: "crm-db" });
    const accesses = inspect({
      sql: "UPDATE customers SET name = e.name FROM employees e WHERE e.id = customers.id",
    });
    expect(accesses.map((a) => `${a.action} ${a.resource} ${a.data.join(",")}`)).toEqual([
      "db.read crm-db/public/customers unclassified",
      "db.write crm-db/public/customers customer.name",
      "db.read crm-db/public/employees employee.name,unclassified",
    ]);
    expect(accesses[0]?.facts).toEqual({
      statement: 0,
      operation: "write",
      tables: ["public.customers", "public.employees"],
      columnsRead: ["public.customers.id", "public.employees.name", "public.employees.id"],
      columnsWritten: ["public.customers.name"],
    });
  });

  it("reports a statement that touches no table as its operation on the prefix", async () => {
    const inspect = await createSqlInspector();
    expect(inspect.accesses("BEGIN")).toEqual([
      expect.objectContaining({ action: "db.transaction", resource: "pg", data: [] }),
    ]);
    expect(inspect.accesses("SELECT 1")).toEqual([
      expect.objectContaining({ action: "db.read", resource: "pg", data: [] }),
    ]);
  });

  it("percent-encodes identifiers so a quoted name cannot forge a resource path", async () => {
    const inspect = await createSqlInspector({ strict: false });
    expect(inspect.accesses('SELECT 1 FROM "a/b"."c d%"')[0]?.resource).toBe("pg/a%2Fb/c%20d%25");
  });

  it("reports unknown tables as unknown in strict mode and by their columns otherwise", async () => {
    const strict = await createSqlInspector({ catalog: seedCatalog() });
    const loose = await createSqlInspector({ catalog: seedCatalog(), strict: false, unclassified: null });
    expect(strict.accesses("SELECT a FROM mystery")[0]?.data).toEqual(["unclassified", "unknown"]);
    expect(loose.accesses("SELECT a FROM mystery")[0]?.data).toEqual([]);
    // A wildcard over unknown columns is unknown whatever the mode.
    expect(loose.accesses("SELECT * FROM mystery")[0]?.data).toContain("unknown");
  });

  it("resolves unqualified tables along the search path", async () => {
    const catalog = createCatalog({ tables: { "hr.payroll": { columns: { bonus: "employee.pay" } } } });
    const inspect = await createSqlInspector({ catalog, searchPath: ["public", "hr"] });
    expect(inspect.accesses("SELECT bonus FROM payroll")[0]).toMatchObject({
      resource: "pg/hr/payroll",
      data: ["employee.pay"],
    });
    expect(inspect.accesses("SELECT relname FROM pg_class")[0]?.resource).toBe("pg/pg_catalog/pg_class");
  });

  it("caches by exact text: a repeat returns the same frozen accesses", async () => {
    const inspect = await createSqlInspector({ catalog: seedCatalog(), cacheSize: 2 });
    const a = inspect.accesses("SELECT name FROM customers");
    expect(inspect.accesses("SELECT name FROM customers")).toBe(a);
    expect(Object.isFrozen(a) && Object.isFrozen(a[0]) && Object.isFrozen(a[0]?.data)).toBe(true);
    expect(inspect.accesses("select name from customers")).not.toBe(a);
    expect(inspect.cache.stats).toEqual({ hits: 1, misses: 2 });
  });

  it("refuses oversize, NUL-bearing and non-string SQL", async () => {
    const inspect = await createSqlInspector({ maxLength: 20 });
    for (const args of [
      { sql: "SELECT name FROM customers" },
      { sql: "SELECT 1\u0000" },
      { sql: 1 },
      "SELECT 1",
      undefined,
    ]) {
      expect(inspect(args)[0]?.uninspectable, JSON.stringify(args)).toBeDefined();
    }
  });

  it("rejects invalid options with ERR_INVALID_CONFIG", async () => {
    for (const options of [
      { dialect: "oracle" },
      { prefix: "pg/x" },
      { searchPath: [] },
      { unknown: "not a class" },
    ]) {
      await expect(createSqlInspector(options as never)).rejects.toMatchObject({
        code: "ERR_INVALID_CONFIG",
      });
    }
  });
});

describe("StatementCache", () => {
  it("evicts the least recently used entry", () => {
    const cache = new StatementCache<number>(2);
    cache.set("a", 1);
    cache.set("b", 2);
    expect(cache.get("a")).toBe(1);
    cache.set("c", 3);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toBe(1);
    expect(cache.get("c")).toBe(3);
    expect(cache.size).toBe(2);
  });

  it("stores nothing with capacity 0", () => {
    const cache = new StatementCache<number>(0);
    cache.set("a", 1);
    expect(cache.get("a")).toBeUndefined();
  });
});
