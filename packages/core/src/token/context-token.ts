import { decodeJwt, type JWTPayload, SignJWT } from "jose";
import { z } from "zod";
import type { AgentContext } from "../context.js";
import { digestValue } from "../digest.js";
import { MandateError } from "../errors.js";
import type { RevocationStore } from "../revocation/revocation-store.js";
import { AgentIdentity } from "../schema/identity.js";
import { IntentDeclaration } from "../schema/intent.js";
import { scopeExcess } from "../scope/scope-includes.js";
import type { SigningKey } from "./signing-key.js";
import { type KeySet, verifyJwt } from "./verify-jwt.js";

/** `typ` of a context token. */
export const CONTEXT_TOKEN_TYPE = "mandate-ctx+jwt";

const ContextClaims = z.strictObject({
  v: z.literal(1),
  identity: AgentIdentity,
  intent: IntentDeclaration,
  /** Digest of the canonical intent: what a reviewer compares with the audit trail. */
  intent_digest: z.string(),
  /** Context ids from the root to this one. */
  path: z.array(z.string().min(1).max(64)).min(1).max(65),
});

const ActClaim = z.object({
  sub: z.string(),
  "mandate:token": z.string(),
});

/** One verified link of a delegation chain. */
export interface ChainLink {
  readonly id: string;
  readonly identity: AgentIdentity;
  readonly intent: IntentDeclaration;
  readonly path: readonly string[];
  /** The link's `exp`, epoch milliseconds. */
  readonly expiresAt: number;
  /** The link's own token, kept so the context can delegate further and hand the chain on. */
  readonly token: string;
}

/** Options of {@link issueContextToken}. */
export interface IssueOptions {
  readonly key: SigningKey;
  readonly issuer: string;
  /** Epoch milliseconds. */
  readonly now: number;
  /** Longest a token may live, whatever the context's own expiry (ms). */
  readonly maxTtlMs: number;
}

/**
 * Issues a context token: a JWT whose `mandate` claim carries the identity, the intent (scope,
 * limits, mode, prompt digest) and the path, and whose `act` claim names the delegating context and
 * embeds that context's own signed token (RFC 8693-style nesting: each `act` holds the previous
 * link's, down to the root). Every link is signed, so the chain verifies offline.
 */
export async function issueContextToken(
  ctx: AgentContext,
  parentToken: string | undefined,
  o: IssueOptions,
): Promise<string> {
  const iat = Math.floor(o.now / 1000);
  const exp = Math.floor(Math.min(ctx.expiresAt, o.now + o.maxTtlMs) / 1000);
  const claims: JWTPayload = {
    mandate: {
      v: 1,
      identity: ctx.identity,
      intent: ctx.intent,
      intent_digest: digestValue(ctx.intent),
      path: ctx.path,
    },
  };
  if (ctx.parent) {
    if (parentToken === undefined)
      throw new MandateError("ERR_TOKEN_CHAIN", "the parent context has no token");
    claims.act = {
      sub: ctx.parent.id,
      "mandate:agent": ctx.parent.identity.id,
      "mandate:sponsor": ctx.parent.identity.sponsor,
      "mandate:token": parentToken,
    };
  }
  return new SignJWT(claims)
    .setProtectedHeader({ alg: o.key.alg, kid: o.key.kid, typ: CONTEXT_TOKEN_TYPE })
    .setIssuer(o.issuer)
    .setSubject(ctx.id)
    .setJti(ctx.id)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(exp)
    .sign(o.key.privateKey);
}

/** What {@link verifyContextChain} needs. */
export interface ChainOptions {
  readonly keys: KeySet;
  readonly store: RevocationStore;
  readonly now: number;
  readonly maxDepth: number;
  readonly clockToleranceSec?: number;
  readonly issuers?: readonly string[];
}

function chainError(
  code: "ERR_TOKEN_CLAIMS" | "ERR_TOKEN_CHAIN" | "ERR_TOKEN_WIDENED",
  message: string,
): never {
  throw new MandateError(code, message);
}

/**
 * Verifies a context token and every link above it, offline: signatures, times, claim shapes,
 * that each link names its parent, that each link's scope, limits, expiry and mode lie within its
 * parent's, the depth, and the revocation state of every link through the store.
 *
 * The embedded parent tokens are unwrapped first (bounded by the depth limit) so that all
 * signatures are checked concurrently; nothing from a link is used before its own signature and
 * times have verified. When several links fail, the one nearest the leaf is reported.
 *
 * @returns the links, root first
 */
export async function verifyContextChain(jwt: unknown, o: ChainOptions): Promise<ChainLink[]> {
  const tokens: unknown[] = [jwt];
  for (let t = jwt; ; ) {
    const act = typeof t === "string" ? unverifiedAct(t) : undefined;
    if (act === undefined) break;
    if (tokens.length > o.maxDepth)
      throw new MandateError("ERR_TOKEN_DEPTH", `delegation chain deeper than ${o.maxDepth}`);
    tokens.push(act);
    t = act;
  }
  const expect = {
    typ: CONTEXT_TOKEN_TYPE,
    now: o.now,
    ...(o.clockToleranceSec === undefined ? {} : { clockToleranceSec: o.clockToleranceSec }),
    ...(o.issuers === undefined ? {} : { issuers: o.issuers }),
  };
  const settled = await Promise.allSettled(tokens.map((t) => verifyJwt(t, o.keys, expect)));
  for (const r of settled) if (r.status === "rejected") throw r.reason;
  const payloads = settled.map((r) => (r as PromiseFulfilledResult<JWTPayload>).value);

  // Leaf first in `tokens`; build the chain from the root down.
  const chain: ChainLink[] = [];
  for (let i = payloads.length - 1; i >= 0; i--) {
    const link = linkOf(payloads[i] as JWTPayload, tokens[i] as string, o.maxDepth);
    const parent = chain[chain.length - 1];
    if (parent === undefined) {
      if (link.path.length !== 1 || link.intent.parent !== undefined) {
        chainError("ERR_TOKEN_CHAIN", "the topmost link is not a root context");
      }
    } else {
      const act = ActClaim.safeParse((payloads[i] as JWTPayload).act);
      if (!act.success || act.data.sub !== parent.id || link.path[link.path.length - 2] !== parent.id) {
        chainError("ERR_TOKEN_CHAIN", "act.sub does not name the parent token's context");
      }
      if (parent.path.length !== link.path.length - 1 || parent.path.some((p, k) => p !== link.path[k])) {
        chainError("ERR_TOKEN_CHAIN", "the path does not extend the parent's path");
      }
      if (link.intent.parent !== parent.intent.id)
        chainError("ERR_TOKEN_CHAIN", "intent.parent does not name the parent's intent");
      attenuated(link, parent);
    }
    chain.push(link);
  }
  for (const link of chain) {
    const status = o.store.status(link.id);
    if (status?.state === "revoked")
      throw new MandateError("ERR_TOKEN_REVOKED", `context ${link.id} is revoked: ${status.reason}`);
  }
  return chain;
}

/** The parent token a context token embeds, read before verification only to find the next link. */
function unverifiedAct(jwt: string): string | undefined {
  try {
    const act = (decodeJwt(jwt) as { act?: unknown }).act;
    const token =
      act !== null && typeof act === "object" ? (act as Record<string, unknown>)["mandate:token"] : undefined;
    return typeof token === "string" ? token : undefined;
  } catch {
    return undefined; // the link's own verification reports what is wrong with it
  }
}

function linkOf(payload: JWTPayload, token: string, maxDepth: number): ChainLink {
  const parsed = ContextClaims.safeParse(payload.mandate);
  if (!parsed.success)
    chainError("ERR_TOKEN_CLAIMS", `malformed mandate claim: ${parsed.error.issues[0]?.message}`);
  const { identity, intent, intent_digest, path } = parsed.data;
  const id = path[path.length - 1] as string;
  if (payload.sub !== id || payload.jti !== id)
    chainError("ERR_TOKEN_CLAIMS", "sub and jti must name the last context of the path");
  if (digestValue(intent) !== intent_digest)
    chainError("ERR_TOKEN_CLAIMS", "intent_digest does not match the intent");
  if (path.length - 1 > maxDepth)
    throw new MandateError("ERR_TOKEN_DEPTH", `delegation chain deeper than ${maxDepth}`);
  if (path.length > 1 && payload.act === undefined)
    chainError("ERR_TOKEN_CHAIN", "a delegated context must carry its parent's token in act");
  return { id, identity, intent, path, expiresAt: (payload.exp as number) * 1000, token };
}

/** Each link may only narrow its parent: scope, static limits, expiry and mode. */
function attenuated(child: ChainLink, parent: ChainLink): void {
  const excess = scopeExcess(child.intent.scope, parent.intent.scope);
  if (excess) chainError("ERR_TOKEN_WIDENED", `link ${child.id} widens its parent: ${excess.message}`);
  const c = child.intent.limits;
  const p = parent.intent.limits;
  for (const k of ["calls", "budget", "perMinute"] as const) {
    const pv = p[k];
    if (pv === undefined) continue;
    const cv = c[k];
    if (cv === undefined || cv > pv)
      chainError("ERR_TOKEN_WIDENED", `link ${child.id} raises limits.${k} above its parent's ${pv}`);
  }
  if (child.expiresAt > parent.expiresAt)
    chainError("ERR_TOKEN_WIDENED", `link ${child.id} outlives its parent`);
  if (child.intent.mode === "monitor" && parent.intent.mode === "enforce") {
    chainError("ERR_TOKEN_WIDENED", `link ${child.id} relaxes an enforced parent to monitor mode`);
  }
}
