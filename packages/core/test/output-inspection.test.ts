/**
 * Output inspection: a tool's `output.inspect` reports the accesses its output reveals; data classes
 * the intent does not declare are flagged (or withheld), unless a live grant covers them.
 */
import { describe, expect, it, vi } from "vitest";
import {
  type Access,
  type AgentContext,
  type AuditEvent,
  createMandate,
  type Decision,
  defineTool,
  type IntentInput,
  memoryAuditSink,
  type Scope,
  type ToolOutput,
} from "../src/index.js";
import { denial, manualClock } from "./helpers.js";

interface ExportArgs {
  table: string;
  columns: string[];
}
type Rows = Record<string, string>[];

const catalog: Readonly<Record<string, string>> = {
  name: "customer.name",
  email: "customer.email",
  phone: "customer.phone",
};

/** The classes of the columns an output really carries, whatever was asked for. */
function revealed(output: unknown, args: ExportArgs): readonly Access[] {
  const rows = output as Rows;
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return [
    {
      action: "db.read",
      resource: `crm/${args.table}`,
      data: columns.map((c) => catalog[c] ?? `unclassified.${c}`),
    },
  ];
}

function exportTool(output: Partial<ToolOutput<ExportArgs>> = {}) {
  return defineTool<ExportArgs>({
    name: "export_rows",
    action: "db.read",
    inspect: ({ table, columns }) => [
      { action: "db.read", resource: `crm/${table}`, data: columns.map((c) => catalog[c] ?? c) },
    ],
    output: { inspect: revealed, ...output },
  });
}

const roles: Readonly<Record<string, Scope>> = {
  analyst: [{ action: "db.read", resource: "crm/**", data: ["customer.**", "unclassified.**"] }],
};
const agent = { name: "export-bot", version: "1.0.0", sponsor: "user:alice", roles: ["analyst"] };

const namesIntent: IntentInput = {
  purpose: "export customer names",
  allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
};

/** A tool that returns more than it was asked for. */
const leaky = (): Rows => [
  { name: "Ada Lovelace", email: "ada@example.com" },
  { name: "Alan Turing", email: "alan@example.com" },
];
const names = { table: "customers", columns: ["name"] };
const throwing = (): readonly Access[] => {
  throw new Error("unparseable result set");
};

async function world(
  output: Partial<ToolOutput<ExportArgs>> = {},
  intent: Partial<IntentInput> = {},
  impl: () => Rows = leaky,
) {
  const clock = manualClock();
  const sink = memoryAuditSink();
  const tool = exportTool(output);
  const mandate = createMandate({ roles, tools: [tool], audit: sink, now: clock.now });
  const ctx = await mandate.declare(agent, { ...namesIntent, ...intent });
  const deviations: Decision[] = [];
  mandate.events.on("deviation", (d: Decision, c: AgentContext) => {
    if (c === ctx) deviations.push(d);
  });
  const fn = vi.fn(impl);
  const outcomes = async (callId: string): Promise<AuditEvent[]> => {
    await mandate.flush();
    return sink.events.filter((e) => e.type === "tool.outcome" && e["gen_ai.tool.call.id"] === callId);
  };
  return { clock, sink, mandate, ctx, tool, deviations, fn, outcomes, guarded: ctx.guard(tool, fn) };
}

const undeclaredEmail = expect.objectContaining({
  code: "output.undeclared",
  dataClass: "customer.email",
  message: expect.stringContaining("customer.email"),
});

describe("output inspection", () => {
  it("returns an output that carries only declared classes, with no finding", async () => {
    const { guarded, deviations, outcomes } = await world({}, {}, () => [{ name: "Ada Lovelace" }]);

    await expect(guarded(names, { callId: "c-ok" })).resolves.toEqual([{ name: "Ada Lovelace" }]);

    expect(deviations).toEqual([]);
    const [outcome] = await outcomes("c-ok");
    expect(outcome?.["mandate.outcome"]).toBe("ok");
    expect(outcome?.["mandate.deviation"]).toBeUndefined();
  });

  it('flags an output carrying an undeclared data class and returns it (onUndeclared: "flag" by default)', async () => {
    const { guarded, deviations, outcomes } = await world();

    const rows = await guarded(names, { callId: "c-flag" });

    expect(rows).toEqual(leaky());
    expect(deviations).toHaveLength(1);
    expect(deviations[0]).toMatchObject({ deviation: true, callId: "c-flag", tool: "export_rows" });
    expect(deviations[0]?.reasons).toEqual([undeclaredEmail]);

    const found = await outcomes("c-flag");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ "mandate.outcome": "ok", "mandate.deviation": true });
    expect(found[0]?.["mandate.reasons"]).toEqual([undeclaredEmail]);
  });

  it("flags each undeclared class once per access", async () => {
    const { guarded, deviations } = await world({}, {}, () => [
      { name: "A", email: "a@example.com", phone: "1" },
    ]);

    await guarded(names);

    expect(deviations[0]?.reasons.map((r) => r.dataClass)).toEqual(["customer.email", "customer.phone"]);
  });

  it('withholds the output with onUndeclared: "withhold": DeniedError (output.undeclared), outcome recorded as error', async () => {
    const { guarded, fn, deviations, outcomes } = await world({ onUndeclared: "withhold" });

    const err = await denial(guarded(names, { callId: "c-withhold" }));

    expect(fn).toHaveBeenCalledOnce();
    expect(err.decision.effect).toBe("deny");
    expect(err.decision.reasons).toEqual([undeclaredEmail]);
    expect(deviations).toHaveLength(1);
    const found = await outcomes("c-withhold");
    expect(found.map((e) => e["mandate.outcome"])).toEqual(["error"]);
    expect(found[0]?.["mandate.deviation"]).toBe(true);
    expect(found[0]?.["mandate.reasons"]).toEqual([undeclaredEmail]);
    // Nothing of the withheld output is kept in the trail.
    expect(found[0]?.["mandate.output"]).toBeUndefined();
  });

  it("flags but returns the output in monitor mode, even with withhold", async () => {
    const { guarded, deviations, outcomes } = await world({ onUndeclared: "withhold" }, { mode: "monitor" });

    await expect(guarded(names, { callId: "c-monitor" })).resolves.toEqual(leaky());

    expect(deviations.flatMap((d) => d.reasons)).toEqual([undeclaredEmail]);
    const found = await outcomes("c-monitor");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ "mandate.outcome": "ok", "mandate.deviation": true });
  });

  it("flags an output whose inspector throws as not understood", async () => {
    const { guarded, deviations, outcomes } = await world({ inspect: throwing }, {}, () => [{ name: "Ada" }]);

    await expect(guarded(names, { callId: "c-throw" })).resolves.toEqual([{ name: "Ada" }]);

    const expected = expect.objectContaining({
      code: "output.undeclared",
      message: expect.stringMatching(/not understood.*unparseable result set/),
    });
    expect(deviations.flatMap((d) => d.reasons)).toEqual([expected]);
    const found = await outcomes("c-throw");
    expect(found[0]?.["mandate.reasons"]).toEqual([expected]);
  });

  it("withholds an output whose inspector throws, with withhold", async () => {
    const { guarded } = await world({ inspect: throwing, onUndeclared: "withhold" }, {}, () => [
      { name: "Ada" },
    ]);

    const err = await denial(guarded(names));

    expect(err.decision.reasons[0]?.code).toBe("output.undeclared");
  });

  it("reports findings from mandate.observe for check-only integrations", async () => {
    const { mandate, ctx, deviations } = await world();

    expect(ctx.check({ tool: "export_rows", args: names }).effect).toBe("allow");
    const findings = mandate.observe(ctx, {
      tool: "export_rows",
      args: names,
      output: leaky(),
      callId: "c-observe",
    });

    expect(findings).toEqual([undeclaredEmail]);
    expect(deviations).toEqual([
      expect.objectContaining({ callId: "c-observe", reasons: [undeclaredEmail] }),
    ]);
  });

  it("does not flag what a live grant covers, and flags it again once the grant lapses", async () => {
    // The output reveals exactly the granted access: db.read on crm/customers, customer.email.
    const { mandate, ctx, deviations, guarded, clock } = await world({}, { outOfScope: "ask" }, () => [
      { email: "ada@example.com" },
    ]);
    const emails = { table: "customers", columns: ["email"] };
    const asked = ctx.check({ tool: "export_rows", args: emails });
    expect(asked.effect).toBe("ask");
    mandate.resolveApproval(mandate.requestApproval(asked), { approved: true, uses: 5, ttl: "1m" });
    deviations.length = 0; // the ask itself strayed from the intent

    await guarded(emails);
    expect(deviations).toEqual([]);

    clock.advance(60_000);
    mandate.observe(ctx, { tool: "export_rows", args: names, output: [{ email: "ada@example.com" }] });
    expect(deviations.flatMap((d) => d.reasons)).toEqual([undeclaredEmail]);
  });
});
