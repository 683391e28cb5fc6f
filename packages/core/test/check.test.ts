import { describe, expect, it } from "vitest";
import { type AgentContext, type Decision, defineTool, newId } from "../src/index.js";
import { bot, customerNames, eventsOf, lookup, setup } from "./helpers.js";

describe("check", () => {
  it("allows an in-scope call without running anything and reports what it touches", async () => {
    const { mandate } = setup();
    const ctx = await mandate.declare(bot, customerNames);

    const d = mandate.check(ctx, { tool: "lookup", args: { table: "customers", columns: ["name"] } });

    expect(d).toMatchObject({
      effect: "allow",
      deviation: false,
      reasons: [],
      tool: "lookup",
      contextId: ctx.id,
      accesses: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
    });
  });

  it("answers the same for the context object, its id string and ctx.check", async () => {
    const { mandate } = setup();
    const ctx = await mandate.declare(bot, customerNames);
    const call = { tool: "lookup", args: { table: "employees", columns: ["salary"] } };

    const byObject = mandate.check(ctx, call);
    const byId = mandate.check(ctx.id, call);
    const viaContext = ctx.check(call);

    for (const d of [byObject, byId, viaContext]) {
      expect(d.effect).toBe("deny");
      expect(d.contextId).toBe(ctx.id);
      expect(d.reasons[0]).toMatchObject({ code: "intent.data_undeclared", dataClass: "employee.salary" });
    }
  });

  it("denies a call for an unknown context id with context.unknown", async () => {
    const { mandate } = setup();
    await mandate.declare(bot, customerNames);
    const ghost = newId();

    const d = mandate.check(ghost, { tool: "lookup", args: { table: "customers", columns: ["name"] } });

    expect(d.effect).toBe("deny");
    expect(d.contextId).toBe(ghost);
    expect(d.reasons.map((r) => r.code)).toEqual(["context.unknown"]);
  });

  it("denies an arbitrary, non-ULID context string with context.unknown", () => {
    const { mandate } = setup();
    const d = mandate.check("not-a-context", { tool: "ping", args: {} });
    expect(d.effect).toBe("deny");
    expect(d.reasons[0]?.code).toBe("context.unknown");
  });

  it("denies a tool name that is not registered with tool.unknown", async () => {
    const { mandate } = setup();
    const ctx = await mandate.declare(bot, customerNames);

    const d = mandate.check(ctx, { tool: "drop_database", args: {} });

    expect(d.effect).toBe("deny");
    expect(d.tool).toBe("drop_database");
    expect(d.reasons.map((r) => r.code)).toEqual(["tool.unknown"]);
  });

  it("evaluates an unregistered tool passed by definition with that definition", async () => {
    const { mandate } = setup();
    const ctx = await mandate.declare(bot, customerNames);
    const adhoc = defineTool<{ table: string }>({
      name: "adhoc_read",
      action: "db.read",
      resource: ({ table }) => `crm/${table}`,
      data: ["customer.name"],
    });

    expect(mandate.check(ctx, { tool: adhoc, args: { table: "customers" } }).effect).toBe("allow");
    expect(mandate.check(ctx, { tool: adhoc, args: { table: "orders" } }).reasons[0]?.code).toBe(
      "intent.resource_undeclared",
    );
  });

  it("names the action that is not in the intent with intent.action_undeclared", async () => {
    const { mandate } = setup();
    const ctx = await mandate.declare(bot, customerNames);

    const d = mandate.check(ctx, { tool: "ping", args: {} });

    expect(d.effect).toBe("deny");
    expect(d.deviation).toBe(true);
    expect(d.reasons[0]?.code).toBe("intent.action_undeclared");
  });

  it("names a resource outside the intent with intent.resource_undeclared", async () => {
    const { mandate } = setup();
    const ctx = await mandate.declare(bot, {
      purpose: "read customer and employee names",
      allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name", "employee.name"] }],
    });

    const d = mandate.check(ctx, { tool: lookup, args: { table: "employees", columns: ["name"] } });

    expect(d.effect).toBe("deny");
    expect(d.reasons[0]?.code).toBe("intent.resource_undeclared");
  });

  it("uses the caller's call id, and writes a decision event for a live context", async () => {
    const { mandate, sink } = setup();
    const ctx = await mandate.declare(bot, customerNames);

    const d = mandate.check(ctx, {
      tool: "lookup",
      args: { table: "customers", columns: ["name"] },
      callId: "fw-call-9",
      reasoning: { conversationId: "conv-1" },
    });
    await mandate.flush();

    expect(d.callId).toBe("fw-call-9");
    expect(eventsOf(sink.events, "tool.decision", "fw-call-9")).toMatchObject([
      { "mandate.decision": "allow", "gen_ai.conversation.id": "conv-1", "mandate.context.id": ctx.id },
    ]);
    // check runs nothing, so there is no outcome.
    expect(eventsOf(sink.events, "tool.outcome")).toHaveLength(0);
  });

  it("emits a decision event for an unknown context but writes no audit event for it", async () => {
    const { mandate, sink } = setup();
    const seen: [Decision, AgentContext | undefined][] = [];
    mandate.events.on("decision", (d, c) => seen.push([d, c]));

    const d = mandate.check("unknown-ctx", { tool: "ping", args: {}, callId: "c-unknown" });
    await mandate.flush();

    expect(seen).toEqual([[d, undefined]]);
    expect(sink.events.filter((e) => e["gen_ai.tool.call.id"] === "c-unknown")).toHaveLength(0);
  });
});
