import { createMandate, defineTool } from "@mandate/core";
import { describe, expect, it } from "vitest";
import { createSqlInspector } from "../src/index.js";
import { SALARY_GRABS } from "./salary-grabs.js";
import { seedCatalog } from "./seed-catalog.js";

describe("seed scenario: an intent for customer names", async () => {
  const inspect = await createSqlInspector({ catalog: seedCatalog(), prefix: "pg" });
  const query = defineTool<{ sql: string }>({ name: "query", action: "db.read", inspect });
  const mandate = createMandate({
    roles: { analyst: [{ action: "db.**", resource: "pg/**", data: ["**"] }] },
    tools: [query],
  });
  const agent = mandate.identity({ name: "support-bot", sponsor: "user:alice", roles: ["analyst"] });
  const ctx = await mandate.declare(agent, {
    purpose: "find all customer names",
    allow: [{ action: "db.read", resource: "pg/public/customers", data: ["customer.name"] }],
  });

  it("allows SELECT name FROM customers", () => {
    const d = mandate.check(ctx, { tool: "query", args: { sql: "SELECT name FROM customers" } });
    expect(d.effect).toBe("allow");
    expect(d.accesses).toEqual([
      expect.objectContaining({
        action: "db.read",
        resource: "pg/public/customers",
        data: ["customer.name"],
      }),
    ]);
  });

  it.each(SALARY_GRABS)("denies %s with a reason naming employee.salary", (sql) => {
    const d = mandate.check(ctx, { tool: "query", args: { sql } });
    expect(d.effect).toBe("deny");
    expect(d.reasons.some((r) => r.dataClass === "employee.salary")).toBe(true);
  });

  it("denies what it cannot parse as uninspectable", () => {
    const d = mandate.check(ctx, { tool: "query", args: { sql: "SELEC name FROM customers" } });
    expect(d.effect).toBe("deny");
    expect(d.reasons[0]?.code).toBe("access.uninspectable");
  });

  it("denies a call whose sql argument is missing or not a string", () => {
    for (const args of [{}, { sql: 42 }, null, { sql: ["SELECT 1"] }]) {
      const d = mandate.check(ctx, { tool: "query", args });
      expect(d.effect).toBe("deny");
      expect(d.reasons[0]?.code).toBe("access.uninspectable");
    }
  });
});
