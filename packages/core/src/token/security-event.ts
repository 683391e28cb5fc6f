import { SignJWT } from "jose";
import { z } from "zod";
import { MandateError } from "../errors.js";
import { newId } from "../ids.js";
import type { SigningKey } from "./signing-key.js";
import { type KeySet, verifyJwt } from "./verify-jwt.js";

/** `typ` of a Security Event Token (RFC 8417). */
export const SET_TYPE = "secevent+jwt";

/** The OpenID CAEP event type for a revoked session. */
export const CAEP_SESSION_REVOKED = "https://schemas.openid.net/secevent/caep/event-type/session-revoked";

const Subject = z.object({ format: z.string(), id: z.string().min(1) });

const SetClaims = z.object({
  iss: z.string(),
  jti: z.string().min(1),
  iat: z.number(),
  sub_id: Subject.optional(),
  events: z.record(z.string(), z.record(z.string(), z.unknown())),
});

/** A session-revoked event received from, or sent to, another party. */
export interface SessionRevoked {
  /** The context (session) revoked. */
  readonly contextId: string;
  /** Why, in the admin's words. */
  readonly reason: string;
  /** When it happened, epoch milliseconds. */
  readonly at: number;
  readonly issuer: string;
  /** The event token's id. */
  readonly jti: string;
}

/**
 * Issues an OpenID CAEP `session-revoked` Security Event Token for a context, so an identity
 * provider or another service can act on the revocation. The subject is the context id, as an
 * `opaque` subject identifier (RFC 9493), in `sub_id` and in the event.
 */
export async function issueSessionRevoked(
  contextId: string,
  reason: string,
  o: { key: SigningKey; issuer: string; now: number; audience?: string },
): Promise<string> {
  const subject = { format: "opaque", id: contextId };
  const jwt = new SignJWT({
    sub_id: subject,
    events: {
      [CAEP_SESSION_REVOKED]: {
        subject,
        event_timestamp: Math.floor(o.now / 1000),
        initiating_entity: "admin",
        reason_admin: { en: reason },
      },
    },
  })
    .setProtectedHeader({ alg: o.key.alg, kid: o.key.kid, typ: SET_TYPE })
    .setIssuer(o.issuer)
    .setJti(newId(o.now))
    .setIssuedAt(Math.floor(o.now / 1000));
  return (o.audience ? jwt.setAudience(o.audience) : jwt).sign(o.key.privateKey);
}

/**
 * Verifies a Security Event Token and extracts its CAEP `session-revoked` event. Tokens signed
 * with keys outside the trusted set, other event types, and subjects that do not name one context
 * are rejected.
 */
export async function verifySessionRevoked(
  jwt: unknown,
  o: {
    keys: KeySet;
    now: number;
    clockToleranceSec?: number;
    issuers?: readonly string[];
    audience?: string;
  },
): Promise<SessionRevoked> {
  const payload = await verifyJwt(jwt, o.keys, {
    typ: SET_TYPE,
    now: o.now,
    requireExp: false,
    ...(o.clockToleranceSec === undefined ? {} : { clockToleranceSec: o.clockToleranceSec }),
    ...(o.issuers === undefined ? {} : { issuers: o.issuers }),
  });
  const parsed = SetClaims.safeParse(payload);
  if (!parsed.success) throw new MandateError("ERR_TOKEN_CLAIMS", "not a Security Event Token");
  if (o.audience !== undefined) {
    const aud = payload.aud;
    if (!(aud === o.audience || (Array.isArray(aud) && aud.includes(o.audience)))) {
      throw new MandateError("ERR_TOKEN_CLAIMS", `the event is not addressed to ${o.audience} (aud)`);
    }
  }
  const event = parsed.data.events[CAEP_SESSION_REVOKED];
  if (event === undefined)
    throw new MandateError("ERR_TOKEN_CLAIMS", "the token carries no CAEP session-revoked event");
  const subject = Subject.safeParse(event.subject ?? parsed.data.sub_id);
  if (!subject.success) throw new MandateError("ERR_TOKEN_CLAIMS", "the event names no subject");
  const reason = (event.reason_admin as { en?: unknown } | undefined)?.en;
  const ts =
    typeof event.event_timestamp === "number" ? event.event_timestamp * 1000 : parsed.data.iat * 1000;
  return {
    contextId: subject.data.id,
    reason: typeof reason === "string" ? reason : "session revoked by an external party",
    at: ts,
    issuer: parsed.data.iss,
    jti: parsed.data.jti,
  };
}
