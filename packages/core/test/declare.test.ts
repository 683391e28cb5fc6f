import { describe, expect, it } from "vitest";
import { digestText } from "../src/index.js";
import { bot, customerNames, eventsOf, mandateError, manualClock, setup } from "./helpers.js";

const reader = { name: "reader-bot", sponsor: "user:alice", roles: ["reader"] };

describe("identities", () => {
  it("issues an identity with an id, defaults and a fingerprint of its configuration", () => {
    const clock = manualClock();
    const { mandate } = setup({ now: clock.now });

    const a = mandate.identity({ ...bot, config: { systemPrompt: "be nice", tools: ["b", "a"] } });
    const b = mandate.identity({ ...bot, config: { systemPrompt: "be nice", tools: ["a", "b"] } });
    const c = mandate.identity({ ...bot, config: { systemPrompt: "be mean", tools: ["a", "b"] } });

    expect(a.id).toMatch(/^[0-9A-Z]{26}$/);
    expect(a.id).not.toBe(b.id);
    expect(a.issuedAt).toBe(clock.now());
    expect(a.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.fingerprint).not.toBe(c.fingerprint);
    expect(mandate.identity({ name: "x", sponsor: "org:acme", roles: ["reader"] }).version).toBe("0.0.0");
  });

  it("rejects an identity with an unconfigured role with ERR_UNKNOWN_ROLE naming roles[i]", async () => {
    const { mandate } = setup();
    const err = await mandateError(() => mandate.identity({ ...bot, roles: ["analyst", "admin"] }));
    expect(err.code).toBe("ERR_UNKNOWN_ROLE");
    expect(err.field).toBe("roles[1]");
  });

  it("rejects an identity without a sponsor principal with ERR_INVALID_IDENTITY", async () => {
    const { mandate } = setup();
    const err = await mandateError(() => mandate.identity({ ...bot, sponsor: "alice" }));
    expect(err.code).toBe("ERR_INVALID_IDENTITY");
    expect(err.field).toBe("sponsor");
  });
});

describe("declaring an intent", () => {
  it("creates a root context and records the intent (keeping only the prompt's digest)", async () => {
    const { mandate, sink } = setup();

    const ctx = await mandate.declare(bot, { ...customerNames, prompt: "who are our customers?" });
    await mandate.flush();

    expect(ctx.depth).toBe(0);
    expect(ctx.path).toEqual([ctx.id]);
    expect(ctx.parent).toBeUndefined();
    expect(ctx.intent.mode).toBe("enforce");
    expect(ctx.intent.promptDigest).toBe(digestText("who are our customers?"));
    expect(ctx.intent.prompt).toBeUndefined();
    expect(mandate.context(ctx.id)).toBe(ctx);
    expect(sink.events.map((e) => e.type)).toEqual(["identity.issued", "intent.declared"]);
    expect(eventsOf(sink.events, "intent.declared")[0]?.["mandate.context.id"]).toBe(ctx.id);
  });

  it("accepts an identity issued earlier and does not issue another", async () => {
    const { mandate, sink } = setup();
    const identity = mandate.identity(bot);

    const ctx = await mandate.declare(identity, customerNames);
    await mandate.flush();

    expect(ctx.identity).toEqual(identity);
    expect(eventsOf(sink.events, "identity.issued")).toHaveLength(1);
  });

  it("rejects an intent without scope entries with ERR_INVALID_INTENT naming the field", async () => {
    const { mandate } = setup();
    const err = await mandateError(() => mandate.declare(bot, { purpose: "nothing", allow: [] }));
    expect(err.code).toBe("ERR_INVALID_INTENT");
    expect(err.field).toBe("allow");
  });
});

describe("the role ceiling", () => {
  it("rejects an intent entry beyond the identity's roles with ERR_BEYOND_CEILING naming allow[i]", async () => {
    const { mandate } = setup();

    const err = await mandateError(() =>
      mandate.declare(reader, {
        purpose: "read and ping",
        allow: [
          { action: "db.read", resource: "crm/customers", data: ["customer.name"] },
          { action: "net.ping", resource: "net/ping" },
        ],
      }),
    );

    expect(err.code).toBe("ERR_BEYOND_CEILING");
    expect(err.field).toBe("allow[1]");
    expect(err.issues[0]?.rule).toBe("ceiling");
  });

  it("names allow[i].data when only a data class is beyond the roles", async () => {
    const { mandate } = setup();

    const err = await mandateError(() =>
      mandate.declare(reader, {
        purpose: "read names and emails",
        allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name", "customer.email"] }],
      }),
    );

    expect(err.code).toBe("ERR_BEYOND_CEILING");
    expect(err.field).toBe("allow[0].data");
    expect(err.message).toContain("customer.email");
  });

  it("names allow[i], not its data, when the entry's action is beyond the roles", async () => {
    const { mandate } = setup();

    const err = await mandateError(() =>
      mandate.declare(reader, {
        purpose: "update names",
        allow: [{ action: "db.write", resource: "crm/customers", data: ["customer.name"] }],
      }),
    );

    expect(err.code).toBe("ERR_BEYOND_CEILING");
    expect(err.message).toContain('action "db.write"');
    expect(err.field).toBe("allow[0]");
  });

  it("accepts an intent exactly at the ceiling", async () => {
    const { mandate } = setup();
    await expect(
      mandate.declare(reader, {
        purpose: "read names",
        allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
      }),
    ).resolves.toBeDefined();
  });
});
