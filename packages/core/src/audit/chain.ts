import { canonicalJson, digestText } from "../digest.js";
import type { AuditEvent } from "./audit-event.js";

/** The field holding an event's own hash; everything else in the event is hashed. */
export const HASH_FIELD = "mandate.hash";
/** The field holding the previous event's hash in the same stream. */
export const PREV_FIELD = "mandate.prev";

/** The `prev` of a stream's first event: binds the chain to its stream id. */
export function genesisHash(stream: string): string {
  return digestText(`mandate-audit-stream:${stream}`);
}

/**
 * An event's hash: SHA-256 over the RFC 8785-style canonical JSON of the event without its
 * `mandate.hash` field. Any language with a canonical JSON encoder and SHA-256 can recompute it.
 */
export function eventHash(event: object): string {
  return digestText(canonicalJson(event, HASH_FIELD));
}

const TEXT = Symbol("mandate.text");

/**
 * Links an event into its stream: sets `mandate.prev` and `mandate.hash`; returns the new hash.
 * The canonical text hashed is kept (see {@link eventLine}) so that sinks need not serialise again.
 */
export function seal(event: AuditEvent, prev: string): string {
  (event as { "mandate.prev": string })[PREV_FIELD] = prev;
  return sealText(event, canonicalJson(event, HASH_FIELD))[HASH_FIELD];
}

/**
 * Seals an event whose canonical text (everything but `mandate.hash`, `mandate.prev` included) the
 * caller has written: sets `mandate.hash` to its digest and keeps the text for {@link eventLine}.
 */
export function sealText(event: AuditEvent, text: string): AuditEvent {
  (event as { "mandate.hash": string })[HASH_FIELD] = digestText(text);
  Object.defineProperty(event, TEXT, { value: text, enumerable: false });
  return event;
}

/**
 * One JSON line for an event: the sealed form when it has one — the hash first, then the
 * canonical text it covers, so that a verifier can strip the prefix and hash the rest as it
 * stands, without parsing and re-encoding.
 */
export function eventLine(event: AuditEvent): string {
  const text = (event as { [TEXT]?: string })[TEXT];
  if (text === undefined) return JSON.stringify(event);
  return `{"${HASH_FIELD}":"${event[HASH_FIELD]}",${text.slice(1)}`;
}

/**
 * The canonical text an event was sealed over (without its hash), when it was sealed in this
 * process; line-oriented sinks encode it as it stands.
 * @internal
 */
export function sealedText(event: AuditEvent): string | undefined {
  return (event as { [TEXT]?: string })[TEXT];
}

const PREFIX = `{"${HASH_FIELD}":"`;

/**
 * Verifies a line written in sealed form without parsing it: true when the line is
 * `{"mandate.hash":"<h>",<rest>` and `h` is the digest of `{<rest>`. False does not mean tampered —
 * the line may just be in another key order — only that the slow path must decide.
 */
export function lineHashHolds(line: string): boolean {
  if (!line.startsWith(PREFIX)) return false;
  const end = line.indexOf('"', PREFIX.length);
  if (end < 0 || line[end + 1] !== ",") return false;
  return digestText(`{${line.slice(end + 2)}`) === line.slice(PREFIX.length, end);
}
