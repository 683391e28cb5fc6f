import { canonicalJson, digestText, sortKeys } from "../digest.js";
import type { KeptValue } from "./audit-event.js";

/** What the audit trail keeps of a tool's arguments or output. */
export type Retention = "none" | "digest" | "preview" | "full";

const MASK = "[redacted]";

/** Field names that hold secrets, matched on the name with `_`, `-` and case ignored. */
const SECRET_NAME =
  /^(?:pass(?:word|wd|phrase)?|secret|clientsecret|token|accesstoken|refreshtoken|idtoken|apikey|xapikey|authorization|auth|cookie|setcookie|session|sessionid|privatekey|credentials?|otp|pin|cvv|cvc|ssn|signature)$/;

/** Values that look like secrets whatever their field is called. */
const SECRET_VALUES: readonly RegExp[] = [
  /\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*/, // JWT / JWS
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\b(?:sk|pk|rk)_(?:live|test)_[\w]{10,}/, // Stripe-style keys
  /\bsk-[A-Za-z0-9_-]{20,}/, // model-provider keys
  /\bAKIA[0-9A-Z]{16}\b/, // AWS access key id
  /\bgh[pousr]_[A-Za-z0-9]{30,}/, // GitHub tokens
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/, // Slack tokens
  /\bBearer\s+[\w.~+/-]{16,}=*/i,
  /\b(?:password|passwd|pwd|secret|token|api[_-]?key)=[^&\s]+/i, // key=value in URLs and strings
];

/** Longest string kept in a preview; longer ones are cut with a note of the length. */
const PREVIEW_LENGTH = 256;
const PREVIEW_DEPTH = 6;
const PREVIEW_ITEMS = 50;

/** The value patterns, folded into two expressions (case-sensitive and not): one scan per string. */
const SECRET_VALUE = new RegExp(
  SECRET_VALUES.filter((re) => !re.ignoreCase)
    .map((re) => re.source)
    .join("|"),
);
const SECRET_VALUE_ANY_CASE = new RegExp(
  SECRET_VALUES.filter((re) => re.ignoreCase)
    .map((re) => re.source)
    .join("|"),
  "i",
);

/** Field names seen, and whether each is a secret's: names repeat call after call. */
const secretNames = new Map<string, boolean>();

/** Whether a field name is one whose value never reaches the log. */
export function isSecretName(name: string): boolean {
  let secret = secretNames.get(name);
  if (secret === undefined) {
    secret = SECRET_NAME.test(name.replace(/[_-]/g, "").toLowerCase());
    if (secretNames.size >= 4096) secretNames.clear();
    secretNames.set(name, secret);
  }
  return secret;
}

/** Whether a string value looks like a credential. */
export function looksSecret(text: string): boolean {
  return SECRET_VALUE.test(text) || SECRET_VALUE_ANY_CASE.test(text);
}

/**
 * Set by {@link redact} when the copy differs from the value in more than key order (something
 * masked, cut or dropped). Redaction is synchronous, so one flag serves every call.
 */
let altered = false;

/**
 * A copy of a value that is safe to log: secret-like fields (by name) and values (by pattern)
 * masked, strings cut to 256 characters, depth and list lengths bounded. Object keys come out in
 * canonical order.
 */
export function redact(value: unknown): unknown {
  altered = false;
  return redactAt(value, 0);
}

function redactAt(value: unknown, depth: number): unknown {
  if (typeof value === "string") {
    if (looksSecret(value)) {
      altered = true;
      return MASK;
    }
    if (value.length <= PREVIEW_LENGTH) return value;
    altered = true;
    return `${value.slice(0, PREVIEW_LENGTH)}… (${value.length} chars)`;
  }
  if (value === null) return null;
  if (typeof value !== "object") {
    if (typeof value === "number" && Number.isFinite(value)) return value;
    if (typeof value === "boolean") return value;
    altered = true; // functions, symbols, bigints, non-finite numbers: not what canonical JSON holds
    return typeof value === "function" ? undefined : value;
  }
  if (depth >= PREVIEW_DEPTH) {
    altered = true;
    return "[…]";
  }
  if (Array.isArray(value)) {
    const n = Math.min(value.length, PREVIEW_ITEMS);
    const items: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) items[i] = redactAt(value[i], depth + 1);
    if (value.length > PREVIEW_ITEMS) {
      altered = true;
      items.push(`… (${value.length} items)`);
    }
    return items;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) altered = true; // a class instance: its own fields only
  const out: Record<string, unknown> = {};
  const obj = value as Record<string, unknown>;
  const keys = sortKeys(Object.keys(obj));
  for (const k of keys) {
    // An integer-like key is listed first by every JavaScript object, whatever the insertion order.
    const c = k.charCodeAt(0);
    if (c >= 48 && c <= 57) altered = true;
    if (isSecretName(k)) {
      altered = true;
      out[k] = MASK;
    } else {
      out[k] = redactAt(obj[k], depth + 1);
    }
  }
  return out;
}

/** Keeps a value per a retention setting; undefined for `none` or when it cannot be serialised. */
export function keep(value: unknown, retention: Retention): KeptValue | undefined {
  return keepSnapshot(snapshot(value, retention), retention)?.[0];
}

/**
 * A value as the trail will keep it, captured when it is recorded — the arguments a decision was
 * made on, not whatever the object holds by the time the event is written: its JSON text (what a
 * model sends as tool arguments; `JSON.stringify` is the cheapest faithful copy), `null` when it
 * has none (a cycle, a bigint…), `undefined` when nothing is kept.
 * @internal
 */
export function snapshot(value: unknown, retention: Retention): string | null | undefined {
  if (retention === "none") return undefined;
  try {
    return JSON.stringify(value === undefined ? null : value) ?? "null";
  } catch {
    return null;
  }
}

/**
 * What the trail keeps of a {@link snapshot}, with its canonical JSON: the digest of the value's
 * canonical JSON, and per retention a redacted preview or the value with secrets masked. Preview
 * retention redacts first: when nothing had to be masked or cut, the sorted copy is the value in
 * canonical order, so one encoding serves both the digest and the preview.
 * @internal
 */
export function keepSnapshot(
  text: string | null | undefined,
  retention: Retention,
): [KeptValue, string] | undefined {
  if (text === undefined || retention === "none") return undefined;
  if (text === null) return [{ digest: "unserialisable" }, `{"digest":"unserialisable"}`];
  const value: unknown = JSON.parse(text);
  if (retention === "preview") {
    const preview = redact(value);
    const canonical = altered ? canonicalJson(value) : JSON.stringify(preview);
    const digest = digestText(canonical);
    const shown = altered ? canonicalJson(preview) : canonical;
    return [{ digest, value: preview }, `{"digest":"${digest}","value":${shown}}`];
  }
  const digest = digestText(canonicalJson(value));
  if (retention === "digest") return [{ digest }, `{"digest":"${digest}"}`];
  // "full" still never lets a secret-looking field through: the log is not a secret store.
  const full = redactSecretsOnly(value);
  return [{ digest, value: full }, `{"digest":"${digest}","value":${canonicalJson(full)}}`];
}

function redactSecretsOnly(value: unknown): unknown {
  if (typeof value === "string") return looksSecret(value) ? MASK : value;
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(redactSecretsOnly);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>))
    out[k] = isSecretName(k) ? MASK : redactSecretsOnly(v);
  return out;
}
