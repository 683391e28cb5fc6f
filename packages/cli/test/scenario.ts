/**
 * A real Mandate run writing a JSONL audit trail in a temporary folder: the quickstart's seed
 * scenario (intent "find all customer names", an allowed lookup of customer names, a lookup of
 * employee salaries denied as intent.data_undeclared employee.salary), plus a delegation, an
 * approval, a monitor-mode deviation and a revocation, so every part of the CLI has something to show.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createMandate,
  DeniedError,
  defineTool,
  generateSigningKey,
  type IntentInput,
  type Policy,
} from "@mandate/core";
import { jsonlAuditSink } from "@mandate/core/node";

const catalog: Readonly<Record<string, string>> = {
  "customers.name": "customer.name",
  "customers.email": "customer.email",
  "employees.name": "employee.name",
  "employees.salary": "employee.salary",
};

interface LookupArgs {
  table: string;
  columns: string[];
}

const lookup = defineTool<LookupArgs>({
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

const rows: Record<string, Record<string, string>[]> = {
  customers: [
    { name: "Ada Lovelace", email: "ada@example.com" },
    { name: "Alan Turing", email: "alan@example.com" },
  ],
  employees: [{ name: "Grace Hopper", salary: "185000" }],
};

/** Reading e-mail addresses needs a human's yes. */
const emailNeedsApproval: Policy = {
  name: "email-needs-approval",
  evaluate: ({ accesses }) =>
    accesses.some((a) => a.data.includes("customer.email"))
      ? { effect: "ask", reason: "reading e-mail addresses needs approval" }
      : "abstain",
};

/** What the run left behind. */
export interface Scenario {
  readonly dir: string;
  readonly file: string;
  readonly checkpointFile: string;
  readonly jwksFile: string;
  readonly contextId: string;
  readonly intentId: string;
  readonly childContextId: string;
  readonly monitorContextId: string;
  readonly mailContextId: string;
  readonly agentId: string;
  /** The child's context token (two links), issued before the revocation. */
  readonly childToken: string;
  readonly identityToken: string;
}

/** The seed intent. */
export const SEED_INTENT: IntentInput = {
  purpose: "find all customer names",
  allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
  limits: { calls: 50, ttl: "10m" },
};

/**
 * Runs the scenario with a fresh signing key, writing `<dir>/audit.jsonl` (and its checkpoint file)
 * and `<dir>/jwks.json`.
 */
export async function runScenario(dir?: string, file = "audit.jsonl"): Promise<Scenario> {
  const root = dir ?? (await mkdtemp(join(tmpdir(), "mandate-cli-")));
  const path = join(root, file);
  const key = await generateSigningKey();
  const mandate = createMandate({
    roles: { analyst: [{ action: "db.read", resource: "crm/**", data: ["customer.**", "employee.**"] }] },
    tools: [lookup],
    policies: [emailNeedsApproval],
    approver: async () => true,
    audit: jsonlAuditSink({ path, fsync: "none" }),
    tokens: { signing: key },
  });
  const run = (rowsOf: LookupArgs) =>
    (rows[rowsOf.table] ?? []).map((r) => Object.fromEntries(rowsOf.columns.map((c) => [c, r[c]])));

  // The seed scenario.
  const agent = mandate.identity({
    name: "support-bot",
    version: "1.0.0",
    sponsor: "user:alice",
    roles: ["analyst"],
  });
  const ctx = await mandate.declare(agent, SEED_INTENT);
  const query = ctx.guard(lookup, run);
  await query({ table: "customers", columns: ["name"] });
  await query({ table: "employees", columns: ["name", "salary"] }).then(
    () => {
      throw new Error("the salary lookup must be denied");
    },
    (err: unknown) => {
      if (!(err instanceof DeniedError)) throw err;
    },
  );
  // A delegation: a helper agent with a narrower intent.
  const helper = mandate.identity({
    name: "name-counter",
    version: "0.3.0",
    sponsor: "user:alice",
    roles: ["analyst"],
  });
  const child = await ctx.delegate(helper, {
    purpose: "count distinct customer names",
    allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
    limits: { calls: 5 },
  });
  await child.guard(lookup, run)({ table: "customers", columns: ["name"] });
  const childToken = await child.token();
  const identityToken = await mandate.issueIdentityToken(agent);

  // Another agent reads e-mail addresses: in its intent, but a policy wants a human's yes.
  const mailer = mandate.identity({
    name: "newsletter-bot",
    version: "1.2.0",
    sponsor: "user:bob",
    roles: ["analyst"],
  });
  const mail = await mandate.declare(mailer, {
    purpose: "collect customer e-mail addresses for the newsletter",
    allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.email"] }],
  });
  await mail.guard(lookup, run)({ table: "customers", columns: ["email"] });

  // A monitor-mode intent: its deviation is recorded and the call runs.
  const auditor = mandate.identity({
    name: "payroll-auditor",
    version: "2.1.0",
    sponsor: "org:finance",
    roles: ["analyst"],
  });
  const watch = await mandate.declare(auditor, {
    purpose: "list employee names for the org chart",
    allow: [{ action: "db.read", resource: "crm/employees", data: ["employee.name"] }],
    mode: "monitor",
  });
  await watch.guard(lookup, run)({ table: "employees", columns: ["name", "salary"] });

  // Revoking the seed context revokes its subtree (the helper's context) too.
  await mandate.revoke(ctx.id, "investigating the salary lookup");
  await mandate.close();

  const jwksFile = join(root, "jwks.json");
  await writeFile(jwksFile, JSON.stringify(mandate.jwks()));
  return {
    dir: root,
    file: path,
    checkpointFile: `${path}.checkpoint`,
    jwksFile,
    contextId: ctx.id,
    intentId: ctx.intent.id,
    childContextId: child.id,
    monitorContextId: watch.id,
    mailContextId: mail.id,
    agentId: agent.id,
    childToken,
    identityToken,
  };
}
