/**
 * Intent resolution: `declareResolved` with the explicit, template and model resolvers. Proposals
 * are validated (naming the offending field), clamped to the identity's ceiling (never widened),
 * and recorded — proposed, granted, dropped — with the `intent.declared` audit event.
 */
import { describe, expect, it, vi } from "vitest";
import {
  type AgentContext,
  type AuditEvent,
  createMandate,
  defineTool,
  explicitResolver,
  type ModelRequest,
  memoryAuditSink,
  modelResolver,
  type PurposeTemplate,
  recipientsInspector,
  type Scope,
  templateResolver,
} from "../src/index.js";
import { mandateError, manualClock } from "./helpers.js";

const lookup = defineTool<{ id?: string; table?: string; columns: string[] }>({
  name: "lookup",
  action: "db.read",
  description: "Reads columns of a CRM record",
  inspect: ({ id, table, columns }) => [
    {
      action: "db.read",
      resource: id === undefined ? `crm/${table ?? "customers"}` : `crm/customers/${id}`,
      data: columns.map((c) => `customer.${c}`),
    },
  ],
});
const update = defineTool<{ table: string }>({
  name: "update",
  action: "db.write",
  resource: ({ table }) => `crm/${table}`,
});
const sendEmail = defineTool<{ to: string }>({
  name: "send_email",
  action: "email.send",
  inspect: recipientsInspector(),
});

const supportRole: Scope = [
  { action: "db.read", resource: "crm/**", data: ["customer.**"] },
  { action: "email.send", resource: "mailto:*@example.com" },
];
const roles = { support: supportRole };
const dataClasses = ["customer.name", "customer.email", "customer.phone", "employee.salary"];
const agent = { name: "support-bot", version: "1.0.0", sponsor: "user:alice", roles: ["support"] };

function world() {
  const clock = manualClock();
  const mandate = createMandate({ roles, tools: [lookup, update, sendEmail], dataClasses, now: clock.now });
  return { mandate };
}

/** A world with a memory sink, to read the `intent.declared` event back. */
async function audited() {
  const sink = memoryAuditSink();
  const mandate = createMandate({ roles, tools: [lookup, update, sendEmail], dataClasses, audit: sink });
  const declared = async (ctx: AgentContext): Promise<Record<string, unknown>> => {
    await mandate.flush();
    const e = sink.events.find(
      (x: AuditEvent) => x.type === "intent.declared" && x["mandate.context.id"] === ctx.id,
    );
    return (e?.["mandate.detail"] ?? {}) as Record<string, unknown>;
  };
  return { mandate, sink, declared };
}

const names: Scope = [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }];

const readNames = { table: "customers", columns: ["name"] };
const readEmails = { table: "customers", columns: ["email"] };

describe("explicitResolver", () => {
  it("grants exactly the scope it is given, recorded as resolved by 'explicit'", async () => {
    const { mandate, declared } = await audited();

    const ctx = await mandate.declareResolved(
      agent,
      { purpose: "find customer names" },
      explicitResolver(names),
    );

    expect(ctx.intent.scope).toEqual(names);
    expect(ctx.intent.purpose).toBe("find customer names");
    expect(ctx.check({ tool: "lookup", args: readNames }).effect).toBe("allow");
    expect(ctx.check({ tool: "lookup", args: readEmails }).effect).toBe("deny");
    expect((await declared(ctx)).resolution).toEqual({
      resolver: "explicit",
      proposed: names,
      granted: names,
      dropped: [],
    });
  });

  it("takes the resolver's limits unless the input sets its own", async () => {
    const { mandate } = world();
    const proposed = await mandate.declareResolved(
      agent,
      { purpose: "find customer names" },
      explicitResolver(names, { calls: 5 }),
    );
    const own = await mandate.declareResolved(
      agent,
      { purpose: "find customer names", limits: { calls: 2 } },
      explicitResolver(names, { calls: 5 }),
    );
    expect(proposed.limits.calls).toBe(5);
    expect(own.limits.calls).toBe(2);
  });
});

describe("templateResolver", () => {
  const templates: Record<string, PurposeTemplate> = {
    "customer-contact": {
      params: ["customer", "field", "recipient"],
      allow: [
        { action: "db.read", resource: "crm/customers/{customer}", data: ["customer.{field}"] },
        { action: "email.send", resource: "mailto:{recipient}", where: { to: { equals: "{recipient}" } } },
      ],
      limits: { calls: 10 },
    },
    "regional-report": {
      allow: [{ action: "db.read", resource: "crm/{region}/customers", data: ["customer.name"] }],
    },
    "find customer names": { allow: names },
  };
  const resolver = templateResolver(templates);
  const params = { customer: "c-42", field: "name", recipient: "bob@example.com" };

  it("fills params into resources, data classes and constraint values", async () => {
    const { mandate, declared } = await audited();

    const ctx = await mandate.declareResolved(
      agent,
      { purpose: "contact a customer", template: "customer-contact", params },
      resolver,
    );

    const filled: Scope = [
      { action: "db.read", resource: "crm/customers/c-42", data: ["customer.name"] },
      {
        action: "email.send",
        resource: "mailto:bob@example.com",
        where: { to: { equals: "bob@example.com" } },
      },
    ];
    expect(ctx.intent.scope).toEqual(filled);
    expect(ctx.limits.calls).toBe(10);
    expect((await declared(ctx)).resolution).toMatchObject({ resolver: "template", granted: filled });
    expect(ctx.check({ tool: "lookup", args: { id: "c-42", columns: ["name"] } }).effect).toBe("allow");
    expect(ctx.check({ tool: "lookup", args: { id: "c-43", columns: ["name"] } }).effect).toBe("deny");
    expect(ctx.check({ tool: "lookup", args: { id: "c-42", columns: ["email"] } }).effect).toBe("deny");
    expect(ctx.check({ tool: "send_email", args: { to: "bob@example.com" } }).effect).toBe("allow");
    expect(ctx.check({ tool: "send_email", args: { to: "eve@example.com" } }).effect).toBe("deny");
  });

  it("finds the template by purpose when no template is named", async () => {
    const { mandate } = world();
    const ctx = await mandate.declareResolved(agent, { purpose: "find customer names" }, resolver);
    expect(ctx.intent.scope).toEqual(names);
  });

  it("fails with ERR_INVALID_INTENT naming params.x when a declared param is missing", async () => {
    const { mandate } = world();
    const err = await mandateError(() =>
      mandate.declareResolved(
        agent,
        { purpose: "contact", template: "customer-contact", params: { customer: "c-42", field: "name" } },
        resolver,
      ),
    );
    expect(err.code).toBe("ERR_INVALID_INTENT");
    expect(err.field).toBe("params.recipient");
  });

  it("fails naming params.x when a placeholder has no value", async () => {
    const { mandate } = world();
    const err = await mandateError(() =>
      mandate.declareResolved(agent, { purpose: "report", template: "regional-report" }, resolver),
    );
    expect(err.code).toBe("ERR_INVALID_INTENT");
    expect(err.field).toBe("params.region");
  });

  it.each([
    ["a wildcard", "*"],
    ["a globstar", "**"],
    ["a partial wildcard", "c-*"],
    ["a slash", "c-42/../c-43"],
    ["a space", "c 42"],
    ["nothing", ""],
    ["a placeholder", "{field}"],
  ])("rejects a param with %s, so it cannot widen the scope", async (_, value) => {
    const { mandate } = world();
    const err = await mandateError(() =>
      mandate.declareResolved(
        agent,
        { purpose: "contact", template: "customer-contact", params: { ...params, customer: value } },
        resolver,
      ),
    );
    expect(err.code).toBe("ERR_INVALID_INTENT");
    expect(err.field).toBe("params.customer");
  });

  it("fails with ERR_INVALID_INTENT for an unknown template", async () => {
    const { mandate } = world();
    for (const input of [
      { purpose: "contact", template: "no-such-template" },
      { purpose: "no such purpose" },
      { purpose: "prototype pollution", template: "__proto__" },
      { purpose: "inherited", template: "toString" },
    ]) {
      const err = await mandateError(() => mandate.declareResolved(agent, input, resolver));
      expect(err.code).toBe("ERR_INVALID_INTENT");
      expect(err.field).toBe("template");
    }
  });

  it("still clamps a filled template to the ceiling", async () => {
    const { mandate } = world();
    const ctx = await mandate.declareResolved(
      agent,
      {
        purpose: "contact",
        template: "customer-contact",
        params: { ...params, recipient: "eve@evil.example" },
      },
      resolver,
    );
    expect(ctx.intent.scope).toEqual([
      { action: "db.read", resource: "crm/customers/c-42", data: ["customer.name"] },
    ]);
    expect(ctx.check({ tool: "send_email", args: { to: "eve@evil.example" } }).effect).toBe("deny");
  });
});

describe("modelResolver", () => {
  const good = {
    allow: [
      { action: "db.read", resource: "crm/customers", data: ["customer.name"] },
      { action: "email.send", resource: "mailto:support@example.com" },
    ],
    rationale: "read names, mail support",
  };

  function fakeModel(answer: unknown) {
    return vi.fn(async (_request: ModelRequest): Promise<unknown> => answer);
  }

  it("grants a good answer as proposed, and records the resolution", async () => {
    const { mandate, declared } = await audited();
    const model = fakeModel(good);

    const ctx = await mandate.declareResolved(
      agent,
      { purpose: "mail support the customer names" },
      modelResolver(model),
    );

    expect(ctx.intent.scope).toEqual(good.allow);
    expect((await declared(ctx)).resolution).toEqual({
      resolver: "model",
      proposed: good.allow,
      granted: good.allow,
      dropped: [],
      rationale: "read names, mail support",
    });
    expect(ctx.check({ tool: "lookup", args: readNames }).effect).toBe("allow");
    expect(ctx.check({ tool: "send_email", args: { to: "support@example.com" } }).effect).toBe("allow");
  });

  it("sends the model the purpose, prompt, tools, data classes, ceiling and a JSON schema", async () => {
    const { mandate } = world();
    const model = fakeModel(good);

    await mandate.declareResolved(
      agent,
      { purpose: "mail support the customer names", prompt: "please mail support the names" },
      modelResolver(model),
    );

    expect(model).toHaveBeenCalledOnce();
    const request = model.mock.calls[0]?.[0] as ModelRequest;
    expect(request.purpose).toBe("mail support the customer names");
    expect(request.prompt).toBe("please mail support the names");
    expect(request.instructions).toEqual(expect.any(String));
    expect(request.tools).toEqual([
      { name: "lookup", action: "db.read", description: "Reads columns of a CRM record" },
      { name: "update", action: "db.write" },
      { name: "send_email", action: "email.send" },
    ]);
    expect(request.dataClasses).toEqual(dataClasses);
    expect(request.ceiling).toEqual(supportRole);
    expect(request.responseSchema).toMatchObject({
      type: "object",
      properties: { allow: { type: "array" } },
      required: ["allow"],
    });
    // The request is plain data, ready to send to any model API.
    expect(JSON.parse(JSON.stringify(request))).toEqual(request);
  });

  it("accepts an answer given as JSON text", async () => {
    const { mandate } = world();
    const ctx = await mandate.declareResolved(
      agent,
      { purpose: "mail support the customer names" },
      modelResolver(fakeModel(JSON.stringify(good))),
    );
    expect(ctx.intent.scope).toEqual(good.allow);
  });

  it("narrows an over-broad answer to the ceiling, listing what it dropped", async () => {
    const { mandate, declared } = await audited();
    const broad = {
      allow: [
        { action: "db.read", resource: "crm/customers", data: ["customer.name", "employee.salary"] },
        { action: "db.write", resource: "crm/customers" },
        { action: "email.send", resource: "mailto:**" },
        { action: "db.read", resource: "**", data: ["customer.email"] },
      ],
    };

    const ctx = await mandate.declareResolved(
      agent,
      { purpose: "find customer names" },
      modelResolver(fakeModel(broad)),
    );

    expect(ctx.intent.scope).toEqual(names);
    const resolution = (await declared(ctx)).resolution as {
      proposed: Scope;
      granted: Scope;
      dropped: { entry: unknown; reason: string }[];
    };
    expect(resolution.proposed).toEqual(broad.allow);
    expect(resolution.granted).toEqual(names);
    expect(resolution.dropped.map((d) => d.entry)).toEqual([
      { action: "db.read", resource: "crm/customers", data: ["employee.salary"] },
      { action: "db.write", resource: "crm/customers" },
      { action: "email.send", resource: "mailto:**" },
      { action: "db.read", resource: "**", data: ["customer.email"] },
    ]);
    expect(resolution.dropped.every((d) => d.reason.length > 0)).toBe(true);

    // What was granted is allowed; what was dropped is not.
    expect(ctx.check({ tool: "lookup", args: readNames }).effect).toBe("allow");
    expect(ctx.check({ tool: "lookup", args: readEmails }).effect).toBe("deny");
    expect(ctx.check({ tool: "update", args: { table: "customers" } }).effect).toBe("deny");
    expect(ctx.check({ tool: "send_email", args: { to: "support@example.com" } }).effect).toBe("deny");
  });

  it("fails with ERR_BEYOND_CEILING when everything proposed lies beyond the ceiling", async () => {
    const { mandate } = world();
    const err = await mandateError(() =>
      mandate.declareResolved(
        agent,
        { purpose: "give everyone a raise" },
        modelResolver(
          fakeModel({
            allow: [
              { action: "db.write", resource: "crm/**" },
              { action: "db.read", resource: "hr/**", data: ["employee.salary"] },
            ],
          }),
        ),
      ),
    );
    expect(err.code).toBe("ERR_BEYOND_CEILING");
  });

  it.each<[string, unknown, string]>([
    ["an entry without a resource", { allow: [{ action: "db.read" }] }, "allow[0].resource"],
    [
      "a resource with whitespace",
      { allow: [names[0], { action: "db.read", resource: "crm/a b" }] },
      "allow[1].resource",
    ],
    [
      "a bad data class",
      { allow: [{ action: "db.read", resource: "crm/x", data: ["a b"] }] },
      "allow[0].data[0]",
    ],
    ["an empty allow", { allow: [] }, "allow"],
    ["allow not a list", { allow: "everything" }, "allow"],
    ["an unknown key", { allow: names, grantAdmin: true }, "grantAdmin"],
    ["bad limits", { allow: names, limits: { calls: -1 } }, "limits.calls"],
  ])(
    "fails with ERR_INVALID_INTENT naming the field for a malformed answer: %s",
    async (_, answer, field) => {
      const { mandate } = world();
      const err = await mandateError(() =>
        mandate.declareResolved(agent, { purpose: "find customer names" }, modelResolver(fakeModel(answer))),
      );
      expect(err.code).toBe("ERR_INVALID_INTENT");
      expect(err.field).toBe(field);
    },
  );

  it("fails with ERR_INVALID_INTENT for a non-JSON text answer", async () => {
    const { mandate } = world();
    const err = await mandateError(() =>
      mandate.declareResolved(
        agent,
        { purpose: "find customer names" },
        modelResolver(fakeModel("Sure! The agent should read customer names.")),
      ),
    );
    expect(err.code).toBe("ERR_INVALID_INTENT");
    expect(err.message).toMatch(/not JSON/);
  });

  it.each<[string, unknown]>([
    ["null", null],
    ["a number", 42],
    ["JSON text of a list", JSON.stringify([names[0]])],
  ])("fails with ERR_INVALID_INTENT for an answer that is %s", async (_, answer) => {
    const { mandate } = world();
    const err = await mandateError(() =>
      mandate.declareResolved(agent, { purpose: "find customer names" }, modelResolver(fakeModel(answer))),
    );
    expect(err.code).toBe("ERR_INVALID_INTENT");
  });

  it("fails with ERR_INVALID_INTENT when the model throws, keeping the cause", async () => {
    const { mandate } = world();
    const boom = new Error("rate limited");
    const err = await mandateError(() =>
      mandate.declareResolved(
        agent,
        { purpose: "find customer names" },
        modelResolver(async () => {
          throw boom;
        }),
      ),
    );
    expect(err.code).toBe("ERR_INVALID_INTENT");
    expect(err.message).toMatch(/resolver "model" failed: rate limited/);
    expect(err.cause).toBe(boom);
  });

  it("declares nothing when resolution fails", async () => {
    const { mandate, sink } = await audited();
    for (const answer of [
      { allow: [] },
      "not json",
      { allow: [{ action: "db.write", resource: "crm/**" }] },
    ]) {
      await mandateError(() =>
        mandate.declareResolved(agent, { purpose: "x" }, modelResolver(fakeModel(answer))),
      );
    }
    await mandate.flush();
    expect(sink.events.filter((e) => e.type === "intent.declared")).toEqual([]);
  });
});
