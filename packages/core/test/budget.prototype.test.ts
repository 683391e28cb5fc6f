/**
 * A budget holds whatever a tool is called: tool names that are also members of
 * `Object.prototype` must not pick up inherited values from an intent's `costs` table.
 */
import { describe, expect, it } from "vitest";
import { createMandate } from "../src/mandate.js";

describe("budget with a costs table", () => {
  for (const name of ["constructor", "toString", "valueOf", "hasOwnProperty", "search"]) {
    it(`holds a tool named "${name}" to the budget (default cost 1) when the costs table lists other tools`, async () => {
      const mandate = createMandate({
        roles: { reader: [{ action: "db.read", resource: "crm/**" }] },
        tools: [
          { name, action: "db.read", resource: "crm/customers" },
          { name: "export", action: "db.read", resource: "crm/customers" },
        ],
      });
      try {
        const ctx = await mandate.declare(
          { name: "bot", sponsor: "user:alice", roles: ["reader"] },
          {
            purpose: "read customers",
            allow: [{ action: "db.read", resource: "crm/**" }],
            limits: { budget: 3, costs: { export: 2 } },
          },
        );
        const decisions = Array.from({ length: 5 }, () => mandate.check(ctx, { tool: name, args: {} }));
        expect(decisions.map((d) => d.effect)).toEqual(["allow", "allow", "allow", "deny", "deny"]);
        expect(decisions[3]?.reasons[0]?.code).toBe("limit.budget");
        expect(ctx.usage.spent).toBe(3);
      } finally {
        await mandate.close();
      }
    });
  }
});
