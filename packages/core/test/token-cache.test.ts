/**
 * The verified-token cache: one signature check per token, re-checked against revocation and
 * expiry on every use; `cacheSize: 0` turns it off; a pause is not a revocation.
 *
 * Signature checks are counted where jose makes them: `crypto.subtle.verify`.
 */
import { decodeJwt } from "jose";
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from "vitest";
import {
  type AgentContext,
  createMandate,
  generateSigningKey,
  type IntentInput,
  type Mandate,
  MandateError,
  memoryRevocationStore,
  type RevocationStore,
  type SigningKey,
} from "../src/index.js";
import { bot, denial, lookup, mandateError, manualClock, ping, roles, runLookup } from "./helpers.js";

const T0 = Date.UTC(2025, 0, 1, 12);
const tools = [lookup, ping];
const worker = { name: "worker-bot", sponsor: "user:alice", roles: ["analyst"] };
const intent: IntentInput = {
  purpose: "find all customer names",
  allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
};
const names = { tool: "lookup", args: { table: "customers", columns: ["name"] } };

let key: SigningKey;
let clock: ReturnType<typeof manualClock>;
let verifySpy: MockInstance;

beforeEach(async () => {
  key ??= await generateSigningKey();
  clock = manualClock(T0);
  verifySpy = vi.spyOn(globalThis.crypto.subtle, "verify");
});

afterEach(() => {
  vi.restoreAllMocks();
});

function issuerMandate(revocations?: RevocationStore): Mandate {
  return createMandate({
    roles,
    tools,
    now: clock.now,
    tokens: { signing: key },
    ...(revocations ? { revocations } : {}),
  });
}

function verifierMandate(o: { cacheSize?: number; revocations?: RevocationStore } = {}): Mandate {
  return createMandate({
    roles,
    tools,
    now: clock.now,
    tokens: {
      trusted: [{ keys: [key.publicJwk] }],
      ...(o.cacheSize === undefined ? {} : { cacheSize: o.cacheSize }),
    },
    ...(o.revocations ? { revocations: o.revocations } : {}),
  });
}

/** root → child → grandchild in the issuer, and the grandchild's token. */
async function chain(issuer: Mandate) {
  const root = await issuer.declare(bot, intent);
  const child = await root.delegate(worker, intent);
  const grandchild = await child.delegate(worker, intent);
  return { root, child, grandchild, links: [root, child, grandchild], token: await grandchild.token() };
}

/** How many signature checks `fn` makes. */
async function signatureChecks<T>(fn: () => Promise<T>): Promise<[number, T | MandateError]> {
  const before = verifySpy.mock.calls.length;
  let result: T | MandateError;
  try {
    result = await fn();
  } catch (err) {
    if (!(err instanceof MandateError)) throw err;
    result = err;
  }
  return [verifySpy.mock.calls.length - before, result];
}

const codeOf = (r: unknown) => (r instanceof MandateError ? r.code : "ok");

describe("one signature check per token", () => {
  it("verifies every link once, then serves the same context from the cache without calling jose", async () => {
    const { token, grandchild } = await chain(issuerMandate());
    const verifier = verifierMandate();

    const [first, ctx] = await signatureChecks(() => verifier.verifyContextToken(token));
    expect(first).toBe(3);
    expect((ctx as AgentContext).id).toBe(grandchild.id);

    for (let i = 0; i < 5; i++) {
      const [again, same] = await signatureChecks(() => verifier.verifyContextToken(token));
      expect(again).toBe(0);
      expect(same).toBe(ctx);
    }
  });

  it("checks a different token on its own, even for a context already rebuilt", async () => {
    const { root, token } = await chain(issuerMandate());
    const verifier = verifierMandate();
    await verifier.verifyContextToken(token);

    const [checks, ctx] = await signatureChecks(async () => verifier.verifyContextToken(await root.token()));
    expect(checks).toBe(1);
    expect((ctx as AgentContext).id).toBe(root.id);
  });

  it("evicts the oldest token when full", async () => {
    const issuer = issuerMandate();
    const a = await (await issuer.declare(bot, intent)).token();
    const b = await (await issuer.declare(bot, intent)).token();
    const verifier = verifierMandate({ cacheSize: 1 });

    expect((await signatureChecks(() => verifier.verifyContextToken(a)))[0]).toBe(1);
    expect((await signatureChecks(() => verifier.verifyContextToken(a)))[0]).toBe(0);
    expect((await signatureChecks(() => verifier.verifyContextToken(b)))[0]).toBe(1);
    expect((await signatureChecks(() => verifier.verifyContextToken(a)))[0]).toBe(1);
    expect((await signatureChecks(() => verifier.verifyContextToken(a)))[0]).toBe(0);
  });

  it("cacheSize 0 turns the cache off: every verification checks every signature", async () => {
    const { root, token } = await chain(issuerMandate());
    const verifier = verifierMandate({ cacheSize: 0 });

    for (let i = 0; i < 3; i++) {
      const [checks, ctx] = await signatureChecks(() => verifier.verifyContextToken(token));
      expect(checks).toBe(3);
      expect(codeOf(ctx)).toBe("ok");
    }
    await verifier.revoke(root.id, "done");
    const [checks, err] = await signatureChecks(() => verifier.verifyContextToken(token));
    expect(checks).toBe(3);
    expect(codeOf(err)).toBe("ERR_TOKEN_REVOKED");
  });
});

describe("invalidation", () => {
  for (const [index, which] of ["the root", "the middle link", "the leaf"].entries()) {
    it(`revoking ${which} invalidates the cached token at once`, async () => {
      const c = await chain(issuerMandate());
      const verifier = verifierMandate();
      const ctx = await verifier.verifyContextToken(c.token);
      const revoked = c.links[index] as AgentContext;

      await verifier.revoke(revoked.id, "compromised");

      // From the cache: no signature is checked, the revocation is still seen.
      const [checks, err] = await signatureChecks(() => verifier.verifyContextToken(c.token));
      expect(checks).toBe(0);
      expect(err).toBeInstanceOf(MandateError);
      expect(codeOf(err)).toBe("ERR_TOKEN_REVOKED");
      expect((err as MandateError).message).toContain("compromised");
      // The entry is gone: the next attempt verifies afresh and is refused by the store.
      const [rechecks, again] = await signatureChecks(() => verifier.verifyContextToken(c.token));
      expect(rechecks).toBe(3);
      expect(codeOf(again)).toBe("ERR_TOKEN_REVOKED");
      // And the context already handed out cannot act.
      expect(ctx.check(names).reasons[0]).toMatchObject({ code: "context.revoked", contextId: revoked.id });
    });
  }

  it("a revocation made by the issuer reaches the verifier's cache through a shared store", async () => {
    const store = memoryRevocationStore({ now: () => clock.now() });
    const issuer = issuerMandate(store);
    const c = await chain(issuer);
    const verifier = verifierMandate({ revocations: store });
    await verifier.verifyContextToken(c.token);

    await issuer.revoke(c.root.id, "rogue agent");

    const err = await mandateError(() => verifier.verifyContextToken(c.token));
    expect(err.code).toBe("ERR_TOKEN_REVOKED");
  });

  it("expiry invalidates the cached token once the clock passes exp", async () => {
    const c = await chain(issuerMandate());
    const verifier = verifierMandate();
    const ctx = await verifier.verifyContextToken(c.token);
    const exp = (decodeJwt(c.token).exp as number) * 1000;

    clock.advance(exp - clock.now() - 1000);
    expect((await signatureChecks(() => verifier.verifyContextToken(c.token)))[0]).toBe(0);

    clock.advance(61_000); // past exp and past the 30 s tolerance
    const [checks, err] = await signatureChecks(() => verifier.verifyContextToken(c.token));
    expect(checks).toBe(0);
    expect(codeOf(err)).toBe("ERR_TOKEN_EXPIRED");
    expect(codeOf(await signatureChecks(() => verifier.verifyContextToken(c.token)).then((r) => r[1]))).toBe(
      "ERR_TOKEN_EXPIRED",
    );
    expect(ctx.check(names).reasons[0]?.code).toBe("context.expired");
  });

  it("within the clock tolerance after exp, verifying the same token again gives the same answer", async () => {
    const c = await chain(issuerMandate());
    const verifier = verifierMandate();
    await verifier.verifyContextToken(c.token);
    const exp = (decodeJwt(c.token).exp as number) * 1000;

    clock.advance(exp - clock.now() + 10_000); // 10 s past exp: inside the default 30 s tolerance
    const answers: string[] = [];
    for (let i = 0; i < 3; i++) {
      answers.push(codeOf((await signatureChecks(() => verifier.verifyContextToken(c.token)))[1]));
    }

    expect(answers).toEqual([answers[0], answers[0], answers[0]]);
  });
});

describe("pause is not revocation", () => {
  it("a cached token of a paused context still verifies, but its calls are denied until resume", async () => {
    const c = await chain(issuerMandate());
    const verifier = verifierMandate();
    const ctx = await verifier.verifyContextToken(c.token);
    const run = ctx.guard(lookup, runLookup);

    await verifier.pause(c.root.id, "investigating");

    const [checks, same] = await signatureChecks(() => verifier.verifyContextToken(c.token));
    expect(checks).toBe(0);
    expect(same).toBe(ctx);
    expect(ctx.check(names).reasons[0]).toMatchObject({ code: "context.paused", contextId: c.root.id });
    const denied = await denial(run({ table: "customers", columns: ["name"] }));
    expect(denied.decision.reasons[0]?.code).toBe("context.paused");

    await verifier.resume(c.root.id);
    expect(await run({ table: "customers", columns: ["name"] })).toHaveLength(2);
  });

  it("a token of a context paused before it was ever verified still verifies; its calls are denied", async () => {
    const c = await chain(issuerMandate());
    const verifier = verifierMandate();
    await verifier.pause(c.child.id, "investigating");

    const [checks, ctx] = await signatureChecks(() => verifier.verifyContextToken(c.token));
    expect(checks).toBe(3);
    expect((ctx as AgentContext).id).toBe(c.grandchild.id);
    expect((ctx as AgentContext).check(names).reasons[0]).toMatchObject({
      code: "context.paused",
      contextId: c.child.id,
    });
  });
});

describe("the issuer's side", () => {
  it("hands out no token for a revoked context, not even one it issued before the revocation", async () => {
    const issuer = issuerMandate();
    const c = await chain(issuer);
    await c.child.token();

    await issuer.revoke(c.child.id, "compromised");

    for (const ctx of [c.child, c.grandchild]) {
      const err = await mandateError(() => ctx.token());
      expect(err.code).toBe("ERR_CONTEXT_CLOSED");
    }
  });

  it("verifyContextToken on a closed Mandate rejects (a promise, not a synchronous throw)", async () => {
    const { token } = await chain(issuerMandate());
    const verifier = verifierMandate();
    await verifier.close();

    let result: Promise<unknown> | undefined;
    let thrown: unknown;
    try {
      result = verifier.verifyContextToken(token);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeUndefined();
    await expect(result).rejects.toMatchObject({ code: "ERR_CLOSED" });
  });
});
