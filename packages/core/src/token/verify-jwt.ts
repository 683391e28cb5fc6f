import {
  type CryptoKey,
  decodeProtectedHeader,
  errors,
  importJWK,
  type JWK,
  type JWTPayload,
  jwtVerify,
} from "jose";
import { MandateError, type MandateErrorCode } from "../errors.js";
import { ACCEPTED_ALGORITHMS, type JsonWebKeySet, type SigningAlgorithm } from "./signing-key.js";

const B64URL = /^[A-Za-z0-9_-]*$/;

/** The keys a verifier trusts, by `kid`, imported once. */
export class KeySet {
  private readonly jwks = new Map<string, JWK>();
  private readonly imported = new Map<string, Promise<CryptoKey | Uint8Array>>();

  constructor(sets: readonly JsonWebKeySet[]) {
    for (const set of sets) for (const jwk of set.keys) this.add(jwk);
  }

  /** Adds a public key. It must carry a `kid` and an accepted `alg`; private parts are refused. */
  add(jwk: JWK): void {
    if (typeof jwk.kid !== "string" || jwk.kid === "")
      throw new MandateError("ERR_INVALID_CONFIG", "a trusted key has no kid");
    if (!ACCEPTED_ALGORITHMS.includes(jwk.alg as SigningAlgorithm)) {
      throw new MandateError(
        "ERR_INVALID_CONFIG",
        `trusted key ${jwk.kid} has alg ${jwk.alg}; accepted: EdDSA, ES256`,
      );
    }
    if ("d" in jwk)
      throw new MandateError("ERR_INVALID_CONFIG", `trusted key ${jwk.kid} carries a private part`);
    const known = this.jwks.get(jwk.kid);
    if (known && JSON.stringify(known) !== JSON.stringify(jwk)) {
      throw new MandateError("ERR_INVALID_CONFIG", `two different trusted keys share kid ${jwk.kid}`);
    }
    this.jwks.set(jwk.kid, jwk);
  }

  /** The public keys, as a JWKS to publish. */
  toJSON(): JsonWebKeySet {
    return { keys: [...this.jwks.values()] };
  }

  get(kid: string): JWK | undefined {
    return this.jwks.get(kid);
  }

  key(kid: string, jwk: JWK): Promise<CryptoKey | Uint8Array> {
    let key = this.imported.get(kid);
    if (key === undefined) {
      key = importJWK(jwk, jwk.alg);
      this.imported.set(kid, key);
    }
    return key;
  }
}

/** What {@link verifyJwt} checks besides the signature. */
export interface JwtExpectations {
  /** The exact `typ` header, e.g. `mandate-ctx+jwt`. */
  readonly typ: string;
  /** Current time, epoch milliseconds. */
  readonly now: number;
  /** Leeway for `exp`, `nbf` and `iat`, in seconds (default 30). */
  readonly clockToleranceSec?: number;
  /** Accepted issuers; any when omitted. */
  readonly issuers?: readonly string[];
  /** Whether the token must carry an `exp` (default true). */
  readonly requireExp?: boolean;
}

function fail(code: MandateErrorCode, message: string, cause?: unknown): never {
  throw new MandateError(code, message, [], cause === undefined ? undefined : { cause });
}

/**
 * Verifies a compact JWT against a key set, failing closed with one specific code per attack:
 * malformed structure, `alg: none` or any algorithm outside EdDSA/ES256 or different from the
 * key's own (algorithm confusion), wrong `typ`, unknown `kid`, bad signature, expired, not yet
 * valid, untrusted issuer.
 */
export async function verifyJwt(jwt: unknown, keys: KeySet, expect: JwtExpectations): Promise<JWTPayload> {
  if (typeof jwt !== "string") fail("ERR_TOKEN_MALFORMED", "a token must be a string");
  const parts = jwt.split(".");
  if (parts.length !== 3 || parts.some((p) => !B64URL.test(p)) || parts[0] === "" || parts[1] === "") {
    fail("ERR_TOKEN_MALFORMED", "not a compact JWS (three base64url parts)");
  }
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jwt);
  } catch (err) {
    fail("ERR_TOKEN_MALFORMED", "the protected header is not base64url JSON", err);
  }
  if (typeof header.alg !== "string" || !ACCEPTED_ALGORITHMS.includes(header.alg as SigningAlgorithm)) {
    fail("ERR_TOKEN_ALG", `algorithm ${String(header.alg)} is not accepted (EdDSA, ES256 only)`);
  }
  if (header.typ !== expect.typ) fail("ERR_TOKEN_TYPE", `typ ${String(header.typ)} is not ${expect.typ}`);
  if (typeof header.kid !== "string") fail("ERR_TOKEN_KID", "the token names no kid");
  const jwk = keys.get(header.kid);
  if (jwk === undefined) fail("ERR_TOKEN_KID", `kid ${header.kid} is not trusted`);
  if (jwk.alg !== header.alg) {
    fail("ERR_TOKEN_ALG", `kid ${header.kid} is a ${jwk.alg} key; the token claims ${header.alg}`);
  }
  if (header.crit !== undefined) fail("ERR_TOKEN_MALFORMED", "critical header parameters are not supported");
  if (
    header.jku !== undefined ||
    header.jwk !== undefined ||
    header.x5u !== undefined ||
    header.x5c !== undefined
  ) {
    fail("ERR_TOKEN_MALFORMED", "keys named in the token header are never used");
  }
  const key = await keys.key(header.kid, jwk);
  try {
    const { payload } = await jwtVerify(jwt, key, {
      algorithms: [jwk.alg as string],
      typ: expect.typ,
      currentDate: new Date(expect.now),
      clockTolerance: expect.clockToleranceSec ?? 30,
      ...(expect.issuers ? { issuer: [...expect.issuers] } : {}),
      ...(expect.requireExp === false ? {} : { requiredClaims: ["exp", "iat"] }),
    });
    // jose checks iat against the clock only with maxTokenAge: a token from the future is refused here.
    if (
      typeof payload.iat === "number" &&
      payload.iat > expect.now / 1000 + (expect.clockToleranceSec ?? 30)
    ) {
      fail("ERR_TOKEN_NOT_YET_VALID", "the token was issued in the future (iat)");
    }
    return payload;
  } catch (err) {
    if (err instanceof MandateError) throw err;
    if (err instanceof errors.JWSSignatureVerificationFailed)
      fail("ERR_TOKEN_SIGNATURE", "the signature does not verify", err);
    if (err instanceof errors.JWTExpired) fail("ERR_TOKEN_EXPIRED", "the token has expired", err);
    if (err instanceof errors.JWTClaimValidationFailed) {
      if ((err.claim === "nbf" || err.claim === "iat") && err.reason === "check_failed") {
        fail("ERR_TOKEN_NOT_YET_VALID", `the token is not valid yet (${err.claim})`, err);
      }
      if (err.claim === "iss") fail("ERR_TOKEN_ISSUER", "the issuer is not trusted", err);
      fail("ERR_TOKEN_CLAIMS", `claim ${err.claim}: ${err.reason}`, err);
    }
    if (err instanceof errors.JOSEAlgNotAllowed) fail("ERR_TOKEN_ALG", "algorithm not allowed", err);
    fail("ERR_TOKEN_MALFORMED", err instanceof Error ? err.message : "the token does not parse", err);
  }
}
