/**
 * OpenID CAEP `session-revoked` Security Event Tokens (RFC 8417): what `issueSessionRevoked`
 * writes, and what `acceptSecurityEvent` does with one — revoke the named context and its subtree,
 * and record it in the audit trail naming the event.
 */
import { decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import {
  CAEP_SESSION_REVOKED,
  createMandate,
  generateSigningKey,
  type IntentInput,
  type Mandate,
  type MemoryAuditSink,
  memoryAuditSink,
  newId,
  SET_TYPE,
  type SigningAlgorithm,
  type SigningKey,
} from "../src/index.js";
import { bot, eventsOf, lookup, mandateError, manualClock, roles } from "./helpers.js";

const T0 = Date.UTC(2025, 0, 1, 12) + 789; // not on a whole second
const SEC = Math.floor(T0 / 1000);
const ISS = "https://agents-a.example";
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
const worker = { name: "worker-bot", sponsor: "user:alice", roles: ["analyst"] };
const intent: IntentInput = {
  purpose: "find all customer names",
  allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
};
const names = { tool: "lookup", args: { table: "customers", columns: ["name"] } };

interface Pair {
  readonly key: SigningKey;
  readonly a: Mandate;
  readonly b: Mandate;
  readonly bSink: MemoryAuditSink;
  readonly clock: ReturnType<typeof manualClock>;
}

/** Mandate A signs; Mandate B (its own store and audit sink) trusts only A's JWKS. */
async function pair(alg: SigningAlgorithm = "EdDSA"): Promise<Pair> {
  const clock = manualClock(T0);
  const key = await generateSigningKey(alg);
  const a = createMandate({ roles, tools: [lookup], now: clock.now, tokens: { signing: key, issuer: ISS } });
  const bSink = memoryAuditSink();
  const b = createMandate({
    roles,
    tools: [lookup],
    audit: bSink,
    now: clock.now,
    tokens: { trusted: [a.jwks()], issuers: [ISS] },
  });
  return { key, a, b, bSink, clock };
}

describe("issueSessionRevoked", () => {
  it("writes a CAEP session-revoked SET: typ, iss, jti, iat, opaque sub_id, the event and its fields", async () => {
    const { a, key } = await pair();
    const ctx = await a.declare(bot, intent);
    await ctx.revoke("credentials leaked");

    const set = await a.issueSessionRevoked(ctx.id);

    expect(decodeProtectedHeader(set)).toEqual({ alg: "EdDSA", kid: key.kid, typ: SET_TYPE });
    expect(SET_TYPE).toBe("secevent+jwt");
    expect(CAEP_SESSION_REVOKED).toBe("https://schemas.openid.net/secevent/caep/event-type/session-revoked");
    const payload = decodeJwt(set);
    expect(Object.keys(payload).sort()).toEqual(["events", "iat", "iss", "jti", "sub_id"]);
    expect(payload.iss).toBe(ISS);
    expect(payload.jti).toMatch(ULID);
    expect(payload.iat).toBe(SEC);
    expect(payload.sub_id).toEqual({ format: "opaque", id: ctx.id });
    expect(payload.events).toEqual({
      [CAEP_SESSION_REVOKED]: {
        subject: { format: "opaque", id: ctx.id },
        event_timestamp: SEC,
        initiating_entity: "admin",
        reason_admin: { en: "credentials leaked" },
      },
    });
    // RFC 8417: no exp, and the subject is not a sub claim.
    expect(payload.exp).toBeUndefined();
    expect(payload.sub).toBeUndefined();
    expect(payload.aud).toBeUndefined();
  });

  it("takes the reason from the option, else from the revocation, else says `revoked`", async () => {
    const { a } = await pair();
    const ctx = await a.declare(bot, intent);
    const reasonOf = (set: string) =>
      (decodeJwt(set).events as Record<string, { reason_admin: { en: string } }>)[CAEP_SESSION_REVOKED]
        ?.reason_admin.en;

    expect(reasonOf(await a.issueSessionRevoked(ctx.id))).toBe("revoked");
    await ctx.revoke("policy breach");
    expect(reasonOf(await a.issueSessionRevoked(ctx.id))).toBe("policy breach");
    expect(reasonOf(await a.issueSessionRevoked(ctx.id, { reason: "manual" }))).toBe("manual");
  });

  it("names the audience when asked, and each event gets its own jti", async () => {
    const { a } = await pair();
    const id = newId(T0);

    const one = decodeJwt(await a.issueSessionRevoked(id, { audience: "https://service-b.example" }));
    const two = decodeJwt(await a.issueSessionRevoked(id));

    expect(one.aud).toBe("https://service-b.example");
    expect(two.aud).toBeUndefined();
    expect(one.jti).not.toBe(two.jti);
  });

  it("cannot be issued without a signing key: the promise rejects with ERR_NO_SIGNING_KEY", async () => {
    const m = createMandate({ roles });

    let result: Promise<string> | undefined;
    let thrown: unknown;
    try {
      result = m.issueSessionRevoked(newId(T0));
    } catch (err) {
      thrown = err;
    }
    expect(thrown, "issueSessionRevoked threw synchronously instead of rejecting").toBeUndefined();
    await expect(result).rejects.toMatchObject({ code: "ERR_NO_SIGNING_KEY" });
  });
});

describe("acceptSecurityEvent", () => {
  for (const alg of ["EdDSA", "ES256"] as const) {
    it(`(${alg}) revokes the named context and its subtree, and records it naming the event`, async () => {
      const { a, b, bSink } = await pair(alg);
      const root = await a.declare(bot, intent);
      const child = await root.delegate(worker, intent);
      const grandchild = await child.delegate(worker, intent);
      const token = await grandchild.token();
      const remote = await b.verifyContextToken(token);
      const remoteRoot = b.context(root.id);
      const remoteChild = b.context(child.id);
      expect(remote.check(names).effect).toBe("allow");
      const seen: Array<[string, string]> = [];
      b.events.on("revoked", (id, reason) => seen.push([id, reason]));

      await a.revoke(child.id, "rogue sub-agent");
      const set = await a.issueSessionRevoked(child.id);
      const event = await b.acceptSecurityEvent(set);

      const jti = decodeJwt(set).jti as string;
      expect(event).toEqual({
        contextId: child.id,
        reason: "rogue sub-agent",
        at: SEC * 1000,
        issuer: ISS,
        jti,
      });
      // The subtree below the named context is revoked; the root above it is not.
      expect(remote.check(names).reasons[0]).toMatchObject({ code: "context.revoked", contextId: child.id });
      expect(remoteChild?.check(names).reasons[0]?.code).toBe("context.revoked");
      expect(remoteRoot?.check(names).effect).toBe("allow");
      expect((await mandateError(() => b.verifyContextToken(token))).code).toBe("ERR_TOKEN_REVOKED");
      // Audited, naming the event and its issuer.
      await b.flush();
      const revoked = eventsOf(bSink.events, "context.revoked");
      expect(revoked).toHaveLength(1);
      expect(revoked[0]).toMatchObject({
        "mandate.context.id": child.id,
        "mandate.context.path": [root.id, child.id],
        "mandate.detail": { reason: `rogue sub-agent (security event ${jti} from ${ISS})` },
      });
      expect(seen).toEqual([[child.id, `rogue sub-agent (security event ${jti} from ${ISS})`]]);
    });
  }

  it("revokes a context the receiving Mandate declared itself", async () => {
    const { a, b } = await pair();
    const local = await b.declare(bot, intent);
    const localChild = await local.delegate(worker, intent);

    await b.acceptSecurityEvent(await a.issueSessionRevoked(local.id, { reason: "revoked upstream" }));

    expect(local.check(names).reasons[0]?.code).toBe("context.revoked");
    expect(localChild.check(names).reasons[0]).toMatchObject({
      code: "context.revoked",
      contextId: local.id,
    });
  });

  it("revokes ahead of time a context whose token has not arrived yet", async () => {
    const { a, b } = await pair();
    const root = await a.declare(bot, intent);
    const token = await (await root.delegate(worker, intent)).token();

    await b.acceptSecurityEvent(await a.issueSessionRevoked(root.id, { reason: "pre-emptive" }));

    const err = await mandateError(() => b.verifyContextToken(token));
    expect(err.code).toBe("ERR_TOKEN_REVOKED");
    expect(err.message).toContain("pre-emptive");
  });

  it("is idempotent: the same event twice revokes and records once", async () => {
    const { a, b, bSink } = await pair();
    const ctx = await b.declare(bot, intent);
    const set = await a.issueSessionRevoked(ctx.id);

    await b.acceptSecurityEvent(set);
    await b.acceptSecurityEvent(set);

    await b.flush();
    expect(eventsOf(bSink.events, "context.revoked")).toHaveLength(1);
  });

  it("falls back to sub_id for the subject, iat for the time, and a generic reason", async () => {
    const { key, b } = await pair();
    const ctx = await b.declare(bot, intent);
    const set = await signSet(key, {
      iss: ISS,
      jti: newId(T0),
      iat: SEC - 5,
      sub_id: { format: "opaque", id: ctx.id },
      events: { [CAEP_SESSION_REVOKED]: { initiating_entity: "policy" } },
    });

    const event = await b.acceptSecurityEvent(set);

    expect(event).toMatchObject({
      contextId: ctx.id,
      at: (SEC - 5) * 1000,
      reason: "session revoked by an external party",
    });
    expect(ctx.check(names).reasons[0]?.code).toBe("context.revoked");
  });

  it("bridges revocations: A emits a SET on every `revoked` event and B accepts it", async () => {
    const { a, b } = await pair();
    const root = await a.declare(bot, intent);
    const remote = await b.verifyContextToken(await (await root.delegate(worker, intent)).token());
    const delivered: Promise<unknown>[] = [];
    a.events.on("revoked", (id) => {
      delivered.push(a.issueSessionRevoked(id).then((set) => b.acceptSecurityEvent(set)));
    });

    await a.revoke(root.id, "shut down");
    await Promise.all(delivered);

    expect(delivered).toHaveLength(1);
    expect(remote.check(names).reasons[0]).toMatchObject({ code: "context.revoked", contextId: root.id });
  });

  it("leaves everything as it was when the event is refused", async () => {
    const { b, bSink, key } = await pair();
    const ctx = await b.declare(bot, intent);
    // Mallory's own key, published under the trusted key's kid.
    const mallory = await generateSigningKey("EdDSA", key.kid);
    const forged = await signSet(mallory, {
      iss: ISS,
      jti: newId(T0),
      iat: SEC,
      sub_id: { format: "opaque", id: ctx.id },
      events: { [CAEP_SESSION_REVOKED]: { subject: { format: "opaque", id: ctx.id } } },
    });

    const err = await mandateError(() => b.acceptSecurityEvent(forged));

    expect(err.code).toBe("ERR_TOKEN_SIGNATURE");
    expect(ctx.check(names).effect).toBe("allow");
    await b.flush();
    expect(eventsOf(bSink.events, "context.revoked")).toHaveLength(0);
  });
});

function signSet(key: SigningKey, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: SET_TYPE })
    .sign(key.privateKey);
}
