import { describe, expect, it, vi } from "vitest";
import type { ApprovalRequest, Approver, Policy, PolicyInput } from "../src/index.js";
import { bot, customerNames, deferred, denial, eventsOf, lookup, runLookup, setup } from "./helpers.js";

const allowAll: Policy = { name: "allow-all", evaluate: () => "allow" };
const abstain: Policy = { name: "abstain", evaluate: () => "abstain" };
const askAll: Policy = { name: "ask-all", evaluate: () => ({ effect: "ask", reason: "a human must look" }) };
const denyAll: Policy = { name: "deny-all", evaluate: () => ({ effect: "deny", reason: "not on weekends" }) };
const throwing: Policy = {
  name: "flaky",
  evaluate: () => {
    throw new Error("rules engine down");
  },
};

const customers = { table: "customers", columns: ["name"] };

async function world(policies: Policy[], approver?: Approver) {
  const { mandate, sink } = setup({ policies, ...(approver ? { approver } : {}) });
  const ctx = await mandate.declare(bot, customerNames);
  const fn = vi.fn(runLookup);
  return { mandate, sink, ctx, fn, query: ctx.guard(lookup, fn) };
}

describe("policies", () => {
  it("lets a call run when every policy allows or abstains", async () => {
    const { query, fn } = await world([allowAll, abstain]);
    await expect(query(customers)).resolves.toHaveLength(2);
    expect(fn).toHaveBeenCalledOnce();
  });

  it("denies with policy.denied and the policy's own reason", async () => {
    const { query, fn } = await world([denyAll]);

    const err = await denial(query(customers));

    expect(err.decision.reasons).toEqual([
      expect.objectContaining({ code: "policy.denied", policy: "deny-all", message: "not on weekends" }),
    ]);
    expect(fn).not.toHaveBeenCalled();
  });

  it("gives a policy the identity, intent, path, tool, arguments and accesses of the call", async () => {
    const inputs: PolicyInput[] = [];
    const spy: Policy = {
      name: "spy",
      evaluate: (input) => {
        inputs.push(input);
        return "abstain";
      },
    };
    const { ctx, query } = await world([spy]);

    await query(customers);

    expect(inputs).toHaveLength(1);
    expect(inputs[0]).toMatchObject({
      identity: ctx.identity,
      intent: ctx.intent,
      path: [ctx.id],
      tool: "lookup",
      args: customers,
      accesses: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
      tainted: false,
    });
    expect(inputs[0]?.provenance("nobody@nowhere.example")).toBe("unknown");
  });

  it("lets deny win over ask, without asking the approver", async () => {
    const approver = vi.fn(async () => true);
    for (const order of [
      [askAll, denyAll],
      [denyAll, askAll],
    ]) {
      const { query, fn } = await world(order, approver);
      const err = await denial(query(customers));
      expect(err.decision.effect).toBe("deny");
      expect(err.decision.reasons.map((r) => r.code)).toContain("policy.denied");
      expect(fn).not.toHaveBeenCalled();
    }
    expect(approver).not.toHaveBeenCalled();
  });

  it("check reports ask (not deny) for a call a policy wants approved", async () => {
    const { ctx } = await world([askAll]);
    const d = ctx.check({ tool: lookup, args: customers });
    expect(d.effect).toBe("ask");
    expect(d.deviation).toBe(false);
    expect(d.reasons).toEqual([
      expect.objectContaining({ code: "policy.ask", message: "a human must look" }),
    ]);
  });

  it("denies an ask with approval.required when no approver is configured", async () => {
    const { mandate, sink, query, fn } = await world([askAll]);

    const err = await denial(query(customers, { callId: "c-noapp" }));

    expect(err.decision.effect).toBe("deny");
    expect(err.decision.reasons[0]?.code).toBe("approval.required");
    expect(fn).not.toHaveBeenCalled();
    await mandate.flush();
    expect(eventsOf(sink.events, "approval.denied")).toHaveLength(1);
  });

  it("runs an asked call once the approver says yes, showing it the decision, context and arguments", async () => {
    const requests: ApprovalRequest[] = [];
    const approver: Approver = async (request) => {
      requests.push(request);
      return true;
    };
    const { mandate, sink, ctx, query, fn } = await world([askAll], approver);

    await expect(query(customers, { callId: "c-yes" })).resolves.toHaveLength(2);

    expect(fn).toHaveBeenCalledOnce();
    expect(requests).toHaveLength(1);
    expect(requests[0]?.context).toBe(ctx);
    expect(requests[0]?.args).toEqual(customers);
    expect(requests[0]?.decision).toMatchObject({ effect: "ask", callId: "c-yes", tool: "lookup" });
    await mandate.flush();
    expect(sink.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(["approval.asked", "approval.granted", "tool.outcome"]),
    );
  });

  it("denies with approval.denied when the approver says no", async () => {
    const { query, fn } = await world([askAll], async () => false);
    const err = await denial(query(customers));
    expect(err.decision.reasons[0]?.code).toBe("approval.denied");
    expect(fn).not.toHaveBeenCalled();
  });

  it("treats an approver answer other than true as a refusal", async () => {
    const sloppy = (async () => "yes") as unknown as Approver;
    const { query, fn } = await world([askAll], sloppy);
    const err = await denial(query(customers));
    expect(err.decision.reasons[0]?.code).toBe("approval.denied");
    expect(fn).not.toHaveBeenCalled();
  });

  it("denies when the approver throws", async () => {
    const { query, fn } = await world([askAll], async () => {
      throw new Error("pager down");
    });
    const err = await denial(query(customers));
    expect(err.decision.effect).toBe("deny");
    expect(err.decision.reasons[0]?.code).toBe("approval.denied");
    expect(fn).not.toHaveBeenCalled();
  });

  it("denies an approved call whose context was revoked while the approver decided", async () => {
    const answer = deferred<boolean>();
    const asked = deferred();
    const { ctx, query, fn } = await world([askAll], () => {
      asked.resolve();
      return answer.promise;
    });

    const call = query(customers);
    await asked.promise;
    await ctx.revoke("operator stop");
    answer.resolve(true);

    const err = await denial(call);
    expect(err.decision.reasons[0]?.code).toBe("context.revoked");
    expect(fn).not.toHaveBeenCalled();
  });

  it("denies with policy.error naming the policy when a policy throws", async () => {
    const { query, fn } = await world([allowAll, throwing]);

    const err = await denial(query(customers));

    expect(err.decision.reasons).toEqual([
      expect.objectContaining({ code: "policy.error", policy: "flaky" }),
    ]);
    expect(err.decision.reasons[0]?.message).toContain("rules engine down");
    expect(fn).not.toHaveBeenCalled();
  });

  it("cannot widen scope: a policy that allows an out-of-scope call does not make it run", async () => {
    const { query, fn } = await world([allowAll]);

    const err = await denial(query({ table: "employees", columns: ["salary"] }));

    expect(err.decision.reasons[0]?.code).toBe("intent.data_undeclared");
    expect(fn).not.toHaveBeenCalled();
  });
});
