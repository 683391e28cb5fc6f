import { describe, expect, it } from "vitest";
import type { IntentInput } from "../src/index.js";
import { bot, broadIntent, customerNames, eventsOf, mandateError, manualClock, setup } from "./helpers.js";

const worker = { name: "worker-bot", sponsor: "user:alice", roles: ["analyst"] };

const parentIntent: IntentInput = {
  purpose: "answer customer questions",
  allow: [
    { action: "db.read", resource: "crm/customers", data: ["customer.*"] },
    { action: "net.ping", resource: "net/**" },
  ],
};

describe("delegation", () => {
  it("creates a child whose scope lies inside the parent's, one level deeper on the same path", async () => {
    const { mandate, sink } = setup();
    const parent = await mandate.declare(bot, parentIntent);

    const child = await parent.delegate(worker, customerNames);
    const grandchild = await child.delegate(worker, customerNames);

    expect(child.parent).toBe(parent);
    expect(child.depth).toBe(1);
    expect(grandchild.depth).toBe(2);
    expect(grandchild.path).toEqual([parent.id, child.id, grandchild.id]);
    expect(child.intent.parent).toBe(parent.intent.id);
    expect(mandate.context(child.id)).toBe(child);
    expect(child.check({ tool: "lookup", args: { table: "customers", columns: ["name"] } }).effect).toBe(
      "allow",
    );
    await mandate.flush();
    expect(eventsOf(sink.events, "context.delegated")[0]).toMatchObject({
      "mandate.context.id": child.id,
      "mandate.context.path": [parent.id, child.id],
      "mandate.detail": { parent: parent.id, delegatedBy: parent.identity.id },
    });
  });

  it("denies a child call its own intent does not cover even when the parent's does", async () => {
    const { mandate } = setup();
    const parent = await mandate.declare(bot, parentIntent);
    const child = await parent.delegate(worker, customerNames);

    const d = child.check({ tool: "lookup", args: { table: "customers", columns: ["email"] } });

    expect(d.effect).toBe("deny");
    expect(d.reasons[0]).toMatchObject({ code: "intent.data_undeclared", dataClass: "customer.email" });
  });

  it("rejects a child that reaches beyond the parent with ERR_BEYOND_PARENT naming the entry", async () => {
    const { mandate } = setup();
    const parent = await mandate.declare(bot, parentIntent);

    const err = await mandateError(() =>
      parent.delegate(worker, {
        purpose: "escalate",
        allow: [
          { action: "net.ping", resource: "net/ping" },
          { action: "web.search", resource: "web/search" },
        ],
      }),
    );

    expect(err.code).toBe("ERR_BEYOND_PARENT");
    expect(err.field).toBe("allow[1]");
    expect(err.issues[0]?.rule).toBe("attenuation");
  });

  it("names the data of the entry when only a data class goes beyond the parent", async () => {
    const { mandate } = setup();
    const parent = await mandate.declare(bot, parentIntent);

    const err = await mandateError(() =>
      parent.delegate(worker, {
        purpose: "read salaries",
        allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name", "employee.salary"] }],
      }),
    );

    expect(err.code).toBe("ERR_BEYOND_PARENT");
    expect(err.field).toBe("allow[0].data");
    expect(err.message).toContain("employee.salary");
  });

  it("rejects a wider resource pattern than the parent's", async () => {
    const { mandate } = setup();
    const parent = await mandate.declare(bot, customerNames);

    const err = await mandateError(() =>
      parent.delegate(worker, {
        purpose: "all of crm",
        allow: [{ action: "db.read", resource: "crm/**", data: ["customer.name"] }],
      }),
    );

    expect(err.code).toBe("ERR_BEYOND_PARENT");
    expect(err.message).toContain('resource "crm/**"');
    // The resource is what goes beyond, not the data class: the field names the entry.
    expect(err.field).toBe("allow[0]");
  });

  describe("limits must fit in what the parent has left", () => {
    async function parentWith(limits: IntentInput["limits"], now?: () => number) {
      const { mandate } = setup(now ? { now } : {});
      return mandate.declare(bot, broadIntent({ limits }));
    }

    it("rejects more calls than the parent has left (limits.calls)", async () => {
      const parent = await parentWith({ calls: 5 });
      parent.check({ tool: "ping", args: {} });
      parent.check({ tool: "ping", args: {} });

      await expect(parent.delegate(worker, broadIntent({ limits: { calls: 3 } }))).resolves.toBeDefined();
      const err = await mandateError(() => parent.delegate(worker, broadIntent({ limits: { calls: 4 } })));
      expect(err.code).toBe("ERR_BEYOND_PARENT");
      expect(err.field).toBe("limits.calls");
    });

    it("requires a child to set a calls limit when the parent has one", async () => {
      const parent = await parentWith({ calls: 5 });
      const err = await mandateError(() => parent.delegate(worker, broadIntent()));
      expect(err.code).toBe("ERR_BEYOND_PARENT");
      expect(err.field).toBe("limits.calls");
    });

    it("rejects a budget larger than what the parent has left (limits.budget)", async () => {
      const parent = await parentWith({ budget: 10 });
      parent.check({ tool: "search", args: { q: "x" } }); // spends 3

      await expect(parent.delegate(worker, broadIntent({ limits: { budget: 7 } }))).resolves.toBeDefined();
      const err = await mandateError(() => parent.delegate(worker, broadIntent({ limits: { budget: 8 } })));
      expect(err.code).toBe("ERR_BEYOND_PARENT");
      expect(err.field).toBe("limits.budget");
    });

    it("rejects a higher rate than the parent's (limits.perMinute)", async () => {
      const parent = await parentWith({ perMinute: 10 });
      await expect(
        parent.delegate(worker, broadIntent({ limits: { perMinute: 10 } })),
      ).resolves.toBeDefined();
      const err = await mandateError(() =>
        parent.delegate(worker, broadIntent({ limits: { perMinute: 11 } })),
      );
      expect(err.code).toBe("ERR_BEYOND_PARENT");
      expect(err.field).toBe("limits.perMinute");
    });

    it("rejects a ttl that outlives the parent (limits.ttl)", async () => {
      const clock = manualClock();
      const parent = await parentWith({ ttl: "10m" }, clock.now);
      clock.advance(5 * 60_000);

      await expect(parent.delegate(worker, broadIntent({ limits: { ttl: "5m" } }))).resolves.toBeDefined();
      const err = await mandateError(() => parent.delegate(worker, broadIntent({ limits: { ttl: "6m" } })));
      expect(err.code).toBe("ERR_BEYOND_PARENT");
      expect(err.field).toBe("limits.ttl");
    });
  });

  it("rejects a monitor-mode child of an enforced parent", async () => {
    const { mandate } = setup();
    const parent = await mandate.declare(bot, customerNames);

    const err = await mandateError(() => parent.delegate(worker, { ...customerNames, mode: "monitor" }));

    expect(err.code).toBe("ERR_BEYOND_PARENT");
    expect(err.field).toBe("mode");
  });

  it("lets a child inherit its parent's mode, and an enforced child of a monitor parent", async () => {
    const { mandate } = setup();
    const parent = await mandate.declare(bot, { ...customerNames, mode: "monitor" });

    const inherits = await parent.delegate(worker, customerNames);
    const enforced = await parent.delegate(worker, { ...customerNames, mode: "enforce" });

    expect(inherits.intent.mode).toBe("monitor");
    expect(enforced.intent.mode).toBe("enforce");
  });

  it("rejects delegation deeper than maxDepth with ERR_DELEGATION_DEPTH", async () => {
    const { mandate } = setup({ maxDepth: 2 });
    const root = await mandate.declare(bot, customerNames);
    const one = await root.delegate(worker, customerNames);
    const two = await one.delegate(worker, customerNames);

    const err = await mandateError(() => two.delegate(worker, customerNames));

    expect(two.depth).toBe(2);
    expect(err.code).toBe("ERR_DELEGATION_DEPTH");
  });

  it("with maxDepth 0 only roots exist", async () => {
    const { mandate } = setup({ maxDepth: 0 });
    const root = await mandate.declare(bot, customerNames);
    const err = await mandateError(() => root.delegate(worker, customerNames));
    expect(err.code).toBe("ERR_DELEGATION_DEPTH");
  });

  it("rejects delegating from a revoked context with ERR_CONTEXT_CLOSED", async () => {
    const { mandate } = setup();
    const root = await mandate.declare(bot, parentIntent);
    await root.revoke("done");

    const err = await mandateError(() => root.delegate(worker, customerNames));

    expect(err.code).toBe("ERR_CONTEXT_CLOSED");
  });

  it("rejects delegating from a child whose ancestor is revoked with ERR_CONTEXT_CLOSED", async () => {
    const { mandate } = setup();
    const root = await mandate.declare(bot, parentIntent);
    const child = await root.delegate(worker, parentIntent);
    await root.revoke();

    const err = await mandateError(() => child.delegate(worker, customerNames));

    expect(err.code).toBe("ERR_CONTEXT_CLOSED");
  });

  it("checks the child's own roles as its ceiling (ERR_BEYOND_CEILING)", async () => {
    const { mandate } = setup();
    const parent = await mandate.declare(bot, parentIntent);
    const reader = { name: "reader-bot", sponsor: "user:alice", roles: ["reader"] };

    await expect(parent.delegate(reader, customerNames)).resolves.toBeDefined();
    const err = await mandateError(() => parent.delegate(reader, parentIntent));
    expect(err.code).toBe("ERR_BEYOND_CEILING");
  });
});
