/**
 * Property tests of scope inclusion (`scopeIncludes`), of the decision pipeline against the
 * ceiling and the intent (`createMandate(...).check`), and of constraint implication.
 *
 * Scopes are drawn over small alphabets so that random accesses often hit them; inner scopes are
 * mostly drawn by narrowing outer entries (so that inclusion holds often enough to say something),
 * and accesses mostly by filling in the wildcards of entries (so that they are often covered).
 * Every property also counts how often its premise held, and fails if it was too rare to matter.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Access } from "../src/access.js";
import { MandateError } from "../src/errors.js";
import { createMandate } from "../src/mandate.js";
import type { ArgumentConstraint, Scope, ScopeEntry } from "../src/schema/scope.js";
import { CompiledScope } from "../src/scope/compiled-scope.js";
import { constraintHolds, constraintImplies } from "../src/scope/constraint.js";
import { scopeIncludes } from "../src/scope/scope-includes.js";
import { defineTool } from "../src/tool.js";

// ---- alphabets -------------------------------------------------------------------------------

interface Dimension {
  readonly sep: string;
  /** Literal segments patterns use. */
  readonly literals: readonly string[];
  /** Concrete names accesses use (some match no literal). */
  readonly names: readonly string[];
}

const ACTION: Dimension = {
  sep: ".",
  literals: ["a", "b"],
  names: ["a", "b", "c", "a.a", "a.b", "b.a", "b.b", "a.c", "a.a.b", "b.a.a"],
};
const RESOURCE: Dimension = {
  sep: "/",
  literals: ["x", "y"],
  names: ["x", "y", "w", "x/x", "x/y", "y/x", "y/y", "x/w", "x/y/x", "y/x/x"],
};
const DATA: Dimension = {
  sep: ".",
  literals: ["p", "q"],
  names: ["p", "q", "r", "p.p", "p.q", "q.p", "q.q", "p.r", "p.q.p"],
};

const SMALL_INTS = [-3, -2, -1, 0, 1, 2, 3] as const;
const STRINGS = ["u", "v", "w"] as const;

// ---- scope generators ------------------------------------------------------------------------

function patternArb(d: Dimension): fc.Arbitrary<string> {
  return fc
    .array(fc.constantFrom(...d.literals, "*", "**"), { minLength: 1, maxLength: 2 })
    .map((segments) => segments.join(d.sep));
}

/** A pattern whose language is (usually) a subset of `pattern`'s. */
function narrowArb(pattern: string, d: Dimension): fc.Arbitrary<string> {
  const parts = pattern.split(d.sep).map((seg) => {
    if (seg === "**")
      return fc.constantFrom("**", "*", ...d.literals, `*${d.sep}**`, `${d.literals[0]}${d.sep}*`);
    if (seg === "*") return fc.constantFrom("*", ...d.literals);
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
  fc.record({ oneOf: fc.uniqueArray(fc.constantFrom(...STRINGS), { minLength: 1, maxLength: 3 }) }),
  fc.record({ equals: fc.constantFrom(...STRINGS) }),
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

/** A constraint at least as tight as `c` (most of the time), or a fresh one. */
function tightenArb(name: string, c: ArgumentConstraint, widen: number): fc.Arbitrary<ArgumentConstraint> {
  const fresh = name === "n" ? numericConstraintArb : stringConstraintArb;
  const tighter: fc.Arbitrary<ArgumentConstraint>[] = [fc.constant(c)];
  if (c.oneOf !== undefined && c.oneOf.length > 1) {
    tighter.push(fc.subarray([...c.oneOf], { minLength: 1 }).map((oneOf) => ({ oneOf })));
  }
  if (c.min !== undefined && c.max !== undefined && c.min < c.max) {
    tighter.push(fc.constant({ min: c.min + 1, max: c.max }));
  }
  return fc.oneof({ arbitrary: fc.oneof(...tighter), weight: 4 }, { arbitrary: fresh, weight: widen });
}

/**
 * An entry that usually lies inside `parent`, sometimes just outside it; `widen` is the weight of
 * the choices that may leave it (0: almost always inside).
 */
function narrowEntryArb(parent: ScopeEntry, widen: number): fc.Arbitrary<ScopeEntry> {
  const data: fc.Arbitrary<string[] | undefined> =
    parent.data === undefined
      ? fc.oneof(
          { arbitrary: fc.constant(undefined), weight: 4 },
          { arbitrary: fc.array(patternArb(DATA), { maxLength: 1 }), weight: widen },
        )
      : fc.oneof(
          {
            arbitrary: fc
              .subarray(parent.data)
              .chain((ds) =>
                ds.length === 0 ? fc.constant<string[]>([]) : fc.tuple(...ds.map((p) => narrowArb(p, DATA))),
              ),
            weight: 4,
          },
          { arbitrary: fc.constant(undefined), weight: 1 },
          { arbitrary: fc.array(patternArb(DATA), { minLength: 1, maxLength: 1 }), weight: widen },
        );
  const parentWhere = Object.entries(parent.where ?? {});
  const where = fc
    .tuple(
      ...parentWhere.map(([name, c]) =>
        fc.oneof(
          { arbitrary: tightenArb(name, c, widen).map((t) => [name, t] as const), weight: 6 },
          { arbitrary: fc.constant(undefined), weight: widen }, // dropping a constraint widens the entry
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
      fc.oneof(
        { arbitrary: narrowArb(parent.action, ACTION), weight: 5 },
        { arbitrary: patternArb(ACTION), weight: widen },
      ),
      fc.oneof(
        { arbitrary: narrowArb(parent.resource, RESOURCE), weight: 5 },
        { arbitrary: patternArb(RESOURCE), weight: widen },
      ),
      data,
      where,
    )
    .map(([a, r, d, w]) => entry(a, r, d, w));
}

/** A scope of 1–3 entries drawn mostly by narrowing entries of `outer` (`widen` as for {@link narrowEntryArb}). */
function innerScopeArb(outer: Scope, widen: number): fc.Arbitrary<Scope> {
  const one =
    outer.length === 0
      ? entryArb
      : fc.oneof(
          { arbitrary: fc.constantFrom(...outer).chain((e) => narrowEntryArb(e, widen)), weight: 6 },
          { arbitrary: entryArb, weight: widen },
        );
  return fc.array(one, { minLength: 1, maxLength: 3 });
}

// ---- access generators -----------------------------------------------------------------------

interface Call {
  readonly access: Access;
  readonly args: Record<string, unknown>;
}

const nArb = fc.oneof(
  { arbitrary: fc.constantFrom<unknown>(...SMALL_INTS), weight: 6 },
  { arbitrary: fc.constantFrom<unknown>(undefined, 1.5, "1", [1, 2], [], true, [2, 9]), weight: 1 },
);
const sArb = fc.oneof(
  { arbitrary: fc.constantFrom<unknown>(...STRINGS), weight: 6 },
  { arbitrary: fc.constantFrom<unknown>(undefined, "x", ["u", "v"], [], 1), weight: 1 },
);
const argsArb: fc.Arbitrary<Record<string, unknown>> = fc.tuple(nArb, sArb).map(([n, s]) => {
  const args: Record<string, unknown> = {};
  if (n !== undefined) args.n = n;
  if (s !== undefined) args.s = s;
  return args;
});

/** A concrete name from the pattern, its wildcards filled in. */
function instanceArb(pattern: string, d: Dimension): fc.Arbitrary<string> {
  const other = d.names.find((n) => !d.literals.includes(n) && !n.includes(d.sep)) as string;
  const parts = pattern.split(d.sep).map((seg) => {
    if (seg === "**")
      return fc.constantFrom(d.literals[0] as string, `${d.literals[1]}${d.sep}${other}`, other);
    if (seg === "*") return fc.constantFrom(...d.literals, other);
    return fc.constant(seg);
  });
  return fc.tuple(...parts).map((segs) => segs.join(d.sep));
}

const randomCallArb: fc.Arbitrary<Call> = fc
  .tuple(
    fc.constantFrom(...ACTION.names),
    fc.constantFrom(...RESOURCE.names),
    fc.uniqueArray(fc.constantFrom(...DATA.names), { maxLength: 2 }),
    argsArb,
  )
  .map(([action, resource, data, args]) => ({ access: { action, resource, data }, args }));

/** A call built from an entry, so that it is often covered by it. */
function callFromEntryArb(e: ScopeEntry): fc.Arbitrary<Call> {
  const data =
    e.data === undefined || e.data.length === 0
      ? fc.constantFrom<string[]>([], [], ["r"])
      : fc.array(
          fc.constantFrom(...e.data).chain((p) => instanceArb(p, DATA)),
          { maxLength: 2 },
        );
  return fc
    .tuple(instanceArb(e.action, ACTION), instanceArb(e.resource, RESOURCE), data, argsArb)
    .map(([action, resource, data, args]) => ({ access: { action, resource, data }, args }));
}

function callsArb(scopes: readonly Scope[], minLength: number, maxLength: number): fc.Arbitrary<Call[]> {
  const entries = scopes.flat();
  const call =
    entries.length === 0
      ? randomCallArb
      : fc.oneof(
          { arbitrary: randomCallArb, weight: 1 },
          { arbitrary: fc.constantFrom(...entries).chain(callFromEntryArb), weight: 3 },
        );
  return fc.array(call, { minLength, maxLength });
}

function covers(scope: Scope, call: Call): boolean {
  return new CompiledScope(scope).misses(call.access, call.args) === undefined;
}

// ---- CompiledScope against a reference of the coverage rule ----------------------------------

/** Glob matching straight from the definition (`*` within a segment, `**` across). */
function refGlob(pattern: string, name: string, sep: string): boolean {
  const go = (i: number, j: number): boolean => {
    if (i === pattern.length) return j === name.length;
    if (pattern.charAt(i) !== "*")
      return j < name.length && pattern.charAt(i) === name.charAt(j) && go(i + 1, j + 1);
    let k = i;
    while (pattern.charAt(k) === "*") k++;
    const globstar = k - i >= 2;
    for (let end = j; end <= name.length; end++) {
      if (go(k, end)) return true;
      if (!globstar && name.charAt(end) === sep) return false;
    }
    return false;
  };
  return go(0, 0);
}

function refArgument(args: unknown, path: string): unknown {
  let value = args;
  for (const key of path.split(".")) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * The coverage rule of a scope: for each data class of the access (or once, when it has none), one
 * entry matches the action, the resource, that data class and every argument constraint.
 */
function refCovers(scope: Scope, { access, args }: Call): boolean {
  const atoms: (string | undefined)[] = access.data.length > 0 ? [...access.data] : [undefined];
  return atoms.every((dataClass) =>
    scope.some(
      (e) =>
        refGlob(e.action, access.action, ".") &&
        refGlob(e.resource, access.resource, "/") &&
        (dataClass === undefined || (e.data ?? []).some((d) => refGlob(d, dataClass, "."))) &&
        Object.entries(e.where ?? {}).every(([name, c]) => constraintHolds(c, refArgument(args, name))),
    ),
  );
}

describe("CompiledScope", () => {
  it("covers exactly the accesses the coverage rule says (one entry per data class, all constraints)", () => {
    const arb = scopeArb(0, 3).chain((scope) => fc.tuple(fc.constant(scope), callsArb([scope], 10, 30)));
    let covered = 0;
    fc.assert(
      fc.property(arb, ([scope, calls]) => {
        const compiled = new CompiledScope(scope);
        for (const call of calls) {
          const expected = refCovers(scope, call);
          if (expected) covered++;
          const misses = compiled.misses(call.access, call.args);
          expect(misses === undefined, `${JSON.stringify(call)} in ${JSON.stringify(scope)}`).toBe(expected);
          // One miss per uncovered data class (or a single one without data classes).
          if (misses !== undefined && call.access.data.length > 0) {
            const uncovered = call.access.data.filter(
              (d) => !refCovers(scope, { ...call, access: { ...call.access, data: [d] } }),
            );
            expect(misses.map((m) => m.dataClass)).toEqual(uncovered);
          }
        }
      }),
      { numRuns: 1000 },
    );
    expect(covered).toBeGreaterThan(1000);
  });
});

// ---- scopeIncludes soundness -----------------------------------------------------------------

describe("scopeIncludes", () => {
  it("is sound: when it says outer includes inner, every access inner covers is covered by outer", () => {
    const arb = scopeArb(1, 3).chain((outer) =>
      innerScopeArb(outer, 1).chain((inner) =>
        fc.tuple(fc.constant(outer), fc.constant(inner), callsArb([inner], 20, 40)),
      ),
    );
    let included = 0;
    let coveredByInner = 0;
    const numRuns = 2000;
    fc.assert(
      fc.property(arb, ([outer, inner, calls]) => {
        if (!scopeIncludes(outer, inner)) return;
        included++;
        const o = new CompiledScope(outer);
        const i = new CompiledScope(inner);
        for (const call of calls) {
          if (i.misses(call.access, call.args) !== undefined) continue;
          coveredByInner++;
          expect(
            o.misses(call.access, call.args),
            `${JSON.stringify(call)} is covered by inner ${JSON.stringify(inner)} but not by outer ${JSON.stringify(outer)}`,
          ).toBeUndefined();
        }
      }),
      { numRuns },
    );
    // The premise must hold often enough for the property to say something.
    expect(included).toBeGreaterThan(numRuns * 0.15);
    expect(coveredByInner).toBeGreaterThan(numRuns);
  });

  it("accepts every scope within itself and within any scope that extends it", () => {
    fc.assert(
      fc.property(scopeArb(0, 3), scopeArb(0, 2), (s, extra) => {
        expect(scopeIncludes(s, s)).toBe(true);
        expect(scopeIncludes([...s, ...extra], s)).toBe(true);
        expect(scopeIncludes([...extra, ...s], s)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("stays sound with an astral character in a resource (a lone surrogate before *)", () => {
    // 😀 is the surrogate pair \uD83D\uDE00; the outer pattern holds its first half, then `*x`.
    const outer: Scope = [{ action: "fs.read", resource: "files/\uD83D*x" }];
    const inner: Scope = [{ action: "fs.read", resource: "files/😀x" }];
    const call: Call = { access: { action: "fs.read", resource: "files/😀x", data: [] }, args: {} };
    expect(covers(inner, call)).toBe(true);
    if (scopeIncludes(outer, inner)) expect(covers(outer, call)).toBe(true);
  });

  it("accepts an entry whose data classes are split across several outer entries (each data class on its own)", () => {
    const outer: Scope = [
      { action: "db.read", resource: "crm/**", data: ["customer.*"] },
      { action: "db.read", resource: "crm/**", data: ["order.*"] },
    ];
    const inner: Scope = [
      { action: "db.read", resource: "crm/customers", data: ["customer.name", "order.id"] },
    ];
    expect(scopeIncludes(outer, inner)).toBe(true);
    expect(
      scopeIncludes(outer, [{ action: "db.read", resource: "crm/customers", data: ["employee.id"] }]),
    ).toBe(false);
  });
});

// ---- the pipeline against ceiling and intent -------------------------------------------------

describe("mandate.check against ceiling and intent", () => {
  it("allows exactly the accesses within ceiling ∩ intent (enforce); in monitor mode flags intent deviations but still denies beyond the ceiling", async () => {
    const arb = fc
      .tuple(scopeArb(1, 3), scopeArb(0, 2), fc.boolean())
      .chain(([r1, r2, both]) => {
        const ceiling = both ? [...r1, ...r2] : r1;
        return fc.tuple(
          fc.constant(r1),
          fc.constant(r2),
          fc.constant(both),
          fc.constantFrom(0, 0, 0, 1).chain((widen) => innerScopeArb(ceiling, widen)),
          fc.constantFrom("enforce" as const, "monitor" as const),
        );
      })
      .chain(([r1, r2, both, intent, mode]) =>
        fc.tuple(
          fc.constant({ r1, r2, both, intent, mode }),
          callsArb([intent, intent, both ? [...r1, ...r2] : r1], 10, 30),
        ),
      );
    let declared = 0;
    let refused = 0;
    let allowed = 0;
    let denied = 0;
    const numRuns = 300;
    await fc.assert(
      fc.asyncProperty(arb, async ([{ r1, r2, both, intent, mode }, calls]) => {
        let current: Call = calls[0] as Call;
        const probe = defineTool<unknown>({ name: "probe", action: "a", inspect: () => [current.access] });
        const mandate = createMandate({ roles: { r1, r2 }, tools: [probe] });
        try {
          const roles = both ? ["r1", "r2"] : ["r1"];
          const ceiling: Scope = both ? [...r1, ...r2] : r1;
          let ctx: Awaited<ReturnType<typeof mandate.declare>>;
          try {
            ctx = await mandate.declare(
              { name: "prober", sponsor: "user:alice", roles },
              { purpose: "probe the guard", allow: intent, mode },
            );
          } catch (err) {
            if (err instanceof MandateError && err.code === "ERR_BEYOND_CEILING") {
              // declare refused it, so scopeIncludes must say the same.
              expect(scopeIncludes(ceiling, intent)).toBe(false);
              refused++;
              return;
            }
            throw err;
          }
          declared++;
          expect(scopeIncludes(ceiling, intent)).toBe(true);
          for (const call of calls) {
            current = call;
            const decision = mandate.check(ctx, { tool: "probe", args: call.args });
            const inCeiling = covers(ceiling, call);
            const inIntent = covers(intent, call);
            const what = `${JSON.stringify(call)} ceiling=${inCeiling} intent=${inIntent} ${JSON.stringify(decision.reasons)}`;
            // The intent was accepted within the ceiling, so nothing it covers may lie beyond it.
            if (inIntent) expect(inCeiling, what).toBe(true);
            if (mode === "enforce") {
              expect(decision.effect, what).toBe(inCeiling && inIntent ? "allow" : "deny");
            } else {
              // Monitor mode lets a call that strays from the intent run, but never one beyond the
              // roles: `ceiling.*` always denies (see `isDeviation` in src/decision.ts).
              expect(decision.effect, what).toBe(inCeiling ? "allow" : "deny");
            }
            expect(decision.deviation, what).toBe(!(inCeiling && inIntent));
            expect(
              decision.reasons.some((r) => r.code === "ceiling.exceeded"),
              what,
            ).toBe(!inCeiling);
            expect(
              decision.reasons.some((r) => r.code.startsWith("intent.")),
              what,
            ).toBe(!inIntent);
            if (inCeiling && inIntent) allowed++;
            else denied++;
          }
        } finally {
          await mandate.close();
        }
      }),
      { numRuns },
    );
    expect(declared).toBeGreaterThan(numRuns * 0.5);
    expect(refused).toBeGreaterThan(0);
    expect(allowed).toBeGreaterThan(numRuns);
    expect(denied).toBeGreaterThan(numRuns);
  });
});

// ---- constraint implication ------------------------------------------------------------------

const STRING_UNIVERSE = (() => {
  const out = [""];
  let level = [""];
  for (let n = 1; n <= 3; n++) {
    level = level.flatMap((p) => ["a", "b"].map((c) => p + c));
    out.push(...level);
  }
  return [...out, "z", "az", "a@b"];
})();

/** Every value a constraint is checked against below. */
const UNIVERSE: readonly unknown[] = [
  ...Array.from({ length: 17 }, (_, i) => -4 + i / 2), // -4, -3.5, …, 4
  -0,
  -1e9,
  1e9,
  ...STRING_UNIVERSE,
  true,
  false,
  null,
  undefined,
  [],
  [1],
  [1, 2],
  [-1, 3],
  ["a"],
  ["a", "b"],
  ["a", 1],
];

const scalarArb = fc.constantFrom<string | number | boolean>(
  -2,
  -1,
  0,
  1,
  2,
  1.5,
  "",
  "a",
  "b",
  "ab",
  true,
  false,
);
const boundArb = fc.constantFrom(-3, -2, -1, -0.5, 0, 1, 1.5, 2, 3);
const globArb = fc
  .array(fc.constantFrom("a", "b", "*", "**"), { minLength: 1, maxLength: 3 })
  .map((ts) => ts.join(""));

function constraintArb(withPatterns: boolean): fc.Arbitrary<ArgumentConstraint> {
  const shapes: fc.Arbitrary<ArgumentConstraint>[] = [
    fc.record({ equals: scalarArb }),
    fc.record({ oneOf: fc.array(scalarArb, { minLength: 1, maxLength: 4 }) }),
    fc.record({ min: boundArb }),
    fc.record({ max: boundArb }),
    fc.tuple(boundArb, boundArb).map(([x, y]) => ({ min: Math.min(x, y), max: Math.max(x, y) })),
    fc.record({ maxLength: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ oneOf: fc.array(scalarArb, { minLength: 1, maxLength: 4 }), min: boundArb }),
    fc.record({ equals: scalarArb, maxLength: fc.integer({ min: 0, max: 3 }) }),
    fc
      .record(
        {
          equals: scalarArb,
          oneOf: fc.array(scalarArb, { minLength: 1, maxLength: 3 }),
          min: boundArb,
          max: boundArb,
          maxLength: fc.integer({ min: 0, max: 3 }),
        },
        { requiredKeys: [] },
      )
      .filter(
        (c) => Object.keys(c).length > 0 && (c.min === undefined || c.max === undefined || c.min <= c.max),
      ),
  ];
  if (withPatterns) {
    shapes.push(
      fc.record({ pattern: globArb }),
      fc.record({ pattern: globArb, maxLength: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ oneOf: fc.array(scalarArb, { minLength: 1, maxLength: 4 }), pattern: globArb }),
    );
  }
  return fc.oneof(...shapes);
}

function impliesOnUniverse(child: ArgumentConstraint, parent: ArgumentConstraint): unknown {
  return UNIVERSE.find((v) => constraintHolds(child, v) && !constraintHolds(parent, v));
}

describe("constraintImplies", () => {
  function soundness(withPatterns: boolean) {
    let implied = 0;
    const numRuns = 5000;
    fc.assert(
      fc.property(constraintArb(withPatterns), constraintArb(withPatterns), (child, parent) => {
        if (!constraintImplies(child, parent)) return;
        implied++;
        const v = impliesOnUniverse(child, parent);
        expect(
          v,
          `${JSON.stringify(child)} ⇒ ${JSON.stringify(parent)}, but not for ${JSON.stringify(v)}`,
        ).toBe(undefined);
      }),
      { numRuns },
    );
    expect(implied).toBeGreaterThan(numRuns * 0.05);
  }

  it("is sound for equals/oneOf/min/max/maxLength: when child implies parent, no value satisfies child but not parent", () => {
    soundness(false);
  });

  it("is sound for string patterns too (glob patterns with the empty separator)", () => {
    soundness(true);
  });

  it("is exact when the child enumerates its values (equals, oneOf)", () => {
    const enumerating = constraintArb(false).filter((c) => c.equals !== undefined || c.oneOf !== undefined);
    fc.assert(
      fc.property(enumerating, constraintArb(false), (child, parent) => {
        expect(constraintImplies(child, parent)).toBe(impliesOnUniverse(child, parent) === undefined);
      }),
      { numRuns: 3000 },
    );
  });

  it("holds for an array argument exactly when it holds for each element, and never for an empty array", () => {
    fc.assert(
      fc.property(constraintArb(false), fc.array(scalarArb, { maxLength: 3 }), (c, values) => {
        expect(constraintHolds(c, values)).toBe(
          values.length > 0 && values.every((v) => constraintHolds(c, v)),
        );
      }),
      { numRuns: 1000 },
    );
  });
});
