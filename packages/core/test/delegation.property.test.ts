/**
 * Property tests of delegation: no sequence of delegations yields a context that can do anything
 * its ancestors cannot, and no subtree spends more than its root's limits.
 *
 * Role ceilings, root intents and delegation attempts are random over small alphabets (so that
 * random calls often hit them). Attempts that reach beyond the parent or the child's ceiling are
 * expected to throw (`ERR_BEYOND_PARENT`, `ERR_BEYOND_CEILING`); for every context that was
 * created, random calls — accesses handed out by the probe tool's inspector, and arguments for
 * the constraints — are checked against the context and each of its ancestors.
 *
 * Every property counts how often its premise held and fails when it was too rare to matter; the
 * counts are printed (`[delegation.property] …`).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Access,
  type AgentContext,
  type ArgumentConstraint,
  type AuditSink,
  createMandate,
  DeniedError,
  defineTool,
  type IntentInput,
  type LimitsInput,
  MandateError,
  type Scope,
  type ScopeEntry,
} from "../src/index.js";
import { CompiledScope } from "../src/scope/compiled-scope.js";
import { constraintHolds } from "../src/scope/constraint.js";
import { manualClock } from "./helpers.js";

function log(line: string): void {
  console.info(`[delegation.property] ${line}`);
}

/** The audit trail is not under test here: drop it. */
const nullSink: AuditSink = { write: async () => {} };

// ---- alphabets -------------------------------------------------------------------------------

interface Dimension {
  readonly sep: string;
  /** Literal segments patterns use. */
  readonly literals: readonly [string, string];
  /** A segment no pattern names literally. */
  readonly other: string;
}

const ACTION: Dimension = { sep: ".", literals: ["a", "b"], other: "c" };
const RESOURCE: Dimension = { sep: "/", literals: ["x", "y"], other: "w" };
const DATA: Dimension = { sep: ".", literals: ["p", "q"], other: "r" };

const SMALL_INTS = [-2, -1, 0, 1, 2] as const;
const STRINGS = ["u", "v", "uv"] as const;

// ---- scopes ------------------------------------------------------------------------------------

function patternArb(d: Dimension): fc.Arbitrary<string> {
  return fc
    .array(fc.constantFrom(...d.literals, "*", "**"), { minLength: 1, maxLength: 2 })
    .map((segments) => segments.join(d.sep));
}

/** A pattern whose language is a subset of `pattern`'s (each wildcard kept or made narrower). */
function narrowArb(pattern: string, d: Dimension): fc.Arbitrary<string> {
  const parts = pattern.split(d.sep).map((seg) => {
    if (seg === "**")
      return fc.constantFrom("**", "*", ...d.literals, `*${d.sep}**`, `${d.literals[0]}${d.sep}*`);
    if (seg === "*") return fc.constantFrom("*", ...d.literals);
    return fc.constant(seg);
  });
  return fc.tuple(...parts).map((segs) => segs.join(d.sep));
}

/** A concrete name matched by `pattern` (its wildcards filled in). */
function instanceArb(pattern: string, d: Dimension): fc.Arbitrary<string> {
  const parts = pattern.split(d.sep).map((seg) => {
    if (seg === "**") return fc.constantFrom(d.literals[0], `${d.literals[1]}${d.sep}${d.other}`, d.other);
    if (seg === "*") return fc.constantFrom(...d.literals, d.other);
    return fc.constant(seg);
  });
  return fc.tuple(...parts).map((segs) => segs.join(d.sep));
}

const numericConstraintArb: fc.Arbitrary<ArgumentConstraint> = fc.oneof(
  fc.record({ min: fc.constantFrom(...SMALL_INTS) }),
  fc.record({ max: fc.constantFrom(...SMALL_INTS) }),
  fc
    .tuple(fc.constantFrom(...SMALL_INTS), fc.constantFrom(...SMALL_INTS))
    .map(([x, y]) => ({ min: Math.min(x, y), max: Math.max(x, y) })),
  fc.record({ equals: fc.constantFrom(...SMALL_INTS) }),
  fc.record({ oneOf: fc.uniqueArray(fc.constantFrom(...SMALL_INTS), { minLength: 1, maxLength: 3 }) }),
);

const stringConstraintArb: fc.Arbitrary<ArgumentConstraint> = fc.oneof(
  fc.record({ oneOf: fc.uniqueArray(fc.constantFrom(...STRINGS), { minLength: 1, maxLength: 2 }) }),
  fc.record({ equals: fc.constantFrom(...STRINGS) }),
  fc.record({ pattern: fc.constantFrom("u*", "*v", "*") }),
  fc.record({ maxLength: fc.constantFrom(1, 2) }),
);

const whereArb: fc.Arbitrary<Record<string, ArgumentConstraint> | undefined> = fc.option(
  fc.record({ n: numericConstraintArb, s: stringConstraintArb }, { requiredKeys: [] }),
  { nil: undefined, freq: 2 },
);

function entry(
  action: string,
  resource: string,
  data: string[] | undefined,
  where: Record<string, ArgumentConstraint> | undefined,
): ScopeEntry {
  const e: ScopeEntry = { action, resource };
  if (data !== undefined) e.data = data;
  if (where !== undefined && Object.keys(where).length > 0) e.where = where;
  return e;
}

const entryArb: fc.Arbitrary<ScopeEntry> = fc
  .tuple(
    patternArb(ACTION),
    patternArb(RESOURCE),
    fc.option(fc.array(patternArb(DATA), { maxLength: 2 }), { nil: undefined }),
    whereArb,
  )
  .map(([a, r, d, w]) => entry(a, r, d, w));

function scopeArb(minLength: number, maxLength: number): fc.Arbitrary<Scope> {
  return fc.array(entryArb, { minLength, maxLength });
}

/** A constraint as tight as `c` or tighter (weight 4), or a fresh one (weight `widen`). */
function tightenArb(name: string, c: ArgumentConstraint, widen: number): fc.Arbitrary<ArgumentConstraint> {
  const fresh = name === "n" ? numericConstraintArb : stringConstraintArb;
  const tighter: fc.Arbitrary<ArgumentConstraint>[] = [fc.constant(c)];
  if (c.oneOf !== undefined && c.oneOf.length > 1) {
    tighter.push(fc.subarray([...c.oneOf], { minLength: 1 }).map((oneOf) => ({ oneOf })));
  }
  if (c.min !== undefined && c.max !== undefined && c.min < c.max) {
    tighter.push(fc.constant({ min: c.min + 1, max: c.max }));
  }
  if (c.maxLength !== undefined && c.maxLength > 0) tighter.push(fc.constant({ maxLength: c.maxLength - 1 }));
  return widened(fc.oneof(...tighter), fresh, widen);
}

/** `inside` (weight 4 or more), or else `outside` with weight `widen` (never, when it is 0). */
function widened<T>(inside: fc.Arbitrary<T>, outside: fc.Arbitrary<T>, widen: number, weight = 4) {
  return widen === 0
    ? inside
    : fc.oneof({ arbitrary: inside, weight }, { arbitrary: outside, weight: widen });
}

/** An entry that usually lies inside `parent`; `widen` weighs the choices that may leave it. */
function narrowEntryArb(parent: ScopeEntry, widen: number): fc.Arbitrary<ScopeEntry> {
  const data: fc.Arbitrary<string[] | undefined> =
    parent.data === undefined
      ? widened(fc.constant(undefined), fc.array(patternArb(DATA), { maxLength: 1 }), widen)
      : widened(
          fc.oneof(
            {
              arbitrary: fc
                .subarray(parent.data)
                .chain((ds) =>
                  ds.length === 0
                    ? fc.constant<string[]>([])
                    : fc.tuple(...ds.map((p) => narrowArb(p, DATA))),
                ),
              weight: 4,
            },
            { arbitrary: fc.constant(undefined), weight: 1 },
          ),
          fc.array(patternArb(DATA), { minLength: 1, maxLength: 1 }),
          widen,
        );
  const where = fc
    .tuple(
      ...Object.entries(parent.where ?? {}).map(([name, c]) =>
        // Dropping a constraint widens the entry.
        widened(
          tightenArb(name, c, widen).map((t) => [name, t] as const),
          fc.constant(undefined),
          widen,
          6,
        ),
      ),
    )
    .chain((kept) =>
      whereArb.map((extra) => {
        const out: Record<string, ArgumentConstraint> = { ...extra };
        for (const k of kept) if (k !== undefined) out[k[0]] = k[1];
        return Object.keys(out).length > 0 ? out : undefined;
      }),
    );
  return fc
    .tuple(
      widened(narrowArb(parent.action, ACTION), patternArb(ACTION), widen, 5),
      widened(narrowArb(parent.resource, RESOURCE), patternArb(RESOURCE), widen, 5),
      data,
      where,
    )
    .map(([a, r, d, w]) => entry(a, r, d, w));
}

/** 1–3 entries, mostly narrowed from entries of `outer`; `widen` as for {@link narrowEntryArb}. */
function innerScopeArb(outer: Scope, widen: number): fc.Arbitrary<Scope> {
  const one =
    outer.length === 0
      ? entryArb
      : widened(
          fc.constantFrom(...outer).chain((e) => narrowEntryArb(e, widen)),
          entryArb,
          widen,
          6,
        );
  return fc.array(one, { minLength: 1, maxLength: 3 });
}

// ---- calls ---------------------------------------------------------------------------------------

/** The probe tool's arguments: the accesses its inspector reports, and two constrained arguments. */
interface ProbeArgs {
  readonly accesses: readonly Access[];
  readonly n?: unknown;
  readonly s?: unknown;
}

const probe = defineTool<ProbeArgs>({ name: "probe", action: "a", inspect: (args) => args.accesses });

const nArb = fc.oneof(
  { arbitrary: fc.constantFrom<unknown>(...SMALL_INTS), weight: 6 },
  { arbitrary: fc.constantFrom<unknown>(undefined, 0.5, "1", [0, 1], [], [1, 5]), weight: 1 },
);
const sArb = fc.oneof(
  { arbitrary: fc.constantFrom<unknown>(...STRINGS), weight: 6 },
  { arbitrary: fc.constantFrom<unknown>(undefined, "", "vu", ["u", "uv"], [], 1), weight: 1 },
);

const randomAccessArb: fc.Arbitrary<Access> = fc
  .tuple(
    patternArb(ACTION).chain((p) => instanceArb(p, ACTION)),
    patternArb(RESOURCE).chain((p) => instanceArb(p, RESOURCE)),
    fc.uniqueArray(
      patternArb(DATA).chain((p) => instanceArb(p, DATA)),
      { maxLength: 2 },
    ),
  )
  .map(([action, resource, data]) => ({ action, resource, data }));

/** An access filled in from an entry's patterns, so that the entry often covers it. */
function accessFromEntryArb(e: ScopeEntry): fc.Arbitrary<Access> {
  const data =
    e.data === undefined || e.data.length === 0
      ? fc.constantFrom<string[]>([], [], ["r"])
      : fc.uniqueArray(
          fc.constantFrom(...e.data).chain((p) => instanceArb(p, DATA)),
          { maxLength: 2 },
        );
  return fc
    .tuple(instanceArb(e.action, ACTION), instanceArb(e.resource, RESOURCE), data)
    .map(([action, resource, data]) => ({ action, resource, data }));
}

/** Values of a constrained argument: mostly ones that satisfy the constraint, when there are. */
function argumentArb(
  c: ArgumentConstraint | undefined,
  values: readonly unknown[],
  random: fc.Arbitrary<unknown>,
) {
  const fitting = c === undefined ? [] : values.filter((v) => constraintHolds(c, v));
  return fitting.length === 0
    ? random
    : fc.oneof({ arbitrary: fc.constantFrom(...fitting), weight: 3 }, { arbitrary: random, weight: 1 });
}

/** A call whose first access comes from `e`, with arguments that mostly satisfy `e`'s constraints. */
function callFromEntryArb(e: ScopeEntry, more: fc.Arbitrary<Access>): fc.Arbitrary<ProbeArgs> {
  return fc
    .tuple(
      accessFromEntryArb(e),
      fc.option(more, { nil: undefined, freq: 3 }),
      argumentArb(e.where?.n, SMALL_INTS, nArb),
      argumentArb(e.where?.s, STRINGS, sArb),
    )
    .map(([first, second, n, s]) => {
      const args: { accesses: Access[]; n?: unknown; s?: unknown } = {
        accesses: second === undefined ? [first] : [first, second],
      };
      if (n !== undefined) args.n = n;
      if (s !== undefined) args.s = s;
      return args as ProbeArgs;
    });
}

/** Calls whose accesses mostly come from `entries` (the scopes and ceilings of a chain). */
function callsArb(entries: readonly ScopeEntry[], minLength: number, maxLength: number) {
  const random = fc
    .tuple(fc.array(randomAccessArb, { minLength: 1, maxLength: 2 }), nArb, sArb)
    .map(([accesses, n, s]) => {
      const args: { accesses: Access[]; n?: unknown; s?: unknown } = { accesses };
      if (n !== undefined) args.n = n;
      if (s !== undefined) args.s = s;
      return args as ProbeArgs;
    });
  if (entries.length === 0) return fc.array(random, { minLength, maxLength });
  const more = fc.oneof(randomAccessArb, fc.constantFrom(...entries).chain(accessFromEntryArb));
  const call = fc.oneof(
    { arbitrary: random, weight: 1 },
    { arbitrary: fc.constantFrom(...entries).chain((e) => callFromEntryArb(e, more)), weight: 5 },
  );
  return fc.array(call, { minLength, maxLength });
}

function covers(scope: Scope, args: ProbeArgs): boolean {
  const compiled = new CompiledScope(scope);
  return args.accesses.every((a) => compiled.misses(a, args) === undefined);
}

function ancestorsOf(ctx: AgentContext): AgentContext[] {
  const out: AgentContext[] = [];
  for (let p = ctx.parent; p !== undefined; p = p.parent) out.push(p);
  return out;
}

// ---- attenuation -------------------------------------------------------------------------------

const ROLE_NAMES = ["r0", "r1", "r2"] as const;
const DELEGATION_ERRORS = new Set(["ERR_BEYOND_PARENT", "ERR_BEYOND_CEILING"]);

interface AttenuationStats {
  runs: number;
  rootsDeclared: number;
  rootsBeyondCeiling: number;
  delegated: number;
  beyondParent: number;
  beyondCeiling: number;
  monitorContexts: number;
  maxDepth: number;
  calls: number;
  allowed: number;
  /** Calls allowed at depth ≥ 1: the ones whose ancestors had something to say. */
  allowedBelowRoot: number;
  ancestorChecks: number;
}

function newStats(): AttenuationStats {
  return {
    runs: 0,
    rootsDeclared: 0,
    rootsBeyondCeiling: 0,
    delegated: 0,
    beyondParent: 0,
    beyondCeiling: 0,
    monitorContexts: 0,
    maxDepth: 0,
    calls: 0,
    allowed: 0,
    allowedBelowRoot: 0,
    ancestorChecks: 0,
  };
}

type Mode = "enforce" | "monitor";

/**
 * One run: random roles, a root, random delegation attempts, then random calls on every context
 * that was created. Whenever a context's check allows a call, each ancestor's own check of the
 * same call must allow it, and every ceiling on the chain must cover it.
 */
async function attenuationRun(g: fc.GeneratorValue, modes: readonly Mode[], stats: AttenuationStats) {
  stats.runs++;
  const roles: Record<string, Scope> = {};
  for (const name of ROLE_NAMES) roles[name] = g(() => scopeArb(1, 3));
  const ceilingOf = (names: readonly string[]): Scope => names.flatMap((n) => roles[n] ?? []);
  const rolesArb = fc.subarray([...ROLE_NAMES], { minLength: 1 });
  const modeArb = fc.constantFrom<Mode | undefined>(undefined, ...modes);
  const widenArb = fc.constantFrom(0, 0, 1);
  const mandate = createMandate({ roles, tools: [probe], audit: nullSink });
  try {
    const intent = (purpose: string, allow: Scope, mode: Mode | undefined): IntentInput =>
      mode === undefined ? { purpose, allow } : { purpose, allow, mode };
    const rootRoles = g(() => rolesArb);
    const rootWiden = g(() => widenArb);
    const rootScope = g(() => innerScopeArb(ceilingOf(rootRoles), rootWiden));
    const rootMode = g(() => modeArb);
    let root: AgentContext;
    try {
      root = await mandate.declare(
        { name: "root", sponsor: "user:alice", roles: rootRoles },
        intent("root task", rootScope, rootMode),
      );
      stats.rootsDeclared++;
    } catch (err) {
      if (err instanceof MandateError && err.code === "ERR_BEYOND_CEILING") {
        stats.rootsBeyondCeiling++;
        return;
      }
      throw err;
    }

    const created: AgentContext[] = [root];
    const attempts = g(() => fc.integer({ min: 1, max: 10 }));
    for (let i = 0; i < attempts; i++) {
      // Biased towards the newest context, so that chains grow deep.
      const at = g(() => fc.oneof(fc.constant(created.length - 1), fc.nat(created.length - 1)));
      const parent = created[at] as AgentContext;
      const childRoles = g(() =>
        fc.oneof(
          { arbitrary: fc.constant([...parent.identity.roles]), weight: 3 },
          { arbitrary: rolesArb, weight: 2 },
        ),
      );
      const from = g(() =>
        fc.oneof(
          { arbitrary: fc.constant(parent.intent.scope), weight: 4 },
          { arbitrary: fc.constant(ceilingOf(childRoles)), weight: 1 },
        ),
      );
      const widen = g(() => widenArb);
      const scope = g(() => innerScopeArb(from, widen));
      const mode = g(() => modeArb);
      try {
        const child = await parent.delegate(
          { name: `worker-${i}`, sponsor: "user:alice", roles: [...childRoles] },
          intent(`sub-task ${i}`, scope, mode),
        );
        created.push(child);
        stats.delegated++;
        stats.maxDepth = Math.max(stats.maxDepth, child.depth);
      } catch (err) {
        if (!(err instanceof MandateError) || !DELEGATION_ERRORS.has(err.code)) throw err;
        if (err.code === "ERR_BEYOND_PARENT") stats.beyondParent++;
        else stats.beyondCeiling++;
      }
    }

    for (const ctx of created) {
      if (ctx.intent.mode === "monitor") stats.monitorContexts++;
      const chain = [ctx, ...ancestorsOf(ctx)];
      const entries = chain.flatMap((c) => [...c.intent.scope, ...ceilingOf(c.identity.roles)]);
      const calls = [...g(() => callsArb(ctx.intent.scope, 2, 5)), ...g(() => callsArb(entries, 2, 4))];
      for (const args of calls) {
        stats.calls++;
        const call = { tool: "probe", args };
        const d = ctx.check(call);
        if (d.effect !== "allow") continue;
        stats.allowed++;
        if (ctx.depth > 0) stats.allowedBelowRoot++;
        const what = (problem: string) =>
          `${problem}: ${JSON.stringify(args)} was allowed at depth ${ctx.depth} (${ctx.intent.mode}, ` +
          `reasons ${JSON.stringify(d.reasons)}); chain from the leaf up: ${JSON.stringify(
            chain.map((c) => ({ mode: c.intent.mode, roles: c.identity.roles, scope: c.intent.scope })),
          )}; roles ${JSON.stringify(roles)}`;
        for (const c of chain) {
          if (!covers(ceilingOf(c.identity.roles), args))
            expect.fail(what(`the ceiling at depth ${c.depth} does not cover it`));
          if (ctx.intent.mode === "enforce" && !covers(c.intent.scope, args)) {
            expect.fail(what(`the intent at depth ${c.depth} does not cover it`));
          }
        }
        for (const a of chain.slice(1)) {
          stats.ancestorChecks++;
          const da = a.check(call);
          if (da.effect !== "allow") {
            expect.fail(
              what(`the ancestor at depth ${a.depth} says ${da.effect} ${JSON.stringify(da.reasons)}`),
            );
          }
        }
      }
    }
  } finally {
    // Lets the audit queue drain, so that nothing of this run stays reachable.
    await mandate.close();
  }
}

function expectMeaningful(stats: AttenuationStats, numRuns: number): void {
  expect(stats.rootsDeclared).toBeGreaterThan(numRuns * 0.5);
  expect(stats.delegated).toBeGreaterThan(numRuns);
  expect(stats.beyondParent).toBeGreaterThan(numRuns * 0.1);
  expect(stats.beyondCeiling).toBeGreaterThan(numRuns * 0.05);
  expect(stats.maxDepth).toBeGreaterThanOrEqual(4);
  expect(stats.allowedBelowRoot).toBeGreaterThan(numRuns * 0.8);
}

describe("delegation never widens what a context can do", () => {
  it("enforce mode: whatever a descendant may do, every ancestor may do, within every ceiling on the chain", async () => {
    const stats = newStats();
    const numRuns = 300;
    await fc.assert(
      fc.asyncProperty(fc.gen(), (g) => attenuationRun(g, ["enforce"], stats)),
      // Shrinking a run of generated values takes long and the failure message already names the
      // chain, the roles and the call: report the first counterexample as it is.
      { numRuns, endOnFailure: true },
    );
    log(`enforce: ${JSON.stringify(stats)}`);
    expectMeaningful(stats, numRuns);
  });

  it("with monitor-mode intents too: whatever a descendant may do, every ancestor may do", async () => {
    const stats = newStats();
    const numRuns = 300;
    try {
      await fc.assert(
        fc.asyncProperty(fc.gen(), (g) => attenuationRun(g, ["enforce", "monitor"], stats)),
        // Shrinking a run of generated values takes long and the failure message already names the
        // chain, the roles and the call: report the first counterexample as it is.
        { numRuns, endOnFailure: true },
      );
    } finally {
      log(`enforce + monitor: ${JSON.stringify(stats)}`);
    }
    expectMeaningful(stats, numRuns);
    expect(stats.monitorContexts).toBeGreaterThan(numRuns * 0.2);
  });

  it("a monitor-mode child with broader roles may not do what its monitor-mode parent's ceiling forbids", async () => {
    const mandate = createMandate({
      roles: {
        reader: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
        analyst: [{ action: "db.read", resource: "crm/**", data: ["customer.**", "employee.**"] }],
      },
      tools: [probe],
      audit: nullSink,
    });
    const names: Scope = [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }];
    const parent = await mandate.declare(
      { name: "reader-bot", sponsor: "user:alice", roles: ["reader"] },
      { purpose: "read customer names", allow: names, mode: "monitor" },
    );
    // Same intent; the child inherits monitor mode. Delegation accepts it: its scope is within the
    // parent's intent and within the child's own (broader) roles.
    const child = await parent.delegate(
      { name: "analyst-bot", sponsor: "user:alice", roles: ["analyst"] },
      { purpose: "read customer names too", allow: names },
    );
    const salaries = {
      tool: "probe",
      args: { accesses: [{ action: "db.read", resource: "crm/employees", data: ["employee.salary"] }] },
    };

    expect(parent.check(salaries).reasons[0]?.code).toBe("ceiling.exceeded");
    const d = child.check(salaries);
    // The parent could never read salaries, whatever its mode: neither may what it delegated to.
    expect(d.effect, JSON.stringify(d.reasons)).toBe("deny");
  });
});

// ---- limits ------------------------------------------------------------------------------------

const work = defineTool<Record<string, never>>({ name: "work", action: "job.run", resource: "jobs/a" });
const heavy = defineTool<Record<string, never>>({
  name: "heavy",
  action: "job.run",
  resource: "jobs/b",
  cost: 2,
});
const TOOLS = { work, heavy } as const;
type ToolName = keyof typeof TOOLS;

const limitsArb: fc.Arbitrary<LimitsInput | undefined> = fc.option(
  fc.record(
    {
      calls: fc.integer({ min: 1, max: 14 }),
      budget: fc.integer({ min: 1, max: 20 }),
      perMinute: fc.integer({ min: 1, max: 8 }),
      costs: fc.record(
        { work: fc.integer({ min: 0, max: 3 }), heavy: fc.integer({ min: 0, max: 3 }) },
        {
          requiredKeys: [],
        },
      ),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined, freq: 4 },
);

type Op =
  | {
      readonly kind: "delegate";
      readonly parent: number;
      readonly limits: LimitsInput | undefined;
      /** Fit the limits into what the parent has left (most of the time), or ask as drawn. */
      readonly fit: boolean;
    }
  | { readonly kind: "call"; readonly ctx: number; readonly tool: ToolName; readonly guarded: boolean }
  | { readonly kind: "tick"; readonly ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant("delegate"),
      parent: fc.nat(),
      limits: limitsArb,
      fit: fc.oneof(
        { arbitrary: fc.constant(true), weight: 3 },
        { arbitrary: fc.constant(false), weight: 1 },
      ),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("call"),
      ctx: fc.nat(),
      tool: fc.constantFrom<ToolName>("work", "heavy"),
      guarded: fc.boolean(),
    }),
    weight: 6,
  },
  { arbitrary: fc.record({ kind: fc.constant("tick"), ms: fc.integer({ min: 0, max: 20_000 }) }), weight: 1 },
) as fc.Arbitrary<Op>;

const scope: Scope = [{ action: "job.run", resource: "jobs/**" }];

/** A node's cost for a tool, as its own cost table says (the reference the runtime must agree with). */
function costOf(ctx: AgentContext, tool: ToolName): number {
  const own = ctx.limits.costs;
  if (own !== undefined && Object.hasOwn(own, tool)) return own[tool] as number;
  return TOOLS[tool].cost ?? 1;
}

/**
 * Limits shrunk to what the parent has left, and set wherever the parent sets one (a child of a
 * context at its limit still asks for one call or one unit: delegation must refuse that).
 */
function fitInto(parent: AgentContext, asked: LimitsInput | undefined): LimitsInput | undefined {
  const out: { -readonly [K in keyof LimitsInput]: LimitsInput[K] } = { ...asked };
  const p = parent.limits;
  const fit = (want: number | undefined, left: number | undefined) =>
    left === undefined ? want : Math.max(1, Math.min(want ?? left, Math.floor(left)));
  const calls = fit(asked?.calls, p.calls === undefined ? undefined : p.calls - parent.usage.calls);
  const budget = fit(asked?.budget, p.budget === undefined ? undefined : p.budget - parent.usage.spent);
  const perMinute = fit(asked?.perMinute, p.perMinute);
  if (calls !== undefined) out.calls = calls;
  if (budget !== undefined) out.budget = budget;
  if (perMinute !== undefined) out.perMinute = perMinute;
  return Object.keys(out).length > 0 ? out : undefined;
}

describe("limits across a delegation tree (enforce mode)", () => {
  it("no context's usage exceeds its limits, and no subtree makes more allowed calls than its root's limit", async () => {
    const stats = {
      runs: 0,
      contexts: 0,
      rejectedDelegations: 0,
      allowed: 0,
      denied: 0,
      deniedAtAncestor: 0,
      callLimitsReached: 0,
    };
    const numRuns = 300;
    await fc.assert(
      fc.asyncProperty(
        limitsArb,
        fc.array(opArb, { minLength: 5, maxLength: 60, size: "medium" }),
        async (rootLimits, ops) => {
          stats.runs++;
          const clock = manualClock();
          const mandate = createMandate({
            roles: { worker: [{ action: "job.*", resource: "jobs/**" }] },
            tools: [work, heavy],
            audit: nullSink,
            now: clock.now,
          });
          const identity = { name: "worker", sponsor: "user:alice", roles: ["worker"] };
          const root = await mandate.declare(identity, {
            purpose: "do the jobs",
            allow: scope,
            ...(rootLimits === undefined ? {} : { limits: rootLimits }),
          });
          const contexts: AgentContext[] = [root];
          const bornAt = new Map<AgentContext, number>([[root, clock.now()]]);
          /** Calls allowed on each context itself, by tool (the reference the usage must match). */
          const direct = new Map<AgentContext, Record<ToolName, number>>([[root, { work: 0, heavy: 0 }]]);
          const subtree = (n: AgentContext) => contexts.filter((c) => c.path.includes(n.id));
          const allowedIn = (n: AgentContext, tool?: ToolName) =>
            subtree(n).reduce((sum, c) => {
              const d = direct.get(c) as Record<ToolName, number>;
              return sum + (tool === undefined ? d.work + d.heavy : d[tool]);
            }, 0);
          const spentIn = (n: AgentContext) =>
            allowedIn(n, "work") * costOf(n, "work") + allowedIn(n, "heavy") * costOf(n, "heavy");

          const invariants = () => {
            for (const n of contexts) {
              const calls = allowedIn(n);
              const { limits, usage } = n;
              if (limits.calls !== undefined) {
                expect(usage.calls).toBeLessThanOrEqual(limits.calls);
                expect(calls, `subtree of depth ${n.depth} over its calls limit`).toBeLessThanOrEqual(
                  limits.calls,
                );
              }
              if (limits.budget !== undefined) {
                expect(usage.spent).toBeLessThanOrEqual(limits.budget);
                expect(spentIn(n)).toBeLessThanOrEqual(limits.budget);
              }
              if (limits.perMinute !== undefined) {
                // A full bucket at creation, refilled at perMinute per minute.
                const elapsed = clock.now() - (bornAt.get(n) as number);
                expect(calls).toBeLessThanOrEqual(limits.perMinute * (1 + elapsed / 60_000) + 1e-9);
              }
              // A context with limits counts every allowed call of its subtree, at its own costs.
              if (n.metered[0] === n) {
                expect(usage.calls).toBe(calls);
                if (limits.budget !== undefined) expect(usage.spent).toBe(spentIn(n));
              }
            }
          };

          for (const op of ops) {
            if (op.kind === "tick") {
              clock.advance(op.ms);
            } else if (op.kind === "delegate") {
              const parent = contexts[op.parent % contexts.length] as AgentContext;
              try {
                const limits = op.fit ? fitInto(parent, op.limits) : op.limits;
                const child = await parent.delegate(identity, {
                  purpose: "a share of the jobs",
                  allow: scope,
                  ...(limits === undefined ? {} : { limits }),
                });
                contexts.push(child);
                bornAt.set(child, clock.now());
                direct.set(child, { work: 0, heavy: 0 });
              } catch (err) {
                if (!(err instanceof MandateError) || err.code !== "ERR_BEYOND_PARENT") throw err;
                stats.rejectedDelegations++;
              }
            } else {
              const ctx = contexts[op.ctx % contexts.length] as AgentContext;
              let decision: ReturnType<AgentContext["check"]>;
              if (op.guarded) {
                const fn = ctx.guard(TOOLS[op.tool], () => "done");
                decision = await fn({}).then(
                  (): ReturnType<AgentContext["check"]> => ({
                    effect: "allow",
                    deviation: false,
                    reasons: [],
                    accesses: [],
                    contextId: ctx.id,
                    tool: op.tool,
                    callId: "",
                  }),
                  (err: unknown) => {
                    if (err instanceof DeniedError) return err.decision;
                    throw err;
                  },
                );
              } else {
                decision = ctx.check({ tool: op.tool, args: {} });
              }
              if (decision.effect === "allow") {
                stats.allowed++;
                const d = direct.get(ctx) as Record<ToolName, number>;
                d[op.tool]++;
              } else {
                stats.denied++;
                // Every call is in scope: only a limit of the context or an ancestor may refuse it,
                // and only when the reference usage says that limit is really reached.
                const reason = d0(decision);
                const by = contexts.find((c) => c.id === reason.contextId) as AgentContext;
                expect(reason.code).toMatch(/^limit\./);
                expect(ctx.path).toContain(by.id);
                if (by !== ctx) stats.deniedAtAncestor++;
                if (reason.code === "limit.calls") {
                  stats.callLimitsReached++;
                  expect(allowedIn(by) + 1).toBeGreaterThan(by.limits.calls as number);
                } else if (reason.code === "limit.budget") {
                  expect(spentIn(by) + costOf(by, op.tool)).toBeGreaterThan(by.limits.budget as number);
                }
              }
            }
            invariants();
          }
          stats.contexts += contexts.length;
        },
      ),
      { numRuns },
    );
    log(`limits: ${JSON.stringify(stats)}`);
    expect(stats.allowed).toBeGreaterThan(numRuns * 3);
    expect(stats.callLimitsReached).toBeGreaterThan(numRuns * 0.2);
    expect(stats.deniedAtAncestor).toBeGreaterThan(numRuns * 0.1);
    expect(stats.rejectedDelegations).toBeGreaterThan(numRuns * 0.2);
  });
});

function d0(decision: ReturnType<AgentContext["check"]>) {
  const reason = decision.reasons[0];
  if (reason === undefined) throw new Error(`a denial without a reason: ${JSON.stringify(decision)}`);
  return reason;
}
