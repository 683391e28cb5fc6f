/**
 * Property: a grant never lets through anything beyond the exact access approved. For random
 * approved calls and random later calls, `check` allows a later access only if the intent covers
 * it or a grant of the same action and resource carries every one of its data classes — and never
 * when any ceiling on the delegation path does not cover it.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Access,
  type AgentContext,
  createMandate,
  type Decision,
  defineTool,
  type Mandate,
  type Policy,
  type Scope,
} from "../src/index.js";
import { manualClock } from "./helpers.js";

const ACTIONS = ["db.read", "db.write"] as const;
const RESOURCES = ["crm/customers", "crm/leads", "crm/deals", "hr/employees", "hr/payroll", "web/page"];
const DATA = ["customer.name", "customer.email", "customer.phone", "employee.name", "employee.salary"];

/** A tool whose accesses are exactly the ones it is given. */
const batch = defineTool<{ accesses: Access[] }>({
  name: "batch",
  action: "db.read",
  inspect: ({ accesses }) => accesses,
});

/**
 * Two ceilings on the path: the parent's roles and the child's, each reaching where the other
 * does not (the child may write more and read hr/**, but not crm/deals).
 */
const parentRole: Scope = [
  { action: "db.read", resource: "crm/**", data: ["customer.**"] },
  { action: "db.read", resource: "hr/employees", data: ["employee.name"] },
  { action: "db.write", resource: "crm/customers", data: ["customer.name", "customer.email"] },
];
const childRole: Scope = [
  { action: "db.read", resource: "crm/customers", data: ["customer.**"] },
  { action: "db.read", resource: "crm/leads", data: ["customer.**"] },
  { action: "db.read", resource: "hr/**", data: ["employee.**"] },
  { action: "db.write", resource: "crm/**", data: ["customer.**"] },
];
const roles = { parent: parentRole, child: childRole };

/** The child's intent, inside both ceilings. */
const childIntent: Scope = [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }];
/** A wider intent, still inside both ceilings (for the policy variant). */
const wideIntent: Scope = [
  { action: "db.read", resource: "crm/customers", data: ["customer.**"] },
  { action: "db.read", resource: "crm/leads", data: ["customer.name", "customer.email"] },
  { action: "db.read", resource: "hr/employees", data: ["employee.name"] },
  { action: "db.write", resource: "crm/customers", data: ["customer.name"] },
];

// ---- an oracle, independent of the library's glob and scope code ---------------------------------

/** The patterns above only use literals and a trailing `**`. */
function matches(pattern: string, name: string): boolean {
  return pattern.endsWith("**") ? name.startsWith(pattern.slice(0, -2)) : pattern === name;
}

/** A scope covers an access when, for each data class (or once, for none), one entry matches. */
function covers(scope: Scope, a: Access): boolean {
  const entries = scope.filter((e) => e.action === a.action && matches(e.resource, a.resource));
  if (a.data.length === 0) return entries.length > 0;
  return a.data.every((d) => entries.some((e) => (e.data ?? []).some((p) => matches(p, d))));
}

const withinCeilings = (a: Access) => covers(parentRole, a) && covers(childRole, a);

/** A grant (as approved) covers an access: same action and resource, data classes a subset. */
function grantCovers(approved: Access, a: Access): boolean {
  return (
    approved.action === a.action &&
    approved.resource === a.resource &&
    a.data.every((d) => approved.data.includes(d))
  );
}

// ---- generators ---------------------------------------------------------------------------------

const access: fc.Arbitrary<Access> = fc.record({
  action: fc.constantFrom(...ACTIONS),
  resource: fc.constantFrom(...RESOURCES),
  data: fc.subarray(DATA, { maxLength: 3 }),
});
const call = fc.array(access, { minLength: 1, maxLength: 3 });

// ---- the world ----------------------------------------------------------------------------------

async function world(intent: Scope, options: { outOfScope?: "ask"; policies?: Policy[] }) {
  const clock = manualClock();
  const mandate: Mandate = createMandate({
    roles,
    tools: [batch],
    now: clock.now,
    ...(options.policies ? { policies: options.policies } : {}),
  });
  const parent = await mandate.declare(
    { name: "planner", version: "1.0.0", sponsor: "user:alice", roles: ["parent"] },
    { purpose: "plan the customer work", allow: parentRole },
  );
  const ctx: AgentContext = await parent.delegate(
    { name: "worker", version: "1.0.0", sponsor: "user:alice", roles: ["child"] },
    {
      purpose: "read customer names",
      allow: intent,
      ...(options.outOfScope ? { outOfScope: options.outOfScope } : {}),
    },
  );
  return { mandate, ctx, clock };
}

function check(ctx: AgentContext, accesses: Access[]): Decision {
  return ctx.check({ tool: "batch", args: { accesses } });
}

/** Approves an ask decision through the framework flow, for many uses and the longest ttl. */
function approve(mandate: Mandate, d: Decision): void {
  const pending = JSON.parse(JSON.stringify(mandate.requestApproval(d)));
  const resolution = mandate.resolveApproval(pending, { approved: true, uses: 100, ttl: "1h" });
  expect(resolution.approved).toBe(true);
}

const askAll: Policy = { name: "ask-all", evaluate: () => "ask" };

describe("grants (property)", () => {
  it("as exceptions to the intent (outOfScope: ask), a grant lets through only the exact access approved", async () => {
    await fc.assert(
      fc.asyncProperty(call, fc.array(call, { minLength: 1, maxLength: 6 }), async (approvedCall, later) => {
        const { mandate, ctx } = await world(childIntent, { outOfScope: "ask" });

        const first = check(ctx, approvedCall);
        const inCeilings = approvedCall.every(withinCeilings);
        const inIntent = approvedCall.every((a) => covers(childIntent, a));
        if (!inCeilings) {
          // Never ask beyond a ceiling: nothing there can be approved.
          expect(first.effect).toBe("deny");
          expect(first.reasons.map((r) => r.code)).toContain("ceiling.exceeded");
        } else {
          expect(first.effect).toBe(inIntent ? "allow" : "ask");
        }
        const grants: Access[] = [];
        if (first.effect === "ask") {
          approve(mandate, first);
          grants.push(...approvedCall);
        }

        for (const next of later) {
          const d = check(ctx, next);
          const allowed = next.every(
            (a) => withinCeilings(a) && (covers(childIntent, a) || grants.some((g) => grantCovers(g, a))),
          );
          expect(d.effect === "allow").toBe(allowed);
          if (d.effect === "allow") expect(next.every(withinCeilings)).toBe(true);
          if (!next.every(withinCeilings)) {
            expect(d.effect).toBe("deny");
            expect(d.reasons.map((r) => r.code)).toContain("ceiling.exceeded");
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("as approvals of a policy's ask, a grant satisfies the ask only for the exact access approved", async () => {
    await fc.assert(
      fc.asyncProperty(call, fc.array(call, { minLength: 1, maxLength: 6 }), async (approvedCall, later) => {
        const { mandate, ctx } = await world(wideIntent, { policies: [askAll] });

        const first = check(ctx, approvedCall);
        const inScope = approvedCall.every((a) => withinCeilings(a) && covers(wideIntent, a));
        expect(first.effect).toBe(inScope ? "ask" : "deny");
        const grants: Access[] = [];
        if (first.effect === "ask") {
          approve(mandate, first);
          grants.push(...approvedCall);
        }

        for (const next of later) {
          const d = check(ctx, next);
          const inside = next.every((a) => withinCeilings(a) && covers(wideIntent, a));
          const granted = next.every((a) => grants.some((g) => grantCovers(g, a)));
          expect(d.effect).toBe(!inside ? "deny" : granted ? "allow" : "ask");
        }
      }),
      { numRuns: 300 },
    );
  });

  it("a grant never outlives its ttl or its uses", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 120 }),
        fc.array(fc.integer({ min: 0, max: 40_000 }), { minLength: 1, maxLength: 12 }),
        async (uses, ttlSeconds, steps) => {
          const { mandate, ctx, clock } = await world(childIntent, { outOfScope: "ask" });
          const emails: Access[] = [
            { action: "db.read", resource: "crm/customers", data: ["customer.email"] },
          ];
          const t0 = clock.now();
          const pending = mandate.requestApproval(check(ctx, emails));
          mandate.resolveApproval(pending, { approved: true, uses, ttl: `${ttlSeconds}s` });

          let allowed = 0;
          for (const step of steps) {
            clock.advance(step);
            const live = clock.now() < t0 + ttlSeconds * 1000 && allowed < uses;
            const d = check(ctx, emails);
            expect(d.effect).toBe(live ? "allow" : "ask");
            if (d.effect === "allow") allowed++;
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
