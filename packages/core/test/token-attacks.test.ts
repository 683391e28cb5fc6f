/**
 * Crafted-token attacks on context, identity and security-event verification. Every row of the
 * table is one forged, tampered, replayed or malformed token and the one `ERR_TOKEN_*` code it
 * must be rejected with; the positive controls first show that the genuine tokens verify.
 *
 * Tokens are built with jose (SignJWT, CompactSign, generateKeyPair, exportJWK, base64url), with
 * WebCrypto directly where jose refuses to produce the header (`crit`, `alg: Ed25519`, HMAC), and
 * by hand-editing the compact parts.
 */
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  base64url,
  CompactSign,
  type CryptoKey,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type AgentContext,
  type AgentIdentity,
  CAEP_SESSION_REVOKED,
  CONTEXT_TOKEN_TYPE,
  createMandate,
  DeniedError,
  digestValue,
  generateSigningKey,
  IDENTITY_TOKEN_TYPE,
  type IntentInput,
  type Mandate,
  MandateError,
  type MandateErrorCode,
  newId,
  SET_TYPE,
  type SigningKey,
} from "../src/index.js";
import { bot, lookup, ping, roles, runLookup, search, translate } from "./helpers.js";

type TokenCode = Extract<MandateErrorCode, `ERR_TOKEN_${string}`>;

/** Where a crafted token is presented. */
type Via = "context" | "identity" | "event";

interface Attack {
  readonly name: string;
  readonly code: TokenCode;
  readonly via?: Via;
  /** Builds the token (any value: non-strings are attacks too). */
  readonly make: (w: World) => unknown;
  /** A verifier of its own (a moved clock, a revocation); the shared one otherwise. */
  readonly verifier?: (w: World) => Promise<Mandate>;
}

interface KeyPair {
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

interface World {
  readonly ed: SigningKey;
  readonly es: SigningKey;
  readonly issuer: Mandate;
  readonly esIssuer: Mandate;
  readonly verifier: Mandate;
  readonly root: AgentContext;
  readonly child: AgentContext;
  readonly grandchild: AgentContext;
  readonly other: AgentContext;
  readonly rootToken: string;
  readonly childToken: string;
  readonly grandchildToken: string;
  readonly deepToken: string;
  readonly otherToken: string;
  readonly identity: AgentIdentity;
  readonly identityToken: string;
  readonly setToken: string;
  readonly attackerEd: KeyPair;
  readonly attackerEs: KeyPair;
  readonly attackerRsa: KeyPair;
}

const ISS = "https://issuer.example";
const T0 = Date.UTC(2025, 0, 1, 12);
const SEC = Math.floor(T0 / 1000);
const HOUR = 3_600_000;
const tools = [lookup, ping, search, translate];
const worker = { name: "worker-bot", sponsor: "user:alice", roles: ["analyst"] };

const rootIntent: IntentInput = {
  purpose: "answer customer questions",
  allow: [
    { action: "db.read", resource: "crm/customers", data: ["customer.*"] },
    { action: "net.ping", resource: "net/**" },
  ],
  limits: { calls: 10 },
};

const childIntent: IntentInput = {
  purpose: "find all customer names",
  allow: [{ action: "db.read", resource: "crm/customers", data: ["customer.name"] }],
  limits: { calls: 5 },
};

// ---- crafting ---------------------------------------------------------------------------------

interface Intent {
  id: string;
  purpose: string;
  scope: unknown[];
  limits: Record<string, unknown>;
  mode: string;
  parent?: string;
  [k: string]: unknown;
}

interface Claims extends JWTPayload {
  mandate: {
    v: unknown;
    identity?: unknown;
    intent: Intent;
    intent_digest: string;
    path: unknown;
    [k: string]: unknown;
  };
  act?: { sub?: unknown; "mandate:token"?: unknown; [k: string]: unknown };
}

type Header = Record<string, unknown>;

const enc = (value: unknown): string =>
  base64url.encode(typeof value === "string" ? value : JSON.stringify(value));
const parts = (jwt: string) => {
  const [h, p, s] = jwt.split(".") as [string, string, string];
  return { h, p, s };
};
const headerOf = (jwt: string): Header => ({ ...decodeProtectedHeader(jwt) });
const claimsOf = (jwt: string): Claims => structuredClone(decodeJwt(jwt)) as Claims;

/** Replaces one character in the middle of a base64url part with another base64url character. */
function flip(part: string): string {
  const at = Math.floor(part.length / 2);
  return `${part.slice(0, at)}${part[at] === "A" ? "B" : "A"}${part.slice(at + 1)}`;
}

/**
 * Signs any header and payload, bypassing jose's own header checks: the signature is computed with
 * WebCrypto (or HMAC-SHA256 for a byte-string secret) over `b64(header).b64(payload)`.
 */
async function rawSign(header: Header, payload: unknown, key: CryptoKey | Uint8Array): Promise<string> {
  const input = `${enc(header)}.${enc(payload)}`;
  let signature: Uint8Array;
  if (key instanceof Uint8Array) {
    signature = createHmac("sha256", key).update(input).digest();
  } else {
    const name = key.algorithm.name;
    const algorithm = name === "ECDSA" ? { name, hash: "SHA-256" } : { name };
    signature = new Uint8Array(
      await globalThis.crypto.subtle.sign(algorithm, key as never, new TextEncoder().encode(input)),
    );
  }
  return `${input}.${base64url.encode(signature)}`;
}

/** Signs claims with jose under the given header. */
function sign(claims: JWTPayload, header: Header, key: CryptoKey | Uint8Array): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key as CryptoKey);
}

/**
 * Decodes a genuine token, edits its claims, recomputes `intent_digest` (unless told not to) and
 * re-signs it under the original header with the trusted issuer key (or the key given).
 */
async function forge(
  w: World,
  jwt: string,
  edit: (c: Claims) => void,
  o: { key?: CryptoKey; header?: Header; digest?: boolean } = {},
): Promise<string> {
  const c = claimsOf(jwt);
  edit(c);
  if (o.digest !== false && c.mandate?.intent !== undefined) {
    c.mandate.intent_digest = digestValue(c.mandate.intent);
  }
  return sign(c, { ...headerOf(jwt), ...o.header }, o.key ?? w.ed.privateKey);
}

async function attackerKey(alg: "EdDSA" | "ES256" | "RS256"): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), alg, kid: `attacker-${alg}` } };
}

function verifierFor(w: World, o: { now?: number; maxDepth?: number } = {}): Mandate {
  return createMandate({
    roles,
    tools,
    maxDepth: o.maxDepth ?? 2,
    now: () => o.now ?? T0,
    tokens: { trusted: [w.issuer.jwks(), w.esIssuer.jwks()], issuers: [ISS] },
  });
}

/** A CAEP session-revoked SET's claims, about an unrelated context (a successful forgery revokes nothing that matters). */
function setClaims(over: Record<string, unknown> = {}): Record<string, unknown> {
  const subject = { format: "opaque", id: newId(T0) };
  return {
    iss: ISS,
    jti: newId(T0),
    iat: SEC,
    sub_id: subject,
    events: {
      [CAEP_SESSION_REVOKED]: {
        subject,
        event_timestamp: SEC,
        initiating_entity: "admin",
        reason_admin: { en: "forged" },
      },
    },
    ...over,
  };
}

const ctxHeader = (w: World, over: Header = {}): Header => ({
  alg: "EdDSA",
  kid: w.ed.kid,
  typ: CONTEXT_TOKEN_TYPE,
  ...over,
});

// ---- the table --------------------------------------------------------------------------------

const attacks: Attack[] = [
  // Structure and input type.
  { name: "a number", code: "ERR_TOKEN_MALFORMED", make: () => 42 },
  { name: "null", code: "ERR_TOKEN_MALFORMED", make: () => null },
  { name: "undefined", code: "ERR_TOKEN_MALFORMED", make: () => undefined },
  { name: "an object", code: "ERR_TOKEN_MALFORMED", make: (w) => ({ token: w.childToken }) },
  { name: "the empty string", code: "ERR_TOKEN_MALFORMED", make: () => "" },
  { name: "garbage text", code: "ERR_TOKEN_MALFORMED", make: () => "not a token at all" },
  {
    name: "two parts (signature dropped)",
    code: "ERR_TOKEN_MALFORMED",
    make: (w) => `${parts(w.rootToken).h}.${parts(w.rootToken).p}`,
  },
  { name: "four parts", code: "ERR_TOKEN_MALFORMED", make: (w) => `${w.rootToken}.${parts(w.rootToken).s}` },
  {
    name: "non-base64url characters (+ and /)",
    code: "ERR_TOKEN_MALFORMED",
    make: (w) => {
      const { h, p, s } = parts(w.rootToken);
      return `${h}.${p.slice(0, 10)}+/${p.slice(12)}.${s}`;
    },
  },
  {
    name: "base64 padding",
    code: "ERR_TOKEN_MALFORMED",
    make: (w) => `${w.rootToken}==`,
  },
  {
    name: "a header that is not JSON",
    code: "ERR_TOKEN_MALFORMED",
    make: (w) => `${enc("not json")}.${parts(w.rootToken).p}.${parts(w.rootToken).s}`,
  },
  {
    name: "a header that is a JSON array",
    code: "ERR_TOKEN_MALFORMED",
    make: (w) => `${enc([{ alg: "EdDSA" }])}.${parts(w.rootToken).p}.${parts(w.rootToken).s}`,
  },
  {
    name: "an empty header part",
    code: "ERR_TOKEN_MALFORMED",
    make: (w) => `.${parts(w.rootToken).p}.${parts(w.rootToken).s}`,
  },
  {
    name: "a validly signed payload that is not JSON",
    code: "ERR_TOKEN_MALFORMED",
    make: (w) =>
      new CompactSign(new TextEncoder().encode("this is not a claims set"))
        .setProtectedHeader({ alg: "EdDSA", kid: w.ed.kid, typ: CONTEXT_TOKEN_TYPE })
        .sign(w.ed.privateKey),
  },
  {
    name: "a crit header (validly signed)",
    code: "ERR_TOKEN_MALFORMED",
    make: (w) => rawSign(ctxHeader(w, { crit: ["exp"] }), claimsOf(w.rootToken), w.ed.privateKey),
  },
  {
    name: "an embedded jwk header (attacker key, trusted kid)",
    code: "ERR_TOKEN_MALFORMED",
    make: (w) =>
      rawSign(ctxHeader(w, { jwk: w.attackerEd.publicJwk }), claimsOf(w.rootToken), w.attackerEd.privateKey),
  },
  {
    name: "a jku header",
    code: "ERR_TOKEN_MALFORMED",
    make: (w) =>
      rawSign(
        ctxHeader(w, { jku: "https://attacker.example/jwks.json" }),
        claimsOf(w.rootToken),
        w.attackerEd.privateKey,
      ),
  },
  {
    name: "an x5c header",
    code: "ERR_TOKEN_MALFORMED",
    make: (w) =>
      rawSign(
        ctxHeader(w, { x5c: ["MIIBszCCAVmgAwIBAgIUAttacker"] }),
        claimsOf(w.rootToken),
        w.ed.privateKey,
      ),
  },
  {
    name: "an x5u header",
    code: "ERR_TOKEN_MALFORMED",
    make: (w) =>
      rawSign(
        ctxHeader(w, { x5u: "https://attacker.example/cert.pem" }),
        claimsOf(w.rootToken),
        w.ed.privateKey,
      ),
  },

  // Algorithms.
  {
    name: "alg none, unsigned (empty signature part)",
    code: "ERR_TOKEN_ALG",
    make: (w) => `${enc(ctxHeader(w, { alg: "none" }))}.${parts(w.rootToken).p}.`,
  },
  {
    name: "alg none without a signature part at all",
    code: "ERR_TOKEN_MALFORMED",
    make: (w) => `${enc(ctxHeader(w, { alg: "none" }))}.${parts(w.rootToken).p}`,
  },
  {
    name: "alg none carrying the genuine signature",
    code: "ERR_TOKEN_ALG",
    make: (w) => `${enc(ctxHeader(w, { alg: "none" }))}.${parts(w.rootToken).p}.${parts(w.rootToken).s}`,
  },
  {
    name: "alg NONE (case variant), unsigned",
    code: "ERR_TOKEN_ALG",
    make: (w) => `${enc(ctxHeader(w, { alg: "NONE" }))}.${parts(w.rootToken).p}.`,
  },
  {
    name: "no alg at all",
    code: "ERR_TOKEN_ALG",
    make: (w) =>
      `${enc({ kid: w.ed.kid, typ: CONTEXT_TOKEN_TYPE })}.${parts(w.rootToken).p}.${parts(w.rootToken).s}`,
  },
  {
    name: "HS256 keyed with the issuer's raw public key bytes (algorithm confusion)",
    code: "ERR_TOKEN_ALG",
    make: (w) => {
      const x = w.issuer.jwks().keys[0]?.x as string;
      return rawSign(ctxHeader(w, { alg: "HS256" }), claimsOf(w.rootToken), base64url.decode(x));
    },
  },
  {
    name: "HS256 keyed with the issuer's published JWK text (algorithm confusion)",
    code: "ERR_TOKEN_ALG",
    make: (w) => {
      const secret = new TextEncoder().encode(JSON.stringify(w.issuer.jwks().keys[0]));
      return rawSign(ctxHeader(w, { alg: "HS256" }), claimsOf(w.rootToken), secret);
    },
  },
  {
    name: "RS256 with an attacker key under the trusted kid",
    code: "ERR_TOKEN_ALG",
    make: (w) => sign(claimsOf(w.rootToken), ctxHeader(w, { alg: "RS256" }), w.attackerRsa.privateKey),
  },
  {
    name: "RS256 with an attacker key under its own kid",
    code: "ERR_TOKEN_ALG",
    make: (w) =>
      sign(
        claimsOf(w.rootToken),
        ctxHeader(w, { alg: "RS256", kid: w.attackerRsa.publicJwk.kid }),
        w.attackerRsa.privateKey,
      ),
  },
  {
    name: "ES256 header on the Ed25519 kid",
    code: "ERR_TOKEN_ALG",
    make: (w) => sign(claimsOf(w.rootToken), ctxHeader(w, { alg: "ES256" }), w.attackerEs.privateKey),
  },
  {
    name: "EdDSA header on the ES256 kid",
    code: "ERR_TOKEN_ALG",
    make: (w) => sign(claimsOf(w.rootToken), ctxHeader(w, { kid: w.es.kid }), w.attackerEd.privateKey),
  },
  {
    name: "alg Ed25519 (fully specified name, not accepted) on the Ed25519 kid",
    code: "ERR_TOKEN_ALG",
    make: (w) => rawSign(ctxHeader(w, { alg: "Ed25519" }), claimsOf(w.rootToken), w.ed.privateKey),
  },

  // typ.
  {
    name: "typ missing",
    code: "ERR_TOKEN_TYPE",
    make: (w) => sign(claimsOf(w.rootToken), { alg: "EdDSA", kid: w.ed.kid }, w.ed.privateKey),
  },
  {
    name: "typ JWT",
    code: "ERR_TOKEN_TYPE",
    make: (w) => sign(claimsOf(w.rootToken), ctxHeader(w, { typ: "JWT" }), w.ed.privateKey),
  },
  {
    name: "the identity typ on context claims",
    code: "ERR_TOKEN_TYPE",
    make: (w) => sign(claimsOf(w.rootToken), ctxHeader(w, { typ: IDENTITY_TOKEN_TYPE }), w.ed.privateKey),
  },
  {
    name: "typ secevent+jwt on context claims",
    code: "ERR_TOKEN_TYPE",
    make: (w) => sign(claimsOf(w.rootToken), ctxHeader(w, { typ: SET_TYPE }), w.ed.privateKey),
  },
  {
    name: "a genuine identity token as a context token",
    code: "ERR_TOKEN_TYPE",
    make: (w) => w.identityToken,
  },
  {
    name: "a genuine security event token as a context token",
    code: "ERR_TOKEN_TYPE",
    make: (w) => w.setToken,
  },

  // kid.
  {
    name: "no kid",
    code: "ERR_TOKEN_KID",
    make: (w) => sign(claimsOf(w.rootToken), { alg: "EdDSA", typ: CONTEXT_TOKEN_TYPE }, w.ed.privateKey),
  },
  {
    name: "a kid that is a number",
    code: "ERR_TOKEN_KID",
    make: (w) => sign(claimsOf(w.rootToken), ctxHeader(w, { kid: 1 }), w.ed.privateKey),
  },
  {
    name: "an unknown kid (attacker key under its own kid)",
    code: "ERR_TOKEN_KID",
    make: (w) =>
      sign(claimsOf(w.rootToken), ctxHeader(w, { kid: w.attackerEd.publicJwk.kid }), w.attackerEd.privateKey),
  },
  {
    name: "an empty kid",
    code: "ERR_TOKEN_KID",
    make: (w) => sign(claimsOf(w.rootToken), ctxHeader(w, { kid: "" }), w.ed.privateKey),
  },

  // Signatures.
  {
    name: "a trusted kid signed by an attacker Ed25519 key",
    code: "ERR_TOKEN_SIGNATURE",
    make: (w) => sign(claimsOf(w.rootToken), ctxHeader(w), w.attackerEd.privateKey),
  },
  {
    name: "a trusted ES256 kid signed by an attacker P-256 key",
    code: "ERR_TOKEN_SIGNATURE",
    make: (w) =>
      sign(claimsOf(w.rootToken), ctxHeader(w, { alg: "ES256", kid: w.es.kid }), w.attackerEs.privateKey),
  },
  {
    name: "one payload character changed",
    code: "ERR_TOKEN_SIGNATURE",
    make: (w) => {
      const { h, p, s } = parts(w.childToken);
      return `${h}.${flip(p)}.${s}`;
    },
  },
  {
    name: "the payload re-encoded with a wider scope, signature kept",
    code: "ERR_TOKEN_SIGNATURE",
    make: (w) => {
      const c = claimsOf(w.rootToken);
      c.mandate.intent.scope.push({ action: "**", resource: "**", data: ["**"] });
      const { h, s } = parts(w.rootToken);
      return `${h}.${enc(c)}.${s}`;
    },
  },
  {
    name: "a header with an added parameter, signature kept",
    code: "ERR_TOKEN_SIGNATURE",
    make: (w) => {
      const { p, s } = parts(w.rootToken);
      return `${enc({ ...headerOf(w.rootToken), x: 1 })}.${p}.${s}`;
    },
  },
  {
    name: "a truncated signature",
    code: "ERR_TOKEN_SIGNATURE",
    make: (w) => {
      const { h, p, s } = parts(w.rootToken);
      return `${h}.${p}.${s.slice(0, s.length / 2)}`;
    },
  },
  {
    name: "an empty signature under EdDSA",
    code: "ERR_TOKEN_SIGNATURE",
    make: (w) => `${parts(w.rootToken).h}.${parts(w.rootToken).p}.`,
  },
  {
    name: "an all-zero ES256 signature (psychic signature, r = s = 0)",
    code: "ERR_TOKEN_SIGNATURE",
    make: async (w) => {
      const genuine = await sign(
        claimsOf(w.rootToken),
        ctxHeader(w, { alg: "ES256", kid: w.es.kid }),
        w.es.privateKey,
      );
      return `${parts(genuine).h}.${parts(genuine).p}.${base64url.encode(new Uint8Array(64))}`;
    },
  },
  {
    name: "a signature swapped in from another token of the same issuer",
    code: "ERR_TOKEN_SIGNATURE",
    make: (w) => `${parts(w.rootToken).h}.${parts(w.rootToken).p}.${parts(w.otherToken).s}`,
  },
  {
    name: "a valid leaf embedding a parent whose payload was widened without re-signing",
    code: "ERR_TOKEN_SIGNATURE",
    make: (w) => {
      const parent = claimsOf(w.rootToken);
      parent.mandate.intent.scope.push({ action: "**", resource: "**", data: ["**"] });
      const { h, s } = parts(w.rootToken);
      const tampered = `${h}.${enc(parent)}.${s}`;
      return forge(w, w.childToken, (c) => {
        if (c.act) c.act["mandate:token"] = tampered;
      });
    },
  },

  // Times.
  {
    name: "expired: the verifier's clock is two hours past issue",
    code: "ERR_TOKEN_EXPIRED",
    make: (w) => w.childToken,
    verifier: async (w) => verifierFor(w, { now: T0 + 2 * HOUR }),
  },
  {
    name: "exp an hour in the past (re-signed)",
    code: "ERR_TOKEN_EXPIRED",
    make: (w) =>
      forge(w, w.rootToken, (c) => {
        c.iat = SEC - 7200;
        c.nbf = SEC - 7200;
        c.exp = SEC - 3600;
      }),
  },
  {
    name: "exp just beyond the 30 s clock tolerance",
    code: "ERR_TOKEN_EXPIRED",
    make: (w) =>
      forge(w, w.rootToken, (c) => {
        c.iat = SEC - 600;
        c.nbf = SEC - 600;
        c.exp = SEC - 31;
      }),
  },
  {
    name: "a valid leaf embedding an expired parent link",
    code: "ERR_TOKEN_EXPIRED",
    make: async (w) => {
      const parent = await forge(w, w.rootToken, (c) => {
        c.exp = SEC - 3600;
      });
      return forge(w, w.childToken, (c) => {
        if (c.act) c.act["mandate:token"] = parent;
      });
    },
  },
  {
    name: "nbf an hour in the future",
    code: "ERR_TOKEN_NOT_YET_VALID",
    make: (w) =>
      forge(w, w.rootToken, (c) => {
        c.nbf = SEC + 3600;
      }),
  },
  {
    name: "iat an hour in the future",
    code: "ERR_TOKEN_NOT_YET_VALID",
    make: (w) =>
      forge(w, w.rootToken, (c) => {
        c.iat = SEC + 3600;
      }),
  },
  {
    name: "no exp",
    code: "ERR_TOKEN_CLAIMS",
    make: (w) =>
      forge(w, w.rootToken, (c) => {
        delete c.exp;
      }),
  },
  {
    name: "no iat",
    code: "ERR_TOKEN_CLAIMS",
    make: (w) =>
      forge(w, w.rootToken, (c) => {
        delete c.iat;
      }),
  },
  {
    name: "exp that is a string",
    code: "ERR_TOKEN_CLAIMS",
    make: (w) =>
      forge(w, w.rootToken, (c) => {
        (c as Record<string, unknown>).exp = String(c.exp);
      }),
  },
  {
    name: "iat that is a string (malformed, not 'not yet valid')",
    code: "ERR_TOKEN_CLAIMS",
    make: (w) =>
      forge(w, w.rootToken, (c) => {
        (c as Record<string, unknown>).iat = String(c.iat);
      }),
  },

  // Issuer.
  {
    name: "an issuer outside the configured issuers",
    code: "ERR_TOKEN_ISSUER",
    make: (w) =>
      forge(w, w.rootToken, (c) => {
        c.iss = "https://evil.example";
      }),
  },
  {
    name: "no issuer while issuers are configured",
    code: "ERR_TOKEN_ISSUER",
    make: (w) =>
      forge(w, w.rootToken, (c) => {
        delete c.iss;
      }),
  },

  // Claims (re-signed with the trusted key).
  {
    name: "intent_digest that does not match the intent",
    code: "ERR_TOKEN_CLAIMS",
    make: (w) =>
      forge(
        w,
        w.rootToken,
        (c) => {
          c.mandate.intent.purpose = "exfiltrate everything";
        },
        { digest: false },
      ),
  },
  {
    name: "sub that is not the last path element",
    code: "ERR_TOKEN_CLAIMS",
    make: (w) =>
      forge(w, w.rootToken, (c) => {
        c.sub = w.other.id;
      }),
  },
  {
    name: "jti that is not the last path element",
    code: "ERR_TOKEN_CLAIMS",
    make: (w) =>
      forge(w, w.rootToken, (c) => {
        c.jti = w.other.id;
      }),
  },
  {
    name: "no mandate claim",
    code: "ERR_TOKEN_CLAIMS",
    make: (w) => {
      const { mandate: _dropped, ...rest } = claimsOf(w.rootToken);
      return sign(rest, ctxHeader(w), w.ed.privateKey);
    },
  },
  {
    name: "a mandate claim without the identity",
    code: "ERR_TOKEN_CLAIMS",
    make: (w) =>
      forge(w, w.rootToken, (c) => {
        delete c.mandate.identity;
      }),
  },
  {
    name: "a mandate claim with an extra key",
    code: "ERR_TOKEN_CLAIMS",
    make: (w) =>
      forge(w, w.rootToken, (c) => {
        c.mandate.ceiling = [{ action: "**", resource: "**" }];
      }),
  },
  {
    name: "a mandate claim of another version",
    code: "ERR_TOKEN_CLAIMS",
    make: (w) =>
      forge(w, w.rootToken, (c) => {
        c.mandate.v = 2;
      }),
  },
  {
    name: "a path that is a string",
    code: "ERR_TOKEN_CLAIMS",
    make: (w) =>
      forge(w, w.rootToken, (c) => {
        c.mandate.path = w.root.id;
      }),
  },
  {
    name: "a scope that is not an array",
    code: "ERR_TOKEN_CLAIMS",
    make: (w) =>
      forge(w, w.rootToken, (c) => {
        (c.mandate.intent as Record<string, unknown>).scope = { action: "**", resource: "**" };
      }),
  },
  {
    name: "an identity with an extra key (ceiling smuggling)",
    code: "ERR_TOKEN_CLAIMS",
    make: (w) =>
      forge(w, w.rootToken, (c) => {
        c.mandate.identity = { ...(c.mandate.identity as object), admin: true };
      }),
  },

  // Chains.
  {
    name: "a child whose act.sub names another context",
    code: "ERR_TOKEN_CHAIN",
    make: (w) =>
      forge(w, w.childToken, (c) => {
        if (c.act) c.act.sub = w.other.id;
      }),
  },
  {
    name: "a child embedding an unrelated root's token (path mismatch)",
    code: "ERR_TOKEN_CHAIN",
    make: (w) =>
      forge(w, w.childToken, (c) => {
        c.act = { ...c.act, sub: w.other.id, "mandate:token": w.otherToken };
      }),
  },
  {
    name: "a child whose intent.parent does not name the parent's intent",
    code: "ERR_TOKEN_CHAIN",
    make: (w) =>
      forge(w, w.childToken, (c) => {
        c.mandate.intent.parent = w.other.intent.id;
      }),
  },
  {
    name: "a root that claims a parent intent",
    code: "ERR_TOKEN_CHAIN",
    make: (w) =>
      forge(w, w.rootToken, (c) => {
        c.mandate.intent.parent = newId(T0);
      }),
  },
  {
    name: "a delegated link (path of two) without act",
    code: "ERR_TOKEN_CHAIN",
    make: (w) =>
      forge(w, w.childToken, (c) => {
        delete c.act;
      }),
  },
  {
    name: "a delegated link whose act carries no parent token",
    code: "ERR_TOKEN_CHAIN",
    make: (w) =>
      forge(w, w.childToken, (c) => {
        if (c.act) delete c.act["mandate:token"];
      }),
  },
  {
    name: "a root (path of one) that embeds a parent token",
    code: "ERR_TOKEN_CHAIN",
    make: (w) =>
      forge(w, w.rootToken, (c) => {
        c.act = { sub: w.other.id, "mandate:token": w.otherToken };
      }),
  },

  // Attenuation (children re-signed with the trusted issuer key).
  {
    name: "a child that widens its parent's scope",
    code: "ERR_TOKEN_WIDENED",
    make: (w) =>
      forge(w, w.childToken, (c) => {
        c.mandate.intent.scope.push({ action: "web.search", resource: "web/search" });
      }),
  },
  {
    name: "a child that widens a data class (employee.salary)",
    code: "ERR_TOKEN_WIDENED",
    make: (w) =>
      forge(w, w.childToken, (c) => {
        c.mandate.intent.scope = [{ action: "db.read", resource: "crm/**", data: ["employee.salary"] }];
      }),
  },
  {
    name: "a child raising limits.calls above the parent's",
    code: "ERR_TOKEN_WIDENED",
    make: (w) =>
      forge(w, w.childToken, (c) => {
        c.mandate.intent.limits.calls = 1000;
      }),
  },
  {
    name: "a child dropping the parent's calls limit",
    code: "ERR_TOKEN_WIDENED",
    make: (w) =>
      forge(w, w.childToken, (c) => {
        delete c.mandate.intent.limits.calls;
      }),
  },
  {
    name: "a child outliving its parent's exp",
    code: "ERR_TOKEN_WIDENED",
    make: (w) =>
      forge(w, w.childToken, (c) => {
        c.exp = (decodeJwt(w.rootToken).exp as number) + 600;
      }),
  },
  {
    name: "a child relaxing enforce to monitor",
    code: "ERR_TOKEN_WIDENED",
    make: (w) =>
      forge(w, w.childToken, (c) => {
        c.mandate.intent.mode = "monitor";
      }),
  },

  // Depth (the shared verifier has maxDepth 2).
  { name: "a genuine chain three links deep", code: "ERR_TOKEN_DEPTH", make: (w) => w.deepToken },
  {
    name: "a single link whose path claims depth 3",
    code: "ERR_TOKEN_DEPTH",
    make: (w) =>
      forge(w, w.rootToken, (c) => {
        const path = [w.root.id, newId(T0), newId(T0), newId(T0)];
        c.mandate.path = path;
        c.sub = path[3];
        c.jti = path[3];
      }),
  },

  // Revocation (each with a verifier of its own).
  {
    name: "a leaf whose root was revoked after the leaf was issued",
    code: "ERR_TOKEN_REVOKED",
    make: (w) => w.childToken,
    verifier: async (w) => {
      const v = verifierFor(w);
      await v.revoke(w.root.id, "compromised");
      return v;
    },
  },
  {
    name: "a revoked leaf",
    code: "ERR_TOKEN_REVOKED",
    make: (w) => w.childToken,
    verifier: async (w) => {
      const v = verifierFor(w);
      await v.revoke(w.child.id, "compromised");
      return v;
    },
  },
  {
    name: "a leaf whose middle link was revoked",
    code: "ERR_TOKEN_REVOKED",
    make: (w) => w.grandchildToken,
    verifier: async (w) => {
      const v = verifierFor(w);
      await v.revoke(w.child.id, "compromised");
      return v;
    },
  },
  {
    name: "replayed after revocation (verified once, then served from the cache)",
    code: "ERR_TOKEN_REVOKED",
    make: (w) => w.childToken,
    verifier: async (w) => {
      const v = verifierFor(w);
      await v.verifyContextToken(w.childToken);
      await v.revoke(w.root.id, "compromised");
      return v;
    },
  },

  // Identity tokens.
  {
    name: "a context token as an identity token",
    code: "ERR_TOKEN_TYPE",
    via: "identity",
    make: (w) => w.rootToken,
  },
  {
    name: "an identity token signed by an attacker under the trusted kid",
    code: "ERR_TOKEN_SIGNATURE",
    via: "identity",
    make: (w) => sign(decodeJwt(w.identityToken), headerOf(w.identityToken), w.attackerEd.privateKey),
  },
  {
    name: "an identity token whose sub is another instance",
    code: "ERR_TOKEN_CLAIMS",
    via: "identity",
    make: (w) =>
      sign({ ...decodeJwt(w.identityToken), sub: newId(T0) }, headerOf(w.identityToken), w.ed.privateKey),
  },
  {
    name: "an identity token with a malformed mandate_identity",
    code: "ERR_TOKEN_CLAIMS",
    via: "identity",
    make: (w) =>
      sign(
        { ...decodeJwt(w.identityToken), mandate_identity: { ...w.identity, roles: "admin" } },
        headerOf(w.identityToken),
        w.ed.privateKey,
      ),
  },
  {
    name: "an identity token with alg none",
    code: "ERR_TOKEN_ALG",
    via: "identity",
    make: (w) => `${enc({ ...headerOf(w.identityToken), alg: "none" })}.${parts(w.identityToken).p}.`,
  },
  {
    name: "an expired identity token",
    code: "ERR_TOKEN_EXPIRED",
    via: "identity",
    make: (w) => w.identityToken,
    verifier: async (w) => verifierFor(w, { now: T0 + 2 * HOUR }),
  },

  // Security event tokens (CAEP session-revoked).
  {
    name: "a SET signed by an untrusted key",
    code: "ERR_TOKEN_KID",
    via: "event",
    make: (w) =>
      sign(
        setClaims(),
        { alg: "EdDSA", kid: w.attackerEd.publicJwk.kid, typ: SET_TYPE },
        w.attackerEd.privateKey,
      ),
  },
  {
    name: "a SET under the trusted kid signed by an attacker",
    code: "ERR_TOKEN_SIGNATURE",
    via: "event",
    make: (w) => sign(setClaims(), { alg: "EdDSA", kid: w.ed.kid, typ: SET_TYPE }, w.attackerEd.privateKey),
  },
  {
    name: "a SET carrying another event type",
    code: "ERR_TOKEN_CLAIMS",
    via: "event",
    make: (w) => {
      const claims = setClaims();
      const subject = claims.sub_id;
      claims.events = {
        "https://schemas.openid.net/secevent/caep/event-type/credential-change": {
          subject,
          credential_type: "password",
          change_type: "update",
        },
      };
      return sign(claims, { alg: "EdDSA", kid: w.ed.kid, typ: SET_TYPE }, w.ed.privateKey);
    },
  },
  {
    name: "a SET without a subject",
    code: "ERR_TOKEN_CLAIMS",
    via: "event",
    make: (w) => {
      const { sub_id: _dropped, ...claims } = setClaims();
      claims.events = { [CAEP_SESSION_REVOKED]: { event_timestamp: SEC, initiating_entity: "admin" } };
      return sign(claims, { alg: "EdDSA", kid: w.ed.kid, typ: SET_TYPE }, w.ed.privateKey);
    },
  },
  {
    name: "a SET whose subject id is empty",
    code: "ERR_TOKEN_CLAIMS",
    via: "event",
    make: (w) => {
      const subject = { format: "opaque", id: "" };
      const claims = setClaims({ sub_id: subject });
      claims.events = { [CAEP_SESSION_REVOKED]: { subject, event_timestamp: SEC } };
      return sign(claims, { alg: "EdDSA", kid: w.ed.kid, typ: SET_TYPE }, w.ed.privateKey);
    },
  },
  {
    name: "a SET without jti",
    code: "ERR_TOKEN_CLAIMS",
    via: "event",
    make: (w) => {
      const { jti: _dropped, ...claims } = setClaims();
      return sign(claims, { alg: "EdDSA", kid: w.ed.kid, typ: SET_TYPE }, w.ed.privateKey);
    },
  },
  {
    name: "a SET with typ JWT",
    code: "ERR_TOKEN_TYPE",
    via: "event",
    make: (w) => sign(setClaims(), { alg: "EdDSA", kid: w.ed.kid, typ: "JWT" }, w.ed.privateKey),
  },
  {
    name: "a SET from an issuer outside the configured issuers",
    code: "ERR_TOKEN_ISSUER",
    via: "event",
    make: (w) =>
      sign(
        setClaims({ iss: "https://evil.example" }),
        { alg: "EdDSA", kid: w.ed.kid, typ: SET_TYPE },
        w.ed.privateKey,
      ),
  },
  {
    name: "a SET issued an hour in the future (iat)",
    code: "ERR_TOKEN_NOT_YET_VALID",
    via: "event",
    make: (w) =>
      sign(setClaims({ iat: SEC + 3600 }), { alg: "EdDSA", kid: w.ed.kid, typ: SET_TYPE }, w.ed.privateKey),
  },
  { name: "a context token as a SET", code: "ERR_TOKEN_TYPE", via: "event", make: (w) => w.childToken },
  {
    name: "a SET with alg none",
    code: "ERR_TOKEN_ALG",
    via: "event",
    make: (w) => `${enc({ ...headerOf(w.setToken), alg: "none" })}.${parts(w.setToken).p}.`,
  },
];

// ---- running it -------------------------------------------------------------------------------

async function present(v: Mandate, via: Via, token: unknown): Promise<unknown> {
  try {
    if (via === "identity") await v.verifyIdentityToken(token as string);
    else if (via === "event") await v.acceptSecurityEvent(token as string);
    else await v.verifyContextToken(token as string);
  } catch (err) {
    return err;
  }
  return undefined;
}

/** The codes docs/tokens.md documents, read from its table. */
function documentedCodes(): Set<string> {
  const doc = readFileSync(new URL("../../../docs/tokens.md", import.meta.url), "utf8");
  return new Set([...doc.matchAll(/^\| `(ERR_TOKEN_[A-Z_]+)` \|/gm)].map((m) => m[1] as string));
}

let w: World;

beforeAll(async () => {
  const ed = await generateSigningKey("EdDSA", "issuer-ed");
  const es = await generateSigningKey("ES256", "issuer-es");
  const now = () => T0;
  const issuer = createMandate({ roles, tools, now, tokens: { signing: ed, issuer: ISS } });
  const esIssuer = createMandate({ roles, tools, now, tokens: { signing: es, issuer: ISS } });
  const root = await issuer.declare(bot, rootIntent);
  const child = await root.delegate(worker, childIntent);
  const grandchild = await child.delegate(worker, childIntent);
  const deep = await grandchild.delegate(worker, childIntent);
  const other = await issuer.declare(bot, rootIntent);
  const identity = issuer.identity(bot);
  const partial: Omit<World, "verifier"> = {
    ed,
    es,
    issuer,
    esIssuer,
    root,
    child,
    grandchild,
    other,
    rootToken: await root.token(),
    childToken: await child.token(),
    grandchildToken: await grandchild.token(),
    deepToken: await deep.token(),
    otherToken: await other.token(),
    identity,
    identityToken: await issuer.issueIdentityToken(identity),
    setToken: await issuer.issueSessionRevoked(newId(T0), { reason: "genuine, unrelated" }),
    attackerEd: await attackerKey("EdDSA"),
    attackerEs: await attackerKey("ES256"),
    attackerRsa: await attackerKey("RS256"),
  };
  w = { ...partial, verifier: verifierFor(partial as World) };
});

describe("positive controls", () => {
  it("the genuine tokens verify and rebuild the context they carry", async () => {
    const remote = await w.verifier.verifyContextToken(w.childToken);

    expect(remote).not.toBe(w.child);
    expect(remote.id).toBe(w.child.id);
    expect(remote.path).toEqual([w.root.id, w.child.id]);
    expect(remote.parent?.id).toBe(w.root.id);
    expect(remote.intent).toEqual(w.child.intent);
    expect(remote.identity).toEqual(w.child.identity);
    expect(remote.expiresAt).toBe((decodeJwt(w.childToken).exp as number) * 1000);
    expect((await w.verifier.verifyContextToken(w.grandchildToken)).depth).toBe(2);
    expect(await w.verifier.verifyIdentityToken(w.identityToken)).toEqual(w.identity);
  });

  it("ES256 keys work as well as EdDSA", async () => {
    const root = await w.esIssuer.declare(bot, rootIntent);
    const child = await root.delegate(worker, childIntent);
    const token = await child.token();

    expect(decodeProtectedHeader(token)).toEqual({ alg: "ES256", kid: w.es.kid, typ: CONTEXT_TOKEN_TYPE });
    const remote = await w.verifier.verifyContextToken(token);
    expect(remote.path).toEqual([root.id, child.id]);
    expect(remote.check({ tool: "lookup", args: { table: "customers", columns: ["name"] } }).effect).toBe(
      "allow",
    );
  });

  it("a context rebuilt by a Mandate trusting only the issuer's jwks() decides exactly like the original", async () => {
    const root = await w.issuer.declare(bot, rootIntent);
    const child = await root.delegate(worker, childIntent);
    const elsewhere = createMandate({ roles, tools, now: () => T0, tokens: { trusted: [w.issuer.jwks()] } });
    const remote = await elsewhere.verifyContextToken(await child.token());

    const calls = [
      { tool: "lookup", args: { table: "customers", columns: ["name"] } },
      { tool: "lookup", args: { table: "customers", columns: ["email"] } },
      { tool: "lookup", args: { table: "employees", columns: ["salary"] } },
      { tool: "ping", args: { host: "a" } },
      { tool: "search", args: { q: "x" } },
      { tool: "translate", args: { text: "x" } },
      { tool: "nope", args: {} },
      // Five allowed calls exhaust the child's limit of 5: the sixth is denied on both sides.
      ...Array.from({ length: 5 }, () => ({
        tool: "lookup",
        args: { table: "customers", columns: ["name"] },
      })),
    ];
    const summary = (ctx: AgentContext) =>
      calls.map((call) => {
        const d = ctx.check(call);
        return [call.tool, d.effect, d.reasons.map((r) => r.code)];
      });
    const here = summary(child);
    expect(summary(remote)).toEqual(here);
    expect(here.filter(([, effect]) => effect === "allow")).toHaveLength(5);
    expect(here.at(-1)).toEqual(["lookup", "deny", ["limit.calls"]]);

    // And the guard runs or refuses the function the same way.
    const fresh = await elsewhere.verifyContextToken(
      await (await root.delegate(worker, childIntent)).token(),
    );
    const run = fresh.guard(lookup, runLookup);
    expect(await run({ table: "customers", columns: ["name"] })).toEqual([
      { name: "Ada Lovelace" },
      { name: "Alan Turing" },
    ]);
    await expect(run({ table: "employees", columns: ["salary"] })).rejects.toBeInstanceOf(DeniedError);
  });
});

describe("crafted tokens", () => {
  it(`the table holds at least 40 attacks (${attacks.length})`, () => {
    expect(attacks.length).toBeGreaterThanOrEqual(40);
    expect(new Set(attacks.map((a) => a.name)).size).toBe(attacks.length);
  });

  it("every expected code is a documented ERR_TOKEN_* code, and every documented code is exercised", () => {
    const documented = documentedCodes();
    const used = new Set(attacks.map((a) => a.code));
    expect(documented.size).toBe(13);
    for (const code of used) expect(documented, code).toContain(code);
    for (const code of documented) expect(used, code).toContain(code);
  });

  for (const attack of attacks) {
    it(`${attack.via ?? "context"}: ${attack.name} → ${attack.code}`, async () => {
      const verifier = attack.verifier ? await attack.verifier(w) : w.verifier;
      const token = await attack.make(w);

      const err = await present(verifier, attack.via ?? "context", token);

      expect(err, "the token was accepted").toBeInstanceOf(MandateError);
      expect((err as MandateError).code, (err as Error).message).toBe(attack.code);
    });
  }

  it("after every attack the shared verifier still accepts the genuine token", async () => {
    const remote = await w.verifier.verifyContextToken(w.childToken);
    expect(remote.id).toBe(w.child.id);
    expect(remote.check({ tool: "lookup", args: { table: "customers", columns: ["name"] } }).effect).toBe(
      "allow",
    );
  });
});
