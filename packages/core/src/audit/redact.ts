import { canonicalJson, digestText } from "../digest.js";
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

/** Whether a field name is one whose value never reaches the log. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name.replace(/[_-]/g, "").toLowerCase());
}

/** Whether a string value looks like a credential. */
export function looksSecret(text: string): boolean {
  return SECRET_VALUES.some((re) => re.test(text));
}

/**
 * A copy of a value that is safe to log: secret-like fields (by name) and values (by pattern)
 * masked, strings cut to 256 characters, depth and list lengths bounded.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === "string") {
    if (looksSecret(value)) return MASK;
    return value.length > PREVIEW_LENGTH
      ? `${value.slice(0, PREVIEW_LENGTH)}… (${value.length} chars)`
      : value;
  }
  if (value === null || typeof value !== "object") return typeof value === "function" ? undefined : value;
  if (depth >= PREVIEW_DEPTH) return "[…]";
  if (Array.isArray(value)) {
    const items = value.slice(0, PREVIEW_ITEMS).map((v) => redact(v, depth + 1));
    if (value.length > PREVIEW_ITEMS) items.push(`… (${value.length} items)`);
    return items;
  }
  // Keys in canonical order: the preview is sealed into the trail as it is built.
  const out: Record<string, unknown> = {};
  const obj = value as Record<string, unknown>;
  for (const k of Object.keys(obj).sort()) out[k] = isSecretName(k) ? MASK : redact(obj[k], depth + 1);
  return out;
}

/** Keeps a value per a retention setting; undefined for `none` or when it cannot be serialised. */
export function keep(value: unknown, retention: Retention): KeptValue | undefined {
  if (retention === "none") return undefined;
  let digest: string;
  try {
    digest = digestText(canonicalJson(value === undefined ? null : value));
  } catch {
    return { digest: "unserialisable" };
  }
  if (retention === "digest") return { digest };
  // "full" still never lets a secret-looking field through: the log is not a secret store.
  return { digest, value: retention === "full" ? redactSecretsOnly(value) : redact(value) };
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
