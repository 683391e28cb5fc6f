import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createCatalog,
  createSqlInspector,
  loadCatalogFile,
  mergeCatalogs,
  parseCatalog,
  parseClassTags,
} from "../src/index.js";
import { SEED_CATALOG, seedCatalog } from "./seed-catalog.js";

const YAML = `
tables:
  public.customers:
    columns: [id, name, email, phone]
  hr."Employees":
    columns:
      id: null
      '"Salary"': employee.salary
views:
  public.staff:
    columns:
      pay: hr."Employees"."Salary"
      label: []
classes:
  public.customers.name: customer.name
  public.customers.email: [customer.email, pii.email]
  "*.*.phone": pii.phone
functions:
  public.customer_label: customer.name
`;

describe("data catalog", () => {
  it("loads the same catalog from YAML and JSON", async () => {
    const fromYaml = parseCatalog(YAML, "yaml");
    const dir = await mkdtemp(join(tmpdir(), "mandate-sql-"));
    try {
      const json = join(dir, "catalog.json");
      const yml = join(dir, "catalog.yml");
      await writeFile(json, JSON.stringify(fromYaml.toJSON()));
      await writeFile(yml, YAML);
      expect((await loadCatalogFile(json)).toJSON()).toEqual(fromYaml.toJSON());
      expect((await loadCatalogFile(yml)).toJSON()).toEqual(fromYaml.toJSON());
      await expect(loadCatalogFile(join(dir, "catalog.txt"))).rejects.toMatchObject({
        code: "ERR_INVALID_CONFIG",
      });
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it("keeps quoted names case-sensitive and folds unquoted ones", () => {
    const c = parseCatalog(YAML, "yaml");
    expect(c.relation("hr", "Employees")?.columns).toEqual(["id", "Salary"]);
    expect(c.relation("hr", "employees")).toBeUndefined();
    expect(
      createCatalog({ tables: { "Public.Customers": { columns: ["ID"] } } }).relation("public", "customers")
        ?.columns,
    ).toEqual(["id"]);
  });

  it("applies every matching entry: exact, pattern and view lineage add up", async () => {
    const inspect = await createSqlInspector({ catalog: parseCatalog(YAML, "yaml") });
    const data = (sql: string) => inspect.accesses(sql).flatMap((a) => a.data);
    expect(data("SELECT email FROM customers")).toEqual(["customer.email", "pii.email"]);
    expect(data("SELECT phone FROM customers")).toEqual(["pii.phone"]);
    expect(data("SELECT pay FROM staff")).toEqual(["employee.salary"]);
    expect(data("SELECT label FROM staff")).toEqual(["unclassified"]);
    expect(data("SELECT customer_label(1)")).toEqual(["customer.name"]);
  });

  it("rejects malformed names and classes, naming the entry", () => {
    const bad: unknown[] = [
      { tables: { customers: { columns: ["id"] } } },
      { tables: { "public.customers": { columns: "id" } } },
      { classes: { "public.customers.name": "not a class" } },
      { classes: { "public.customers": "customer.name" } },
      { tables: { "public.*": { columns: ["id"] } } },
      { views: { "public.v": { columns: { a: "employees.salary" } } } },
      { tabels: {} },
      { classes: { 'public."unterminated.name': "x" } },
    ];
    for (const input of bad) {
      expect(() => createCatalog(input as never), JSON.stringify(input)).toThrow(
        expect.objectContaining({ code: "ERR_INVALID_CONFIG" }),
      );
    }
    expect(() => parseCatalog("tables: [", "yaml")).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_CONFIG" }),
    );
  });

  it("round-trips through toJSON and merges catalogs by union", () => {
    const seed = seedCatalog();
    expect(createCatalog(seed.toJSON()).toJSON()).toEqual(seed.toJSON());
    const extra = createCatalog({
      tables: { "public.customers": { columns: ["loyalty"] } },
      classes: { "public.customers.name": "pii.name" },
    });
    const merged = mergeCatalogs(seed, extra);
    expect(merged.relation("public", "customers")?.columns).toEqual([
      "id",
      "name",
      "email",
      "phone",
      "loyalty",
    ]);
    expect(merged.toJSON().tables?.["public.customers"]?.columns).toMatchObject({
      name: ["customer.name", "pii.name"],
    });
    expect(Object.keys(SEED_CATALOG.tables ?? {})).toHaveLength(7);
  });
});

describe("COMMENT tags", () => {
  it("reads one or several classes anywhere in the comment", () => {
    expect(parseClassTags("Gross pay. mandate:class=employee.salary")).toEqual(["employee.salary"]);
    expect(parseClassTags("mandate:class=a.b,c.d (see wiki) mandate:class=e")).toEqual(["a.b", "c.d", "e"]);
    expect(parseClassTags("(mandate:class=employee.salary).")).toEqual(["employee.salary"]);
    expect(parseClassTags("no tag here")).toEqual([]);
    expect(parseClassTags(null)).toEqual([]);
  });

  it("throws on a malformed tag rather than dropping it", () => {
    expect(() => parseClassTags("mandate:class=")).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_CONFIG" }),
    );
    expect(() => parseClassTags("mandate:class=a/b")).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_CONFIG" }),
    );
    expect(() => parseClassTags("mandate:class=a,,b")).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_CONFIG" }),
    );
  });
});
