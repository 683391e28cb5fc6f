import { IdentityInput, IntentInput, Scope, ScopeEntry } from "@mandate/core";
import { z } from "./zod.js";

/**
 * The evaluation corpus format (see docs/evaluation.md): roles, catalogs, tools with a built-in
 * inspector each, data-driven policies, and scenarios whose episodes are ordered calls labelled
 * `legit` or `attack`. Everything is checked here, before anything runs, and every problem names
 * its field (`scenarios[3].episodes[0].calls[2].tool`).
 */

/** One problem in a corpus: where, and what. */
export interface CorpusIssue {
  readonly field: string;
  readonly message: string;
}

/** A corpus that cannot be read, parsed, validated or set up. The CLI exits 2 on it. */
export class CorpusError extends Error {
  override readonly name = "CorpusError";
  readonly issues: readonly CorpusIssue[];

  constructor(issues: readonly CorpusIssue[]) {
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
    super(first ? `${first.field || "corpus"}: ${first.message}${more}` : "invalid corpus");
    this.issues = issues;
  }
}

const Slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, { message: "must be a lower-case slug like hr-salary-union" });
const ToolName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/, { message: "must be a tool name of [A-Za-z0-9_.:-]" });
const Action = z.string().regex(/^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/, {
  message: "must be a concrete action like db.read",
});
const DataClass = z.string().regex(/^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/, {
  message: "must be a concrete data class like customer.email",
});
const ArgPath = z.string().regex(/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/, {
  message: "must be an argument path like table or payment.iban",
});
const ContextName = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/, { message: "must be a lower-case name like helper" });
const Method = z.string().regex(/^[A-Za-z]{1,32}$/, { message: "must be an HTTP method such as GET" });
const Retention = z.enum(["none", "digest", "preview", "full"]);

/** `{name}` placeholders in a resource template name argument paths. */
const TEMPLATE_PART = /\{([^{}]*)\}/g;
const Template = z
  .string()
  .min(1)
  .max(2048)
  .superRefine((s, ctx) => {
    const outside = s.replace(TEMPLATE_PART, "");
    if (/[{}]/.test(outside)) ctx.addIssue({ code: "custom", message: "has an unbalanced { or }" });
    if (/\s/.test(outside)) ctx.addIssue({ code: "custom", message: "must not contain whitespace" });
    for (const m of s.matchAll(TEMPLATE_PART)) {
      if (!ArgPath.safeParse(m[1]).success) {
        ctx.addIssue({ code: "custom", message: `placeholder {${m[1]}} must name an argument path` });
      }
    }
  });

/**
 * `a` when the value has the key `key`, else `b`: a union whose errors name the fields of the branch
 * the value meant, rather than zod's "no union member matched".
 */
function switchOn<A extends z.ZodType, B extends z.ZodType>(key: string, a: A, b: B) {
  return z.unknown().transform((value, ctx): z.infer<A> | z.infer<B> => {
    const schema = value !== null && typeof value === "object" && Object.hasOwn(value, key) ? a : b;
    const r = schema.safeParse(value);
    if (r.success) return r.data as z.infer<A> | z.infer<B>;
    for (const issue of r.error.issues) ctx.addIssue({ ...issue, code: "custom", path: issue.path });
    return z.NEVER;
  });
}

const UrlSpec = z.strictObject({
  kind: z.literal("url"),
  /** Argument holding the URL (default `url`). */
  field: ArgPath.optional(),
  /** Fixed method (default GET), or the argument holding it. */
  method: z.union([Method, z.strictObject({ field: ArgPath, default: Method.optional() })]).optional(),
  schemes: z
    .array(z.enum(["https", "http", "wss", "ws", "ftp"]))
    .min(1)
    .optional(),
  /** Action of the access; `{method}` is replaced by the lower-case method (default `http.{method}`). */
  action: z
    .string()
    .regex(/^[A-Za-z0-9_{}-]+(?:\.[A-Za-z0-9_{}-]+)*$/, {
      message: "must be an action, optionally with {method}",
    })
    .optional(),
});

const PathSpec = z.strictObject({
  kind: z.literal("path"),
  field: ArgPath.optional(),
  roots: z.array(z.string().startsWith("/", { message: "must be an absolute path" })).min(1),
});

const RecipientsSpec = z.strictObject({
  kind: z.literal("recipients"),
  fields: z.array(ArgPath).min(1).optional(),
});

const SqlSpec = z.strictObject({
  kind: z.literal("sql"),
  dialect: z.enum(["postgresql", "mysql", "mariadb", "sqlite", "bigquery"]),
  /** A name from the corpus's `catalogs`, or a catalog written inline. */
  catalog: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
  field: ArgPath.optional(),
  prefix: z.string().optional(),
  searchPath: z.array(z.string().min(1)).min(1).optional(),
  database: z.string().min(1).optional(),
  strict: z.boolean().optional(),
  unclassified: z.union([DataClass, z.null()]).optional(),
});

const StaticSpec = z.strictObject({
  kind: z.literal("static"),
  /** Resource template: `crm/{table}`; each placeholder is one percent-encoded argument value. */
  resource: Template,
  /** Data classes every call touches. */
  data: z.array(DataClass).optional(),
  /** Data classes chosen by an argument's value(s): `{ arg: "fields", classes: { email: "customer.email" } }`. */
  dataFrom: z
    .strictObject({
      arg: ArgPath,
      classes: z.record(z.string(), z.union([DataClass, z.array(DataClass)])),
      /** Class of a value the map does not list (default `unknown`, which intents should not grant). */
      otherwise: DataClass.optional(),
    })
    .optional(),
});

const InspectorSpec = z.discriminatedUnion("kind", [UrlSpec, PathSpec, RecipientsSpec, SqlSpec, StaticSpec]);

const ToolSpec = z.strictObject({
  name: ToolName,
  action: Action,
  description: z.string().optional(),
  inspector: InspectorSpec,
  cost: z.number().nonnegative().finite().optional(),
  audit: z.strictObject({ args: Retention.optional(), output: Retention.optional() }).optional(),
  /** `untrusted: true`: the tool's output is outside content (a web page, an inbound e-mail) and taints the context. */
  output: z.strictObject({ untrusted: z.boolean().optional() }).optional(),
});

/** What a policy matches: a call of one of `tool`, with one access matching `action`, `resource`, `notResource` and `data`. */
const Match = z
  .strictObject({
    tool: z.array(ToolName).min(1).optional(),
    action: ScopeEntry.shape.action.optional(),
    resource: ScopeEntry.shape.resource.optional(),
    /** The access's resource must NOT match this pattern. */
    notResource: ScopeEntry.shape.resource.optional(),
    /** The access must touch a data class matching this pattern. */
    data: z
      .string()
      .regex(/^(?:[A-Za-z0-9_*-]+)(?:\.[A-Za-z0-9_*-]+)*$/, {
        message: "must be a data-class pattern like vendor.iban or pii.**",
      })
      .optional(),
  })
  .refine((m) => Object.values(m).some((v) => v !== undefined), {
    message: "needs at least one of tool, action, resource, notResource, data",
  });

const AppliesTo = z
  .strictObject({ domains: z.array(Slug).min(1).optional(), scenarios: z.array(Slug).min(1).optional() })
  .optional();

/** A rule written as data: when a call matches `when` (and, with `after`, history matches), deny or ask. */
const RulePolicy = z.strictObject({
  name: Slug,
  description: z.string().optional(),
  effect: z.enum(["deny", "ask"]),
  reason: z.string().optional(),
  when: Match,
  /** History: the rule only fires once the calling context has had an allowed call matching this. */
  after: Match.optional(),
  appliesTo: AppliesTo,
});

/** Core's `untrustedEgress`: after untrusted content was read, sends outside `internal` ask. */
const UntrustedEgressPolicy = z.strictObject({
  name: Slug,
  description: z.string().optional(),
  builtin: z.literal("untrusted-egress"),
  internal: z.array(z.string().min(1)).min(1),
  actions: z.array(Action).min(1).optional(),
  appliesTo: AppliesTo,
});

/** Core's `trustedArguments`: these arguments of these tools must come from the intent or a trusted output. */
const TrustedArgumentsPolicy = z.strictObject({
  name: Slug,
  description: z.string().optional(),
  builtin: z.literal("trusted-arguments"),
  tools: z.record(ToolName, z.array(ArgPath).min(1)),
  appliesTo: AppliesTo,
});

const BuiltinPolicy = z.discriminatedUnion("builtin", [UntrustedEgressPolicy, TrustedArgumentsPolicy]);

/** A data rule, or (with a `builtin` key) one of core's built-in policies with its options. */
const PolicySpec = switchOn("builtin", BuiltinPolicy, RulePolicy);

const Identity = IdentityInput.pick({ name: true, sponsor: true, roles: true }).partial({
  name: true,
  sponsor: true,
});

const Label = z.enum(["legit", "attack"]);

const CallStep = z.strictObject({
  tool: ToolName,
  args: z.unknown(),
  label: Label,
  note: z.string().min(1),
  /** The context that makes the call: `root` (default) or a delegation's name. */
  as: ContextName.optional(),
  /** Make the same call this many times (each counts). */
  repeat: z.number().int().min(1).max(1000).optional(),
  /** Milliseconds the clock advances before the call (default 1000). */
  after: z.number().int().min(0).optional(),
  /** What the tool returned when it ran (reported to the guard after an allowed call): where injected text lives. */
  output: z.unknown().optional(),
});

const DelegateStep = z.strictObject({
  /** Name of the child context, for later calls' `as`. */
  delegate: ContextName,
  /** The parent context (default `root`). */
  from: ContextName.optional(),
  identity: Identity.optional(),
  intent: IntentInput,
  label: Label,
  note: z.string().min(1),
  after: z.number().int().min(0).optional(),
});

/** A call, or (with a `delegate` key) a delegation. */
const Step = switchOn("delegate", DelegateStep, CallStep);

const Episode = z.strictObject({
  name: z.string().min(1).optional(),
  /** Replaces the scenario's identity for this episode. */
  identity: Identity.optional(),
  /** Replaces the scenario's intent for this episode. */
  intent: IntentInput.optional(),
  calls: z.array(Step).min(1),
});

const ScenarioSpec = z.strictObject({
  name: Slug,
  domain: Slug,
  description: z.string().min(1),
  identity: Identity,
  intent: IntentInput,
  episodes: z.array(Episode).min(1),
});

const CorpusShape = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(1),
  description: z.string().optional(),
  roles: z.record(IdentityInput.shape.roles.element, Scope),
  catalogs: z.record(z.string().min(1), z.record(z.string(), z.unknown())).optional(),
  tools: z.array(ToolSpec).min(1),
  policies: z.array(PolicySpec).optional(),
  scenarios: z.array(ScenarioSpec).min(1),
});

export type InspectorSpec = z.infer<typeof InspectorSpec>;
export type ToolSpec = z.infer<typeof ToolSpec>;
export type MatchSpec = z.infer<typeof Match>;
export type PolicySpec = z.infer<typeof RulePolicy> | z.infer<typeof BuiltinPolicy>;
export type RulePolicySpec = z.infer<typeof RulePolicy>;
export type IdentitySpec = z.infer<typeof Identity>;
export type CallStep = z.infer<typeof CallStep>;
export type DelegateStep = z.infer<typeof DelegateStep>;
export type Step = CallStep | DelegateStep;
export type Episode = z.infer<typeof Episode>;
export type ScenarioSpec = z.infer<typeof ScenarioSpec>;
/** A validated corpus. */
export type Corpus = z.infer<typeof CorpusShape>;

/** Renders a zod path as `scenarios[3].episodes[0].calls[2].tool`. */
export function fieldOf(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** Cross-references zod cannot see: names that must exist, be unique, or be defined earlier. */
function references(corpus: Corpus): CorpusIssue[] {
  const issues: CorpusIssue[] = [];
  const add = (field: string, message: string) => issues.push({ field, message });
  const unique = <T>(
    items: readonly T[],
    key: (t: T) => string,
    field: (i: number) => string,
    what: string,
  ) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      const k = key(item);
      if (seen.has(k)) add(field(i), `${what} "${k}" appears twice`);
      seen.add(k);
    });
  };
  const tools = new Set(corpus.tools.map((t) => t.name));
  const catalogs = new Set(Object.keys(corpus.catalogs ?? {}));
  const roles = new Set(Object.keys(corpus.roles));
  unique(
    corpus.tools,
    (t) => t.name,
    (i) => `tools[${i}].name`,
    "tool",
  );
  unique(
    corpus.scenarios,
    (s) => s.name,
    (i) => `scenarios[${i}].name`,
    "scenario",
  );
  unique(
    corpus.policies ?? [],
    (p) => p.name,
    (i) => `policies[${i}].name`,
    "policy",
  );

  corpus.tools.forEach((t, i) => {
    if (
      t.inspector.kind === "sql" &&
      typeof t.inspector.catalog === "string" &&
      !catalogs.has(t.inspector.catalog)
    )
      add(`tools[${i}].inspector.catalog`, `no catalog named "${t.inspector.catalog}" in catalogs`);
  });
  const scenarios = new Set(corpus.scenarios.map((s) => s.name));
  const checkMatch = (m: MatchSpec | undefined, field: string) =>
    m?.tool?.forEach((name, k) => {
      if (!tools.has(name)) add(`${field}.tool[${k}]`, `no tool named "${name}"`);
    });
  (corpus.policies ?? []).forEach((p, i) => {
    if ("builtin" in p) {
      if (p.builtin === "trusted-arguments")
        for (const name of Object.keys(p.tools))
          if (!tools.has(name)) add(`policies[${i}].tools.${name}`, `no tool named "${name}"`);
    } else {
      checkMatch(p.when, `policies[${i}].when`);
      checkMatch(p.after, `policies[${i}].after`);
    }
    p.appliesTo?.scenarios?.forEach((name, k) => {
      if (!scenarios.has(name))
        add(`policies[${i}].appliesTo.scenarios[${k}]`, `no scenario named "${name}"`);
    });
  });
  const checkRoles = (identity: IdentitySpec | undefined, field: string) =>
    identity?.roles.forEach((r, k) => {
      if (!roles.has(r)) add(`${field}.roles[${k}]`, `no role named "${r}" in roles`);
    });
  corpus.scenarios.forEach((s, i) => {
    const at = `scenarios[${i}]`;
    checkRoles(s.identity, `${at}.identity`);
    s.episodes.forEach((e, j) => {
      const ep = `${at}.episodes[${j}]`;
      checkRoles(e.identity, `${ep}.identity`);
      const contexts = new Set(["root"]);
      e.calls.forEach((step, k) => {
        const st = `${ep}.calls[${k}]`;
        if ("delegate" in step) {
          if (step.from !== undefined && !contexts.has(step.from))
            add(`${st}.from`, `no context "${step.from}" delegated before this step`);
          if (contexts.has(step.delegate)) add(`${st}.delegate`, `context "${step.delegate}" already exists`);
          checkRoles(step.identity, `${st}.identity`);
          contexts.add(step.delegate);
        } else {
          if (!tools.has(step.tool)) add(`${st}.tool`, `no tool named "${step.tool}" in tools`);
          if (step.as !== undefined && !contexts.has(step.as))
            add(`${st}.as`, `no context "${step.as}" delegated before this step`);
        }
      });
    });
  });
  return issues;
}

/**
 * Validates a corpus (already parsed from JSON). Throws {@link CorpusError} listing every problem,
 * each naming its field.
 */
export function parseCorpus(raw: unknown): Corpus {
  const r = CorpusShape.safeParse(raw);
  if (!r.success) {
    throw new CorpusError(r.error.issues.map((i) => ({ field: fieldOf(i.path), message: i.message })));
  }
  const issues = references(r.data);
  if (issues.length > 0) throw new CorpusError(issues);
  return r.data;
}
