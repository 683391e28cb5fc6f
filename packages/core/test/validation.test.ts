/**
 * Malformed identities, intents and configurations: each is rejected with a stable error code, the
 * first offending field as a dotted path, and the rule that failed.
 */
import { afterAll, describe, expect, it } from "vitest";
import { MandateError, type MandateErrorCode } from "../src/errors.js";
import { createMandate, type Mandate, type MandateOptions } from "../src/mandate.js";
import type { IdentityInput } from "../src/schema/identity.js";
import type { IntentInput } from "../src/schema/intent.js";
import type { ScopeEntry } from "../src/schema/scope.js";

const ROLES: MandateOptions["roles"] = {
  reader: [{ action: "db.read", resource: "crm/**", data: ["customer.*"] }],
  payer: [{ action: "payment.send", resource: "bank/*", where: { amount: { max: 100 } } }],
  mailer: [{ action: "email.send", resource: "mailto:*@example.com" }],
};

const ID: IdentityInput = { name: "support-bot", sponsor: "user:alice", roles: ["reader"] };
const ENTRY: ScopeEntry = { action: "db.read", resource: "crm/customers" };
const INTENT: IntentInput = { purpose: "find all customer names", allow: [ENTRY] };
const DIGEST = `sha256:${"ab".repeat(32)}`;

/** Bypasses the input types: these inputs are malformed on purpose. */
const identity = (value: unknown) => value as IdentityInput;
const intent = (value: unknown) => value as IntentInput;
const withEntry = (extra: Record<string, unknown>) => intent({ ...INTENT, allow: [{ ...ENTRY, ...extra }] });

interface Case {
  readonly name: string;
  readonly run: (m: Mandate) => unknown;
  readonly code: MandateErrorCode;
  readonly field: string;
  readonly rule: string;
  /** More text the message must contain, besides the field. */
  readonly mentions?: readonly string[];
  /** Further issues that must be reported too. */
  readonly alsoIssues?: readonly { field: string; rule: string }[];
}

const issueIdentity = (input: unknown) => (m: Mandate) => m.identity(identity(input));
const declareIntent = (input: unknown) => (m: Mandate) => m.declare(ID, intent(input));

const IDENTITY_CASES: readonly Case[] = [
  {
    name: "a missing sponsor",
    run: issueIdentity({ name: "bot", roles: ["reader"] }),
    code: "ERR_INVALID_IDENTITY",
    field: "sponsor",
    rule: "required",
  },
  {
    name: "a sponsor that is not a principal",
    run: issueIdentity({ ...ID, sponsor: "alice" }),
    code: "ERR_INVALID_IDENTITY",
    field: "sponsor",
    rule: "format",
  },
  {
    name: "a sponsor of the wrong type",
    run: issueIdentity({ ...ID, sponsor: 42 }),
    code: "ERR_INVALID_IDENTITY",
    field: "sponsor",
    rule: "type",
  },
  {
    name: "an empty name",
    run: issueIdentity({ ...ID, name: "" }),
    code: "ERR_INVALID_IDENTITY",
    field: "name",
    rule: "min",
  },
  {
    name: "a name starting with a dash",
    run: issueIdentity({ ...ID, name: "-bot" }),
    code: "ERR_INVALID_IDENTITY",
    field: "name",
    rule: "format",
  },
  {
    name: "a name of the wrong type",
    run: issueIdentity({ ...ID, name: 7 }),
    code: "ERR_INVALID_IDENTITY",
    field: "name",
    rule: "type",
  },
  {
    name: "an empty role list (no ceiling)",
    run: issueIdentity({ ...ID, roles: [] }),
    code: "ERR_INVALID_IDENTITY",
    field: "roles",
    rule: "min",
  },
  {
    name: "roles given as a string",
    run: issueIdentity({ ...ID, roles: "reader" }),
    code: "ERR_INVALID_IDENTITY",
    field: "roles",
    rule: "type",
  },
  {
    name: "a role name with whitespace",
    run: issueIdentity({ ...ID, roles: ["reader", "bad role"] }),
    code: "ERR_INVALID_IDENTITY",
    field: "roles[1]",
    rule: "format",
  },
  {
    name: "a role of the wrong type",
    run: issueIdentity({ ...ID, roles: ["reader", 5] }),
    code: "ERR_INVALID_IDENTITY",
    field: "roles[1]",
    rule: "type",
  },
  {
    name: "too many roles (65)",
    run: issueIdentity({ ...ID, roles: Array.from({ length: 65 }, () => "reader") }),
    code: "ERR_INVALID_IDENTITY",
    field: "roles",
    rule: "max",
  },
  {
    name: "a role that is not configured",
    run: issueIdentity({ ...ID, roles: ["reader", "ghost"] }),
    code: "ERR_UNKNOWN_ROLE",
    field: "roles[1]",
    rule: "role.unknown",
    mentions: ["ghost"],
  },
  {
    name: "an unknown key (typo rolse)",
    run: issueIdentity({ ...ID, rolse: ["reader"] }),
    code: "ERR_INVALID_IDENTITY",
    field: "rolse",
    rule: "unknown_key",
  },
  {
    name: "both config and fingerprint",
    run: issueIdentity({ ...ID, config: { systemPrompt: "be nice" }, fingerprint: DIGEST }),
    code: "ERR_INVALID_IDENTITY",
    field: "fingerprint",
    rule: "exclusive",
  },
  {
    name: "a fingerprint with upper-case hex",
    run: issueIdentity({ ...ID, fingerprint: DIGEST.toUpperCase().replace("SHA256", "sha256") }),
    code: "ERR_INVALID_IDENTITY",
    field: "fingerprint",
    rule: "format",
  },
  {
    name: "a fingerprint of another algorithm",
    run: issueIdentity({ ...ID, fingerprint: `md5:${"ab".repeat(16)}` }),
    code: "ERR_INVALID_IDENTITY",
    field: "fingerprint",
    rule: "format",
  },
  {
    name: "an unknown key inside config (tool for tools)",
    run: issueIdentity({ ...ID, config: { tool: ["search"] } }),
    code: "ERR_INVALID_IDENTITY",
    field: "config.tool",
    rule: "unknown_key",
  },
  {
    name: "an empty tool name in config",
    run: issueIdentity({ ...ID, config: { tools: ["search", ""] } }),
    code: "ERR_INVALID_IDENTITY",
    field: "config.tools[1]",
    rule: "min",
  },
  {
    name: 'a ttl written in words ("10 minutes")',
    run: issueIdentity({ ...ID, ttl: "10 minutes" }),
    code: "ERR_INVALID_IDENTITY",
    field: "ttl",
    rule: "format",
  },
  {
    name: "a zero ttl",
    run: issueIdentity({ ...ID, ttl: 0 }),
    code: "ERR_INVALID_IDENTITY",
    field: "ttl",
    rule: "min",
  },
  {
    name: "a negative ttl",
    run: issueIdentity({ ...ID, ttl: -5 }),
    code: "ERR_INVALID_IDENTITY",
    field: "ttl",
    rule: "min",
  },
  {
    name: "an empty version",
    run: issueIdentity({ ...ID, version: "" }),
    code: "ERR_INVALID_IDENTITY",
    field: "version",
    rule: "min",
  },
  {
    name: "a tenant of the wrong type",
    run: issueIdentity({ ...ID, tenant: 5 }),
    code: "ERR_INVALID_IDENTITY",
    field: "tenant",
    rule: "type",
  },
  {
    name: "null",
    run: issueIdentity(null),
    code: "ERR_INVALID_IDENTITY",
    field: "",
    rule: "type",
  },
  {
    name: "a string",
    run: issueIdentity("support-bot"),
    code: "ERR_INVALID_IDENTITY",
    field: "",
    rule: "type",
  },
  {
    name: "an array",
    run: issueIdentity([ID]),
    code: "ERR_INVALID_IDENTITY",
    field: "",
    rule: "type",
  },
  {
    name: "an issued identity whose id is not a ULID (forged)",
    run: (m) =>
      m.declare(
        identity({
          id: "nope",
          name: "bot",
          version: "1",
          sponsor: "user:a",
          roles: ["reader"],
          issuedAt: 0,
        }),
        INTENT,
      ),
    code: "ERR_INVALID_IDENTITY",
    field: "id",
    rule: "format",
  },
  {
    name: "an identity input with an unconfigured role, passed straight to declare",
    run: (m) => m.declare({ ...ID, roles: ["ghost"] }, INTENT),
    code: "ERR_UNKNOWN_ROLE",
    field: "roles[0]",
    rule: "role.unknown",
    mentions: ["ghost"],
  },
  {
    name: "an identity issued by another Mandate with a role this one does not configure",
    run: async (m) => {
      const other = createMandate({ roles: { admin: [{ action: "**", resource: "**" }] } });
      try {
        return await m.declare(other.identity({ ...ID, roles: ["admin"] }), INTENT);
      } finally {
        await other.close();
      }
    },
    code: "ERR_UNKNOWN_ROLE",
    field: "roles[0]",
    rule: "role.unknown",
    mentions: ["admin"],
  },
];

const INTENT_CASES: readonly Case[] = [
  {
    name: "a purpose of only whitespace",
    run: declareIntent({ ...INTENT, purpose: "   " }),
    code: "ERR_INVALID_INTENT",
    field: "purpose",
    rule: "min",
  },
  {
    name: "a missing purpose",
    run: declareIntent({ allow: [ENTRY] }),
    code: "ERR_INVALID_INTENT",
    field: "purpose",
    rule: "required",
  },
  {
    name: "a purpose of the wrong type",
    run: declareIntent({ ...INTENT, purpose: 42 }),
    code: "ERR_INVALID_INTENT",
    field: "purpose",
    rule: "type",
  },
  {
    name: "an empty allow list",
    run: declareIntent({ ...INTENT, allow: [] }),
    code: "ERR_INVALID_INTENT",
    field: "allow",
    rule: "min",
  },
  {
    // The missing `allow` comes first; the typo is reported too, so it never passes silently.
    name: "a typo alow for allow",
    run: declareIntent({ purpose: INTENT.purpose, alow: [ENTRY] }),
    code: "ERR_INVALID_INTENT",
    field: "allow",
    rule: "required",
    alsoIssues: [{ field: "alow", rule: "unknown_key" }],
  },
  {
    name: "allow given as a string",
    run: declareIntent({ ...INTENT, allow: "db.read" }),
    code: "ERR_INVALID_INTENT",
    field: "allow",
    rule: "type",
  },
  {
    name: "whitespace in a resource",
    run: declareIntent(withEntry({ resource: "crm/ customers" })),
    code: "ERR_INVALID_INTENT",
    field: "allow[0].resource",
    rule: "pattern.syntax",
  },
  {
    name: "an empty resource",
    run: declareIntent(withEntry({ resource: "" })),
    code: "ERR_INVALID_INTENT",
    field: "allow[0].resource",
    rule: "min",
  },
  {
    name: "an action with an empty segment",
    run: declareIntent(withEntry({ action: "db..read" })),
    code: "ERR_INVALID_INTENT",
    field: "allow[0].action",
    rule: "pattern.syntax",
  },
  {
    name: "an action with whitespace",
    run: declareIntent(withEntry({ action: "db read" })),
    code: "ERR_INVALID_INTENT",
    field: "allow[0].action",
    rule: "pattern.syntax",
  },
  {
    name: "an action separated by slashes",
    run: declareIntent(withEntry({ action: "db/read" })),
    code: "ERR_INVALID_INTENT",
    field: "allow[0].action",
    rule: "pattern.syntax",
  },
  {
    name: "a missing action",
    run: declareIntent({ ...INTENT, allow: [{ resource: "crm/customers" }] }),
    code: "ERR_INVALID_INTENT",
    field: "allow[0].action",
    rule: "required",
  },
  {
    name: "an unknown key in an entry (typo resources)",
    run: declareIntent(withEntry({ resources: "crm/**" })),
    code: "ERR_INVALID_INTENT",
    field: "allow[0].resources",
    rule: "unknown_key",
  },
  {
    name: "an empty data class",
    run: declareIntent(withEntry({ data: ["customer.name", ""] })),
    code: "ERR_INVALID_INTENT",
    field: "allow[0].data[1]",
    rule: "pattern.syntax",
  },
  {
    name: "data classes given as a string",
    run: declareIntent(withEntry({ data: "customer.name" })),
    code: "ERR_INVALID_INTENT",
    field: "allow[0].data",
    rule: "type",
  },
  {
    name: "a constraint with min > max (third entry)",
    run: declareIntent({
      ...INTENT,
      allow: [ENTRY, ENTRY, { ...ENTRY, where: { amount: { min: 10, max: 5 } } }],
    }),
    code: "ERR_INVALID_INTENT",
    field: "allow[2].where.amount",
    rule: "constraint.range",
  },
  {
    name: "an empty constraint",
    run: declareIntent(withEntry({ where: { amount: {} } })),
    code: "ERR_INVALID_INTENT",
    field: "allow[0].where.amount",
    rule: "constraint.empty",
  },
  {
    name: "an unknown key in a constraint (minimum for min)",
    run: declareIntent(withEntry({ where: { amount: { minimum: 5 } } })),
    code: "ERR_INVALID_INTENT",
    field: "allow[0].where.amount.minimum",
    rule: "unknown_key",
  },
  {
    name: "an empty oneOf",
    run: declareIntent(withEntry({ where: { to: { oneOf: [] } } })),
    code: "ERR_INVALID_INTENT",
    field: "allow[0].where.to.oneOf",
    rule: "min",
  },
  {
    name: "an argument name that is not a path",
    run: declareIntent(withEntry({ where: { "bad name": { max: 3 } } })),
    code: "ERR_INVALID_INTENT",
    field: "allow[0].where.bad name",
    rule: "key",
  },
  {
    name: "an argument path through constructor (reserved: object assignment would reroute it)",
    run: declareIntent(withEntry({ where: { "payment.constructor": { max: 3 } } })),
    code: "ERR_INVALID_INTENT",
    field: "allow[0].where.payment.constructor",
    rule: "argument.reserved",
  },
  {
    name: 'a limits.ttl written in words ("10 minutes")',
    run: declareIntent({ ...INTENT, limits: { ttl: "10 minutes" } }),
    code: "ERR_INVALID_INTENT",
    field: "limits.ttl",
    rule: "format",
  },
  {
    name: "a zero limits.ttl",
    run: declareIntent({ ...INTENT, limits: { ttl: 0 } }),
    code: "ERR_INVALID_INTENT",
    field: "limits.ttl",
    rule: "min",
  },
  {
    name: "a negative limits.ttl",
    run: declareIntent({ ...INTENT, limits: { ttl: -5 } }),
    code: "ERR_INVALID_INTENT",
    field: "limits.ttl",
    rule: "min",
  },
  {
    name: "a negative call limit",
    run: declareIntent({ ...INTENT, limits: { calls: -1 } }),
    code: "ERR_INVALID_INTENT",
    field: "limits.calls",
    rule: "min",
  },
  {
    name: "a zero call limit",
    run: declareIntent({ ...INTENT, limits: { calls: 0 } }),
    code: "ERR_INVALID_INTENT",
    field: "limits.calls",
    rule: "min",
  },
  {
    name: "a non-integer call limit",
    run: declareIntent({ ...INTENT, limits: { calls: 2.5 } }),
    code: "ERR_INVALID_INTENT",
    field: "limits.calls",
    rule: "type",
  },
  {
    name: "a zero rate limit",
    run: declareIntent({ ...INTENT, limits: { perMinute: 0 } }),
    code: "ERR_INVALID_INTENT",
    field: "limits.perMinute",
    rule: "min",
  },
  {
    name: "a negative budget",
    run: declareIntent({ ...INTENT, limits: { budget: -1 } }),
    code: "ERR_INVALID_INTENT",
    field: "limits.budget",
    rule: "min",
  },
  {
    name: "an infinite budget",
    run: declareIntent({ ...INTENT, limits: { budget: Number.POSITIVE_INFINITY } }),
    code: "ERR_INVALID_INTENT",
    field: "limits.budget",
    rule: "type",
  },
  {
    name: "a negative tool cost",
    run: declareIntent({ ...INTENT, limits: { costs: { search: -1 } } }),
    code: "ERR_INVALID_INTENT",
    field: "limits.costs.search",
    rule: "min",
  },
  {
    name: "an unknown key in limits (typo call)",
    run: declareIntent({ ...INTENT, limits: { call: 3 } }),
    code: "ERR_INVALID_INTENT",
    field: "limits.call",
    rule: "unknown_key",
  },
  {
    name: "both prompt and promptDigest",
    run: declareIntent({ ...INTENT, prompt: "find them", promptDigest: DIGEST }),
    code: "ERR_INVALID_INTENT",
    field: "promptDigest",
    rule: "exclusive",
  },
  {
    name: "a promptDigest that is not sha256:<64 hex>",
    run: declareIntent({ ...INTENT, promptDigest: "sha256:xyz" }),
    code: "ERR_INVALID_INTENT",
    field: "promptDigest",
    rule: "format",
  },
  {
    name: "a mode outside enforce/monitor",
    run: declareIntent({ ...INTENT, mode: "audit" }),
    code: "ERR_INVALID_INTENT",
    field: "mode",
    rule: "value",
  },
  {
    name: "keepPrompt of the wrong type",
    run: declareIntent({ ...INTENT, keepPrompt: "yes" }),
    code: "ERR_INVALID_INTENT",
    field: "keepPrompt",
    rule: "type",
  },
  {
    name: "null",
    run: declareIntent(null),
    code: "ERR_INVALID_INTENT",
    field: "",
    rule: "type",
  },
  {
    name: "a string",
    run: declareIntent("find all customer names"),
    code: "ERR_INVALID_INTENT",
    field: "",
    rule: "type",
  },
  {
    name: "an array",
    run: declareIntent([INTENT]),
    code: "ERR_INVALID_INTENT",
    field: "",
    rule: "type",
  },
];

const CEILING_CASES: readonly Case[] = [
  {
    name: "an entry whose action the roles do not grant (second entry)",
    run: declareIntent({ ...INTENT, allow: [ENTRY, { action: "db.write", resource: "crm/customers" }] }),
    code: "ERR_BEYOND_CEILING",
    field: "allow[1]",
    rule: "ceiling",
    mentions: ["allow[1]", "db.write"],
  },
  {
    name: "an entry whose resource is wider than the roles grant",
    run: declareIntent(withEntry({ resource: "**" })),
    code: "ERR_BEYOND_CEILING",
    field: "allow[0]",
    rule: "ceiling",
    mentions: ["allow[0]", 'resource "**"'],
  },
  {
    name: "an entry with a data class the roles do not grant",
    run: declareIntent(withEntry({ data: ["customer.name", "employee.salary"] })),
    code: "ERR_BEYOND_CEILING",
    field: "allow[0].data",
    rule: "ceiling",
    mentions: ["allow[0]", "employee.salary"],
  },
  {
    name: "an entry with a data pattern wider than the roles grant (customer.**)",
    run: declareIntent(withEntry({ data: ["customer.**"] })),
    code: "ERR_BEYOND_CEILING",
    field: "allow[0].data",
    rule: "ceiling",
    mentions: ["customer.**"],
  },
  {
    name: "an entry with a looser argument constraint than the role's",
    run: (m) =>
      m.declare(
        { ...ID, roles: ["payer"] },
        {
          purpose: "pay the invoice",
          allow: [{ action: "payment.send", resource: "bank/acme", where: { amount: { max: 500 } } }],
        },
      ),
    code: "ERR_BEYOND_CEILING",
    field: "allow[0]",
    rule: "ceiling",
    mentions: ["allow[0]", "constraint"],
  },
  {
    name: "an entry that drops the argument constraint of the role",
    run: (m) =>
      m.declare(
        { ...ID, roles: ["payer"] },
        { purpose: "pay the invoice", allow: [{ action: "payment.send", resource: "bank/acme" }] },
      ),
    code: "ERR_BEYOND_CEILING",
    field: "allow[0]",
    rule: "ceiling",
    mentions: ["allow[0]", "constraint"],
  },
];

const CONFIG_CASES: readonly Case[] = [
  {
    name: "a role scope with a malformed action",
    run: () => createMandate({ roles: { reader: [{ action: "db read", resource: "crm/**" }] } }),
    code: "ERR_INVALID_CONFIG",
    field: "roles.reader[0].action",
    rule: "pattern.syntax",
  },
  {
    name: "a role scope with whitespace in a resource",
    run: () => createMandate({ roles: { reader: [ENTRY, { action: "db.read", resource: "crm/a b" }] } }),
    code: "ERR_INVALID_CONFIG",
    field: "roles.reader[1].resource",
    rule: "pattern.syntax",
  },
  {
    name: "a role scope entry with an unknown key",
    run: () =>
      createMandate({ roles: { r: [{ ...ENTRY, actions: "db.write" }] } } as unknown as MandateOptions),
    code: "ERR_INVALID_CONFIG",
    field: "roles.r[0].actions",
    rule: "unknown_key",
  },
  {
    name: "missing roles",
    run: () => createMandate({} as MandateOptions),
    code: "ERR_INVALID_CONFIG",
    field: "roles",
    rule: "required",
  },
  {
    name: "roles given as an array",
    run: () => createMandate({ roles: [] } as unknown as MandateOptions),
    code: "ERR_INVALID_CONFIG",
    field: "roles",
    rule: "type",
  },
  {
    name: "a maxDepth above 64",
    run: () => createMandate({ roles: ROLES, maxDepth: 100 }),
    code: "ERR_INVALID_CONFIG",
    field: "maxDepth",
    rule: "max",
  },
  {
    name: "a negative pauseWaitMs",
    run: () => createMandate({ roles: ROLES, pauseWaitMs: -1 }),
    code: "ERR_INVALID_CONFIG",
    field: "pauseWaitMs",
    rule: "min",
  },
  {
    name: "two tools with the same name",
    run: () =>
      createMandate({
        roles: ROLES,
        tools: [
          { name: "search", action: "db.read", resource: "crm/customers" },
          { name: "search", action: "db.write", resource: "crm/customers" },
        ],
      }),
    code: "ERR_INVALID_CONFIG",
    field: "tools[1].name",
    rule: "duplicate",
    mentions: ["search"],
  },
  {
    name: "a tool whose action is a pattern, not a concrete action",
    run: () => createMandate({ roles: ROLES, tools: [{ name: "search", action: "db.*" }] }),
    code: "ERR_INVALID_CONFIG",
    field: "tools[0].action",
    rule: "tool",
  },
  {
    name: "a tool name with whitespace",
    run: () => createMandate({ roles: ROLES, tools: [{ name: "bad name", action: "db.read" }] }),
    code: "ERR_INVALID_CONFIG",
    field: "tools[0].name",
    rule: "tool",
  },
];

async function caught(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  return undefined;
}

function expectRejected(err: unknown, c: Case, what: string): void {
  expect(err, `${c.name} was accepted`).toBeInstanceOf(MandateError);
  const e = err as MandateError;
  expect({ code: e.code, field: e.field, rule: e.issues[0]?.rule }).toEqual({
    code: c.code,
    field: c.field,
    rule: c.rule,
  });
  expect(e.issues[0]?.field).toBe(c.field);
  if (c.code === "ERR_BEYOND_CEILING") {
    // Scope errors name the entry by its field ("allow[1]") and what is not covered.
    expect(e.message).toMatch(/^intent reaches beyond the roles of /);
  } else if (c.field === "") {
    expect(e.message).toMatch(new RegExp(`^invalid ${what}: `));
  } else {
    expect(e.message).toContain(`"${c.field}"`);
  }
  for (const text of c.mentions ?? []) expect(e.message).toContain(text);
  for (const issue of c.alsoIssues ?? []) expect(e.issues).toContainEqual(expect.objectContaining(issue));
}

describe("input validation", () => {
  const mandate = createMandate({ roles: ROLES });
  afterAll(() => mandate.close());

  it("accepts the well-formed baseline identity and intent the cases below break", async () => {
    const id = mandate.identity(ID);
    expect(id.roles).toEqual(["reader"]);
    const ctx = await mandate.declare(id, INTENT);
    expect(ctx.intent.scope).toEqual([ENTRY]);
  });

  describe("mandate.identity and the identity passed to declare", () => {
    for (const c of IDENTITY_CASES) {
      it(`rejects ${c.name} with ${c.code} at "${c.field}" (${c.rule})`, async () => {
        expectRejected(await caught(() => c.run(mandate)), c, "identity");
      });
    }
  });

  describe("mandate.declare", () => {
    for (const c of INTENT_CASES) {
      it(`rejects ${c.name} with ${c.code} at "${c.field}" (${c.rule})`, async () => {
        expectRejected(await caught(() => c.run(mandate)), c, "intent");
      });
    }
  });

  describe("mandate.declare beyond the ceiling of the identity's roles", () => {
    for (const c of CEILING_CASES) {
      it(`rejects ${c.name} with ${c.code} at "${c.field}"`, async () => {
        expectRejected(await caught(() => c.run(mandate)), c, "intent");
      });
    }
  });

  describe("createMandate", () => {
    for (const c of CONFIG_CASES) {
      it(`rejects ${c.name} with ${c.code} at "${c.field}" (${c.rule})`, async () => {
        expectRejected(await caught(() => c.run(mandate)), c, "configuration");
      });
    }
  });

  it("never silently drops a constraint on an argument named __proto__ (rejects it, or keeps it)", async () => {
    // As an application would receive it: JSON.parse makes "__proto__" an own key.
    const input = JSON.parse(
      '{"purpose":"read","allow":[{"action":"db.read","resource":"crm/customers","where":{"__proto__":{"max":1}}}]}',
    );
    const err = await caught(async () => {
      const ctx = await mandate.declare(ID, input);
      const where = ctx.intent.scope[0]?.where ?? {};
      expect(Object.keys(where), "the constraint was dropped").toContain("__proto__");
    });
    if (err instanceof MandateError) {
      expect(err.code).toBe("ERR_INVALID_INTENT");
      expect(err.field).toBe("allow[0].where.__proto__");
    } else if (err !== undefined) {
      throw err;
    }
  });

  it("covers at least 30 malformed identities and intents", () => {
    expect(IDENTITY_CASES.length + INTENT_CASES.length + CEILING_CASES.length).toBeGreaterThanOrEqual(30);
  });
});
