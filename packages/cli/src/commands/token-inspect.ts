import {
  CHECKPOINT_TOKEN_TYPE,
  CONTEXT_TOKEN_TYPE,
  createMandate,
  IDENTITY_TOKEN_TYPE,
  type JsonWebKeySet,
  MandateError,
  type Scope,
  SET_TYPE,
  escapeTerminal as t,
} from "@mandate/core";
import { decodeJwt, decodeProtectedHeader, type JWTPayload, type ProtectedHeaderParameters } from "jose";
import { bool, onePositional, parse, strs } from "../args.js";
import { CliError, type CliIo, EXIT, useColor } from "../cli-io.js";
import { readKeySets, readText } from "../files.js";
import { type Paint, paint } from "../paint.js";

export const TOKEN_USAGE = `Usage: mandate token inspect <jwt | - | @file> [options]

Decodes a Mandate token (context, identity, security event or checkpoint) WITHOUT trusting it:
header, claims, and for a context token the delegation chain from its nested act claims. With
--keys, verifies it with Mandate's own verification and prints the verdict and ERR_TOKEN_* code.

  <jwt>                 the compact JWT; "-" reads it from stdin, "@path" from a file

Options:
  --keys <jwks.json>    the issuer's public keys (repeatable); the token is then verified
  --json                print the decoded token (and verdict) as JSON
  -h, --help            show this help

Exit codes: 0 decoded (and valid, given keys) · 1 the token does not verify · 2 usage or I/O error, not a JWT`;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const s = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

const KINDS: Readonly<Record<string, string>> = {
  [CONTEXT_TOKEN_TYPE]: "context token",
  [IDENTITY_TOKEN_TYPE]: "identity token",
  [SET_TYPE]: "security event token",
  [CHECKPOINT_TOKEN_TYPE]: "audit checkpoint",
};

/** One link of a delegation chain as decoded (not verified). */
interface DecodedLink {
  readonly contextId?: string;
  readonly agent?: { id?: string; name?: string; version?: string; sponsor?: string; roles?: string[] };
  readonly purpose?: string;
  readonly mode?: string;
  readonly scope?: unknown;
  readonly exp?: number;
  /** For a delegated link: who delegated, as its act claim says. */
  readonly delegatedBy?: { context?: string; agent?: string; sponsor?: string };
  readonly error?: string;
}

const MAX_CHAIN = 64;

function linkOf(payload: JWTPayload): DecodedLink {
  const m = isObj(payload.mandate) ? payload.mandate : {};
  const id = isObj(m.identity) ? m.identity : {};
  const intent = isObj(m.intent) ? m.intent : {};
  const act = isObj(payload.act) ? payload.act : undefined;
  const roles = Array.isArray(id.roles)
    ? id.roles.filter((r): r is string => typeof r === "string")
    : undefined;
  return {
    ...(s(payload.sub) !== undefined ? { contextId: s(payload.sub) } : {}),
    agent: {
      ...(s(id.id) !== undefined ? { id: s(id.id) } : {}),
      ...(s(id.name) !== undefined ? { name: s(id.name) } : {}),
      ...(s(id.version) !== undefined ? { version: s(id.version) } : {}),
      ...(s(id.sponsor) !== undefined ? { sponsor: s(id.sponsor) } : {}),
      ...(roles !== undefined ? { roles } : {}),
    },
    ...(s(intent.purpose) !== undefined ? { purpose: s(intent.purpose) } : {}),
    ...(s(intent.mode) !== undefined ? { mode: s(intent.mode) } : {}),
    ...(intent.scope !== undefined ? { scope: intent.scope } : {}),
    ...(typeof payload.exp === "number" ? { exp: payload.exp } : {}),
    ...(act
      ? {
          delegatedBy: {
            ...(s(act.sub) !== undefined ? { context: s(act.sub) } : {}),
            ...(s(act["mandate:agent"]) !== undefined ? { agent: s(act["mandate:agent"]) } : {}),
            ...(s(act["mandate:sponsor"]) !== undefined ? { sponsor: s(act["mandate:sponsor"]) } : {}),
          },
        }
      : {}),
  };
}

/** The delegation chain, root first, read from the nested `act["mandate:token"]` claims. */
function chainOf(payload: JWTPayload): DecodedLink[] {
  const links: DecodedLink[] = [linkOf(payload)];
  let act = isObj(payload.act) ? s(payload.act["mandate:token"]) : undefined;
  while (act !== undefined && links.length <= MAX_CHAIN) {
    try {
      const parent = decodeJwt(act);
      links.push(linkOf(parent));
      act = isObj(parent.act) ? s(parent.act["mandate:token"]) : undefined;
    } catch (err) {
      links.push({
        error: `an embedded parent token does not decode: ${err instanceof Error ? err.message : String(err)}`,
      });
      break;
    }
  }
  return links.reverse();
}

/** Claims for display: embedded parent tokens shortened (the chain shows them decoded). */
function displayClaims(payload: JWTPayload): JWTPayload {
  if (!isObj(payload.act)) return payload;
  const token = s(payload.act["mandate:token"]);
  if (token === undefined) return payload;
  return {
    ...payload,
    act: { ...payload.act, "mandate:token": `${token.slice(0, 24)}… (${token.length} chars)` },
  };
}

const ROLE = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

/** The verdict of core's verification, given keys. */
interface Verdict {
  readonly valid: boolean;
  readonly code?: string;
  readonly message: string;
}

/**
 * Verifies with Mandate's own verification (`verifyContextToken`, `verifyIdentityToken`,
 * `acceptSecurityEvent`) in a throwaway Mandate that trusts only the given keys. A verifying
 * service holds every link to its own roles; this tool has none, so each role a link names is
 * given an unbounded ceiling here — only signatures, times, claims, the chain and attenuation
 * decide, and the verdict says so.
 */
async function verify(
  jwt: string,
  typ: string | undefined,
  keys: JsonWebKeySet[],
  chain: DecodedLink[],
): Promise<Verdict> {
  if (typ === CHECKPOINT_TOKEN_TYPE) {
    return {
      valid: false,
      code: "UNSUPPORTED",
      message:
        "a checkpoint is verified with the trail it vouches for: mandate audit verify <file> --keys <jwks.json>",
    };
  }
  const roles: Record<string, Scope> = Object.create(null);
  for (const link of chain) {
    for (const r of link.agent?.roles ?? []) {
      if (ROLE.test(r) && r.length <= 128) roles[r] = [{ action: "**", resource: "**", data: ["**"] }];
    }
  }
  let mandate: ReturnType<typeof createMandate>;
  try {
    mandate = createMandate({ roles: { ...roles }, tokens: { trusted: keys, cacheSize: 0 } });
  } catch (err) {
    if (err instanceof MandateError)
      throw new CliError(`the keys are not usable: ${err.code}: ${err.message}`);
    throw err;
  }
  try {
    if (typ === IDENTITY_TOKEN_TYPE) {
      const identity = await mandate.verifyIdentityToken(jwt);
      return {
        valid: true,
        message: `identity ${identity.name} (${identity.id}): signature and times verified`,
      };
    }
    if (typ === SET_TYPE) {
      const event = await mandate.acceptSecurityEvent(jwt);
      return {
        valid: true,
        message: `session-revoked event for context ${event.contextId}: signature and times verified`,
      };
    }
    // Context tokens, and anything else (core then names what is wrong, e.g. ERR_TOKEN_TYPE).
    const ctx = await mandate.verifyContextToken(jwt);
    return {
      valid: true,
      message: `${ctx.path.length} link${ctx.path.length === 1 ? "" : "s"}: signatures, times, claims, chain and attenuation verified (the verifying service's own roles and revocation store are not known here)`,
    };
  } catch (err) {
    if (err instanceof MandateError) return { valid: false, code: err.code, message: err.message };
    return { valid: false, code: "ERR_UNKNOWN", message: err instanceof Error ? err.message : String(err) };
  } finally {
    await mandate.close();
  }
}

function when(sec: unknown, now: number): string {
  if (typeof sec !== "number" || !Number.isFinite(sec) || Math.abs(sec) > 8.64e12) return String(sec);
  const iso = new Date(sec * 1000).toISOString();
  const d = Math.round(sec - now / 1000);
  const span = (x: number) =>
    x < 120
      ? `${x} s`
      : x < 7200
        ? `${Math.round(x / 60)} min`
        : x < 172800
          ? `${Math.round(x / 3600)} h`
          : `${Math.round(x / 86400)} d`;
  return `${iso} (${d >= 0 ? `in ${span(d)}` : `${span(-d)} ago`})`;
}

function scopeText(scope: unknown): string[] {
  if (!Array.isArray(scope)) return [];
  return scope.filter(isObj).map((e) => {
    const data = Array.isArray(e.data) ? e.data.filter((d): d is string => typeof d === "string") : [];
    return `${t(s(e.action) ?? "?")} ${t(s(e.resource) ?? "?")}${data.length > 0 ? ` [${data.map(t).join(", ")}]` : ""}${e.where !== undefined ? ` where ${t(JSON.stringify(e.where))}` : ""}`;
  });
}

function indentJson(v: unknown): string {
  return JSON.stringify(v, null, 2)
    .split("\n")
    .map((l) => `  ${t(l)}`)
    .join("\n");
}

function render(
  header: ProtectedHeaderParameters,
  payload: JWTPayload,
  chain: DecodedLink[],
  verdict: Verdict | undefined,
  p: Paint,
): string {
  const now = Date.now();
  const out: string[] = [];
  const typ = s(header.typ);
  const label = (k: string, v: string) => out.push(`${k.padEnd(12)}${v}`);
  label(
    "token",
    `${t(typ ?? "(no typ)")}${typ !== undefined && KINDS[typ] ? ` — ${KINDS[typ]}` : ""}  alg ${t(String(header.alg))}  kid ${t(String(header.kid ?? "(none)"))}`,
  );
  if (payload.iss !== undefined) label("issuer", t(String(payload.iss)));
  if (payload.sub !== undefined) label("subject", t(String(payload.sub)));
  if (payload.iat !== undefined) label("issued", when(payload.iat, now));
  if (payload.nbf !== undefined) label("not before", when(payload.nbf, now));
  if (payload.exp !== undefined) {
    const expired = typeof payload.exp === "number" && payload.exp * 1000 < now;
    label("expires", expired ? p.yellow(`${when(payload.exp, now)} — expired`) : when(payload.exp, now));
  }
  if (typ === CONTEXT_TOKEN_TYPE || isObj(payload.mandate)) {
    const leaf = chain[chain.length - 1] ?? {};
    const a = leaf.agent ?? {};
    label(
      "agent",
      `${t(a.name ?? "?")}${a.version !== undefined ? `@${t(a.version)}` : ""}  id ${t(a.id ?? "?")}  sponsor ${t(a.sponsor ?? "?")}${a.roles ? `  roles ${a.roles.map(t).join(",")}` : ""}`,
    );
    label(
      "purpose",
      leaf.purpose !== undefined ? `"${t(leaf.purpose)}"${leaf.mode ? ` (${t(leaf.mode)} mode)` : ""}` : "?",
    );
    const scope = scopeText(leaf.scope);
    for (const [i, line] of scope.entries()) label(i === 0 ? "scope" : "", line);
    out.push("");
    out.push(
      `delegation chain (root first, from the nested act claims${verdict?.valid ? "" : "; NOT verified"}):`,
    );
    chain.forEach((link, i) => {
      const indent = "   ".repeat(i);
      if (link.error !== undefined) {
        out.push(`  ${indent}${p.red(`? ${t(link.error)}`)}`);
        return;
      }
      const ag = link.agent ?? {};
      out.push(
        `  ${indent}${i === 0 ? "" : "└─ "}${t(link.contextId ?? "?")}  ${t(ag.name ?? "?")}${ag.version !== undefined ? `@${t(ag.version)}` : ""} (sponsor ${t(ag.sponsor ?? "?")})  ${link.purpose !== undefined ? `"${t(link.purpose)}"` : ""}${link.exp !== undefined ? `  exp ${t(new Date(link.exp * 1000).toISOString())}` : ""}`,
      );
      if (link.delegatedBy !== undefined) {
        out.push(
          `  ${indent}   delegated by context ${t(link.delegatedBy.context ?? "?")}, agent ${t(link.delegatedBy.agent ?? "?")}, sponsor ${t(link.delegatedBy.sponsor ?? "?")}`,
        );
      }
    });
  } else if (isObj(payload.mandate_identity)) {
    const a = payload.mandate_identity;
    label(
      "agent",
      `${t(s(a.name) ?? "?")}@${t(s(a.version) ?? "?")}  id ${t(s(a.id) ?? "?")}  sponsor ${t(s(a.sponsor) ?? "?")}`,
    );
  }
  out.push("");
  out.push("header");
  out.push(indentJson(header));
  out.push("claims");
  out.push(indentJson(displayClaims(payload)));
  out.push("");
  if (verdict === undefined) {
    out.push(
      `verdict     ${p.yellow("NOT VERIFIED")} — decoded without trusting it; pass --keys <jwks.json> to verify`,
    );
  } else if (verdict.valid) {
    out.push(`verdict     ${p.green("VALID")} — ${t(verdict.message)}`);
  } else {
    out.push(`verdict     ${p.red("INVALID")} ${t(verdict.code ?? "")}: ${t(verdict.message)}`);
  }
  return `${out.join("\n")}\n`;
}

/** `mandate token inspect`. */
export async function tokenInspect(io: CliIo, args: readonly string[]): Promise<number> {
  const { values, positionals } = parse("token inspect", args, {
    keys: { type: "string", multiple: true },
    json: { type: "boolean" },
  });
  if (values.help) {
    io.stdout.write(`${TOKEN_USAGE}\n`);
    return EXIT.OK;
  }
  const arg = onePositional("token inspect", positionals, "jwt");
  const jwt = (
    arg === "-"
      ? await io.readStdin()
      : arg.startsWith("@")
        ? await readText(arg.slice(1), "token file")
        : arg
  ).trim();
  if (jwt === "") throw new CliError("token inspect: the token is empty");
  const keys = await readKeySets(strs(values.keys));

  let header: ProtectedHeaderParameters;
  let payload: JWTPayload;
  try {
    if (jwt.split(".").length !== 3) throw new Error("expected three base64url parts separated by dots");
    header = decodeProtectedHeader(jwt);
    payload = decodeJwt(jwt);
  } catch (err) {
    throw new CliError(
      `token inspect: not a compact JWT (ERR_TOKEN_MALFORMED): ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const chain = isObj(payload.mandate) ? chainOf(payload) : [];
  const verdict = keys.length > 0 ? await verify(jwt, s(header.typ), keys, chain) : undefined;
  const code =
    verdict === undefined || verdict.valid
      ? EXIT.OK
      : verdict.code === "UNSUPPORTED"
        ? EXIT.USAGE
        : EXIT.FAILED;
  if (bool(values.json)) {
    const result = {
      header,
      claims: payload,
      chain,
      verified: verdict === undefined ? null : verdict.valid,
      ...(verdict ? { verdict } : {}),
    };
    io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return code;
  }
  io.stdout.write(render(header, payload, chain, verdict, paint(useColor(io, "stdout"))));
  return code;
}
