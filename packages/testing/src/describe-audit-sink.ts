import {
  type AuditEvent,
  type AuditSink,
  createMandate,
  DeniedError,
  defineTool,
  type Mandate,
  verifyAuditEvents,
} from "@mandate/core";
import { describe, expect, it } from "vitest";
import { auditChain } from "./audit-chain.js";

/** Creates a new sink over empty storage (a new table, file or namespace) for one test. */
export type AuditSinkFactory<S extends AuditSink = AuditSink> = () => S | Promise<S>;

/** Reads back every event the sink stored, each stream's events in the order they were stored. */
export type AuditReadBack<S extends AuditSink = AuditSink> = (sink: S) => Promise<readonly AuditEvent[]>;

/** Simulates the sink's backend going away and coming back (e.g. a TCP proxy cut and restored). */
export interface AuditSinkOutage<S extends AuditSink = AuditSink> {
  start(sink: S): void | Promise<void>;
  end(sink: S): void | Promise<void>;
}

/** Options of {@link describeAuditSink}. */
export interface DescribeAuditSinkOptions<S extends AuditSink = AuditSink> {
  /**
   * When given, the failure tests run: writes during an outage must reject (so that core retries),
   * and nothing a Mandate buffered may be lost once the backend is back.
   */
  readonly outage?: AuditSinkOutage<S>;
  /** Events in the volume test (default 5,000). */
  readonly volume?: number;
  /**
   * Names of tests this adapter is known to fail. They run as `it.fails`: the run stays green while
   * the gap exists, and turns red the day it is fixed, so the entry gets removed.
   */
  readonly knownFailures?: readonly string[];
  /** Per-test timeout, ms (default 30,000). */
  readonly timeoutMs?: number;
}

/** Test names of {@link describeAuditSink}, for `knownFailures`. */
export const AUDIT_SINK_TESTS = [
  "stores a batch and reads it back unchanged",
  "accepts an empty batch",
  "shows a batch as soon as its write resolves",
  "keeps the order of events across batches",
  "keeps interleaved streams apart, each in order",
  "treats a repeated batch as already written",
  "treats an overlapping retry as already written",
  "stores concurrent writes of different streams",
  "stores concurrent duplicate writes once",
  "keeps odd content exactly (unicode, NUL, lone surrogates, large values)",
  "keeps a volume of events as one verifiable chain",
  "records a Mandate's trail that verifies",
  "flushes with and without pending writes",
  "closes, twice",
  "rejects writes during an outage, then stores the retried batch once",
  "loses nothing a Mandate buffered across an outage, and denies on overflow",
] as const;

type TestName = (typeof AUDIT_SINK_TESTS)[number];

/** Plain JSON form: what any storage can give back (no `undefined`, no symbols). */
const plain = (events: readonly AuditEvent[]) => JSON.parse(JSON.stringify(events)) as AuditEvent[];

const lookup = defineTool<{ table: string; columns: string[] }>({
  name: "lookup",
  action: "db.read",
  inspect: ({ table, columns }) => [
    { action: "db.read", resource: `crm/${table}`, data: columns.map((c) => `${table.slice(0, -1)}.${c}`) },
  ],
});

const roles = {
  analyst: [{ action: "db.read", resource: "crm/**", data: ["customer.**", "employee.**"] }],
};

const bot = { name: "conformance-bot", version: "1.0.0", sponsor: "user:conformance", roles: ["analyst"] };

const customerNames = {
  purpose: "find all customer names",
  allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
};

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Rejects when `promise` has not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function byStream(events: readonly AuditEvent[]): Map<string, AuditEvent[]> {
  const out = new Map<string, AuditEvent[]>();
  for (const e of events) {
    const list = out.get(e["mandate.stream"]) ?? [];
    list.push(e);
    out.set(e["mandate.stream"], list);
  }
  return out;
}

function expectInOrder(events: readonly AuditEvent[]): void {
  for (const [stream, list] of byStream(events)) {
    const seqs = list.map((e) => e.seq);
    expect(seqs, `stream ${stream} in order`).toEqual([...seqs].sort((a, b) => a - b));
  }
}

/**
 * The conformance suite of the {@link AuditSink} contract: ordering, idempotency by event id,
 * concurrent writers, exact content, flush and close, and — given an `outage` — the failure
 * semantics core's queue relies on (a failed write rejects; a retried batch is stored once; nothing
 * buffered is lost; overflow denies with `audit.unavailable`).
 *
 * Call it at the top level of a vitest test file. `factory` makes a sink over empty storage for
 * each test; `readBack` returns what that sink stored. Sinks that cannot be read back (an
 * exporter) leave `readBack` out: the suite then checks only that writes, flush and close behave.
 *
 * @example
 * describeAuditSink("postgres", () => postgresAuditSink({ pool, table: freshTable() }),
 *   (sink) => readAuditTable(pool, sink.table));
 */
export function describeAuditSink<S extends AuditSink>(
  name: string,
  factory: AuditSinkFactory<S>,
  readBack?: AuditReadBack<S>,
  options: DescribeAuditSinkOptions<S> = {},
): void {
  const timeout = options.timeoutMs ?? 30_000;
  const volume = options.volume ?? 5_000;
  const known = new Set(options.knownFailures ?? []);

  /** Runs `body` with a new sink, closing it afterwards whatever happens. */
  const withSink = async (body: (sink: S) => Promise<void>) => {
    const sink = await factory();
    try {
      await body(sink);
    } finally {
      await sink.close?.();
    }
  };

  const test = (title: TestName, body: (sink: S) => Promise<void>) => {
    (known.has(title) ? it.fails : it)(title, () => withSink(body), timeout);
  };
  const read = (sink: S) => (readBack as AuditReadBack<S>)(sink);

  describe(`AuditSink conformance: ${name}`, () => {
    if (readBack) {
      test("stores a batch and reads it back unchanged", async (sink) => {
        const chain = auditChain();
        const batch = chain.take(25);
        await sink.write(batch);
        await sink.flush?.();
        expect(await read(sink)).toEqual(plain(batch));
      });

      test("shows a batch as soon as its write resolves", async (sink) => {
        // "write resolves once they are stored": no flush in between.
        const batch = auditChain().take(10);
        await sink.write(batch);
        expect((await read(sink)).map((e) => e.id)).toEqual(batch.map((e) => e.id));
      });

      test("keeps the order of events across batches", async (sink) => {
        const chain = auditChain();
        const all: AuditEvent[] = [];
        for (const size of [1, 7, 64, 3, 200, 1]) {
          const batch = chain.take(size);
          all.push(...batch);
          await sink.write(batch);
        }
        const back = await read(sink);
        expect(back.map((e) => e.seq)).toEqual(all.map((e) => e.seq));
        expect((await verifyAuditEvents(back)).ok).toBe(true);
      });

      test("keeps interleaved streams apart, each in order", async (sink) => {
        const chains = [auditChain(), auditChain(), auditChain()];
        for (let round = 0; round < 5; round++) {
          for (const chain of chains) await sink.write(chain.take(round + 2));
        }
        const back = await read(sink);
        expect(back).toHaveLength(chains.length * (2 + 3 + 4 + 5 + 6));
        expectInOrder(back);
        const streams = byStream(back);
        for (const chain of chains) expect(streams.get(chain.stream)).toHaveLength(20);
        const verdict = await verifyAuditEvents(back);
        expect(verdict.problems).toEqual([]);
        expect(verdict.streams).toHaveLength(3);
      });

      test("treats a repeated batch as already written", async (sink) => {
        const batch = auditChain().take(20);
        await sink.write(batch);
        await sink.write(batch); // core's queue retries a failed batch whole, with the same ids
        await sink.write(batch);
        const back = await read(sink);
        expect(back.map((e) => e.id)).toEqual(batch.map((e) => e.id));
      });

      test("treats an overlapping retry as already written", async (sink) => {
        const events = auditChain().take(30);
        await sink.write(events.slice(0, 10));
        await sink.write(events.slice(5, 20));
        await sink.write(events.slice(0, 30));
        const back = await read(sink);
        expect(back.map((e) => e.seq)).toEqual(events.map((e) => e.seq));
        expect((await verifyAuditEvents(back)).ok).toBe(true);
      });

      test("stores concurrent writes of different streams", async (sink) => {
        // Several Mandates (one stream each) may share one sink: their writes overlap in time.
        const chains = Array.from({ length: 8 }, () => auditChain());
        await Promise.all(
          chains.map(async (chain) => {
            for (let i = 0; i < 5; i++) await sink.write(chain.take(20));
          }),
        );
        const back = await read(sink);
        expect(back).toHaveLength(8 * 100);
        expectInOrder(back);
        expect((await verifyAuditEvents(back)).ok).toBe(true);
      });

      test("stores concurrent duplicate writes once", async (sink) => {
        const batch = auditChain().take(50);
        await Promise.all([sink.write(batch), sink.write(batch), sink.write(batch.slice(10, 40))]);
        const back = await read(sink);
        expect(back.map((e) => e.id)).toEqual(batch.map((e) => e.id));
      });

      test("keeps odd content exactly (unicode, NUL, lone surrogates, large values)", async (sink) => {
        const odd = [
          "naïve café – 日本語 – emoji 🛡️",
          "nul \u0000 inside",
          "lone surrogates \ud800 and \udfff",
          'quotes " and backslashes \\ \\u0000 tabs \t newlines \n\r',
          "x".repeat(200_000),
        ];
        const chain = auditChain({
          extra: (seq) => ({
            "mandate.detail": {
              text: odd[(seq - 1) % odd.length],
              numbers: [0, -1, 1.5, 1e21, 2 ** 53 - 1, 5e-324, 0.1 + 0.2],
              nested: { a: [null, true, false, {}], "weird key \u0001": "v" },
            },
          }),
        });
        const batch = chain.take(odd.length * 2);
        await sink.write(batch);
        const back = await read(sink);
        expect(back).toEqual(plain(batch));
        const verdict = await verifyAuditEvents(back);
        expect(verdict.problems).toEqual([]);
      });

      test("keeps a volume of events as one verifiable chain", async (sink) => {
        const chain = auditChain();
        let left = volume;
        while (left > 0) {
          const n = Math.min(512, left);
          await sink.write(chain.take(n));
          left -= n;
        }
        await sink.flush?.();
        const back = await read(sink);
        expect(back).toHaveLength(volume);
        const verdict = await verifyAuditEvents(back);
        expect(verdict.problems).toEqual([]);
        expect(verdict.streams[0]?.lastSeq).toBe(volume);
      });
    }

    test("accepts an empty batch", async (sink) => {
      await sink.write([]);
      if (readBack) expect(await read(sink)).toEqual([]);
    });

    test("records a Mandate's trail that verifies", async (sink) => {
      const mandate = createMandate({ roles, tools: [lookup], audit: { sink, batchSize: 7 } });
      const ctx = await mandate.declare(bot, customerNames);
      const child = await ctx.delegate(bot, customerNames);
      const query = child.guard(lookup, (args) => args.columns.length);
      for (let i = 0; i < 20; i++) await query({ table: "customers", columns: ["name"] });
      await expect(query({ table: "employees", columns: ["salary"] })).rejects.toBeInstanceOf(DeniedError);
      await mandate.revoke(ctx.id, "conformance");
      await expect(query({ table: "customers", columns: ["name"] })).rejects.toBeInstanceOf(DeniedError);
      await mandate.close();
      if (!readBack) return;
      const back = await read(sink);
      const verdict = await verifyAuditEvents(back);
      expect(verdict.problems).toEqual([]);
      const types = back.map((e) => e.type);
      expect(types.filter((t) => t === "tool.decision")).toHaveLength(22);
      expect(types.filter((t) => t === "tool.outcome")).toHaveLength(20);
      expect(types).toContain("context.revoked");
      expect(back.map((e) => e.seq)).toEqual(back.map((_, i) => i + 1));
    });

    test("flushes with and without pending writes", async (sink) => {
      await sink.flush?.();
      const chain = auditChain();
      const writes = [sink.write(chain.take(10)), sink.flush?.()];
      await Promise.all(writes);
      await sink.write(chain.take(10));
      await sink.flush?.();
      if (readBack) expect(await read(sink)).toHaveLength(20);
    });

    test("closes, twice", async (sink) => {
      await sink.write(auditChain().take(3));
      await sink.close?.();
      await sink.close?.();
    });

    const outage = options.outage;
    if (outage && readBack) {
      test("rejects writes during an outage, then stores the retried batch once", async (sink) => {
        const chain = auditChain();
        await sink.write(chain.take(5));
        const batch = chain.take(5);
        await outage.start(sink);
        try {
          // A sink that swallowed the error would lose the batch: core only retries a rejection.
          await expect(within(sink.write(batch), 15_000, "a write during the outage")).rejects.toThrow();
        } finally {
          await outage.end(sink);
        }
        await within(sink.write(batch), 15_000, "the retried write");
        await sink.write(batch);
        const back = await read(sink);
        expect(back.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        expect((await verifyAuditEvents(back)).ok).toBe(true);
      });

      test("loses nothing a Mandate buffered across an outage, and denies on overflow", async (sink) => {
        const capacity = 40;
        const mandate: Mandate = createMandate({
          roles,
          tools: [lookup],
          audit: { sink, capacity, batchSize: 16, retryMs: 10 },
        });
        const errors: unknown[] = [];
        let overflows = 0;
        mandate.events.on("audit.error", (err) => errors.push(err));
        mandate.events.on("audit.overflow", () => overflows++);
        const ctx = await mandate.declare(bot, customerNames);
        let ran = 0;
        const query = ctx.guard(lookup, () => ++ran);
        const call = () => query({ table: "customers", columns: ["name"] });
        let denied: DeniedError | undefined;
        try {
          for (let i = 0; i < 10; i++) await call();
          await mandate.flush();
          await outage.start(sink);
          // Calls keep running while the queue absorbs the outage; once `capacity` events wait, the
          // guard fails closed.
          for (let i = 0; i < 10 * capacity && denied === undefined; i++) {
            try {
              await call();
            } catch (err) {
              if (!(err instanceof DeniedError)) throw err;
              denied = err;
            }
            if (i % 4 === 0) await sleep(1);
          }
        } finally {
          await outage.end(sink);
        }
        expect(denied?.decision.reasons[0]?.code).toBe("audit.unavailable");
        expect(overflows).toBeGreaterThan(0);
        expect(errors.length).toBeGreaterThan(0);
        await within(mandate.flush(), 20_000, "flush after the outage");
        await mandate.close();
        const back = await read(sink);
        const verdict = await verifyAuditEvents(back);
        expect(verdict.problems).toEqual([]);
        // Every call that ran has its decision and outcome; the refused call left no decision.
        expect(back.filter((e) => e.type === "tool.decision")).toHaveLength(ran);
        expect(back.filter((e) => e.type === "tool.outcome")).toHaveLength(ran);
        expect(back.map((e) => e.seq)).toEqual(back.map((_, i) => i + 1));
      });
    }
  });
}
