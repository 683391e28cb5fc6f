/**
 * Run-time approvals: `outOfScope: "ask"`, approvers, the grants an approval becomes, the
 * framework flow (`requestApproval` / `resolveApproval`) and the audit trail of it all.
 */
import { describe, expect, it, vi } from "vitest";
import {
  type ApprovalRequest,
  type ApprovalVerdict,
  type Approver,
  type AuditEvent,
  createMandate,
  defineTool,
  type IntentInput,
  type MandateOptions,
  memoryAuditSink,
  type Policy,
  type Scope,
} from "../src/index.js";
import { denial, mandateError, manualClock } from "./helpers.js";

interface ReadArgs {
  resource: unknown;
  data?: string[];
}

/** A read whose accesses are exactly what the arguments say: the tests pick the access. */
const read = defineTool<ReadArgs>({
  name: "read",
  action: "db.read",
  inspect: ({ resource, data }) => {
    if (typeof resource !== "string") throw new Error("resource must be a string");
    return [{ action: "db.read", resource, data: data ?? [] }];
  },
});

const roles: Readonly<Record<string, Scope>> = {
  analyst: [{ action: "db.read", resource: "crm/**", data: ["customer.**"] }],
};

const agent = { name: "support-bot", version: "1.0.0", sponsor: "user:alice", roles: ["analyst"] };

const names = { resource: "crm/customers", data: ["customer.name"] };
/** Outside the intent, inside the ceiling. */
const emails = { resource: "crm/customers", data: ["customer.email"] };
const leadEmails = { resource: "crm/leads", data: ["customer.email"] };
const emailsAndPhones = { resource: "crm/customers", data: ["customer.email", "customer.phone"] };
/** Beyond the ceiling: no role reads finance data, or anything outside crm/. */
const ibans = { resource: "crm/customers", data: ["finance.iban"] };
const payroll = { resource: "hr/payroll", data: [] };

function askingIntent(extra: Partial<IntentInput> = {}): IntentInput {
  return {
    purpose: "find all customer names",
    allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
    outOfScope: "ask",
    ...extra,
  };
}

async function world(overrides: Partial<MandateOptions> = {}, intent: IntentInput = askingIntent()) {
  const clock = manualClock();
  const sink = memoryAuditSink();
  const mandate = createMandate({ roles, tools: [read], audit: sink, now: clock.now, ...overrides });
  const ctx = await mandate.declare(agent, intent);
  const fn = vi.fn((args: ReadArgs) => ({ read: args.resource }));
  const guarded = ctx.guard(read, fn);
  const check = (args: ReadArgs, callId?: string) =>
    ctx.check({ tool: "read", args, ...(callId === undefined ? {} : { callId }) });
  return { clock, sink, mandate, ctx, fn, guarded, check };
}

/** An approver answering every request the same way, recording what it was shown. */
function approving(verdict: ApprovalVerdict) {
  return vi.fn<Approver>(async (_request: ApprovalRequest) => verdict);
}

function detailOf(e: AuditEvent | undefined): Record<string, unknown> {
  return (e?.["mandate.detail"] ?? {}) as Record<string, unknown>;
}

describe('outOfScope: "ask"', () => {
  it("keeps the setting in the declared intent", async () => {
    const { ctx } = await world();
    expect(ctx.intent.outOfScope).toBe("ask");
  });

  it("makes an out-of-intent call within the ceiling an ask from check, naming what strays", async () => {
    const { check } = await world();

    const d = check(emails);

    expect(d.effect).toBe("ask");
    expect(d.reasons).toEqual([
      expect.objectContaining({ code: "intent.data_undeclared", dataClass: "customer.email" }),
    ]);
  });

  it("still allows what the intent declares, without asking", async () => {
    const approver = approving(true);
    const { check, guarded } = await world({ approver });
    expect(check(names).effect).toBe("allow");
    await guarded(names);
    expect(approver).not.toHaveBeenCalled();
  });

  it("denies an intent miss with the default outOfScope (deny), even with an approver", async () => {
    const approver = approving(true);
    const { check, guarded, fn } = await world({ approver }, askingIntent({ outOfScope: "deny" }));
    expect(check(emails).effect).toBe("deny");
    const err = await denial(guarded(emails));
    expect(err.decision.reasons[0]?.code).toBe("intent.data_undeclared");
    expect(approver).not.toHaveBeenCalled();
    expect(fn).not.toHaveBeenCalled();
  });

  it("denies the guarded call with approval.required when no approver is configured", async () => {
    const { guarded, fn } = await world();

    const err = await denial(guarded(emails));

    expect(err.decision.effect).toBe("deny");
    expect(err.decision.reasons[0]?.code).toBe("approval.required");
    expect(fn).not.toHaveBeenCalled();
  });

  it("never asks beyond the ceiling: ceiling.exceeded denies, and no approver is asked", async () => {
    const approver = approving(true);
    const { check, guarded, fn } = await world({ approver });

    for (const args of [ibans, payroll]) {
      const d = check(args);
      expect(d.effect).toBe("deny");
      expect(d.reasons.map((r) => r.code)).toContain("ceiling.exceeded");
      const err = await denial(guarded(args));
      expect(err.decision.reasons.map((r) => r.code)).toContain("ceiling.exceeded");
    }
    expect(approver).not.toHaveBeenCalled();
    expect(fn).not.toHaveBeenCalled();
  });

  it("never asks about an uninspectable call: it is denied", async () => {
    const approver = approving(true);
    const { check, guarded, fn } = await world({ approver });

    const d = check({ resource: 42 });
    expect(d.effect).toBe("deny");
    expect(d.reasons.map((r) => r.code)).toEqual(["access.uninspectable"]);
    const err = await denial(guarded({ resource: 42 }));
    expect(err.decision.reasons.map((r) => r.code)).toEqual(["access.uninspectable"]);
    expect(approver).not.toHaveBeenCalled();
    expect(fn).not.toHaveBeenCalled();
  });
});

describe("the approver", () => {
  it("is shown the pending request, the decision, the context and the arguments", async () => {
    const approver = approving(true);
    const { guarded, ctx } = await world({ approver });

    await guarded(emails, { callId: "call-1" });

    expect(approver).toHaveBeenCalledOnce();
    const request = approver.mock.calls[0]?.[0] as ApprovalRequest;
    expect(request.context).toBe(ctx);
    expect(request.args).toEqual(emails);
    expect(request.decision).toMatchObject({ effect: "ask", callId: "call-1", tool: "read" });
    expect(request.pending).toMatchObject({
      contextId: ctx.id,
      callId: "call-1",
      tool: "read",
      accesses: [{ action: "db.read", resource: "crm/customers", data: ["customer.email"] }],
      purpose: "find all customer names",
      agent: { id: ctx.identity.id, name: "support-bot", sponsor: "user:alice" },
    });
  });

  it("approving (true) lets the call run, under a grant of exactly that access for one use", async () => {
    const approver = approving(true);
    const { guarded, fn, ctx, clock } = await world({ approver });

    await expect(guarded(emails)).resolves.toEqual({ read: "crm/customers" });

    expect(fn).toHaveBeenCalledOnce();
    expect(ctx.grants).toEqual([
      expect.objectContaining({
        contextId: ctx.id,
        action: "db.read",
        resource: "crm/customers",
        data: ["customer.email"],
        remaining: 0,
        approvedBy: "approver",
        expiresAt: clock.now() + 5 * 60_000,
      }),
    ]);
    // The one use is spent: the same call is asked about again.
    await guarded(emails);
    expect(approver).toHaveBeenCalledTimes(2);
  });

  it("a grant lets the same call through again without asking while uses remain", async () => {
    const approver = approving({ approved: true, uses: 3 });
    const { guarded, fn } = await world({ approver });

    await guarded(emails);
    await guarded(emails);
    await guarded(emails);
    expect(approver).toHaveBeenCalledTimes(1);
    expect(fn).toHaveBeenCalledTimes(3);

    await guarded(emails);
    expect(approver).toHaveBeenCalledTimes(2);
  });

  it("a grant covers nothing wider: another resource or an extra data class still asks", async () => {
    const approver = approving({ approved: true, uses: 10 });
    const { guarded, check } = await world({ approver });

    await guarded(emails);

    expect(check(leadEmails).effect).toBe("ask");
    expect(check(emailsAndPhones).effect).toBe("ask");
    expect(check({ resource: "crm/customers", data: ["customer.phone"] }).effect).toBe("ask");
    expect(check({ resource: "crm/customers/vip", data: ["customer.email"] }).effect).toBe("ask");
    // …and the approved access itself, or a narrower one, is allowed.
    expect(check(emails).effect).toBe("allow");
    expect(check({ resource: "crm/customers", data: [] }).effect).toBe("allow");
  });

  it("a grant lapses when its ttl passes", async () => {
    const approver = approving({ approved: true, uses: 10, ttl: "1m" });
    const { guarded, check, clock } = await world({ approver });

    await guarded(emails);
    clock.advance(59_999);
    expect(check(emails).effect).toBe("allow");
    clock.advance(1);
    expect(check(emails).effect).toBe("ask");
  });

  it("respects uses, ttl and by of a detailed verdict", async () => {
    const approver = approving({ approved: true, uses: 3, ttl: "1m", by: "user:bob" });
    const { guarded, ctx, clock } = await world({ approver });
    const t0 = clock.now();

    await guarded(emails);

    expect(ctx.grants).toEqual([
      expect.objectContaining({ remaining: 2, expiresAt: t0 + 60_000, approvedBy: "user:bob" }),
    ]);
  });

  it("clamps uses to 100 and ttl to one hour", async () => {
    const approver = approving({ approved: true, uses: 5000, ttl: "3h" });
    const { guarded, ctx, clock } = await world({ approver });
    const t0 = clock.now();

    await guarded(emails);

    expect(ctx.grants).toEqual([expect.objectContaining({ remaining: 99, expiresAt: t0 + 60 * 60_000 })]);
  });

  it.each<[string, Approver]>([
    ["refuses (false)", async () => false],
    ["refuses ({ approved: false })", async () => ({ approved: false, uses: 5 })],
    [
      "throws",
      async () => {
        throw new Error("approval service down");
      },
    ],
    ["answers something unexpected", async () => "yes" as unknown as ApprovalVerdict],
  ])("denies with approval.denied when the approver %s", async (_, approver) => {
    const { guarded, fn, ctx } = await world({ approver });

    const err = await denial(guarded(emails));

    expect(err.decision.effect).toBe("deny");
    expect(err.decision.reasons[0]?.code).toBe("approval.denied");
    expect(fn).not.toHaveBeenCalled();
    expect(ctx.grants).toEqual([]);
  });

  it("denies with approval.denied when the approver does not answer within approvalTimeoutMs", async () => {
    const approver = vi.fn<Approver>(() => new Promise<ApprovalVerdict>(() => {}));
    const { guarded, fn, ctx, mandate, sink } = await world({ approver, approvalTimeoutMs: 20 });

    const err = await denial(guarded(emails, { callId: "slow" }));

    expect(err.decision.reasons[0]?.code).toBe("approval.denied");
    expect(fn).not.toHaveBeenCalled();
    expect(ctx.grants).toEqual([]);
    await mandate.flush();
    const denied = sink.events.find((e) => e.type === "approval.denied");
    expect(detailOf(denied)).toMatchObject({ callId: "slow", reason: expect.stringMatching(/in time/) });
  });

  it("records why a throwing approver refused", async () => {
    const { guarded, mandate, sink } = await world({
      approver: async () => {
        throw new Error("approval service down");
      },
    });

    await denial(guarded(emails));

    await mandate.flush();
    const denied = sink.events.find((e) => e.type === "approval.denied");
    expect(detailOf(denied).reason).toMatch(/approval service down/);
  });
});

describe("the framework flow: requestApproval and resolveApproval", () => {
  it("check → ask → pending (plain JSON) → resolveApproval → check again allows under the grant", async () => {
    const { mandate, check, ctx } = await world();

    const asked = check(emails, "c-1");
    expect(asked.effect).toBe("ask");
    const pending = mandate.requestApproval(asked);
    const stored = JSON.stringify(pending);
    const parsed = JSON.parse(stored);
    expect(parsed).toEqual(pending);
    expect(parsed).toMatchObject({
      contextId: ctx.id,
      callId: "c-1",
      tool: "read",
      accesses: [{ action: "db.read", resource: "crm/customers", data: ["customer.email"] }],
      reasons: [expect.objectContaining({ code: "intent.data_undeclared" })],
      purpose: "find all customer names",
    });

    const resolution = mandate.resolveApproval(parsed, true);

    expect(resolution.approved).toBe(true);
    expect(resolution.grants).toEqual([
      expect.objectContaining({ action: "db.read", resource: "crm/customers", data: ["customer.email"] }),
    ]);
    const again = check(emails, "c-1");
    expect(again.effect).toBe("allow");
    // The one use is spent by that allow.
    expect(check(emails).effect).toBe("ask");
  });

  it("resolves by id too", async () => {
    const { mandate, check } = await world();
    const pending = mandate.requestApproval(check(emails));
    expect(mandate.resolveApproval(pending.id, { approved: true, uses: 2 }).approved).toBe(true);
    expect(check(emails).effect).toBe("allow");
  });

  it("only opens requests for an ask decision", async () => {
    const { mandate, check } = await world();
    const err = await mandateError(() => mandate.requestApproval(check(names)));
    expect(err.code).toBe("ERR_INVALID_CALL");
  });

  it("refuses a tampered pending approval whose accesses were widened", async () => {
    const { mandate, check, ctx } = await world();
    const pending = JSON.parse(JSON.stringify(mandate.requestApproval(check(emails))));

    const wider = [
      { ...pending, accesses: [{ action: "db.read", resource: "crm/**", data: ["customer.email"] }] },
      {
        ...pending,
        accesses: [
          { action: "db.read", resource: "crm/customers", data: ["customer.email", "customer.phone"] },
        ],
      },
      { ...pending, accesses: [...pending.accesses, { action: "db.read", resource: "crm/leads", data: [] }] },
    ];
    for (const tampered of wider) {
      const err = await mandateError(() => mandate.resolveApproval(tampered, true));
      expect(err.code).toBe("ERR_INVALID_CALL");
    }
    expect(ctx.grants).toEqual([]);
    expect(check(leadEmails).effect).toBe("ask");
    // The untouched request still resolves.
    expect(mandate.resolveApproval(pending, true).approved).toBe(true);
  });

  it("refuses to resolve the same request twice", async () => {
    const { mandate, check, ctx } = await world();
    const pending = JSON.parse(JSON.stringify(mandate.requestApproval(check(emails))));

    mandate.resolveApproval(pending, true);
    const byValue = await mandateError(() => mandate.resolveApproval(pending, true));
    const byId = await mandateError(() => mandate.resolveApproval(pending.id, true));

    expect(byValue.code).toBe("ERR_INVALID_CALL");
    expect(byId.code).toBe("ERR_INVALID_CALL");
    expect(ctx.grants).toHaveLength(1);
  });

  it("gives no grant when the context was revoked before the approval was resolved", async () => {
    const { mandate, check, ctx, sink } = await world();
    const pending = JSON.parse(JSON.stringify(mandate.requestApproval(check(emails))));

    await ctx.revoke("operator stop");
    const resolution = mandate.resolveApproval(pending, true);

    expect(resolution).toEqual({ approved: false, grants: [] });
    expect(ctx.grants).toEqual([]);
    expect(check(emails).effect).toBe("deny");
    await mandate.flush();
    expect(sink.events.some((e) => e.type === "approval.granted")).toBe(false);
    expect(sink.events.some((e) => e.type === "approval.denied")).toBe(true);
  });

  it("gives no grant once the request has expired", async () => {
    const { mandate, check, ctx, clock } = await world({ approvalTimeoutMs: 60_000 });
    const pending = mandate.requestApproval(check(emails));

    clock.advance(60_000);

    expect(mandate.resolveApproval(pending, true)).toEqual({ approved: false, grants: [] });
    expect(ctx.grants).toEqual([]);
  });
});

describe("the audit trail of approvals", () => {
  it("records asked and granted (with the grant's details) between an ask and an allow decision", async () => {
    const approver = approving({ approved: true, uses: 2, ttl: "1m", by: "user:bob" });
    const { guarded, mandate, sink, clock } = await world({ approver });
    const t0 = clock.now();

    await guarded(emails, { callId: "c-yes" });
    await mandate.flush();

    const trail = sink.events.filter(
      (e) =>
        e["gen_ai.tool.call.id"] === "c-yes" ||
        (e.type.startsWith("approval.") && detailOf(e).callId === "c-yes"),
    );
    expect(trail.map((e) => e.type)).toEqual([
      "tool.decision",
      "approval.asked",
      "approval.granted",
      "tool.decision",
      "tool.outcome",
    ]);
    const [ask, asked, granted, allow, outcome] = trail;
    expect(ask?.["mandate.decision"]).toBe("ask");
    expect(allow?.["mandate.decision"]).toBe("allow");
    expect(outcome?.["mandate.outcome"]).toBe("ok");
    expect(detailOf(asked)).toMatchObject({
      tool: "read",
      accesses: [{ action: "db.read", resource: "crm/customers", data: ["customer.email"] }],
    });
    expect(detailOf(granted)).toMatchObject({
      approvalId: detailOf(asked).approvalId,
      by: "user:bob",
      grants: [
        {
          action: "db.read",
          resource: "crm/customers",
          data: ["customer.email"],
          expiresAt: t0 + 60_000,
          uses: 2,
        },
      ],
    });
  });

  it("records asked and denied, and no second decision, when the approver refuses", async () => {
    const { guarded, mandate, sink } = await world({
      approver: async () => ({ approved: false, by: "user:bob", reason: "not today" }),
    });

    await denial(guarded(emails, { callId: "c-no" }));
    await mandate.flush();

    const trail = sink.events.filter(
      (e) =>
        e["gen_ai.tool.call.id"] === "c-no" ||
        (e.type.startsWith("approval.") && detailOf(e).callId === "c-no"),
    );
    expect(trail.map((e) => e.type)).toEqual(["tool.decision", "approval.asked", "approval.denied"]);
    expect(detailOf(trail[2])).toMatchObject({ by: "user:bob", reason: "not today", grants: [] });
  });

  it("records approval.denied when no approver is configured", async () => {
    const { guarded, mandate, sink } = await world();

    await denial(guarded(emails, { callId: "c-none" }));
    await mandate.flush();

    const denied = sink.events.filter((e) => e.type === "approval.denied");
    expect(denied).toHaveLength(1);
    expect(detailOf(denied[0])).toMatchObject({ callId: "c-none", reason: "no approver is configured" });
  });
});

describe("a policy's ask and approvals", () => {
  const askEveryCall: Policy = {
    name: "ask-every-call",
    evaluate: () => ({ effect: "ask", reason: "a human looks at every call" }),
  };

  it("approved once with uses 2: the next identical call is not asked again, the third is", async () => {
    const approver = approving({ approved: true, uses: 2 });
    const intent = askingIntent();
    const { outOfScope: _, ...plain } = intent;
    const { guarded, fn } = await world({ approver, policies: [askEveryCall] }, plain);

    await guarded(names);
    expect(approver).toHaveBeenCalledTimes(1);
    await guarded(names);
    expect(approver).toHaveBeenCalledTimes(1);
    await guarded(names);
    expect(approver).toHaveBeenCalledTimes(2);
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it("a policy's ask is an approval request, not a deviation", async () => {
    const { outOfScope: _, ...plain } = askingIntent();
    const { check } = await world({ policies: [askEveryCall] }, plain);
    const d = check(names);
    expect(d).toMatchObject({ effect: "ask", deviation: false });
    expect(d.reasons).toEqual([expect.objectContaining({ code: "policy.ask", policy: "ask-every-call" })]);
  });

  it("the grant of a policy's ask does not cover a different call", async () => {
    const approver = approving({ approved: true, uses: 10 });
    const { outOfScope: _, ...plain } = askingIntent();
    const { guarded, check } = await world({ approver, policies: [askEveryCall] }, plain);

    await guarded(names);

    expect(check(names).effect).toBe("allow");
    expect(check({ resource: "crm/customers", data: [] }).effect).toBe("allow");
    expect(check({ resource: "crm/customers", data: ["customer.name", "customer.email"] }).effect).toBe(
      "deny",
    );
  });
});
