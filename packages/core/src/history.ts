import type { Access } from "./access.js";
import type { Effect } from "./decision.js";

/** One call a context made, as policies see its history. */
export interface CallRecord {
  readonly tool: string;
  readonly callId: string;
  /** Epoch milliseconds. */
  readonly at: number;
  readonly effect: Effect;
  readonly accesses: readonly Access[];
}

/** Where a value an agent passes to a tool came from. */
export type Provenance = "intent" | "trusted" | "untrusted" | "unknown";

const HISTORY_LIMIT = 256;
const VALUES_LIMIT = 10_000;
/** Tokens worth tracking inside longer text: addresses, URLs, account-like and numeric strings. */
const TOKEN =
  /[\w.+-]+@[\w-]+(?:\.[\w-]+)+|https?:\/\/[^\s"'<>]+|\b[A-Z]{2}\d{2}[A-Z0-9]{8,30}\b|\b\d[\d.,]{2,}\b/g;

/**
 * What a context has done and seen: its recent calls, taint labels (set when it read the output of
 * a tool marked untrusted), and the values that appeared in trusted and untrusted outputs — so
 * policies can ask "did this recipient come from the user, or from a web page?".
 */
export class ContextHistory {
  readonly calls: CallRecord[] = [];
  readonly taints = new Set<string>();
  private readonly trusted = new Set<string>();
  private readonly untrusted = new Set<string>();

  record(call: CallRecord): void {
    this.calls.push(call);
    // Trimmed in chunks, so that keeping the last calls costs O(1) amortised per call.
    if (this.calls.length >= 2 * HISTORY_LIMIT) this.calls.splice(0, this.calls.length - HISTORY_LIMIT);
  }

  /** Notes the values of a tool's output, and taints the context if the tool is untrusted. */
  observe(output: unknown, untrusted: boolean): void {
    if (untrusted) this.taints.add("untrusted");
    const into = untrusted ? this.untrusted : this.trusted;
    collect(output, into, 0);
  }

  /** Where a value was seen: in a trusted output, an untrusted one, or neither. */
  seen(value: string): "trusted" | "untrusted" | undefined {
    if (this.trusted.has(value)) return "trusted";
    if (this.untrusted.has(value)) return "untrusted";
    return undefined;
  }
}

function add(into: Set<string>, value: string): void {
  if (into.size >= VALUES_LIMIT) into.delete(into.values().next().value as string);
  into.add(value);
}

function collect(value: unknown, into: Set<string>, depth: number): void {
  if (depth > 8) return;
  if (typeof value === "string") {
    if (value.length <= 512) add(into, value.trim().toLowerCase());
    for (const m of value.matchAll(TOKEN)) add(into, m[0].toLowerCase());
  } else if (typeof value === "number") {
    add(into, String(value));
  } else if (Array.isArray(value)) {
    for (const v of value.slice(0, 1000)) collect(v, into, depth + 1);
  } else if (value !== null && typeof value === "object") {
    for (const v of Object.values(value).slice(0, 1000)) collect(v, into, depth + 1);
  }
}
