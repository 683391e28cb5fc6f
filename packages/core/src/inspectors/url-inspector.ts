import { type Inspector, uninspectable } from "../access.js";

/** Options for {@link urlInspector}. */
export interface UrlInspectorOptions {
  /** Name of the argument that holds the URL. Default `"url"`. */
  readonly field?: string;
  /**
   * The HTTP method the call uses: either a fixed method (`"POST"`), or `{ field }` naming the
   * argument that holds it. When the argument is absent, `default` is used if given, otherwise the
   * call is uninspectable. A method must be a token of ASCII letters; it is normalised to upper
   * case. Default: fixed `"GET"`.
   */
  readonly method?: string | { readonly field: string; readonly default?: string };
  /**
   * Maps the (upper-case) method to the access action. Default: `http.<lower-case method>`, e.g.
   * `http.get`. When the method itself cannot be read, the uninspectable access carries the action
   * for method `"REQUEST"` (`http.request` by default).
   */
  readonly action?: (method: string) => string;
  /**
   * Schemes the tool may use, without the colon. Only WHATWG "special" schemes with a host are
   * accepted (`https`, `http`, `wss`, `ws`, `ftp`); the factory throws on any other. Default
   * `["https", "http"]`.
   */
  readonly schemes?: readonly string[];
}

const SUPPORTED_SCHEMES = new Set(["https", "http", "wss", "ws", "ftp"]);
const METHOD_TOKEN = /^[A-Za-z]{1,32}$/;
/** `scheme://authority` at the very start of the raw input; authority ends at `/`, `?` or `#`. */
const RAW_PREFIX = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/;
/** C0 controls, space, DEL, C1 controls, backslash and the Unicode line/paragraph separators. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const FORBIDDEN_RAW = /[\u0000-\u0020\u007f-\u009f\\\u2028\u2029]/;
/** IDNA deviation characters: IDNA2003 (transitional) and IDNA2008 map them to different hosts. */
const IDNA_DEVIATIONS = /[\u00df\u03c2\u200c\u200d]/;
const DOTTED_IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const IPV4_MAPPED_IPV6 = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/;
const DNS_LABEL = /^[a-z0-9_-]+$/;
const HEX = /^[0-9A-Fa-f]{2}$/;
/** RFC 3986 unreserved characters: percent-encoded forms of these are decoded. */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
/** Other characters RFC 3986 allows raw in a path (sub-delims, `:`, `@`, `/`): kept as written. */
const PATH_RAW_OK = /^[!$&'()*+,;=:@/]$/;

/**
 * Inspects a tool that makes one HTTP(S) request to a URL found in its arguments.
 *
 * The access's resource is the canonical `scheme://host[:port]/path` of the URL, so that a scope
 * pattern such as `https://api.example.com/v1/**` cannot be bypassed by another spelling of the
 * same target:
 *
 * - the URL is parsed with WHATWG `URL`: the host is lower-cased, IDN hosts become punycode,
 *   numeric IPv4 spellings (`0x7f.1`, `2130706433`) become dotted decimal, IPv6 is compressed,
 *   default ports are dropped and dot segments (also `%2e%2e`) are resolved;
 * - a trailing dot on the host is removed; an IPv4-mapped IPv6 host (`[::ffff:7f00:1]`) becomes
 *   the IPv4 address;
 * - in the path, escapes of unreserved characters are decoded (`%61` → `a`), other escapes get
 *   upper-case hex, and characters outside RFC 3986 `pchar` are percent-encoded;
 * - query and fragment are not part of the resource; they are reported in `facts`.
 *
 * The tool may use a different URL parser than WHATWG, so inputs that parsers are known to read
 * differently are uninspectable rather than canonicalised: backslashes, whitespace and control
 * characters anywhere, a missing `//` after the scheme, `@` or `%` in the authority, IPv4 parts with
 * a leading zero (octal to WHATWG and `inet_aton`, decimal to others), numeric hosts written with
 * non-ASCII digits, IDNA deviation characters (`ß`, `ς`, ZWJ, ZWNJ), encoded `/` or `\` in the path,
 * double-encoded escapes (`%252e`), malformed escapes, and dot segments hidden behind a `;`
 * parameter (`/..;/`). Credentials in the URL, empty hosts and empty host labels are uninspectable
 * too.
 *
 * `facts`: `{ method, host, port, path, query, fragment }` where `host` is the canonical host
 * without port, `port` a number or `null` for the scheme's default, `query` and `fragment` the raw
 * strings without `?`/`#` (or `null` when absent).
 *
 * @param options - see {@link UrlInspectorOptions}
 * @throws TypeError when the options themselves are invalid (at construction, never per call)
 */
export function urlInspector(options: UrlInspectorOptions = {}): Inspector<object> {
  const field = options.field ?? "url";
  const action = options.action ?? ((method: string) => `http.${method.toLowerCase()}`);
  const schemes = new Set((options.schemes ?? ["https", "http"]).map((s) => s.toLowerCase()));
  if (schemes.size === 0) throw new TypeError("urlInspector: `schemes` must not be empty");
  for (const scheme of schemes) {
    if (!SUPPORTED_SCHEMES.has(scheme)) {
      throw new TypeError(
        `urlInspector: unsupported scheme "${scheme}" (supported: ${[...SUPPORTED_SCHEMES].join(", ")})`,
      );
    }
  }
  const methodOption = options.method ?? "GET";
  if (typeof methodOption === "string" && !METHOD_TOKEN.test(methodOption)) {
    throw new TypeError(`urlInspector: invalid method "${methodOption}"`);
  }
  if (
    typeof methodOption === "object" &&
    methodOption.default !== undefined &&
    !METHOD_TOKEN.test(methodOption.default)
  ) {
    throw new TypeError(`urlInspector: invalid default method "${methodOption.default}"`);
  }

  const safeAction = (method: string): string => {
    try {
      const result = action(method);
      return typeof result === "string" && result !== "" ? result : "http.request";
    } catch {
      return "http.request";
    }
  };

  return (input) => {
    // Arguments arrive untyped from models and frameworks: every field is checked before use.
    const args = input as Record<string, unknown> | null;
    try {
      const record = isRecord(args) ? args : undefined;

      let method: string;
      if (typeof methodOption === "string") {
        method = methodOption.toUpperCase();
      } else {
        const raw = record !== undefined ? ownValue(record, methodOption.field) : undefined;
        if (raw === undefined && methodOption.default !== undefined) {
          method = methodOption.default.toUpperCase();
        } else if (typeof raw === "string" && METHOD_TOKEN.test(raw)) {
          method = raw.toUpperCase();
        } else {
          const reason =
            raw === undefined
              ? "the HTTP method is missing"
              : "the HTTP method must be a token of ASCII letters such as GET or POST";
          return [uninspectable(safeAction("REQUEST"), methodOption.field, reason)];
        }
      }

      const act = safeAction(method);
      if (record === undefined) return [uninspectable(act, field, "the arguments are not an object")];
      const result = canonicalUrl(ownValue(record, field), schemes);
      if (!result.ok) return [uninspectable(act, field, result.reason)];
      const { resource, host, port, path, query, fragment } = result.value;
      return [{ action: act, resource, data: [], facts: { method, host, port, path, query, fragment } }];
    } catch (error) {
      return [uninspectable("http.request", field, `inspection failed: ${String(error)}`)];
    }
  };
}

interface CanonicalUrl {
  resource: string;
  host: string;
  port: number | null;
  path: string;
  query: string | null;
  fragment: string | null;
}

type Result<T> = { ok: true; value: T } | { ok: false; reason: string };

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

function canonicalUrl(raw: unknown, schemes: ReadonlySet<string>): Result<CanonicalUrl> {
  if (typeof raw !== "string") {
    return fail(raw === undefined ? "the URL is missing" : `the URL must be a string, got ${typeOf(raw)}`);
  }
  if (FORBIDDEN_RAW.test(raw)) {
    return fail(
      "the URL contains whitespace, a control character or a backslash, which URL parsers read differently",
    );
  }
  const prefix = RAW_PREFIX.exec(raw);
  if (prefix === null) return fail("the URL must start with scheme://host");
  const rawScheme = (prefix[1] ?? "").toLowerCase();
  const rawAuthority = prefix[2] ?? "";
  if (!schemes.has(rawScheme)) {
    return fail(`the scheme "${rawScheme}" is not allowed (allowed: ${[...schemes].join(", ")})`);
  }
  if (rawAuthority === "") return fail("the URL must have a host right after scheme://");
  if (rawAuthority.includes("@")) return fail("the URL carries credentials (user info before @)");
  if (rawAuthority.includes("%")) return fail("the URL host contains percent-encoding");
  if (IDNA_DEVIATIONS.test(rawAuthority)) {
    return fail("the URL host contains an IDNA deviation character (ß, ς, ZWJ or ZWNJ)");
  }

  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail("the URL cannot be parsed");
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== rawScheme || !schemes.has(scheme)) return fail(`the scheme "${scheme}" is not allowed`);
  if (url.username !== "" || url.password !== "") return fail("the URL carries credentials");

  const host = canonicalHost(url.hostname, rawAuthority);
  if (!host.ok) return host;

  const path = canonicalPath(url.pathname);
  if (!path.ok) return path;

  const port = url.port === "" ? null : Number(url.port);
  const hostPort = port === null ? host.value : `${host.value}:${port}`;
  return {
    ok: true,
    value: {
      resource: `${scheme}://${hostPort}${path.value}`,
      host: host.value,
      port,
      path: path.value,
      query: url.search === "" ? null : url.search.slice(1),
      fragment: url.hash === "" ? null : url.hash.slice(1),
    },
  };
}

function canonicalHost(parsed: string, rawAuthority: string): Result<string> {
  if (parsed.startsWith("[")) {
    const mapped = IPV4_MAPPED_IPV6.exec(parsed);
    if (mapped === null) return { ok: true, value: parsed };
    const high = Number.parseInt(mapped[1] ?? "", 16);
    const low = Number.parseInt(mapped[2] ?? "", 16);
    return { ok: true, value: `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}` };
  }
  if (DOTTED_IPV4.test(parsed)) {
    // WHATWG recognised an IPv4 address. Reject spellings other parsers disagree on.
    const rawHost = rawAuthority.replace(/:[0-9]*$/, "").toLowerCase();
    if (!/^[\x21-\x7e]*$/.test(rawHost)) return fail("the IPv4 host is written with non-ASCII characters");
    const parts = rawHost.replace(/\.$/, "").split(".");
    if (parts.some((part) => /^0[0-9]/.test(part))) {
      return fail("the IPv4 host has a part with a leading zero (octal to some parsers, decimal to others)");
    }
    return { ok: true, value: parsed };
  }
  const host = parsed.endsWith(".") ? parsed.slice(0, -1) : parsed;
  if (host === "") return fail("the URL has an empty host");
  const labels = host.split(".");
  if (labels.some((label) => label === "")) return fail("the URL host has an empty label");
  if (!labels.every((label) => DNS_LABEL.test(label))) {
    return fail("the URL host contains characters not allowed in a DNS name");
  }
  return { ok: true, value: host };
}

/** Normalises the percent-encoding of a WHATWG pathname (dot segments are already resolved). */
function canonicalPath(pathname: string): Result<string> {
  let out = "";
  for (let i = 0; i < pathname.length; i++) {
    const ch = pathname[i] ?? "";
    if (ch === "%") {
      const hex = pathname.slice(i + 1, i + 3);
      if (!HEX.test(hex)) return fail("the URL path contains a malformed percent-escape");
      const byte = Number.parseInt(hex, 16);
      if (byte === 0x2f || byte === 0x5c) {
        return fail("the URL path contains an encoded slash or backslash (ambiguous segment boundary)");
      }
      if (byte === 0x00) return fail("the URL path contains an encoded NUL byte");
      if (byte === 0x25 && HEX.test(pathname.slice(i + 3, i + 5))) {
        return fail("the URL path contains a double-encoded escape (%25XX)");
      }
      const decoded = String.fromCharCode(byte);
      out += UNRESERVED.test(decoded) ? decoded : `%${hex.toUpperCase()}`;
      i += 2;
    } else if (UNRESERVED.test(ch) || PATH_RAW_OK.test(ch)) {
      out += ch;
    } else {
      // WHATWG leaves a few characters raw (`|`, `^`, `[`, `]`…); give them one spelling.
      for (const byte of new TextEncoder().encode(ch)) {
        out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
      }
    }
  }
  if (!out.startsWith("/")) return fail("the URL path is not absolute");
  for (const segment of out.split("/")) {
    const name = segment.split(";")[0];
    if (name === "." || name === "..") {
      return fail("the URL path contains a dot segment (possibly hidden behind a ;parameter)");
    }
  }
  return { ok: true, value: out };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reads an own property only: a polluted prototype must not supply an argument. */
function ownValue(record: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function typeOf(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
}
