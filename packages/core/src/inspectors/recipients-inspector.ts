import { type Access, type Inspector, uninspectable } from "../access.js";

/** Options for {@link recipientsInspector}. */
export interface RecipientsInspectorOptions {
  /**
   * Names of the arguments that hold recipients. Each may be absent (or `null`), a string holding
   * one address or a comma-separated list, or an array of such strings. Default `["to", "cc", "bcc"]`.
   */
  readonly fields?: readonly string[];
  /** Action of every access. Default `"email.send"`. */
  readonly action?: string;
}

/** C0 controls, DEL, C1 controls and the Unicode line/paragraph separators. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/**
 * RFC 5322 dot-atom local part, minus `%` and `!`: some MTAs still route `user%evil.com@good.com`
 * (percent hack) or `evil!user@good.com` (bang path) to another host.
 */
const LOCAL_PART = /^[A-Za-z0-9#$&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9#$&'*+/=?^_`{|}~-]+)*$/;
/** An unquoted display name: atext, dots, spaces and non-ASCII letters; no `@ < > ( ) , ; : " [ ] \`. */
const PHRASE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\- \u00a0-\uffff]+$/;
/** ASCII characters a raw domain may contain; non-ASCII (IDN) is checked by the URL parser. */
const DOMAIN_ASCII = /^[A-Za-z0-9.\-\u0080-\uffff]+$/;
/** IDNA deviation characters: IDNA2003 (transitional) and IDNA2008 map them to different domains. */
const IDNA_DEVIATIONS = /[\u00df\u03c2\u200c\u200d]/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const DOTTED_IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/**
 * Inspects a tool that sends a message to e-mail recipients. Every distinct recipient becomes one
 * access with resource `mailto:<local>@<domain>`, e.g. `mailto:jane.doe@example.com`, which scope
 * patterns such as `mailto:*@example.com` match.
 *
 * Canonical form: the display name is dropped (`"a@good.com" <x@evil.com>` is `x@evil.com`, the
 * address the message really goes to); the domain is lower-cased, IDN domains become punycode and a
 * trailing dot is removed; the local part is kept as written except that it is lower-cased.
 * Real providers treat local parts case-insensitively, and for an allow-list by address the
 * lower-cased form is the fail-safe one: `Boss@example.com` cannot slip past a rule written for
 * `boss@example.com`. Sub-addresses (`jane+tag@`) and dots are kept as written, so such spellings
 * are distinct resources and only match patterns that allow them.
 *
 * The parser is deliberately strict; uninspectable are: no recipients at all, values that are not
 * strings or arrays of strings, and every entry that is not exactly one `local@domain` address after
 * stripping a display name — quoted local parts, comments in parentheses, several `@`, source routes
 * (`@a:b@c`), group syntax, `%` or `!` routing in the local part, a missing or dotless domain,
 * IP-literal and numeric domains, whitespace or control characters inside the address, a display
 * name containing `<`, `>` or unquoted specials, and domains that are not valid hostnames.
 * Entries are split on commas outside quotes and angle brackets; `;` is not a separator.
 *
 * `facts`: `{ recipient, domain, field, fields }`: the canonical address, its domain, the argument
 * it was first found in and every argument that named it.
 *
 * @param options - see {@link RecipientsInspectorOptions}
 * @throws TypeError when `fields` is empty (at construction)
 */
export function recipientsInspector(options: RecipientsInspectorOptions = {}): Inspector<object> {
  const fields = [...(options.fields ?? ["to", "cc", "bcc"])];
  const action = options.action ?? "email.send";
  if (fields.length === 0) throw new TypeError("recipientsInspector: `fields` must not be empty");
  const firstField = fields[0] ?? "to";

  return (input) => {
    // Arguments arrive untyped from models and frameworks: every field is checked before use.
    const args = input as Record<string, unknown> | null;
    try {
      if (typeof args !== "object" || args === null) {
        return [uninspectable(action, firstField, "the arguments are not an object")];
      }
      const found = new Map<string, { recipient: string; domain: string; fields: string[] }>();
      const problems: Access[] = [];

      const addList = (value: string, fieldName: string, path: string): void => {
        if (CONTROL.test(value)) {
          problems.push(uninspectable(action, path, "control character in the recipients"));
          return;
        }
        const pieces = splitList(value);
        if (!pieces.ok) {
          problems.push(uninspectable(action, path, pieces.reason));
          return;
        }
        for (const piece of pieces.value) {
          const address = parseMailbox(piece);
          if (!address.ok) {
            problems.push(uninspectable(action, path, `${address.reason}: ${JSON.stringify(piece)}`));
            continue;
          }
          const { recipient, domain } = address.value;
          const entry = found.get(recipient);
          if (entry === undefined) found.set(recipient, { recipient, domain, fields: [fieldName] });
          else if (!entry.fields.includes(fieldName)) entry.fields.push(fieldName);
        }
      };

      for (const name of fields) {
        const value = Object.hasOwn(args, name) ? args[name] : undefined;
        if (value === undefined || value === null) continue;
        if (typeof value === "string") {
          addList(value, name, name);
        } else if (Array.isArray(value)) {
          value.forEach((element: unknown, index) => {
            const path = `${name}[${index}]`;
            if (typeof element === "string") addList(element, name, path);
            else problems.push(uninspectable(action, path, "a recipient must be a string"));
          });
        } else {
          problems.push(uninspectable(action, name, "recipients must be a string or an array of strings"));
        }
      }

      const accesses: Access[] = [...found.values()].map(({ recipient, domain, fields: seenIn }) => ({
        action,
        resource: `mailto:${recipient}`,
        data: [],
        facts: { recipient, domain, field: seenIn[0], fields: seenIn },
      }));
      if (accesses.length === 0 && problems.length === 0) {
        return [uninspectable(action, firstField, `no recipients in ${fields.join(", ")}`)];
      }
      return [...accesses, ...problems];
    } catch (error) {
      return [uninspectable(action, firstField, `inspection failed: ${String(error)}`)];
    }
  };
}

type Result<T> = { ok: true; value: T } | { ok: false; reason: string };

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

/** Splits an address list on commas outside double quotes and angle brackets; drops empty entries. */
function splitList(value: string): Result<string[]> {
  const pieces: string[] = [];
  let current = "";
  let inQuote = false;
  let inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] ?? "";
    if (inQuote) {
      if (ch === "\\") {
        current += ch + (value[i + 1] ?? "");
        i++;
        continue;
      }
      if (ch === '"') inQuote = false;
    } else if (ch === '"') {
      inQuote = true;
    } else if (ch === "<") {
      inAngle = true;
    } else if (ch === ">") {
      inAngle = false;
    } else if (ch === "," && !inAngle) {
      pieces.push(current);
      current = "";
      continue;
    }
    current += ch;
  }
  if (inQuote) return fail("unbalanced double quote in the recipient list");
  pieces.push(current);
  return { ok: true, value: pieces.map((piece) => piece.trim()).filter((piece) => piece !== "") };
}

/** Parses one entry: `local@domain`, `<local@domain>` or `Display Name <local@domain>`. */
function parseMailbox(piece: string): Result<{ recipient: string; domain: string }> {
  if (CONTROL.test(piece)) return fail("control character in the recipient");

  // Locate `<`, `>`, `(` and `"` outside quoted strings.
  const angles: number[] = [];
  const closers: number[] = [];
  let inQuote = false;
  for (let i = 0; i < piece.length; i++) {
    const ch = piece[i];
    if (inQuote) {
      if (ch === "\\") i++;
      else if (ch === '"') inQuote = false;
      continue;
    }
    if (ch === '"') inQuote = true;
    else if (ch === "<") angles.push(i);
    else if (ch === ">") closers.push(i);
    else if (ch === "(" || ch === ")") return fail("comments in parentheses are not accepted");
  }
  if (inQuote) return fail("unbalanced double quote");

  let addrSpec: string;
  if (angles.length === 0 && closers.length === 0) {
    addrSpec = piece;
  } else {
    const lt = angles[0];
    const gt = closers[0];
    if (angles.length !== 1 || closers.length !== 1 || lt === undefined || gt === undefined) {
      return fail("expected exactly one <address>");
    }
    if (gt !== piece.length - 1 || lt > gt) return fail("text after the <address>");
    const display = piece.slice(0, lt).trim();
    if (!isDisplayName(display)) return fail("the display name contains characters that are not accepted");
    addrSpec = piece.slice(lt + 1, gt);
  }

  if (addrSpec.includes('"')) return fail("quoted local parts are not accepted");
  if (/\s/.test(addrSpec)) return fail("whitespace inside the address");
  if (addrSpec.startsWith("@")) return fail("source routes are not accepted");
  const at = addrSpec.indexOf("@");
  if (at === -1) return fail("the address has no @domain");
  if (addrSpec.indexOf("@", at + 1) !== -1) return fail("the address has more than one @");
  const local = addrSpec.slice(0, at);
  const rawDomain = addrSpec.slice(at + 1);
  if (local === "") return fail("the address has an empty local part");
  if (local.length > 64 || !LOCAL_PART.test(local)) {
    return fail("the local part contains characters that are not accepted");
  }
  const domain = canonicalDomain(rawDomain);
  if (!domain.ok) return domain;
  return { ok: true, value: { recipient: `${local.toLowerCase()}@${domain.value}`, domain: domain.value } };
}

function isDisplayName(display: string): boolean {
  if (display === "") return true;
  if (display.startsWith('"')) {
    // One quoted string, nothing after it; `<` and `>` inside it would fool naive parsers.
    let i = 1;
    for (; i < display.length; i++) {
      const ch = display[i];
      if (ch === "\\") i++;
      else if (ch === '"') break;
      else if (ch === "<" || ch === ">") return false;
    }
    return i === display.length - 1;
  }
  return PHRASE.test(display);
}

function canonicalDomain(raw: string): Result<string> {
  if (raw === "") return fail("the address has no domain");
  if (raw.startsWith("[")) return fail("IP-literal domains are not accepted");
  if (!DOMAIN_ASCII.test(raw)) return fail("the domain contains characters not allowed in a hostname");
  if (IDNA_DEVIATIONS.test(raw))
    return fail("the domain contains an IDNA deviation character (ß, ς, ZWJ or ZWNJ)");
  let hostname: string;
  try {
    const url = new URL(`http://${raw}`);
    if (url.port !== "" || url.pathname !== "/" || url.search !== "" || url.hash !== "") {
      return fail("the domain is not a plain hostname");
    }
    hostname = url.hostname;
  } catch {
    return fail("the domain is not a valid hostname");
  }
  if (DOTTED_IPV4.test(hostname)) return fail("IP-address domains are not accepted");
  const domain = hostname.endsWith(".") ? hostname.slice(0, -1) : hostname;
  const labels = domain.split(".");
  if (labels.length < 2) return fail("the domain has no dot");
  if (domain.length > 253 || !labels.every((label) => LABEL.test(label))) {
    return fail("the domain breaks hostname rules");
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? "")) return fail("the top-level domain is numeric");
  return { ok: true, value: domain };
}
