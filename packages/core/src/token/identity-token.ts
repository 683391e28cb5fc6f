import { SignJWT } from "jose";
import { MandateError } from "../errors.js";
import { AgentIdentity } from "../schema/identity.js";
import type { SigningKey } from "./signing-key.js";
import { type KeySet, verifyJwt } from "./verify-jwt.js";

/** `typ` of an identity token. */
export const IDENTITY_TOKEN_TYPE = "mandate-id+jwt";

/** Issues a signed identity token: `sub` is the instance id, `mandate_identity` the whole identity. */
export async function issueIdentityToken(
  identity: AgentIdentity,
  o: { key: SigningKey; issuer: string; now: number; maxTtlMs: number },
): Promise<string> {
  const iat = Math.floor(o.now / 1000);
  const exp = Math.floor(Math.min(identity.expiresAt ?? Number.POSITIVE_INFINITY, o.now + o.maxTtlMs) / 1000);
  return new SignJWT({ mandate_identity: identity })
    .setProtectedHeader({ alg: o.key.alg, kid: o.key.kid, typ: IDENTITY_TOKEN_TYPE })
    .setIssuer(o.issuer)
    .setSubject(identity.id)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(exp)
    .sign(o.key.privateKey);
}

/** Verifies an identity token and returns the identity it carries. */
export async function verifyIdentityToken(
  jwt: unknown,
  o: { keys: KeySet; now: number; clockToleranceSec?: number; issuers?: readonly string[] },
): Promise<AgentIdentity> {
  const payload = await verifyJwt(jwt, o.keys, {
    typ: IDENTITY_TOKEN_TYPE,
    now: o.now,
    ...(o.clockToleranceSec === undefined ? {} : { clockToleranceSec: o.clockToleranceSec }),
    ...(o.issuers === undefined ? {} : { issuers: o.issuers }),
  });
  const parsed = AgentIdentity.safeParse(payload.mandate_identity);
  if (!parsed.success || payload.sub !== parsed.data.id) {
    throw new MandateError("ERR_TOKEN_CLAIMS", "mandate_identity is malformed or does not match sub");
  }
  return parsed.data;
}
