import { type AuditEvent, eventLine } from "@mandate/core";

/** The table's columns, in the order rows are encoded. */
export const AUDIT_COLUMNS = [
  "stream",
  "seq",
  "id",
  "type",
  "time",
  "agent_id",
  "context_id",
  "context_path",
  "intent_id",
  "tool_name",
  "call_id",
  "decision",
  "deviation",
  "hash",
  "prev",
  "event",
  "raw",
] as const;

/** `\u0000` and lone surrogates, which JSON can carry and jsonb refuses; `\\` pairs are skipped over. */
const JSONB_UNSAFE = /\\\\|\\u0000|\\ud[89a-f][0-9a-f]{2}/gi;
const MAYBE_UNSAFE = /\\u(?:0000|d[89a-f])/i;

/**
 * The event's JSON for the `event` column and, when jsonb cannot hold that JSON as it is, the
 * exact text for the `raw` column (the `event` column then gets a copy with U+FFFD in place of
 * what it refused). Without this, one event carrying a NUL would be refused by the database on
 * every retry and block the whole audit queue.
 */
export function eventJson(event: AuditEvent): { json: string; raw: string | null } {
  // The sealed form (hash first, then the canonical text it covers) when core gave one.
  const json = eventLine(event);
  if (!MAYBE_UNSAFE.test(json)) return { json, raw: null };
  let changed = false;
  const safe = json.replace(JSONB_UNSAFE, (m) => {
    if (m === "\\\\") return m;
    changed = true;
    return "\\ufffd";
  });
  return changed ? { json: safe, raw: json } : { json, raw: null };
}

/** Column values of one event (arrays as JS arrays; `null` for absent). */
export function auditRow(event: AuditEvent): unknown[] {
  const { json, raw } = eventJson(event);
  return [
    event["mandate.stream"],
    event.seq,
    event.id,
    event.type,
    event.time,
    event["gen_ai.agent.id"] ?? null,
    event["mandate.context.id"] ?? null,
    event["mandate.context.path"] ?? null,
    event["mandate.intent.id"] ?? null,
    event["gen_ai.tool.name"] ?? null,
    event["gen_ai.tool.call.id"] ?? null,
    event["mandate.decision"] ?? null,
    event["mandate.deviation"] === true,
    event["mandate.hash"],
    event["mandate.prev"],
    json,
    raw,
  ];
}

const COPY_SPECIAL = /[\\\t\n\r]/;

/** One field in COPY text format. */
function copyField(value: unknown): string {
  if (value === null || value === undefined) return "\\N";
  if (Array.isArray(value)) return copyField(arrayLiteral(value as readonly string[]));
  const s = typeof value === "string" ? value : String(value);
  if (!COPY_SPECIAL.test(s)) return s;
  return s.replace(/[\\\t\n\r]/g, (c) =>
    c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r",
  );
}

/** A PostgreSQL array literal of text elements, every element quoted. */
export function arrayLiteral(items: readonly string[]): string {
  let out = "{";
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ",";
    out += `"${String(items[i]).replace(/["\\]/g, (c) => `\\${c}`)}"`;
  }
  return `${out}}`;
}

/** Events as COPY text-format rows, in {@link AUDIT_COLUMNS} order. */
export function copyRows(events: readonly AuditEvent[]): string {
  let text = "";
  for (const e of events) {
    const row = auditRow(e);
    for (let i = 0; i < row.length; i++) text += (i === 0 ? "" : "\t") + copyField(row[i]);
    text += "\n";
  }
  return text;
}

/** Events as one array per column, for `INSERT … SELECT FROM unnest($1, $2, …)`. */
export function columnArrays(events: readonly AuditEvent[]): unknown[][] {
  const columns: unknown[][] = AUDIT_COLUMNS.map(() => []);
  for (const e of events) {
    const row = auditRow(e);
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      // unnest cannot take an array of arrays of different lengths: paths travel as literals.
      (columns[i] as unknown[]).push(Array.isArray(v) ? arrayLiteral(v as string[]) : v);
    }
  }
  return columns;
}
