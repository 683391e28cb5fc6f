/**
 * Shared fixtures for the behaviour tests: a small CRM world (the quickstart's seed scenario), a
 * controllable clock, and audit sinks that misbehave on purpose.
 */
import {
  type AuditEvent,
  type AuditSink,
  createMandate,
  DeniedError,
  defineTool,
  type IntentInput,
  type Mandate,
  MandateError,
  type MandateOptions,
  type MemoryAuditSink,
  memoryAuditSink,
  type Scope,
} from "../src/index.js";

/** Which data class each column holds. */
export const catalog: Readonly<Record<string, string>> = {
  "customers.name": "customer.name",
  "customers.email": "customer.email",
  "employees.name": "employee.name",
  "employees.salary": "employee.salary",
};

export interface LookupArgs {
  table: string;
  columns: string[];
}

export type Row = Record<string, string | undefined>;

/** The quickstart's tool: a read of some columns of a CRM table. */
export const lookup = defineTool<LookupArgs>({
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

/** A tool with a static mapping and no data: handy when only limits or lifecycle matter. */
export const ping = defineTool<{ host?: string }>({ name: "ping", action: "net.ping", resource: "net/ping" });

/** A tool with a declared cost. */
export const search = defineTool<{ q: string }>({
  name: "search",
  action: "web.search",
  resource: "web/search",
  cost: 3,
});

/** A tool whose cost only an intent's cost table sets (tool default 1). */
export const translate = defineTool<{ text: string }>({
  name: "translate",
  action: "ml.translate",
  resource: "ml/translate",
});

export const tables: Record<string, Row[]> = {
  customers: [
    { name: "Ada Lovelace", email: "ada@example.com" },
    { name: "Alan Turing", email: "alan@example.com" },
  ],
  employees: [{ name: "Grace Hopper", salary: "185000" }],
};

export function runLookup({ table, columns }: LookupArgs): Row[] {
  return (tables[table] ?? []).map((row) => Object.fromEntries(columns.map((c) => [c, row[c]])));
}

export const roles: Readonly<Record<string, Scope>> = {
  analyst: [
    { action: "db.read", resource: "crm/**", data: ["customer.**", "employee.**"] },
    { action: "net.ping", resource: "net/**" },
    { action: "web.search", resource: "web/**" },
    { action: "ml.translate", resource: "ml/**" },
  ],
  reader: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
};

/** The seed intent: "find all customer names". */
export const customerNames: IntentInput = {
  purpose: "find all customer names",
  allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
};

/** An intent that may ping, search and translate (and read customer names). */
export function broadIntent(extra: Partial<IntentInput> = {}): IntentInput {
  return {
    purpose: "look things up",
    allow: [
      { action: "db.read", resource: "crm/customers", data: ["customer.name"] },
      { action: "net.ping", resource: "net/ping" },
      { action: "web.search", resource: "web/search" },
      { action: "ml.translate", resource: "ml/translate" },
    ],
    ...extra,
  };
}

export const bot = { name: "support-bot", version: "1.0.0", sponsor: "user:alice", roles: ["analyst"] };

/** A clock the test moves by hand. */
export function manualClock(start = Date.UTC(2025, 0, 1)) {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}

/** A Mandate over the CRM world with a memory sink, plus an identity for the support bot. */
export function setup(overrides: Partial<MandateOptions> = {}): {
  mandate: Mandate;
  sink: MemoryAuditSink;
} {
  const sink = memoryAuditSink();
  const mandate = createMandate({
    roles,
    tools: [lookup, ping, search, translate],
    audit: sink,
    ...overrides,
  });
  return { mandate, sink };
}

/** Awaits a promise that must reject with a DeniedError, and returns it. */
export async function denial(promise: Promise<unknown>): Promise<DeniedError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DeniedError) return err;
    throw err;
  }
  throw new Error("expected the call to be denied, but it ran");
}

/** Runs `fn`, which must throw (or reject with) a MandateError, and returns it. */
export async function mandateError(fn: () => unknown): Promise<MandateError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof MandateError) return err;
    throw err;
  }
  throw new Error("expected a MandateError, but nothing was thrown");
}

/** A promise with its resolve and reject at hand. */
export function deferred<T = void>() {
  let resolve!: (value: T | PromiseLike<T>) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A sink whose writes never settle: the queue in front of it only fills up. */
export function stuckSink(): AuditSink & { attempts: AuditEvent[][] } {
  const attempts: AuditEvent[][] = [];
  return {
    attempts,
    write(events) {
      attempts.push([...events]);
      return new Promise<void>(() => {});
    },
  };
}

/** A sink that rejects every write. */
export function brokenSink(): AuditSink & { attempts: number } {
  const sink = {
    attempts: 0,
    async write(): Promise<void> {
      sink.attempts++;
      throw new Error("disk on fire");
    },
  };
  return sink;
}

/** Events of one type, optionally for one call id. */
export function eventsOf(events: readonly AuditEvent[], type: AuditEvent["type"], callId?: string) {
  return events.filter(
    (e) => e.type === type && (callId === undefined || e["gen_ai.tool.call.id"] === callId),
  );
}
