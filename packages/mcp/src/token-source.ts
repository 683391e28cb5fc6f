import type { ServerExtra } from "./in-flight.js";
import { CONTEXT_TOKEN_META } from "./meta.js";

/** Finds the caller's context token in a request. */
export type TokenSource = (extra: ServerExtra) => string | undefined;

/**
 * The default token source: the request's `_meta["dev.mandate/context-token"]` (any transport,
 * stdio included), else the bearer token the transport authenticated (`extra.authInfo.token`, set
 * when an auth middleware put `req.auth`), else an `Authorization: Bearer` header of a streamable
 * HTTP request.
 */
export const defaultTokenSource: TokenSource = (extra) => {
  const meta = extra._meta?.[CONTEXT_TOKEN_META];
  if (typeof meta === "string" && meta !== "") return meta;
  const auth = extra.authInfo?.token;
  if (typeof auth === "string" && auth !== "") return auth;
  const header = extra.requestInfo?.headers?.authorization;
  const value = Array.isArray(header) ? header[0] : header;
  if (typeof value === "string") {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(value);
    if (m) return m[1];
  }
  return undefined;
};

/**
 * The `sub` claim of a compact JWT, read WITHOUT verifying it. Only used after verification failed
 * with `ERR_TOKEN_REVOKED`, which core reports only once every signature of the chain has verified.
 */
export function unverifiedSubject(jwt: string): string | undefined {
  const part = jwt.split(".")[1];
  if (part === undefined) return undefined;
  try {
    const base64 = part.replace(/-/g, "+").replace(/_/g, "/");
    const json = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))));
    return typeof json?.sub === "string" ? json.sub : undefined;
  } catch {
    return undefined;
  }
}
