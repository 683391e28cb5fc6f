import { type ContextStatus, createMandate, defineTool, newId, type RevocationStore } from "@mandate/core";
import { describe, expect, it } from "vitest";

/** Creates a store over new, empty shared state, ready (`fresh`) when it resolves. */
export type RevocationStoreFactory<S extends RevocationStore = RevocationStore> = () => S | Promise<S>;

/** Options of {@link describeRevocationStore}. */
export interface DescribeRevocationStoreOptions<S extends RevocationStore = RevocationStore> {
  /**
   * Another view over the same shared state as `store` — what another process sees — ready when it
   * resolves. Adapters whose state is shared (Redis…) give it; the propagation tests then run.
   */
  readonly peer?: (store: S) => S | Promise<S>;
  /** How long a change may take to reach a peer's view, ms (default 2,000). */
  readonly propagationMs?: number;
  /**
   * The store offers the optional read barrier (`sync()`), for strict mode. With a `peer`, the suite
   * then holds it to its word: after `sync()`, a view shows every change another view committed
   * before the call, at once, and a strict Mandate denies a call revoked elsewhere just before it.
   */
  readonly sync?: boolean;
  /** Names of tests this adapter is known to fail; they run as `it.fails` (see `describeAuditSink`). */
  readonly knownFailures?: readonly string[];
  /** Per-test timeout, ms (default 30,000). */
  readonly timeoutMs?: number;
}

/** Test names of {@link describeRevocationStore}, for `knownFailures`. */
export const REVOCATION_STORE_TESTS = [
  "starts fresh, with nothing recorded",
  "records a revocation, visible once the write resolves",
  "keeps a revocation final: pause, resume and revoke again change nothing",
  "pauses and resumes",
  "leaves a resume of an unknown context without effect",
  "tells subscribers about every change, until they unsubscribe",
  "lets revoke win over concurrent pauses and resumes",
  "keeps many contexts apart",
  "stops a Mandate's subtree when its root is revoked",
  "closes, twice",
  "carries a revocation to another view and its subscribers",
  "carries pause and resume to another view",
  "converges on revoked when two views race pause against revoke",
  "starts a new view with the state already recorded",
  "sync() shows, at once, every change another view committed before it",
  "a strict Mandate denies a call revoked through another view just before it",
] as const;

type TestName = (typeof REVOCATION_STORE_TESTS)[number];

const ping = defineTool<Record<string, never>>({ name: "ping", action: "net.ping", resource: "net/ping" });
const roles = { pinger: [{ action: "net.ping", resource: "net/**" }] };
const bot = { name: "conformance-bot", version: "1.0.0", sponsor: "user:conformance", roles: ["pinger"] };
const intent = { purpose: "ping things", allow: [{ action: "net.ping", resource: "net/ping" }] };

const status = (reason: string, extra: Partial<ContextStatus> = {}) => ({
  reason,
  at: Date.now(),
  expiresAt: Date.now() + 3_600_000,
  ...extra,
});

/** Resolves once `condition()` holds; rejects after `ms`. Polls without blocking the event loop. */
async function eventually(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`${what}: not seen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

/**
 * The conformance suite of the {@link RevocationStore} contract: a synchronous local view that
 * shows a write once it resolves, revocation that stays final under concurrent pauses and
 * resumes, listeners, close, and the store working behind a Mandate. Given a `peer` (a second view
 * over the same shared state), also propagation between views and convergence under races.
 *
 * Call it at the top level of a vitest test file; `factory` makes a ready store over new state
 * for each test. The suite closes every store it made.
 *
 * @example
 * describeRevocationStore("redis", () => redisStore(freshPrefix()), { peer: (s) => redisStore(s.prefix) });
 */
export function describeRevocationStore<S extends RevocationStore>(
  name: string,
  factory: RevocationStoreFactory<S>,
  options: DescribeRevocationStoreOptions<S> = {},
): void {
  const timeout = options.timeoutMs ?? 30_000;
  const propagationMs = options.propagationMs ?? 2_000;
  const known = new Set(options.knownFailures ?? []);

  /** Gives `body` a new store (and, for peer tests, a peer), closing every store made. */
  const test = (title: TestName, body: (store: S, made: S[]) => Promise<void>) => {
    (known.has(title) ? it.fails : it)(
      title,
      async () => {
        const made: S[] = [];
        const store = await factory();
        made.push(store);
        try {
          await body(store, made);
        } finally {
          for (const s of made) await s.close?.();
        }
      },
      timeout,
    );
  };
  const peerOf = async (store: S, made: S[]) => {
    const peer = await (options.peer as (s: S) => S | Promise<S>)(store);
    made.push(peer);
    return peer;
  };

  describe(`RevocationStore conformance: ${name}`, () => {
    test("starts fresh, with nothing recorded", async (store) => {
      expect(store.fresh).toBe(true);
      expect(store.status(newId())).toBeUndefined();
    });

    test("records a revocation, visible once the write resolves", async (store) => {
      const id = newId();
      const s = status("incident 7");
      await store.revoke(id, s);
      // No waiting: the contract says this process's view shows a write when it resolves.
      expect(store.status(id)).toEqual({ ...s, state: "revoked" });
    });

    test("keeps a revocation final: pause, resume and revoke again change nothing", async (store) => {
      const id = newId();
      await store.revoke(id, status("first"));
      await store.pause(id, status("pause after revoke"));
      expect(store.status(id)?.state).toBe("revoked");
      await store.resume(id);
      expect(store.status(id)?.state).toBe("revoked");
      await store.revoke(id, status("second"));
      expect(store.status(id)?.state).toBe("revoked");
    });

    test("pauses and resumes", async (store) => {
      const id = newId();
      const s = status("maintenance");
      await store.pause(id, s);
      expect(store.status(id)).toEqual({ ...s, state: "paused" });
      await store.pause(id, status("again"));
      expect(store.status(id)?.state).toBe("paused");
      await store.resume(id);
      expect(store.status(id)).toBeUndefined();
      await store.revoke(id, status("now revoked"));
      expect(store.status(id)?.state).toBe("revoked");
    });

    test("leaves a resume of an unknown context without effect", async (store) => {
      const seen: string[] = [];
      const off = store.subscribe((id) => seen.push(id));
      const id = newId();
      await store.resume(id);
      expect(store.status(id)).toBeUndefined();
      expect(seen).toEqual([]);
      off();
    });

    test("tells subscribers about every change, until they unsubscribe", async (store) => {
      const seen: [string, ContextStatus | undefined][] = [];
      const off = store.subscribe((id, s) => seen.push([id, s]));
      const a = newId();
      const b = newId();
      await store.pause(a, status("p"));
      await store.resume(a);
      await store.revoke(b, status("r"));
      expect(seen.map(([id, s]) => [id, s?.state])).toEqual([
        [a, "paused"],
        [a, undefined],
        [b, "revoked"],
      ]);
      expect(seen[2]?.[1]?.reason).toBe("r");
      off();
      await store.revoke(a, status("after unsubscribe"));
      expect(seen).toHaveLength(3);
    });

    test("lets revoke win over concurrent pauses and resumes", async (store) => {
      for (let round = 0; round < 5; round++) {
        const id = newId();
        const ops: Promise<void>[] = [];
        for (let i = 0; i < 20; i++) {
          ops.push(i % 2 === 0 ? store.pause(id, status(`p${i}`)) : store.resume(id));
          if (i === round * 3) ops.push(store.revoke(id, status("the revocation")));
        }
        await Promise.all(ops);
        expect(store.status(id)).toMatchObject({ state: "revoked", reason: "the revocation" });
      }
    });

    test("keeps many contexts apart", async (store) => {
      const ids = Array.from({ length: 300 }, () => newId());
      await Promise.all(
        ids.map((id, i) =>
          i % 3 === 0
            ? store.revoke(id, status(`r${i}`))
            : i % 3 === 1
              ? store.pause(id, status(`p${i}`))
              : null,
        ),
      );
      ids.forEach((id, i) => {
        const expected = i % 3 === 0 ? "revoked" : i % 3 === 1 ? "paused" : undefined;
        expect(store.status(id)?.state).toBe(expected);
        if (expected) expect(store.status(id)?.reason).toBe(`${i % 3 === 0 ? "r" : "p"}${i}`);
      });
    });

    test("stops a Mandate's subtree when its root is revoked", async (store) => {
      const mandate = createMandate({ roles, tools: [ping], revocations: store });
      try {
        const root = await mandate.declare(bot, intent);
        const child = await root.delegate(bot, intent);
        const call = { tool: "ping", args: {} };
        expect(child.check(call).effect).toBe("allow");
        await mandate.pause(child.id, "hold on");
        expect(child.check(call).reasons[0]?.code).toBe("context.paused");
        await mandate.resume(child.id);
        expect(child.check(call).effect).toBe("allow");
        await mandate.revoke(root.id, "incident");
        const d = child.check(call);
        expect(d.effect).toBe("deny");
        expect(d.reasons[0]).toMatchObject({ code: "context.revoked", contextId: root.id });
        expect(root.check(call).reasons[0]?.code).toBe("context.revoked");
      } finally {
        // The Mandate closes the store too; the suite's own close must then be harmless.
        await mandate.close();
      }
    });

    test("closes, twice", async (store) => {
      await store.revoke(newId(), status("x"));
      await store.close?.();
      await store.close?.();
    });

    if (options.peer) {
      test("carries a revocation to another view and its subscribers", async (store, made) => {
        const peer = await peerOf(store, made);
        const heard: string[] = [];
        peer.subscribe((id, s) => heard.push(`${id}:${s?.state}`));
        const id = newId();
        const s = status("incident 9");
        await store.revoke(id, s);
        await eventually(() => peer.status(id)?.state === "revoked", propagationMs, "revocation on the peer");
        expect(peer.status(id)).toEqual({ ...s, state: "revoked" });
        await eventually(() => heard.includes(`${id}:revoked`), propagationMs, "the peer's listener");
        expect(peer.fresh).toBe(true);
      });

      test("carries pause and resume to another view", async (store, made) => {
        const peer = await peerOf(store, made);
        const id = newId();
        await store.pause(id, status("p"));
        await eventually(() => peer.status(id)?.state === "paused", propagationMs, "pause on the peer");
        await peer.resume(id);
        expect(peer.status(id)).toBeUndefined();
        await eventually(() => store.status(id) === undefined, propagationMs, "resume back on the store");
      });

      test("converges on revoked when two views race pause against revoke", async (store, made) => {
        const peer = await peerOf(store, made);
        const ids = Array.from({ length: 20 }, () => newId());
        await Promise.all(
          ids.flatMap((id, i) => [
            peer.pause(id, status("p")),
            store.revoke(id, status("r")),
            i % 2 === 0 ? peer.resume(id) : store.pause(id, status("p2")),
          ]),
        );
        for (const id of ids) {
          await eventually(
            () => store.status(id)?.state === "revoked" && peer.status(id)?.state === "revoked",
            propagationMs,
            `both views revoked ${id}`,
          );
        }
      });

      test("starts a new view with the state already recorded", async (store, made) => {
        const revoked = newId();
        const paused = newId();
        await store.revoke(revoked, status("r"));
        await store.pause(paused, status("p"));
        const peer = await peerOf(store, made);
        expect(peer.fresh).toBe(true);
        expect(peer.status(revoked)?.state).toBe("revoked");
        expect(peer.status(paused)?.state).toBe("paused");
      });

      if (options.sync) {
        test("sync() shows, at once, every change another view committed before it", async (store, made) => {
          const peer = await peerOf(store, made);
          expect(typeof peer.sync).toBe("function");
          for (let i = 0; i < 50; i++) {
            const id = newId();
            if (i % 2 === 0) await store.revoke(id, status("r"));
            else await store.pause(id, status("p"));
            await (peer.sync as () => Promise<void>)();
            // No waiting: the barrier is the wait.
            expect(peer.status(id)?.state).toBe(i % 2 === 0 ? "revoked" : "paused");
          }
        });

        test("a strict Mandate denies a call revoked through another view just before it", async (store, made) => {
          const peer = await peerOf(store, made);
          const mandate = createMandate({
            roles,
            tools: [ping],
            revocations: peer,
            strictRevocations: true,
          });
          try {
            for (let i = 0; i < 20; i++) {
              const ctx = await mandate.declare(bot, intent);
              const guarded = ctx.guard("ping", () => "pong");
              await store.revoke(ctx.id, status("revoked elsewhere"));
              const denied = await guarded({}).then(
                () => undefined,
                (err: { decision?: { reasons: { code: string }[] } }) => err.decision?.reasons[0]?.code,
              );
              expect(denied).toBe("context.revoked");
            }
          } finally {
            await mandate.flush();
          }
        });
      }
    }
  });
}
