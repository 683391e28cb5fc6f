/**
 * A large delegation tree: 10,325 contexts, 8 levels deep (a root at depth 0, leaves at depth 7;
 * branching 4, 4, 4, 4, 3, 3, 3, so 6,912 leaves). Each child keeps its parent's scope or narrows
 * it one step along a chain of nested scopes.
 *
 * Revocation, pause and expiry must reach the whole subtree at once: one store write (or none, for
 * expiry), O(depth) per check, in-flight calls aborted, waiting calls woken. Timings are printed
 * (`[context-tree] …`); only loose sanity bounds are asserted.
 *
 * Each tree is built once and shared by the tests of its `describe`; every test there works on a
 * subtree of its own, so they do not depend on each other's order.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  type AgentContext,
  createMandate,
  DeniedError,
  MandateError,
  type MandateOptions,
  type MemoryAuditSink,
  memoryAuditSink,
  memoryRevocationStore,
  type RevocationStore,
  type Scope,
  type ToolRun,
} from "../src/index.js";
import { deferred, denial, eventsOf, lookup, manualClock, ping, roles, search, sleep } from "./helpers.js";

const BRANCHING = [4, 4, 4, 4, 3, 3, 3] as const;
const DEPTH = BRANCHING.length; // leaves sit at depth 7
const pingCall = { tool: "ping", args: {} } as const;

/** Nested scopes, each within the one before: a child keeps its parent's step or takes the next. */
const CHAIN: readonly Scope[] = [
  [
    { action: "db.read", resource: "crm/**", data: ["customer.**"] },
    { action: "net.ping", resource: "net/**" },
    { action: "web.search", resource: "web/**" },
  ],
  [
    { action: "db.read", resource: "crm/**", data: ["customer.*"] },
    { action: "net.ping", resource: "net/**" },
    { action: "web.search", resource: "web/**" },
  ],
  [
    { action: "db.read", resource: "crm/**", data: ["customer.*"] },
    { action: "net.ping", resource: "net/**" },
  ],
  [
    { action: "db.read", resource: "crm/customers", data: ["customer.*"] },
    { action: "net.ping", resource: "net/**" },
  ],
  [
    { action: "db.read", resource: "crm/customers", data: ["customer.name"] },
    { action: "net.ping", resource: "net/**" },
  ],
  [
    { action: "db.read", resource: "crm/customers", data: ["customer.name"] },
    { action: "net.ping", resource: "net/*" },
  ],
  [
    { action: "db.read", resource: "crm/customers", data: ["customer.name"] },
    { action: "net.ping", resource: "net/ping" },
  ],
  [{ action: "net.ping", resource: "net/ping" }],
];

function log(line: string): void {
  console.info(`[context-tree] ${line}`);
}

/** A memory revocation store that counts what the runtime asks of it. */
function countingStore() {
  const inner = memoryRevocationStore();
  const counts = { revoke: 0, pause: 0, resume: 0, status: 0 };
  const store: RevocationStore = {
    get fresh() {
      return inner.fresh;
    },
    status(id) {
      counts.status++;
      return inner.status(id);
    },
    revoke(id, status) {
      counts.revoke++;
      return inner.revoke(id, status);
    },
    pause(id, status) {
      counts.pause++;
      return inner.pause(id, status);
    },
    resume(id) {
      counts.resume++;
      return inner.resume(id);
    },
    subscribe: (listener) => inner.subscribe(listener),
    close: () => inner.close?.() ?? Promise.resolve(),
  };
  const reset = () => {
    counts.revoke = counts.pause = counts.resume = counts.status = 0;
  };
  return { store, counts, reset };
}

interface Tree {
  readonly root: AgentContext;
  /** Contexts by depth, in creation order. */
  readonly levels: readonly (readonly AgentContext[])[];
  readonly all: readonly AgentContext[];
  readonly leaves: readonly AgentContext[];
  readonly sink: MemoryAuditSink;
  readonly counts: ReturnType<typeof countingStore>["counts"];
  readonly resetCounts: () => void;
  readonly mandate: ReturnType<typeof createMandate>;
}

/**
 * Builds the tree breadth first. `ttlAt(depth, index)` may give one node (by its index within its
 * level) a ttl.
 */
async function buildTree(
  options: Partial<MandateOptions> = {},
  ttlAt: (depth: number, index: number) => string | undefined = () => undefined,
): Promise<Tree> {
  // One synchronous sweep over every leaf offers ~7,000 decision events before the audit drain gets
  // a turn; the default capacity (10,000 waiting events) would fail such a loop closed, by design.
  const sink = memoryAuditSink(100_000);
  const { store, counts, reset } = countingStore();
  const mandate = createMandate({
    roles,
    tools: [lookup, ping, search],
    audit: { sink, capacity: 1_000_000 },
    revocations: store,
    ...options,
  });
  const owner = mandate.identity({ name: "orchestrator", sponsor: "user:alice", roles: ["analyst"] });
  // One identity per level: delegation cost is what is measured here, not identity issuance.
  const workers = BRANCHING.map((_, d) =>
    mandate.identity({ name: `worker-d${d + 1}`, sponsor: "user:alice", roles: ["analyst"] }),
  );

  const started = performance.now();
  const root = await mandate.declare(owner, { purpose: "run the fleet", allow: [...(CHAIN[0] as Scope)] });
  const step = new Map<AgentContext, number>([[root, 0]]);
  const levels: AgentContext[][] = [[root]];
  for (let d = 1; d <= DEPTH; d++) {
    const level: AgentContext[] = [];
    for (const parent of levels[d - 1] as AgentContext[]) {
      for (let i = 0; i < (BRANCHING[d - 1] as number); i++) {
        const k = Math.min(CHAIN.length - 1, (step.get(parent) as number) + (i % 2));
        const ttl = ttlAt(d, level.length);
        const child = await parent.delegate(workers[d - 1] as (typeof workers)[number], {
          purpose: `sub-task ${d}.${level.length}`,
          allow: [...(CHAIN[k] as Scope)],
          ...(ttl === undefined ? {} : { limits: { ttl } }),
        });
        step.set(child, k);
        level.push(child);
      }
    }
    levels.push(level);
  }
  const buildMs = performance.now() - started;
  const all = levels.flat();
  await mandate.flush();
  log(`built ${all.length} contexts (depth ${DEPTH}) in ${buildMs.toFixed(0)} ms`);
  return {
    root,
    levels,
    all,
    leaves: levels[DEPTH] as AgentContext[],
    sink,
    counts,
    resetCounts: reset,
    mandate,
  };
}

/** The context at `index` of level `depth`. */
function nodeAt(tree: Tree, depth: number, index: number): AgentContext {
  const ctx = tree.levels[depth]?.[index];
  if (ctx === undefined) throw new Error(`no context ${index} at depth ${depth}`);
  return ctx;
}

const subtreeOf = (tree: Tree, node: AgentContext) => tree.all.filter((c) => c.path.includes(node.id));
const outsideOf = (tree: Tree, node: AgentContext) => tree.all.filter((c) => !c.path.includes(node.id));

/** Runs `promise`, recording whether it has settled yet. */
function track<T>(promise: Promise<T>) {
  const t = { settled: false, promise };
  promise.then(
    () => {
      t.settled = true;
    },
    () => {
      t.settled = true;
    },
  );
  return t;
}

// ---- revocation -------------------------------------------------------------------------------

describe("revoking the root of a 10,325-context tree", () => {
  let tree: Tree;
  let revokeMs = 0;
  let revokedEvents = 0;
  const IN_FLIGHT = 100;
  const flights: {
    leaf: AgentContext;
    callId: string;
    run: ToolRun;
    call: Promise<unknown>;
    ranPastAbort: () => boolean;
  }[] = [];

  beforeAll(async () => {
    tree = await buildTree();
    expect(tree.all.length).toBeGreaterThanOrEqual(10_000);
    expect(tree.leaves.every((l) => l.depth === DEPTH)).toBe(true);

    // Before: every leaf may ping.
    let t = performance.now();
    for (const leaf of tree.leaves) expect(leaf.check(pingCall).effect).toBe("allow");
    log(`checked ${tree.leaves.length} leaves (allow) in ${(performance.now() - t).toFixed(1)} ms`);

    // 100 leaves, spread over the tree, each with a guarded call in flight: half of the tools wait
    // on a promise only their signal's abort resolves, half on one that never settles.
    const stride = Math.floor(tree.leaves.length / IN_FLIGHT);
    for (let i = 0; i < IN_FLIGHT; i++) {
      const leaf = tree.leaves[i * stride] as AgentContext;
      const started = deferred<ToolRun>();
      let ranPast = false;
      const guarded = leaf.guard("ping", (_args: unknown, run) => {
        started.resolve(run);
        if (i % 2 === 1) return new Promise<never>(() => {});
        return new Promise<string>((resolve) => {
          run.signal.addEventListener(
            "abort",
            () => {
              ranPast = true;
              resolve("finished after the abort");
            },
            { once: true },
          );
        });
      });
      const callId = `in-flight-${i}`;
      const call = guarded({}, { callId });
      call.catch(() => {}); // asserted below
      flights.push({ leaf, callId, run: await started.promise, call, ranPastAbort: () => ranPast });
    }
    expect(flights.every((f) => !f.run.signal.aborted)).toBe(true);

    tree.mandate.events.on("revoked", () => revokedEvents++);
    tree.resetCounts();
    t = performance.now();
    await tree.mandate.revoke(tree.root.id, "incident 42");
    revokeMs = performance.now() - t;
    log(`mandate.revoke(root) with ${IN_FLIGHT} calls in flight took ${revokeMs.toFixed(3)} ms`);
  });

  it("is one store write and a constant number of reads, whatever the size of the subtree", () => {
    expect(tree.counts).toMatchObject({ revoke: 1, pause: 0, resume: 0 });
    // The runtime looks at the root's own status once (already revoked?) and walks nothing.
    expect(tree.counts.status).toBeLessThanOrEqual(2);
    expect(revokedEvents).toBe(1);
    expect(revokeMs).toBeLessThan(50); // sanity only: a few ms here, most of it aborting the 100 calls
  });

  it("denies the next call of every leaf (and every other context) with context.revoked naming the root", () => {
    tree.resetCounts();
    const t = performance.now();
    let denied = 0;
    for (const ctx of tree.all) {
      const d = ctx.check(pingCall);
      if (
        d.effect === "deny" &&
        d.reasons.length === 1 &&
        d.reasons[0]?.code === "context.revoked" &&
        d.reasons[0]?.contextId === tree.root.id
      ) {
        denied++;
      } else {
        expect.fail(`${ctx.id} at depth ${ctx.depth}: ${JSON.stringify(d)}`);
      }
    }
    const ms = performance.now() - t;
    log(`checked all ${tree.all.length} contexts (deny) in ${ms.toFixed(1)} ms`);
    expect(denied).toBe(tree.all.length);
    // O(depth) per check: at most one status read per context on the path, no walk of the subtree.
    const maxReads = tree.all.reduce((n, c) => n + c.path.length, 0);
    expect(tree.counts.status).toBeLessThanOrEqual(maxReads);
    expect(tree.counts.revoke + tree.counts.pause + tree.counts.resume).toBe(0);
  });

  it("aborts all 100 in-flight calls: DeniedError with context.revoked, aborted signals, aborted outcomes", async () => {
    const errors = await Promise.all(flights.map((f) => denial(f.call)));

    for (const [i, err] of errors.entries()) {
      const f = flights[i] as (typeof flights)[number];
      expect(err).toBeInstanceOf(DeniedError);
      expect(err.decision.effect).toBe("deny");
      expect(err.decision.reasons[0]).toMatchObject({ code: "context.revoked", contextId: tree.root.id });
      expect(err.decision.reasons[0]?.message).toContain("incident 42");
      // The caller's error names its own call, not the shared abort reason.
      expect(err.decision.callId).toBe(f.callId);
      expect(err.decision.contextId).toBe(f.leaf.id);
      expect(f.run.signal.aborted).toBe(true);
      const reason = f.run.signal.reason as DeniedError;
      expect(reason).toBeInstanceOf(DeniedError);
      expect(reason.decision.reasons[0]).toMatchObject({ code: "context.revoked", contextId: tree.root.id });
      // The tools that listen saw the abort; their late result is not what the caller gets.
      if (i % 2 === 0) expect(f.ranPastAbort()).toBe(true);
    }

    await tree.mandate.flush();
    for (const f of flights) {
      expect(eventsOf(tree.sink.events, "tool.outcome", f.callId)).toMatchObject([
        { "mandate.outcome": "aborted", "mandate.context.id": f.leaf.id },
      ]);
    }
    expect(eventsOf(tree.sink.events, "context.revoked")).toHaveLength(1);
  });
});

// ---- pause, resume, revocation of waiting calls, expiry -----------------------------------------

describe("pause and expiry in a 10,325-context tree (pauseWaitMs 2000, manual clock)", () => {
  let tree: Tree;
  const clock = manualClock();
  const TTL_NODE = 12; // levels[2][12]: the first grandchild under the root's fourth child

  beforeAll(async () => {
    tree = await buildTree({ pauseWaitMs: 2_000, now: clock.now }, (d, i) =>
      d === 2 && i === TTL_NODE ? "10m" : undefined,
    );
  });

  /** A depth-3 node under the root's child `branch` (each test uses a branch of its own). */
  const midNode = (branch: number) => {
    const top = nodeAt(tree, 1, branch);
    return (tree.levels[3] ?? []).find((c) => c.path[1] === top.id) as AgentContext;
  };

  const pinger = (ctx: AgentContext, ran: Set<string>) =>
    ctx.guard("ping", (_args: unknown, run: ToolRun) => {
      ran.add(run.context.id);
      return `pong from ${run.context.id}`;
    });

  it("pausing a mid-level node makes its subtree's calls wait; resume() lets them run; others are unaffected", async () => {
    const paused = midNode(0);
    const inside = subtreeOf(tree, paused);
    const outside = outsideOf(tree, paused);
    expect(inside).toHaveLength(1 + 4 + 12 + 36 + 108);
    const ran = new Set<string>();

    tree.resetCounts();
    await paused.pause("investigating");
    expect(tree.counts).toMatchObject({ pause: 1, revoke: 0, resume: 0 });

    const waiting = inside.map((ctx) => track(pinger(ctx, ran)({})));
    // Contexts outside the subtree (its parent and siblings, the rest of the tree) run at once.
    const sample = outside.filter((_, i) => i % 97 === 0);
    sample.push(paused.parent as AgentContext, tree.root);
    const t0 = performance.now();
    const results = await Promise.all(sample.map((ctx) => pinger(ctx, ran)({})));
    expect(results).toEqual(sample.map((ctx) => `pong from ${ctx.id}`));
    expect(performance.now() - t0).toBeLessThan(1_000);
    // check() never waits: it reports the pause, naming the paused node.
    for (const ctx of inside) {
      expect(ctx.check(pingCall).reasons).toEqual([
        expect.objectContaining({ code: "context.paused", contextId: paused.id }),
      ]);
    }
    for (const ctx of sample) expect(ctx.check(pingCall).effect).toBe("allow");

    await sleep(100);
    expect(waiting.filter((w) => w.settled)).toHaveLength(0);
    expect(inside.filter((ctx) => ran.has(ctx.id))).toHaveLength(0);

    const t1 = performance.now();
    await paused.resume();
    const resumed = await Promise.all(waiting.map((w) => w.promise));
    const resumeMs = performance.now() - t1;
    log(`resume() released ${waiting.length} waiting calls in ${resumeMs.toFixed(1)} ms`);
    expect(resumed).toEqual(inside.map((ctx) => `pong from ${ctx.id}`));
    expect(resumeMs).toBeLessThan(1_000); // far below the 2 s wait: they ran on resume, not on timeout
    expect(inside.every((ctx) => ran.has(ctx.id))).toBe(true);
    expect(tree.counts).toMatchObject({ pause: 1, resume: 1, revoke: 0 });
    for (const ctx of inside) expect(ctx.check(pingCall).effect).toBe("allow");
  });

  it("revoking an ancestor of a paused node while calls wait denies them with context.revoked", async () => {
    const paused = midNode(2);
    const ancestor = paused.parent as AgentContext;
    const inside = subtreeOf(tree, paused);
    const ran = new Set<string>();

    await paused.pause("hold on");
    const waiting = inside.map((ctx) => track(pinger(ctx, ran)({})));
    await sleep(30);
    expect(waiting.some((w) => w.settled)).toBe(false);

    const t = performance.now();
    await tree.mandate.revoke(ancestor.id, "stop that branch");
    const errors = await Promise.all(waiting.map((w) => denial(w.promise)));
    const ms = performance.now() - t;
    log(`revoke() denied ${waiting.length} waiting calls in ${ms.toFixed(1)} ms`);

    expect(ms).toBeLessThan(1_000); // woken by the revocation, not by the 2 s timeout
    for (const err of errors) {
      expect(err.decision.reasons[0]).toMatchObject({ code: "context.revoked", contextId: ancestor.id });
    }
    expect(ran.size).toBe(0);
    // The rest of the tree still works.
    expect(nodeAt(tree, 1, 1).check(pingCall).effect).toBe("allow");
    expect(tree.root.check(pingCall).effect).toBe("allow");
  });

  it("a ttl on a mid-level node expires its whole subtree for new calls (context.expired), without a store write", async () => {
    const node = nodeAt(tree, 2, TTL_NODE);
    const branch = node.parent as AgentContext;
    const inside = subtreeOf(tree, node);
    // What no other test touches: the rest of this branch, and the path above it.
    const neighbours = [...subtreeOf(tree, branch).filter((c) => !c.path.includes(node.id)), tree.root];
    expect(inside).toHaveLength(1 + 4 + 16 + 48 + 144 + 432);
    expect(inside.every((c) => c.expiresAt === node.expiresAt)).toBe(true);
    for (const ctx of inside) expect(ctx.check(pingCall).effect).toBe("allow");

    tree.resetCounts();
    clock.advance(10 * 60_000);

    for (const ctx of inside) {
      expect(ctx.check(pingCall).reasons).toEqual([
        expect.objectContaining({ code: "context.expired", contextId: ctx.id }),
      ]);
    }
    for (const ctx of neighbours) expect(ctx.check(pingCall).effect).toBe("allow");
    const leaf = inside[inside.length - 1] as AgentContext;
    const ran = new Set<string>();
    const err = await denial(pinger(leaf, ran)({}));
    expect(err.decision.reasons[0]?.code).toBe("context.expired");
    expect(ran.size).toBe(0);
    const closed = await leaf
      .delegate(
        { name: "late", sponsor: "user:alice", roles: ["analyst"] },
        {
          purpose: "too late",
          allow: [{ action: "net.ping", resource: "net/ping" }],
        },
      )
      .catch((e: unknown) => e);
    expect(closed).toBeInstanceOf(MandateError);
    expect((closed as MandateError).code).toBe("ERR_CONTEXT_CLOSED");
    expect(tree.counts.revoke + tree.counts.pause + tree.counts.resume).toBe(0);
  });
});

describe("a short pause wait in a 10,325-context tree (pauseWaitMs 50)", () => {
  it("denies the paused subtree's waiting calls with context.paused after the wait; others run", async () => {
    const tree = await buildTree({ pauseWaitMs: 50 });
    const paused = nodeAt(tree, 3, 5);
    const inside = subtreeOf(tree, paused);
    const outside = outsideOf(tree, paused).filter((_, i) => i % 101 === 0);
    let ran = 0;
    const guard = (ctx: AgentContext) => ctx.guard("ping", () => ++ran);

    await paused.pause();
    const t = performance.now();
    const waiting = inside.map((ctx) => guard(ctx)({}));
    const others = await Promise.all(outside.map((ctx) => guard(ctx)({})));
    expect(others).toHaveLength(outside.length);
    expect(ran).toBe(outside.length);
    const errors = await Promise.all(waiting.map(denial));
    const ms = performance.now() - t;
    log(`${inside.length} calls waited ${ms.toFixed(0)} ms (pauseWaitMs 50) before context.paused`);

    expect(ms).toBeGreaterThanOrEqual(45);
    expect(ms).toBeLessThan(1_500);
    for (const err of errors) {
      expect(err.decision.reasons).toEqual([
        expect.objectContaining({ code: "context.paused", contextId: paused.id }),
      ]);
    }
    expect(ran).toBe(outside.length);

    await paused.resume();
    await expect(guard(inside[inside.length - 1] as AgentContext)({})).resolves.toBe(outside.length + 1);
  });
});
