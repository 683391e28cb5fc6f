/**
 * The shared scenario suite every framework integration runs: the same agents, tools and intents,
 * the same calls, and the same expected decisions and audit trail — whichever framework drives
 * them. An integration test drives its framework (with the framework's own mock model) to make the
 * calls listed here, then checks the outcome with {@link expectTrail}.
 */
import {
  type AgentContext,
  type AuditEvent,
  createMandate,
  defineTool,
  type Mandate,
  type MemoryAuditSink,
  memoryAuditSink,
  recipientsInspector,
  type Scope,
} from "@mandate/core";

/** Which data class each column holds. */
export const CATALOG: Readonly<Record<string, string>> = {
  "customers.name": "customer.name",
  "customers.email": "customer.email",
  "employees.name": "employee.name",
  "employees.salary": "employee.salary",
};

export const ROWS: Readonly<Record<string, readonly Record<string, string>[]>> = {
  customers: [{ name: "Ada Lovelace", email: "ada@example.com" }],
  employees: [{ name: "Grace Hopper", salary: "185000" }],
};

export interface LookupArgs {
  table: string;
  columns: string[];
}

export interface EmailArgs {
  to: string;
  subject: string;
}

/** `lookup`: reads columns of a table, as data classes through the catalog. */
export const lookupTool = defineTool<LookupArgs>({
  name: "lookup",
  action: "db.read",
  description: "Read columns of a CRM table",
  inspect: ({ table, columns }) => [
    {
      action: "db.read",
      resource: `crm/${table}`,
      data: columns.map((c) => CATALOG[`${table}.${c}`] ?? `unclassified.${table}.${c}`),
    },
  ],
});

/** `send_email`: sends a message; its recipients are the resources. */
export const emailTool = defineTool<EmailArgs>({
  name: "send_email",
  action: "email.send",
  description: "Send an email",
  inspect: recipientsInspector({ fields: ["to"] }),
});

/** Runs the lookup tool for real (against the fixture rows). */
export function runLookup({ table, columns }: LookupArgs): Record<string, string | undefined>[] {
  return (ROWS[table] ?? []).map((row) => Object.fromEntries(columns.map((c) => [c, row[c]])));
}

export const ROLES: Readonly<Record<string, Scope>> = {
  analyst: [
    { action: "db.read", resource: "crm/**", data: ["customer.**", "employee.**"] },
    { action: "email.send", resource: "mailto:**" },
  ],
};

/** A Mandate with the scenario's roles and tools and an in-memory sink to read the trail from. */
export function scenarioMandate(
  options: { approver?: Parameters<typeof createMandate>[0]["approver"] } = {},
): {
  mandate: Mandate;
  sink: MemoryAuditSink;
} {
  const sink = memoryAuditSink();
  const mandate = createMandate({
    roles: ROLES,
    tools: [lookupTool, emailTool],
    audit: sink,
    ...(options.approver ? { approver: options.approver } : {}),
  });
  return { mandate, sink };
}

/** The seed scenario's intent: "find all customer names". */
export const SEED_INTENT = {
  purpose: "find all customer names",
  allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
} as const;

/** An intent whose out-of-scope calls ask an approver instead of failing. */
export const APPROVAL_INTENT = {
  purpose: "email the customer list to the sales team",
  allow: [
    { action: "db.read", resource: "crm/customers", data: ["customer.name"] },
    { action: "email.send", resource: "mailto:*@example.com" },
  ],
  outOfScope: "ask",
} as const;

/** Declares the seed scenario for a fresh agent instance. */
export async function seedContext(
  mandate: Mandate,
  intent: typeof SEED_INTENT | typeof APPROVAL_INTENT = SEED_INTENT,
): Promise<AgentContext> {
  const agent = mandate.identity({
    name: "support-bot",
    version: "1.0.0",
    sponsor: "user:alice",
    roles: ["analyst"],
  });
  return mandate.declare(agent, {
    ...intent,
    allow: intent.allow.map((e) => ({ ...e, data: "data" in e ? [...e.data] : undefined })),
  });
}

/** The calls each scenario makes, in order. */
export const CALLS = {
  allowed: { tool: "lookup", args: { table: "customers", columns: ["name"] } satisfies LookupArgs },
  salary: { tool: "lookup", args: { table: "employees", columns: ["salary"] } satisfies LookupArgs },
  internalEmail: {
    tool: "send_email",
    args: { to: "sales@example.com", subject: "customers" } satisfies EmailArgs,
  },
  externalEmail: {
    tool: "send_email",
    args: { to: "partner@elsewhere.example", subject: "customers" } satisfies EmailArgs,
  },
} as const;

/** One line of a trail, as every integration must produce it. */
export interface TrailLine {
  readonly type: string;
  readonly tool?: string;
  readonly decision?: string;
  readonly codes?: readonly string[];
  readonly outcome?: string;
}

/** The trail of one context, reduced to what must be the same across integrations. */
export function trailOf(events: readonly AuditEvent[], contextId: string): TrailLine[] {
  return events
    .filter((e) => e["mandate.context.id"] === contextId && e.type !== "audit.checkpoint")
    .map((e) => {
      const line: { -readonly [K in keyof TrailLine]: TrailLine[K] } = { type: e.type };
      if (e["gen_ai.tool.name"]) line.tool = e["gen_ai.tool.name"];
      if (e["mandate.decision"]) line.decision = e["mandate.decision"];
      if (e["mandate.reasons"] && e["mandate.reasons"].length > 0)
        line.codes = e["mandate.reasons"].map((r) => r.code);
      if (e["mandate.outcome"]) line.outcome = e["mandate.outcome"];
      return line;
    });
}

/** The expected trails of the shared scenarios. */
export const EXPECTED = {
  /** Seed: the allowed lookup runs, the salary lookup is denied and never runs. */
  seed: [
    { type: "intent.declared" },
    { type: "tool.decision", tool: "lookup", decision: "allow" },
    { type: "tool.outcome", tool: "lookup", outcome: "ok" },
    { type: "tool.decision", tool: "lookup", decision: "deny", codes: ["intent.data_undeclared"] },
  ],
  /** Revocation mid-run: after the root is revoked, the next call is denied. */
  revokedCall: { type: "tool.decision", tool: "lookup", decision: "deny", codes: ["context.revoked"] },
  /** Approval: an external email asks, is approved, then runs under a grant. */
  approval: [
    { type: "intent.declared" },
    { type: "tool.decision", tool: "send_email", decision: "ask", codes: ["intent.resource_undeclared"] },
    { type: "approval.asked" },
    { type: "approval.granted" },
    { type: "tool.decision", tool: "send_email", decision: "allow" },
    { type: "tool.outcome", tool: "send_email", outcome: "ok" },
  ],
} satisfies Record<string, TrailLine[] | TrailLine>;

/** Reads the trail once every event is written. */
export async function flushedTrail(
  mandate: Mandate,
  sink: MemoryAuditSink,
  ctx: AgentContext,
): Promise<TrailLine[]> {
  await mandate.flush();
  return trailOf(sink.events, ctx.id);
}
