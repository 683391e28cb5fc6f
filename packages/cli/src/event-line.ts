import { isDeviation, type ReasonCode, escapeTerminal as t } from "@mandate/core";
import type { Paint } from "./paint.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const s = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
/** A reason that says the call strayed from its intent (`policy.ask` alone only asks a human). */
const strays = (code: string | undefined) =>
  code !== undefined && code !== "policy.ask" && isDeviation(code as ReasonCode);

function reasonsOf(value: Obj): { deviation: boolean; why: string } {
  const reasons = Array.isArray(value["mandate.reasons"]) ? value["mandate.reasons"].filter(isObj) : [];
  const deviation = value["mandate.deviation"] === true || reasons.some((r) => strays(s(r.code)));
  const why = reasons
    .map((r) => `${t(s(r.code) ?? "?")}${s(r.dataClass) !== undefined ? ` ${t(s(r.dataClass))}` : ""}`)
    .join(", ");
  return { deviation, why };
}

function accesses(v: unknown): string {
  if (!Array.isArray(v)) return "";
  return v
    .filter(isObj)
    .map((a) => {
      const data = Array.isArray(a.data) ? a.data.filter((d): d is string => typeof d === "string") : [];
      const u = isObj(a.uninspectable) ? ` (uninspectable ${t(s(a.uninspectable.field) ?? "?")})` : "";
      return `${t(s(a.action) ?? "?")} ${t(s(a.resource) ?? "")}${data.length > 0 ? ` [${data.map(t).join(", ")}]` : ""}${u}`;
    })
    .join("; ");
}

function purposeOf(detail: Obj): string {
  const intent = isObj(detail.intent) ? detail.intent : {};
  const p = s(intent.purpose);
  return p === undefined ? "(no purpose)" : `"${t(p)}"`;
}

const short = (id: string | undefined) =>
  id === undefined ? "?" : t(id.length > 10 ? `…${id.slice(-8)}` : id);

/**
 * One audit event as one readable line. The event is untrusted: every field is type-checked and
 * escaped for the terminal.
 */
export function eventLine(value: unknown, p: Paint): string {
  if (!isObj(value)) return p.red("(not an audit event)");
  const type = s(value.type) ?? "?";
  const time = s(value.time) ?? "?";
  const seq = typeof value.seq === "number" ? `#${value.seq}` : "#?";
  const agent = s(value["gen_ai.agent.name"]);
  const ctx = s(value["mandate.context.id"]);
  const tool = s(value["gen_ai.tool.name"]) ?? "?";
  const detail = isObj(value["mandate.detail"]) ? value["mandate.detail"] : {};
  const head = `${p.dim(t(time))} ${t(seq).padStart(6)} ${t(type).padEnd(17)}`;
  const who = `${agent !== undefined ? t(agent) : "-"}${ctx !== undefined ? ` ${p.dim(`ctx ${short(ctx)}`)}` : ""}`;
  let body: string;
  switch (type) {
    case "identity.issued": {
      const id = isObj(detail.identity) ? detail.identity : {};
      const roles = Array.isArray(id.roles) ? id.roles.filter((r): r is string => typeof r === "string") : [];
      body = `${who} issued${s(value["mandate.sponsor"]) ? ` for ${t(s(value["mandate.sponsor"]))}` : ""}${roles.length > 0 ? ` roles ${roles.map(t).join(",")}` : ""} ${p.dim(`id ${short(s(value["gen_ai.agent.id"]))}`)}`;
      break;
    }
    case "intent.declared":
      body = `${who} declares ${purposeOf(detail)}`;
      break;
    case "context.delegated":
      body = `${who} delegated from ${p.dim(`ctx ${short(s(detail.parent))}`)}: ${purposeOf(detail)}`;
      break;
    case "tool.decision": {
      const effect = (s(value["mandate.decision"]) ?? "?").toUpperCase();
      const { deviation, why } = reasonsOf(value);
      const colored =
        effect === "ALLOW" ? p.green(effect) : effect === "DENY" ? p.red(effect) : p.yellow(effect);
      body = `${who} ${t(tool)} → ${colored}${deviation ? ` ${p.red("DEVIATION")}` : ""} ${accesses(value["mandate.accesses"])}${why ? ` · ${deviation ? p.red(why) : why}` : ""}`;
      break;
    }
    case "tool.outcome": {
      const outcome = s(value["mandate.outcome"]) ?? "?";
      const ms =
        typeof value["mandate.duration_ms"] === "number" ? ` ${value["mandate.duration_ms"]} ms` : "";
      const err = s(value["mandate.error"]);
      const { deviation, why } = reasonsOf(value);
      body = `${who} ${t(tool)} ran: ${outcome === "ok" ? p.green("ok") : p.red(t(outcome))}${ms}${err !== undefined ? ` (${t(err)})` : ""}${deviation ? ` ${p.red("DEVIATION")}${why ? ` · ${p.red(why)}` : ""}` : ""}`;
      break;
    }
    case "approval.asked":
    case "approval.granted":
    case "approval.denied": {
      const verb = type.slice("approval.".length);
      const why = s(detail.why);
      body = `${who} ${t(s(detail.tool) ?? "?")} approval ${verb === "granted" ? p.green(verb) : verb === "denied" ? p.red(verb) : p.yellow(verb)}${why !== undefined ? ` (${t(why)})` : ""}`;
      break;
    }
    case "context.revoked":
    case "context.paused":
    case "context.resumed": {
      const verb = type.slice("context.".length);
      const reason = s(detail.reason);
      body = `${who} ${verb === "revoked" ? p.red(verb) : p.yellow(verb)}${reason !== undefined ? `: ${t(reason)}` : ""}`;
      break;
    }
    case "audit.checkpoint": {
      const covers = isObj(detail.covers) ? detail.covers : {};
      body = `stream ${short(s(value["mandate.stream"]))} checkpoint at seq ${typeof covers.seq === "number" ? covers.seq : "?"}${detail.final === true ? " (final)" : ""}${s(value["mandate.signature"]) ? ", signed" : ", unsigned"}`;
      break;
    }
    default:
      body = who;
  }
  return `${head} ${body}`.trimEnd();
}

// JSON.stringify escapes C0 controls but leaves C1 controls, line separators and bidirectional
// overrides as they are: escape those too, so `--json` output is as safe to print as the lines.
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** An event as one line of JSON, safe to print on a terminal. */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(
    JSON_UNSAFE,
    (c) => `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, "0")}`,
  );
}
