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
 *
 * A value whose objects already list their keys in canonical order (as the audit trail builds its
 * events) is written by one native `JSON.stringify`, which then writes exactly the canonical form;
 * anything else is sorted here, level by level.
 */
export function canonicalJson(value: unknown, omitTopLevelKey?: string): string {
  if (
    value !== undefined &&
    typeof value !== "function" &&
    (omitTopLevelKey === undefined ||
      (value as Record<string, unknown> | null)?.[omitTopLevelKey] === undefined) &&
    inCanonicalOrder(value)
  ) {
    return JSON.stringify(value);
  }
  return encode(value, omitTopLevelKey);
}

function encode(value: unknown, omitTopLevelKey?: string): string {
  if (typeof value === "number" && !Number.isFinite(value))
    throw new TypeError("canonical JSON has no form for a non-finite number");
  if (value === null || typeof value !== "object") {
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
      return JSON.stringify(value);
    if (value === null) return "null";
    throw new TypeError(`canonical JSON has no form for a ${typeof value}`);
  }
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (i > 0) out += ",";
      out += v === undefined || typeof v === "function" ? "null" : canonicalJson(v);
    }
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  if (typeof (obj as { toJSON?: unknown }).toJSON === "function")
    return canonicalJson((obj as { toJSON(): unknown }).toJSON());
  const keys = sortKeys(Object.keys(obj));
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

/**
 * Whether `JSON.stringify(value)` is already the canonical form: every object a plain one listing
 * its keys in ascending UTF-16 order, every number finite, nothing that JSON.stringify would turn
 * into something else (`toJSON`, boxed primitives, symbols, bigints). Conservative: false sends the
 * value to the sorting encoder, which gives the same text or the same error.
 */
function inCanonicalOrder(value: unknown): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
    case "undefined":
    case "function":
      return true;
    case "number":
      return Number.isFinite(value);
    case "object": {
      if (value === null) return true;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!inCanonicalOrder(value[i])) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      const obj = value as Record<string, unknown>;
      if (typeof obj.toJSON === "function") return false;
      let previous = "";
      let first = true;
      for (const k in obj) {
        if (!first && previous >= k) return false;
        if (!inCanonicalOrder(obj[k])) return false;
        previous = k;
        first = false;
      }
      return true;
    }
    default:
      return false;
  }
}

/**
 * Sorts object keys in place by UTF-16 code units, as `Array.prototype.sort` does by default; the
 * few keys of an ordinary object are sorted by insertion, which allocates nothing.
 */
export function sortKeys(keys: string[]): string[] {
  if (keys.length > 16) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i] as string;
    let j = i - 1;
    while (j >= 0 && (keys[j] as string) > k) {
      keys[j + 1] = keys[j] as string;
      j--;
    }
    keys[j + 1] = k;
  }
  return keys;
}

/** SHA-256 of a value's canonical JSON. */
export function digestValue(value: unknown): string {
  return digestText(canonicalJson(value));
}
