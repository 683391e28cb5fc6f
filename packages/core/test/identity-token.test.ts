/**
 * Identity tokens: a signed agent identity (`typ: mandate-id+jwt`, `sub` = instance id,
 * `mandate_identity` = the whole identity), verified by any Mandate that trusts the issuer's keys.
 */
import { decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import {
  AgentIdentity,
  createMandate,
  generateSigningKey,
  IDENTITY_TOKEN_TYPE,
  type Mandate,
  type SigningAlgorithm,
  type SigningKey,
  type TokenOptions,
} from "../src/index.js";
import { bot, mandateError, manualClock, roles } from "./helpers.js";

const T0 = Date.UTC(2025, 0, 1, 12);
const SEC = T0 / 1000;
const ISS = "https://agents.example";

async function world(
  o: { alg?: SigningAlgorithm; tokens?: Partial<TokenOptions>; verifier?: Partial<TokenOptions> } = {},
) {
  const clock = manualClock(T0);
  const key = await generateSigningKey(o.alg ?? "EdDSA");
  const issuer = createMandate({ roles, now: clock.now, tokens: { signing: key, issuer: ISS, ...o.tokens } });
  const verifier = createMandate({
    roles,
    now: clock.now,
    tokens: { trusted: [issuer.jwks()], ...o.verifier },
  });
  return { clock, key, issuer, verifier };
}

function claims(token: string) {
  return { header: decodeProtectedHeader(token), payload: decodeJwt(token) };
}

describe("identity tokens", () => {
  for (const alg of ["EdDSA", "ES256"] as const) {
    it(`round-trip with ${alg}: the verifier gets the identity back, equal in every field`, async () => {
      const { issuer, verifier } = await world({ alg });
      const identity = issuer.identity({
        ...bot,
        tenant: "acme",
        model: "gpt-4.1",
        config: { systemPrompt: "be helpful", tools: ["lookup"] },
        ttl: "2h",
      });

      const token = await issuer.issueIdentityToken(identity);
      const back = await verifier.verifyIdentityToken(token);

      expect(back).toEqual(identity);
      expect(AgentIdentity.parse(back)).toEqual(identity);
      // The issuer trusts its own key too.
      expect(await issuer.verifyIdentityToken(token)).toEqual(identity);
    });
  }

  it("carries typ, alg, kid, iss, sub, mandate_identity and times, and no audience", async () => {
    const { issuer, key } = await world();
    const identity = issuer.identity(bot);

    const { header, payload } = claims(await issuer.issueIdentityToken(identity));

    expect(header).toEqual({ alg: "EdDSA", kid: key.kid, typ: IDENTITY_TOKEN_TYPE });
    expect(header.typ).toBe("mandate-id+jwt");
    expect(payload).toEqual({
      iss: ISS,
      sub: identity.id,
      mandate_identity: identity,
      iat: SEC,
      nbf: SEC,
      exp: SEC + 3600,
    });
    expect(payload.aud).toBeUndefined();
  });

  it("expires with the identity when it ends before maxTtlMs, and at maxTtlMs otherwise", async () => {
    const { issuer } = await world({ tokens: { maxTtlMs: 10 * 60_000 } });
    const shortLived = issuer.identity({ ...bot, ttl: "90s" });
    const longLived = issuer.identity({ ...bot, ttl: "1d" });

    expect(claims(await issuer.issueIdentityToken(shortLived)).payload.exp).toBe(SEC + 90);
    expect(claims(await issuer.issueIdentityToken(longLived)).payload.exp).toBe(SEC + 600);
  });

  it("uses the default issuer `mandate` when none is configured", async () => {
    const key = await generateSigningKey();
    const m = createMandate({ roles, tokens: { signing: key } });
    expect(claims(await m.issueIdentityToken(m.identity(bot))).payload.iss).toBe("mandate");
  });

  it("is accepted by a verifier whose issuers include the issuer, refused by one whose do not", async () => {
    const { issuer, clock } = await world();
    const token = await issuer.issueIdentityToken(issuer.identity(bot));
    const trusting = (issuers: string[]) =>
      createMandate({ roles, now: clock.now, tokens: { trusted: [issuer.jwks()], issuers } });

    expect((await trusting([ISS, "https://other.example"]).verifyIdentityToken(token)).name).toBe(bot.name);
    const err = await mandateError(() => trusting(["https://other.example"]).verifyIdentityToken(token));
    expect(err.code).toBe("ERR_TOKEN_ISSUER");
  });

  it("is refused by a verifier that does not trust the issuer's key", async () => {
    const { issuer, clock } = await world();
    const token = await issuer.issueIdentityToken(issuer.identity(bot));
    const stranger = createMandate({
      roles,
      now: clock.now,
      tokens: { signing: await generateSigningKey() },
    });

    expect((await mandateError(() => stranger.verifyIdentityToken(token))).code).toBe("ERR_TOKEN_KID");
  });

  it("stops verifying once expired, beyond the clock tolerance", async () => {
    const { issuer, verifier, clock } = await world({ verifier: { clockToleranceSec: 5 } });
    const token = await issuer.issueIdentityToken(issuer.identity({ ...bot, ttl: "1m" }));

    clock.advance(60_000 + 4_000);
    expect((await verifier.verifyIdentityToken(token)).name).toBe(bot.name);
    clock.advance(2_000);
    expect((await mandateError(() => verifier.verifyIdentityToken(token))).code).toBe("ERR_TOKEN_EXPIRED");
  });

  it("is refused when mandate_identity does not match sub, even when validly signed", async () => {
    const { issuer, verifier, key } = await world();
    const identity = issuer.identity(bot);
    const other = issuer.identity({ ...bot, name: "other-bot" });
    const forged = await resign(await issuer.issueIdentityToken(identity), key, { sub: other.id });

    expect((await mandateError(() => verifier.verifyIdentityToken(forged))).code).toBe("ERR_TOKEN_CLAIMS");
  });

  it("is refused when mandate_identity is missing", async () => {
    const { issuer, verifier, key } = await world();
    const forged = await resign(await issuer.issueIdentityToken(issuer.identity(bot)), key, {
      mandate_identity: undefined,
    });

    expect((await mandateError(() => verifier.verifyIdentityToken(forged))).code).toBe("ERR_TOKEN_CLAIMS");
  });

  it("cannot be issued without a signing key: the promise rejects with ERR_NO_SIGNING_KEY", async () => {
    const m: Mandate = createMandate({ roles });
    const identity = m.identity(bot);

    let result: Promise<string> | undefined;
    let thrown: unknown;
    try {
      result = m.issueIdentityToken(identity);
    } catch (err) {
      thrown = err;
    }
    expect(thrown, "issueIdentityToken threw synchronously instead of rejecting").toBeUndefined();
    await expect(result).rejects.toMatchObject({ code: "ERR_NO_SIGNING_KEY" });
  });

  it("without a signing key, awaiting it still fails with ERR_NO_SIGNING_KEY", async () => {
    const m = createMandate({ roles });
    const identity = m.identity(bot);
    expect((await mandateError(() => m.issueIdentityToken(identity))).code).toBe("ERR_NO_SIGNING_KEY");
  });
});

/** Re-signs a token's claims with edits (an undefined value drops the claim), under its own header. */
async function resign(token: string, key: SigningKey, edits: Record<string, unknown>): Promise<string> {
  const payload: Record<string, unknown> = { ...decodeJwt(token) };
  for (const [k, v] of Object.entries(edits)) {
    if (v === undefined) delete payload[k];
    else payload[k] = v;
  }
  return new SignJWT(payload)
    .setProtectedHeader(decodeProtectedHeader(token) as { alg: string })
    .sign(key.privateKey);
}
