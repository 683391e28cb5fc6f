import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";

/** A digest as written in identities, intents and audit events: `sha256:` and 64 hex digits. */
export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;

type HashFn = (algorithm: string, data: string, encoding: "hex") => string;

/**
 * The platform's own SHA-256 where one is reachable synchronously (Node's `crypto.hash`, about ten
 * times faster than portable JavaScript), found without a static `node:` import so that this
 * module stays runtime-neutral; elsewhere the portable implementation.
 */
const platformHash: HashFn | undefined = (() => {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const crypto = proc?.getBuiltinModule?.("node:crypto") as { hash?: HashFn } | undefined;
  return typeof crypto?.hash === "function" ? crypto.hash : undefined;
})();

/** SHA-256 of the UTF-8 text, as `sha256:<hex>`. Runtime-neutral and synchronous. */
export function digestText(text: string): string {
  if (platformHash !== undefined) return `sha256:${platformHash("sha256", text, "hex")}`;
  return `sha256:${bytesToHex(sha256(utf8ToBytes(text)))}`;
}

/**
 * Canonical JSON (RFC 8785 style: object keys sorted by UTF-16 code units, no whitespace), so that
 * equal values give equal digests whatever the key order they were built with. `omitTopLevelKey`
 * leaves one key of the outermost object out (an event's own hash).
 */
export function canonicalJson(value: unknown, omitTopLevelKey?: string): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError("canonical JSON has no form for a non-finite number");
    return JSON.stringify(value);
  }
  if (value === null || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) {
    // An array of plain scalars is already canonical as JSON.stringify writes it.
    if (value.every(isPlainScalar)) return JSON.stringify(value);

    let out = "[";
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (i > 0) out += ",";
      out += v === undefined || typeof v === "function" ? "null" : canonicalJson(v);
    }
    return `${out}]`;
  }
  if (typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (typeof (obj as { toJSON?: unknown }).toJSON === "function")
      return canonicalJson((obj as { toJSON(): unknown }).toJSON());
    const keys = Object.keys(obj);
    // Already in canonical order with only plain scalar values: JSON.stringify writes exactly the
    // canonical form, natively (most small objects of an event are built this way).
    let flat = omitTopLevelKey === undefined;
    for (let i = 0; i < keys.length && flat; i++) {
      if (i > 0 && (keys[i - 1] as string) >= (keys[i] as string)) flat = false;
      else if (!isPlainValue(obj[keys[i] as string])) flat = false;
    }
    if (flat) return JSON.stringify(obj);
    if (keys.length > 1) keys.sort();
    let out = "{";
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      const v = obj[k];
      if (v === undefined || typeof v === "function" || k === omitTopLevelKey) continue;
      if (out.length > 1) out += ",";
      out += `${JSON.stringify(k)}:${canonicalJson(v)}`;
    }
    return `${out}}`;
  }
  throw new TypeError(`canonical JSON has no form for a ${typeof value}`);
}

function isPlainScalar(v: unknown): boolean {
  return (
    typeof v === "string" ||
    typeof v === "boolean" ||
    v === null ||
    (typeof v === "number" && Number.isFinite(v))
  );
}

/** A scalar, or an array of scalars: JSON.stringify writes either canonically. */
function isPlainValue(v: unknown): boolean {
  return isPlainScalar(v) || (Array.isArray(v) && v.every(isPlainScalar));
}

/** SHA-256 of a value's canonical JSON. */
export function digestValue(value: unknown): string {
  return digestText(canonicalJson(value));
}
