import type { AgentContext } from "../context.js";
import { MandateError } from "../errors.js";
import type { RevocationStore } from "../revocation/revocation-store.js";
import type { AgentIdentity } from "../schema/identity.js";
import { type ChainLink, issueContextToken, verifyContextChain } from "./context-token.js";
import { issueIdentityToken, verifyIdentityToken } from "./identity-token.js";
import { issueSessionRevoked, type SessionRevoked, verifySessionRevoked } from "./security-event.js";
import type { JsonWebKeySet, SigningKey } from "./signing-key.js";
import { KeySet } from "./verify-jwt.js";

/** Token settings of a Mandate. */
export interface TokenOptions {
  /** The key this Mandate signs with. Without one it can verify tokens but not issue them. */
  readonly signing?: SigningKey;
  /** Public keys of other issuers to trust (this Mandate's own public key is always trusted). */
  readonly trusted?: readonly JsonWebKeySet[];
  /** `iss` of issued tokens (default `mandate`). */
  readonly issuer?: string;
  /** Issuers accepted when verifying (default: any issuer whose key is trusted). */
  readonly issuers?: readonly string[];
  /** Longest an issued token lives, whatever its context's expiry (default 1 h). */
  readonly maxTtlMs?: number;
  /** Leeway for token times, seconds (default 30). */
  readonly clockToleranceSec?: number;
  /** Verified context tokens kept (default 10,000; 0 turns the cache off). */
  readonly cacheSize?: number;
  /** When set, accepted security events must name this audience (`aud`). */
  readonly audience?: string;
}

interface Issued {
  readonly token: string;
  /** epoch ms */
  readonly exp: number;
}

/** What the token service needs from its Mandate. */
export interface TokenHost {
  readonly store: RevocationStore;
  now(): number;
  readonly maxDepth: number;
  /** Builds (or finds) the local contexts for verified links, root first; returns the last. */
  adopt(links: readonly ChainLink[]): AgentContext;
  /** Whether a context can act now: undefined, or why not. */
  stateOf(ctx: AgentContext): { code: string; message: string } | undefined;
}

/**
 * Issues and verifies identity and context tokens and CAEP security events for one Mandate, and
 * caches verified context tokens: one signature check per token, not per call. A cache hit is
 * re-checked against revocation and expiry on every use, so revoking any link invalidates it.
 */
export class TokenService {
  private readonly keys: KeySet;
  private readonly signing: SigningKey | undefined;
  private readonly issuer: string;
  private readonly issuers: readonly string[] | undefined;
  private readonly maxTtlMs: number;
  private readonly clockToleranceSec: number;
  private readonly cacheSize: number;
  private readonly audience: string | undefined;
  private readonly issued = new WeakMap<AgentContext, Issued>();
  private readonly verified = new Map<string, AgentContext>();
  private readonly host: TokenHost;

  constructor(host: TokenHost, options: TokenOptions = {}) {
    this.host = host;
    this.signing = options.signing;
    this.keys = new KeySet([
      ...(options.signing ? [{ keys: [options.signing.publicJwk] }] : []),
      ...(options.trusted ?? []),
    ]);
    this.issuer = options.issuer ?? "mandate";
    this.issuers = options.issuers;
    this.maxTtlMs = options.maxTtlMs ?? 3_600_000;
    this.clockToleranceSec = options.clockToleranceSec ?? 30;
    this.cacheSize = options.cacheSize ?? 10_000;
    this.audience = options.audience;
  }

  /** This Mandate's own public key, as a JWKS to publish (empty without a signing key). */
  jwks(): JsonWebKeySet {
    return { keys: this.signing ? [this.signing.publicJwk] : [] };
  }

  private key(): SigningKey {
    if (this.signing === undefined)
      throw new MandateError("ERR_NO_SIGNING_KEY", "this Mandate has no signing key (keys.signing)");
    return this.signing;
  }

  /** Remembers the token a context was rebuilt from, so it can be handed on unchanged. */
  remember(ctx: AgentContext, link: ChainLink): void {
    this.issued.set(ctx, { token: link.token, exp: link.expiresAt });
  }

  async contextToken(ctx: AgentContext): Promise<string> {
    const now = this.host.now();
    // Checked first: a context revoked after its token was issued gets no token, cached or not.
    const state = this.host.stateOf(ctx);
    if (state) throw new MandateError("ERR_CONTEXT_CLOSED", `no token for ${ctx.id}: ${state.message}`);
    const have = this.issued.get(ctx);
    // Reissue a little before expiry so a token handed out is never about to lapse.
    if (have !== undefined && have.exp - now > 60_000) return have.token;
    let parent: Issued | undefined;
    if (ctx.parent) {
      await this.contextToken(ctx.parent);
      parent = this.issued.get(ctx.parent);
    }
    // A link never outlives the link above it.
    const maxTtlMs = Math.min(this.maxTtlMs, (parent?.exp ?? Number.POSITIVE_INFINITY) - now);
    const token = await issueContextToken(ctx, parent?.token, {
      key: this.key(),
      issuer: this.issuer,
      now,
      maxTtlMs,
    });
    const exp = Math.floor(Math.min(ctx.expiresAt, now + maxTtlMs) / 1000) * 1000;
    this.issued.set(ctx, { token, exp });
    return token;
  }

  /**
   * Verifies a context token (offline: signatures, times, attenuation at every link, revocation of
   * every link) and returns the context it carries, rebuilt in this process.
   */
  verifyContext(jwt: unknown): Promise<AgentContext> {
    // The cache hit stays synchronous up to the returned promise: it is the per-call path.
    const hit = typeof jwt === "string" ? this.verified.get(jwt) : undefined;
    if (hit !== undefined) {
      const state = this.host.stateOf(hit);
      if (state === undefined || state.code === "context.paused") return Promise.resolve(hit);
      this.verified.delete(jwt as string);
      return Promise.reject(noLongerValid(state));
    }
    return this.verifyUncached(jwt);
  }

  private async verifyUncached(jwt: unknown): Promise<AgentContext> {
    const links = await verifyContextChain(jwt, {
      keys: this.keys,
      store: this.host.store,
      now: this.host.now(),
      maxDepth: this.host.maxDepth,
      clockToleranceSec: this.clockToleranceSec,
      ...(this.issuers ? { issuers: this.issuers } : {}),
    });
    const ctx = this.host.adopt(links);
    // Same answer as a cache hit would give: a context past its exp is expired, leeway or not.
    const state = this.host.stateOf(ctx);
    if (state !== undefined && state.code !== "context.paused") throw noLongerValid(state);
    if (this.cacheSize > 0) {
      if (this.verified.size >= this.cacheSize) {
        // Oldest first: Map iteration follows insertion order.
        const oldest = this.verified.keys().next().value;
        if (oldest !== undefined) this.verified.delete(oldest);
      }
      this.verified.set(jwt as string, ctx);
    }
    return ctx;
  }

  async identityToken(identity: AgentIdentity): Promise<string> {
    return issueIdentityToken(identity, {
      key: this.key(),
      issuer: this.issuer,
      now: this.host.now(),
      maxTtlMs: this.maxTtlMs,
    });
  }

  verifyIdentity(jwt: unknown): Promise<AgentIdentity> {
    return verifyIdentityToken(jwt, {
      keys: this.keys,
      now: this.host.now(),
      clockToleranceSec: this.clockToleranceSec,
      ...(this.issuers ? { issuers: this.issuers } : {}),
    });
  }

  async sessionRevoked(contextId: string, reason: string, audience?: string): Promise<string> {
    return issueSessionRevoked(contextId, reason, {
      key: this.key(),
      issuer: this.issuer,
      now: this.host.now(),
      ...(audience ? { audience } : {}),
    });
  }

  verifySessionRevoked(jwt: unknown): Promise<SessionRevoked> {
    return verifySessionRevoked(jwt, {
      ...(this.audience ? { audience: this.audience } : {}),
      keys: this.keys,
      now: this.host.now(),
      clockToleranceSec: this.clockToleranceSec,
      ...(this.issuers ? { issuers: this.issuers } : {}),
    });
  }
}

/** The error for a verified token whose context can no longer act: expired, or revoked (or stale). */
function noLongerValid(state: { code: string; message: string }): MandateError {
  const code = state.code === "context.expired" ? "ERR_TOKEN_EXPIRED" : "ERR_TOKEN_REVOKED";
  return new MandateError(code, `token no longer valid: ${state.message}`);
}
