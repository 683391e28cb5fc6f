/**
 * The intent report, built from the events of real Mandate runs: the seed scenario (declared
 * customer.name, reached for employee.salary), delegation and revocation, approvals, monitor mode;
 * and from a forged trail, to show untrusted text is escaped in HTML and terminal output.
 */
import { describe, expect, it } from "vitest";
import {
  type AuditEvent,
  buildIntentReport,
  createIntentReportBuilder,
  createMandate,
  DeniedError,
  defineTool,
  escapeHtml,
  escapeTerminal,
  type IntentReport,
  memoryAuditSink,
  type Policy,
  renderReportHtml,
  renderReportText,
  verifyAuditEvents,
} from "../src/index.js";

const catalog: Readonly<Record<string, string>> = {
  "customers.name": "customer.name",
  "customers.email": "customer.email",
  "employees.name": "employee.name",
  "employees.salary": "employee.salary",
};

const lookup = defineTool<{ table: string; columns: string[] }>({
  name: "lookup",
  action: "db.read",
  inspect: ({ table, columns }) => [
    {
      action: "db.read",
      resource: `crm/${table}`,
      data: columns.map((c) => catalog[`${table}.${c}`] ?? `unclassified.${table}.${c}`),
    },
  ],
});

const roles = { analyst: [{ action: "db.read", resource: "crm/**", data: ["customer.**", "employee.**"] }] };

async function denied(p: Promise<unknown>): Promise<DeniedError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DeniedError) return err;
    throw err;
  }
  throw new Error("expected a denial");
}

/** The quickstart's seed scenario. */
async function seed() {
  const sink = memoryAuditSink();
  const mandate = createMandate({ roles, tools: [lookup], audit: sink });
  const agent = mandate.identity({
    name: "support-bot",
    version: "1.0.0",
    sponsor: "user:alice",
    roles: ["analyst"],
  });
  const ctx = await mandate.declare(agent, {
    purpose: "find all customer names",
    allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
    limits: { calls: 50, ttl: "10m" },
  });
  const query = ctx.guard(lookup, () => [{ name: "Ada Lovelace" }]);
  await query({ table: "customers", columns: ["name"] });
  await denied(query({ table: "employees", columns: ["name", "salary"] }));
  await mandate.close();
  return { events: [...sink.events], agent, ctx };
}

describe("buildIntentReport on the seed scenario", () => {
  it("lists the salary lookup as a deviation from the declared intent", async () => {
    const { events, agent, ctx } = await seed();
    const report = buildIntentReport(events);
    expect(report.version).toBe(1);
    expect(report.intents).toHaveLength(1);
    const s = report.intents[0];
    if (s === undefined) throw new Error("no intent");
    expect(s).toMatchObject({
      contextId: ctx.id,
      intentId: ctx.intent.id,
      purpose: "find all customer names",
      mode: "enforce",
      declared: true,
      depth: 0,
      agent: { id: agent.id, name: "support-bot", version: "1.0.0", sponsor: "user:alice" },
      status: { state: "active" },
      declaredScope: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
      limits: { calls: 50, ttlMs: 600_000 },
    });
    expect(s.dataClasses).toEqual({
      declared: ["customer.name"],
      used: ["customer.name"],
      refused: ["employee.name", "employee.salary"],
      undeclared: ["employee.name", "employee.salary"],
    });
    expect(s.accesses.permitted).toEqual([
      { action: "db.read", resource: "crm/customers", data: ["customer.name"], count: 1, tools: ["lookup"] },
    ]);
    expect(s.accesses.refused).toEqual([
      {
        action: "db.read",
        resource: "crm/employees",
        data: ["employee.name", "employee.salary"],
        count: 1,
        tools: ["lookup"],
      },
    ]);
    expect(s.deviations).toContainEqual(
      expect.objectContaining({
        tool: "lookup",
        effect: "deny",
        stage: "call",
        code: "intent.data_undeclared",
        dataClass: "employee.salary",
        access: { action: "db.read", resource: "crm/employees", data: ["employee.name", "employee.salary"] },
      }),
    );
    expect(s.denials).toEqual([
      expect.objectContaining({ tool: "lookup", codes: ["intent.data_undeclared"], deviation: true }),
    ]);
    expect(s.counts).toMatchObject({ calls: 2, allowed: 1, denied: 1, asked: 0, deviations: 1 });
    expect(s.counts.outcomes).toEqual({ ok: 1, error: 0, aborted: 0 });
    expect(s.timeline.map((e) => [e.type, e.effect ?? null, e.deviation])).toEqual([
      ["intent.declared", null, false],
      ["tool.decision", "allow", false],
      ["tool.outcome", null, false],
      ["tool.decision", "deny", true],
    ]);
    expect(s.timeline[3]?.summary).toContain("employee.salary");
    expect(report.agents).toEqual([
      expect.objectContaining({
        id: agent.id,
        name: "support-bot",
        roles: ["analyst"],
        dataClasses: { used: ["customer.name"], refused: ["employee.name", "employee.salary"] },
        deviationCodes: { "intent.data_undeclared": 2 },
      }),
    ]);
    expect(report.totals).toMatchObject({ intents: 1, agents: 1, calls: 2, deviations: 1 });
  });

  it("survives a JSON round trip unchanged", async () => {
    const { events } = await seed();
    const report = buildIntentReport(events, { now: 0 });
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it("gives the same report from the builder, one event at a time, in any order", async () => {
    const { events } = await seed();
    const builder = createIntentReportBuilder({ now: 0 });
    for (const e of [...events].reverse()) builder.add(e);
    expect(builder.build()).toEqual(buildIntentReport(events, { now: 0 }));
  });

  it("shows the verifier's verdict when given one", async () => {
    const { events } = await seed();
    const verification = await verifyAuditEvents(events);
    const report = buildIntentReport(events, { verification });
    expect(report.verification?.ok).toBe(true);
    expect(renderReportText(report)).toContain("VERIFIED");
    expect(renderReportHtml(report)).toContain("Trail verified.");
    const broken = await verifyAuditEvents(
      events.map((e, i) => (i === 2 ? { ...e, time: "2000-01-01T00:00:00.000Z" } : e)),
    );
    const html = renderReportHtml(buildIntentReport(events, { verification: broken }));
    expect(html).toContain("Trail BROKEN");
    expect(html).toMatch(/<b>altered<\/b> at seq 3/);
  });

  it("shows at most `limit` entries per list, saying how many were left out", async () => {
    const { events } = await seed();
    const report = buildIntentReport(events);
    const html = renderReportHtml(report, { limit: 1 });
    expect(html.match(/<li class="deviation"/g)).toHaveLength(2); // one in the summary, one in the intent
    expect(html).toContain("… 1 more deviations not shown here: the JSON report has them all");
    expect(html).toContain("… 3 more events not shown here");
    const text = renderReportText(report, { limit: 1 });
    expect(text).toContain("    … 1 more deviations (the JSON report has them all)");
    expect(renderReportText(report, { limit: 0 })).not.toContain("more deviations");
  });

  it("renders the deviation in text and in an HTML element marked as a deviation", async () => {
    const { events } = await seed();
    const report = buildIntentReport(events, { source: "seed.jsonl" });
    const text = renderReportText(report);
    expect(text).toMatch(/DEVIATIONS \(2\)[\s\S]*intent\.data_undeclared employee\.salary/);
    const html = renderReportHtml(report);
    expect(html).toMatch(
      /<li class="deviation" data-kind="deviation"><span class="label-dev">DEVIATION<\/span><code>intent\.data_undeclared<\/code> <span class="dc">employee\.salary<\/span>/,
    );
    expect(html.startsWith("<!doctype html>")).toBe(true);
    // Self-contained: no scripts, no external resources.
    expect(html).not.toMatch(/<script|<link|<img|src=|https?:\/\//i);
    expect(html).toContain("Content-Security-Policy");
  });
});

describe("delegation, revocation, approvals and monitor mode", () => {
  async function world() {
    const sink = memoryAuditSink();
    const askForEmail: Policy = {
      name: "ask-for-email",
      evaluate: ({ accesses }) =>
        accesses.some((a) => a.data.includes("customer.email")) ? "ask" : "abstain",
    };
    let answer = true;
    const mandate = createMandate({
      roles,
      tools: [lookup],
      audit: sink,
      policies: [askForEmail],
      approver: async () => answer,
    });
    const run = () => [];
    const boss = mandate.identity({ name: "support-bot", sponsor: "user:alice", roles: ["analyst"] });
    const root = await mandate.declare(boss, {
      purpose: "answer customer questions",
      allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name", "customer.email"] }],
    });
    const helper = mandate.identity({ name: "helper", sponsor: "user:alice", roles: ["analyst"] });
    const child = await root.delegate(helper, {
      purpose: "look up customer names",
      allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
    });
    const grandchild = await child.delegate(helper, {
      purpose: "spell-check one customer name",
      allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
    });
    await child.guard(lookup, run)({ table: "customers", columns: ["name"] });
    await root.guard(lookup, run)({ table: "customers", columns: ["email"] });
    answer = false;
    await denied(root.guard(lookup, run)({ table: "customers", columns: ["email"] }));
    const auditor = mandate.identity({ name: "auditor", sponsor: "org:finance", roles: ["analyst"] });
    const watch = await mandate.declare(auditor, {
      purpose: "list employee names",
      allow: [{ action: "db.read", resource: "crm/employees", data: ["employee.name"] }],
      mode: "monitor",
    });
    await watch.guard(lookup, run)({ table: "employees", columns: ["name", "salary"] });
    await mandate.pause(watch.id, "review");
    await mandate.revoke(child.id, "helper misbehaved");
    await mandate.close();
    return { events: [...sink.events], root, child, grandchild, watch };
  }

  it("builds the delegation tree with purposes, and inherits a revocation down the subtree", async () => {
    const { events, root, child, grandchild } = await world();
    const report = buildIntentReport(events);
    expect(report.tree).toHaveLength(2);
    const top = report.tree[0];
    expect(top).toMatchObject({ contextId: root.id, purpose: "answer customer questions", status: "active" });
    expect(top?.children).toEqual([
      expect.objectContaining({
        contextId: child.id,
        purpose: "look up customer names",
        status: "revoked",
        children: [expect.objectContaining({ contextId: grandchild.id, status: "revoked", children: [] })],
      }),
    ]);
    const c = report.intents.find((s) => s.contextId === child.id);
    expect(c).toMatchObject({
      depth: 1,
      path: [root.id, child.id],
      parent: { contextId: root.id, purpose: "answer customer questions" },
      delegatedBy: root.identity.id,
      children: [
        expect.objectContaining({ contextId: grandchild.id, purpose: "spell-check one customer name" }),
      ],
      status: { state: "revoked", by: child.id, reason: "helper misbehaved" },
    });
    const g = report.intents.find((s) => s.contextId === grandchild.id);
    expect(g?.status).toMatchObject({ state: "revoked", by: child.id });
    expect(g?.lifecycle).toEqual([
      expect.objectContaining({ type: "context.revoked", contextId: child.id, inherited: true }),
    ]);
    expect(g?.timeline.map((e) => e.summary)).toContain(`ancestor ${child.id} revoked: helper misbehaved`);
    expect(renderReportText(report)).toContain("└─");
  });

  it("records approvals asked, granted and denied", async () => {
    const { events, root } = await world();
    const s = buildIntentReport(events).intents.find((x) => x.contextId === root.id);
    expect(s?.approvals.map((a) => a.result)).toEqual(["granted", "denied"]);
    expect(s?.counts).toMatchObject({ calls: 2, allowed: 1, denied: 1, asked: 2, deviations: 0 });
    expect(s?.counts.approvals).toEqual({ asked: 2, granted: 1, denied: 1 });
    expect(s?.denials[0]?.codes).toContain("approval.denied");
    // Asking a human is not a deviation.
    expect(s?.deviations).toEqual([]);
  });

  it("lists a monitor-mode deviation as allowed, and a pause as the context's status", async () => {
    const { events, watch } = await world();
    const s = buildIntentReport(events).intents.find((x) => x.contextId === watch.id);
    expect(s?.mode).toBe("monitor");
    expect(s?.deviations).toEqual([
      expect.objectContaining({
        effect: "allow",
        code: "intent.data_undeclared",
        dataClass: "employee.salary",
      }),
    ]);
    expect(s?.dataClasses.used).toEqual(["employee.name", "employee.salary"]);
    expect(s?.status).toMatchObject({ state: "paused", reason: "review" });
  });

  it("filters by intent id or context id, with the delegated subtree unless told otherwise", async () => {
    const { events, root, child, grandchild, watch } = await world();
    const byContext = buildIntentReport(events, { intent: child.id });
    expect(byContext.filter).toEqual({ intent: child.id, matched: true });
    expect(byContext.intents.map((s) => s.contextId)).toEqual([child.id, grandchild.id]);
    expect(byContext.tree.map((n) => n.contextId)).toEqual([child.id]);
    expect(byContext.agents.map((a) => a.name)).toEqual(["helper"]);
    const byIntent = buildIntentReport(events, { intent: watch.intent.id });
    expect(byIntent.intents.map((s) => s.contextId)).toEqual([watch.id]);
    expect(byIntent.totals.events).toBe(byIntent.intents[0]?.counts.events);
    const alone = buildIntentReport(events, { intent: root.id, subtree: false });
    expect(alone.intents.map((s) => s.contextId)).toEqual([root.id]);
    const none = buildIntentReport(events, { intent: "01NOTHINGNOTHINGNOTHING000" });
    expect(none.filter?.matched).toBe(false);
    expect(none.intents).toEqual([]);
  });
});

describe("untrusted input", () => {
  const XSS = `<script>alert("purpose")</script><img src=x onerror=alert(1)>`;

  /** A forged trail: well-formed enough to report on, full of markup and control characters. */
  function forged(): unknown[] {
    const base = {
      "mandate.stream": "s",
      "mandate.prev": "x",
      "mandate.hash": "y",
      "gen_ai.agent.id": `agent"><svg onload=alert(2)>`,
      "gen_ai.agent.name": `bot</title><script>alert(3)</script>`,
      "mandate.sponsor": "user:<b>mallory</b>",
      "mandate.context.id": `ctx" onmouseover="alert(4)`,
      "mandate.intent.id": "intent-1",
    };
    return [
      {
        ...base,
        seq: 1,
        time: "2026-01-01T00:00:00.000Z",
        type: "intent.declared",
        "mandate.detail": {
          intent: {
            id: "intent-1",
            purpose: `${XSS}\u001b]0;pwned\u0007\u001b[2J`,
            mode: "enforce",
            scope: [{ action: "db.read", resource: "crm/<customers>", data: ["customer.<name>"] }],
          },
        },
      },
      {
        ...base,
        seq: 2,
        time: "2026-01-01T00:00:01.000Z",
        type: "tool.decision",
        "gen_ai.tool.name": `<iframe src="javascript:alert(5)">`,
        "gen_ai.tool.call.id": "c1",
        "mandate.decision": "deny",
        "mandate.deviation": true,
        "mandate.reasons": [
          {
            code: "intent.data_undeclared",
            dataClass: `employee.salary<script>alert(6)</script>`,
            message: XSS,
          },
        ],
        "mandate.accesses": [
          { action: "db.read", resource: `crm/employees'><script>`, data: ["employee.salary"] },
        ],
      },
      { ...base, seq: 3, time: 5, type: { nested: "object" }, "mandate.reasons": "not an array" },
      "not an event",
      null,
      {
        ...base,
        seq: 4,
        time: "2026-01-01T00:00:02.000Z",
        type: "tool.decision",
        "mandate.reasons": [null, 7, {}],
      },
    ];
  }

  it("escapes every piece of text from events in the HTML page", () => {
    const report = buildIntentReport(forged(), { source: `<script>alert("source")</script>` });
    const html = renderReportHtml(report);
    // No element or attribute injected from the trail survives: every tag on the page is the
    // renderer's own, and none carries an event handler or a script URL.
    expect(html).not.toMatch(/<(script|img|svg|iframe)|<b>mallory/i);
    const tags = html.match(/<[^>]*>/g) ?? [];
    expect(tags.filter((tag) => /\son\w+=|javascript:/i.test(tag))).toEqual([]);
    expect(html).toContain("&lt;script&gt;alert(&quot;purpose&quot;)&lt;/script&gt;");
    expect(html).toContain("employee.salary&lt;script&gt;alert(6)&lt;/script&gt;");
    // The only <title> and </title> are the page's own.
    expect(html.match(/<title>/g)).toHaveLength(1);
    expect(html.match(/<\/title>/g)).toHaveLength(1);
    // Element ids built from context ids keep only safe characters.
    expect(html).toContain(`id="ctx-ctx__onmouseover__alert_4_"`);
    // Control characters are shown, not passed to the page.
    expect(html).toContain("\\u{1b}]0;pwned\\u{7}");
    // biome-ignore lint/suspicious/noControlCharactersInRegex: checking that none get through
    expect(html).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
  });

  it("escapes control characters in terminal text", () => {
    const text = renderReportText(buildIntentReport(forged()), { color: false });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: checking that none get through
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(text).toContain("\\u{1b}]0;pwned\\u{7}\\u{1b}[2J");
  });

  it("skips what is not an audit event and counts it", () => {
    const report = buildIntentReport(forged());
    expect(report.input).toEqual({ events: 3, skipped: 3 });
    expect(report.intents).toHaveLength(1);
    expect(report.intents[0]?.deviations[0]?.dataClass).toBe("employee.salary<script>alert(6)</script>");
  });

  it("does not let event text become object keys that change prototypes", () => {
    const events = [
      {
        type: "tool.decision",
        "mandate.context.id": "c",
        "gen_ai.agent.id": "a",
        "gen_ai.tool.call.id": "1",
        "mandate.decision": "deny",
        "mandate.deviation": true,
        "mandate.reasons": [{ code: "__proto__", message: "x" }],
      },
      { type: "__proto__", "mandate.context.id": "c" },
    ];
    const report: IntentReport = buildIntentReport(events);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(report.eventTypes, "__proto__")?.value).toBe(1);
    expect(report.agents[0]?.deviationCodes.deviation).toBe(1);
  });

  it("escapes the way each output needs", () => {
    expect(escapeHtml(`<a href="x" title='y'>&\``)).toBe(
      "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&#96;",
    );
    expect(escapeTerminal("a\u001b[31mb\nc\u202ed")).toBe("a\\u{1b}[31mb\\u{a}c\\u{202e}d");
  });
});

describe("partial trails", () => {
  it("reports calls of a context whose declaration is missing, as undeclared", async () => {
    const { events, ctx } = await seed();
    const withoutDeclaration = events.filter((e: AuditEvent) => e.type !== "intent.declared");
    const s = buildIntentReport(withoutDeclaration).intents[0];
    expect(s).toMatchObject({ contextId: ctx.id, declared: false, declaredScope: [] });
    expect(s?.deviations.map((d) => d.dataClass)).toContain("employee.salary");
    expect(renderReportText(buildIntentReport(withoutDeclaration))).toContain(
      "the declaration of this intent is not in the trail",
    );
  });
});
