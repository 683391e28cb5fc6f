import { describe, expect, expectTypeOf, it, vi } from "vitest";
import {
  type AgentContext,
  DeniedError,
  defineTool,
  digestText,
  MandateError,
  type ReasoningLink,
  type ToolRun,
} from "../src/index.js";
import {
  bot,
  customerNames,
  denial,
  eventsOf,
  type LookupArgs,
  lookup,
  mandateError,
  type Row,
  runLookup,
  setup,
} from "./helpers.js";

describe("the allow path", () => {
  it("runs the guarded function with the arguments, a live signal, the context and the allow decision", async () => {
    const { mandate } = setup();
    const ctx = await mandate.declare(bot, customerNames);
    const seen: { args?: LookupArgs; run?: ToolRun } = {};
    const query = ctx.guard(lookup, (args, run) => {
      seen.args = args;
      seen.run = run;
      return runLookup(args);
    });

    const rows = await query({ table: "customers", columns: ["name"] });

    expect(rows).toEqual([{ name: "Ada Lovelace" }, { name: "Alan Turing" }]);
    expect(seen.args).toEqual({ table: "customers", columns: ["name"] });
    expect(seen.run?.signal).toBeInstanceOf(AbortSignal);
    expect(seen.run?.signal.aborted).toBe(false);
    expect(seen.run?.context).toBe(ctx);
    expect(seen.run?.decision).toMatchObject({
      effect: "allow",
      deviation: false,
      reasons: [],
      tool: "lookup",
      contextId: ctx.id,
      accesses: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
    });
  });

  it("keeps the wrapped function's argument and result types", async () => {
    const { mandate } = setup();
    const ctx = await mandate.declare(bot, customerNames);

    const sync = ctx.guard(lookup, (args) => runLookup(args));
    expectTypeOf(sync).parameter(0).toEqualTypeOf<LookupArgs>();
    expectTypeOf(sync).returns.toEqualTypeOf<Promise<Row[]>>();

    const async = ctx.guard(lookup, async (args) => ({ count: args.columns.length }));
    expectTypeOf(async).returns.toEqualTypeOf<Promise<{ count: number }>>();

    const byName = ctx.guard("lookup", (_args: LookupArgs, run: ToolRun) => run.decision.callId);
    expectTypeOf(byName).returns.toEqualTypeOf<Promise<string>>();

    expect(await async({ table: "customers", columns: ["name"] })).toEqual({ count: 1 });
  });

  it("writes a decision event and an outcome event that share the caller's call id", async () => {
    const { mandate, sink } = setup();
    const ctx = await mandate.declare(bot, customerNames);
    const query = ctx.guard(lookup, runLookup);

    await query({ table: "customers", columns: ["name"] }, { callId: "call-1" });
    await mandate.flush();

    const [decision, ...moreDecisions] = eventsOf(sink.events, "tool.decision");
    const [outcome, ...moreOutcomes] = eventsOf(sink.events, "tool.outcome");
    expect(moreDecisions).toHaveLength(0);
    expect(moreOutcomes).toHaveLength(0);
    expect(decision).toMatchObject({
      "gen_ai.tool.name": "lookup",
      "gen_ai.tool.call.id": "call-1",
      "gen_ai.agent.name": "support-bot",
      "mandate.sponsor": "user:alice",
      "mandate.context.id": ctx.id,
      "mandate.context.path": [ctx.id],
      "mandate.intent.id": ctx.intent.id,
      "mandate.decision": "allow",
      "mandate.deviation": false,
      "mandate.reasons": [],
    });
    expect(outcome).toMatchObject({
      "gen_ai.tool.name": "lookup",
      "gen_ai.tool.call.id": "call-1",
      "mandate.context.id": ctx.id,
      "mandate.outcome": "ok",
    });
    expect(outcome?.["mandate.duration_ms"]).toBeGreaterThanOrEqual(0);
    expect(decision?.seq).toBeLessThan(outcome?.seq ?? 0);
  });

  it("generates a call id when none is given and correlates both events with it", async () => {
    const { mandate, sink } = setup();
    const ctx = await mandate.declare(bot, customerNames);
    const query = ctx.guard(lookup, (_args, run) => run.decision.callId);

    const callId = await query({ table: "customers", columns: ["name"] });
    const other = await query({ table: "customers", columns: ["name"] });
    await mandate.flush();

    expect(callId).toMatch(/^[0-9A-Z]{26}$/);
    expect(other).not.toBe(callId);
    expect(eventsOf(sink.events, "tool.decision", callId)).toHaveLength(1);
    expect(eventsOf(sink.events, "tool.outcome", callId)).toHaveLength(1);
  });

  it("passes the reasoning link into the decision and outcome events", async () => {
    const { mandate, sink } = setup();
    const ctx = await mandate.declare(bot, customerNames);
    const query = ctx.guard(lookup, runLookup);
    const reasoning: ReasoningLink = {
      conversationId: "conv-42",
      traceId: "trace-7",
      stepId: "step-2",
      parentStepId: "step-1",
      rationaleDigest: digestText("the user asked for customer names"),
    };

    await query({ table: "customers", columns: ["name"] }, { callId: "c-r", reasoning });
    await mandate.flush();

    const events = sink.events.filter((e) => e["gen_ai.tool.call.id"] === "c-r");
    expect(events.map((e) => e.type)).toEqual(["tool.decision", "tool.outcome"]);
    for (const e of events) {
      expect(e["mandate.reasoning"]).toEqual(reasoning);
      expect(e["gen_ai.conversation.id"]).toBe("conv-42");
    }
  });

  it("records an error outcome and rethrows when the guarded function throws", async () => {
    const { mandate, sink } = setup();
    const ctx = await mandate.declare(bot, customerNames);
    const failing = ctx.guard(lookup, async () => {
      throw new Error("db timeout");
    });

    await expect(failing({ table: "customers", columns: ["name"] }, { callId: "c-err" })).rejects.toThrow(
      "db timeout",
    );
    await mandate.flush();

    expect(eventsOf(sink.events, "tool.outcome", "c-err")).toMatchObject([
      { "mandate.outcome": "error", "mandate.error": "db timeout" },
    ]);
  });

  it("aborts the run when the caller's own signal aborts, and records an aborted outcome", async () => {
    const { mandate, sink } = setup();
    const ctx = await mandate.declare(bot, customerNames);
    const caller = new AbortController();
    let runSignal: AbortSignal | undefined;
    const slow = ctx.guard(lookup, (_args, run) => {
      runSignal = run.signal;
      return new Promise<Row[]>(() => {});
    });

    const call = slow({ table: "customers", columns: ["name"] }, { callId: "c-ab", signal: caller.signal });
    await vi.waitFor(() => expect(runSignal).toBeDefined());
    caller.abort(new Error("user pressed stop"));

    await expect(call).rejects.toThrow("user pressed stop");
    expect(runSignal?.aborted).toBe(true);
    await mandate.flush();
    expect(eventsOf(sink.events, "tool.outcome", "c-ab")).toMatchObject([{ "mandate.outcome": "aborted" }]);
  });

  it("never runs the function when the caller's signal is already aborted", async () => {
    const { mandate } = setup();
    const ctx = await mandate.declare(bot, customerNames);
    const fn = vi.fn(runLookup);
    const query = ctx.guard(lookup, fn);

    await expect(
      query({ table: "customers", columns: ["name"] }, { signal: AbortSignal.abort(new Error("gone")) }),
    ).rejects.toThrow("gone");
    expect(fn).not.toHaveBeenCalled();
  });
});

describe("the seed scenario: an intent to find customer names", () => {
  async function seed() {
    const { mandate, sink } = setup();
    const ctx = await mandate.declare(bot, customerNames);
    const fn = vi.fn(runLookup);
    return { mandate, sink, ctx, fn, query: ctx.guard(lookup, fn) };
  }

  it("allows the customer-name lookup", async () => {
    const { query, fn } = await seed();
    await expect(query({ table: "customers", columns: ["name"] })).resolves.toHaveLength(2);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("denies a lookup touching employee.salary as intent.data_undeclared and never invokes the tool", async () => {
    const { query, fn } = await seed();

    const err = await denial(query({ table: "employees", columns: ["name", "salary"] }));

    expect(err).toBeInstanceOf(DeniedError);
    expect(err).toBeInstanceOf(MandateError);
    expect(err.code).toBe("ERR_DENIED");
    expect(err.decision.effect).toBe("deny");
    expect(err.decision.deviation).toBe(true);
    expect(err.decision.reasons).toContainEqual(
      expect.objectContaining({ code: "intent.data_undeclared", dataClass: "employee.salary" }),
    );
    expect(err.message).toContain("intent.");
    expect(fn).not.toHaveBeenCalled();
  });

  it("audits the denial as a decision event with its reasons and no outcome event", async () => {
    const { mandate, sink, query } = await seed();

    await denial(query({ table: "employees", columns: ["salary"] }, { callId: "c-sal" }));
    await mandate.flush();

    const [decision] = eventsOf(sink.events, "tool.decision", "c-sal");
    expect(decision?.["mandate.decision"]).toBe("deny");
    expect(decision?.["mandate.deviation"]).toBe(true);
    expect(decision?.["mandate.reasons"]).toContainEqual(
      expect.objectContaining({ code: "intent.data_undeclared", dataClass: "employee.salary" }),
    );
    expect(decision?.["mandate.accesses"]).toEqual([
      { action: "db.read", resource: "crm/employees", data: ["employee.salary"] },
    ]);
    expect(eventsOf(sink.events, "tool.outcome", "c-sal")).toHaveLength(0);
  });
});

describe("guarding unknown or invalid tools", () => {
  it("throws ERR_UNKNOWN_TOOL when guarding a tool name that is not registered", async () => {
    const { mandate } = setup();
    const ctx: AgentContext = await mandate.declare(bot, customerNames);

    const err = await mandateError(() => ctx.guard("nope", () => 1));

    expect(err.code).toBe("ERR_UNKNOWN_TOOL");
    expect(err.message).toContain("nope");
  });

  it("guards a registered tool by name with the registered definition", async () => {
    const { mandate } = setup();
    const ctx = await mandate.declare(bot, customerNames);
    const byName = ctx.guard("lookup", (args: LookupArgs) => runLookup(args));

    await expect(byName({ table: "customers", columns: ["name"] })).resolves.toHaveLength(2);
    const err = await denial(byName({ table: "employees", columns: ["salary"] }));
    expect(err.decision.reasons[0]?.code).toBe("intent.data_undeclared");
  });

  it("rejects an invalid tool definition with a MandateError, not a raw validation error", async () => {
    const { mandate } = setup();
    const ctx = await mandate.declare(bot, customerNames);
    const bad = defineTool<{ x: number }>({ name: "has spaces", action: "db.read", resource: "crm/x" });

    const thrown = (() => {
      try {
        ctx.guard(bad, () => 1);
      } catch (err) {
        return err;
      }
      return undefined;
    })();

    expect(thrown).toBeInstanceOf(MandateError);
  });
});
