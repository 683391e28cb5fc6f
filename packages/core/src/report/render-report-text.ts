import { escapeTerminal } from "./escape.js";
import { duration } from "./format.js";
import type {
  IntentReport,
  IntentSection,
  ReportAccess,
  ReportAgentRef,
  ReportCounts,
  ReportScopeEntry,
  ReportTreeNode,
  ReportVerification,
} from "./report-types.js";

/** Options of {@link renderReportText}. */
export interface RenderTextOptions {
  /** Colour with ANSI escapes (default false: plain text, safe to pipe). */
  readonly color?: boolean;
  /**
   * Most entries printed per list (deviations, denials, approvals, timeline of each intent); the
   * counts always cover everything (default 200; 0 for no limit).
   */
  readonly limit?: number;
}

function head<T>(items: readonly T[], limit: number): [readonly T[], number] {
  return limit > 0 && items.length > limit ? [items.slice(0, limit), items.length - limit] : [items, 0];
}

function more(n: number, what: string, indent = "    "): string[] {
  return n > 0 ? [`${indent}… ${n.toLocaleString("en-US")} more ${what} (the JSON report has them all)`] : [];
}

type Paint = (text: string) => string;

interface Palette {
  readonly red: Paint;
  readonly green: Paint;
  readonly yellow: Paint;
  readonly bold: Paint;
  readonly dim: Paint;
}

const ansi =
  (open: number, close: number): Paint =>
  (t) =>
    `\u001b[${open}m${t}\u001b[${close}m`;

const COLOR: Palette = {
  red: ansi(31, 39),
  green: ansi(32, 39),
  yellow: ansi(33, 39),
  bold: ansi(1, 22),
  dim: ansi(2, 22),
};
const none: Paint = (t) => t;
const PLAIN: Palette = { red: none, green: none, yellow: none, bold: none, dim: none };

/** Every piece of text from the trail goes through this before it is printed. */
const t = escapeTerminal;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function agentText(a: ReportAgentRef | undefined): string {
  if (a === undefined || (a.id === undefined && a.name === undefined)) return "(unknown agent)";
  const name = `${t(a.name ?? "?")}${a.version !== undefined ? `@${t(a.version)}` : ""}`;
  return [
    name,
    a.id !== undefined ? `id ${t(a.id)}` : "",
    a.sponsor !== undefined ? `sponsor ${t(a.sponsor)}` : "",
    a.tenant !== undefined ? `tenant ${t(a.tenant)}` : "",
  ]
    .filter(Boolean)
    .join("  ");
}

function purposeText(p: string | undefined): string {
  return p === undefined ? "(purpose not in the trail)" : `"${t(p)}"`;
}

function scopeText(s: ReportScopeEntry): string {
  const data = s.data.length > 0 ? ` [${s.data.map(t).join(", ")}]` : "";
  const where = s.where !== undefined ? ` where ${t(JSON.stringify(s.where))}` : "";
  return `${t(s.action)} ${t(s.resource)}${data}${where}`;
}

function accessText(a: ReportAccess): string {
  const data = a.data.length > 0 ? ` [${a.data.map(t).join(", ")}]` : "";
  const u = a.uninspectable
    ? ` (uninspectable ${t(a.uninspectable.field)}: ${t(a.uninspectable.reason)})`
    : "";
  return `${t(a.action)} ${t(a.resource)}${data}${u} ×${a.count} (${a.tools.map(t).join(", ")})`;
}

function list(items: readonly string[]): string {
  return items.length > 0 ? items.map(t).join(", ") : "—";
}

function countsText(c: ReportCounts): string {
  const parts = [
    plural(c.calls, "call"),
    `${c.allowed} allowed`,
    `${c.denied} denied`,
    `${c.asked} asked`,
    plural(c.deviations, "deviating call"),
  ];
  if (c.approvals.asked + c.approvals.granted + c.approvals.denied > 0) {
    parts.push(
      `approvals ${c.approvals.asked} asked/${c.approvals.granted} granted/${c.approvals.denied} denied`,
    );
  }
  const o = c.outcomes;
  if (o.ok + o.error + o.aborted > 0) parts.push(`outcomes ${o.ok} ok/${o.error} error/${o.aborted} aborted`);
  if (c.revocations > 0) parts.push(plural(c.revocations, "revocation"));
  if (c.pauses > 0) parts.push(plural(c.pauses, "pause"));
  return `${plural(c.events, "event")} · ${parts.join(" · ")}`;
}

/** One line saying whether the trail verified, and the problems under it. */
function verificationLines(v: ReportVerification | undefined, p: Palette = PLAIN): string[] {
  if (v === undefined)
    return [`${p.yellow("NOT VERIFIED")} (the report was built without verifying the trail)`];
  const sig = v.signaturesChecked
    ? "checkpoint signatures checked"
    : "checkpoint signatures NOT checked (no keys given)";
  if (v.ok) {
    const torn = v.tornLine !== undefined ? `; torn last line ${v.tornLine} (a crash mid-write)` : "";
    return [`${p.green("VERIFIED")} — ${plural(v.events, "event")}, hash chain intact, ${sig}${torn}`];
  }
  const lines = [
    `${p.red("BROKEN")} — ${plural(v.problems.length, "problem")} in ${plural(v.events, "event")}; ${sig}`,
  ];
  for (const q of v.problems) {
    const where = [
      q.line !== undefined ? `line ${q.line}` : "",
      q.seq !== undefined ? `seq ${q.seq}` : "",
      q.stream !== undefined ? `stream ${t(q.stream)}` : "",
    ]
      .filter(Boolean)
      .join(", ");
    lines.push(`  ${p.red(t(q.kind))}${where ? ` at ${where}` : ""}: ${t(q.message)}`);
  }
  return lines;
}

function treeLines(nodes: readonly ReportTreeNode[], p: Palette, prefix = ""): string[] {
  const out: string[] = [];
  nodes.forEach((n, i) => {
    const last = i === nodes.length - 1;
    const status =
      n.status === "active"
        ? ""
        : ` ${n.status === "revoked" ? p.red(`[${n.status}]`) : p.yellow(`[${n.status}]`)}`;
    const dev = n.deviations > 0 ? `, ${p.red(plural(n.deviations, "deviating call"))}` : "";
    out.push(
      `${prefix}${last ? "└─ " : "├─ "}${purposeText(n.purpose)}  ${t(n.agent.name ?? "?")}  ${p.dim(t(n.contextId))}${status}  ${plural(n.calls, "call")}${dev}`,
    );
    out.push(...treeLines(n.children, p, `${prefix}${last ? "   " : "│  "}`));
  });
  return out;
}

function time(s: string | undefined): string {
  return s === undefined ? "?" : t(s);
}

function intentLines(s: IntentSection, p: Palette, limit: number): string[] {
  const out: string[] = [];
  const label = (name: string, value: string) => `  ${name.padEnd(10)}${value}`;
  out.push(p.bold(`Intent ${purposeText(s.purpose)}`));
  out.push(
    label(
      "context",
      `${t(s.contextId)}${s.intentId !== undefined ? `  intent ${t(s.intentId)}` : ""}${s.mode !== undefined ? `  (${t(s.mode)} mode)` : ""}`,
    ),
  );
  if (!s.declared) out.push(label("", p.yellow("the declaration of this intent is not in the trail")));
  out.push(label("agent", agentText(s.agent)));
  if (s.declaredAt !== undefined) out.push(label("declared", t(s.declaredAt)));
  if (s.parent !== undefined) {
    out.push(
      label(
        "parent",
        `${purposeText(s.parent.purpose)} ${p.dim(t(s.parent.contextId))}${s.delegatedBy !== undefined ? `  delegated by agent ${t(s.delegatedBy)}` : ""}`,
      ),
    );
  }
  for (const [i, c] of s.children.entries()) {
    out.push(
      label(
        i === 0 ? "children" : "",
        `${purposeText(c.purpose)}  ${t(c.agent?.name ?? "?")}  ${p.dim(t(c.contextId))}`,
      ),
    );
  }
  const st = s.status;
  const stText =
    st.state === "active"
      ? p.green("active")
      : `${st.state === "revoked" ? p.red(st.state) : p.yellow(st.state)}${st.by !== undefined && st.by !== s.contextId ? ` (through ancestor ${t(st.by)})` : ""}${st.reason !== undefined ? `: ${t(st.reason)}` : ""}${st.time !== undefined ? ` at ${t(st.time)}` : ""}`;
  out.push(label("status", stText));
  if (s.declaredScope.length === 0) out.push(label("scope", "—"));
  for (const [i, e] of s.declaredScope.entries()) out.push(label(i === 0 ? "scope" : "", scopeText(e)));
  if (s.limits !== undefined && Object.keys(s.limits).length > 0) {
    out.push(
      label(
        "limits",
        Object.entries(s.limits)
          .map(([k, v]) =>
            k === "ttlMs" && typeof v === "number"
              ? `ttl ${duration(v)}`
              : `${t(k)} ${t(typeof v === "object" ? JSON.stringify(v) : String(v))}`,
          )
          .join(", "),
      ),
    );
  }
  const d = s.dataClasses;
  out.push(label("data", `declared ${list(d.declared)}`));
  out.push(label("", `used     ${list(d.used)}`));
  out.push(label("", `refused  ${list(d.refused)}`));
  if (d.undeclared.length > 0) out.push(label("", p.red(`outside the intent: ${list(d.undeclared)}`)));
  const { permitted, refused } = s.accesses;
  if (permitted.length + refused.length === 0) out.push(label("accesses", "—"));
  for (const [i, a] of permitted.entries())
    out.push(label(i === 0 ? "accesses" : "", `permitted ${accessText(a)}`));
  for (const [i, a] of refused.entries())
    out.push(label(i === 0 && permitted.length === 0 ? "accesses" : "", `refused   ${accessText(a)}`));

  if (s.deviations.length > 0) {
    out.push(p.red(p.bold(`  DEVIATIONS (${s.deviations.length})`)));
    const [shown, left] = head(s.deviations, limit);
    for (const v of shown) {
      out.push(
        `    ${p.red("!")} ${time(v.time)}  ${t(v.tool)} ${t((v.effect ?? "?").toUpperCase())}${v.stage === "output" ? " (in its output)" : ""}  ${p.red(t(v.code))}${v.dataClass !== undefined ? ` ${p.red(t(v.dataClass))}` : ""}`,
      );
      if (v.message) out.push(`      ${t(v.message)}`);
    }
    out.push(...more(left, "deviations"));
  }
  if (s.denials.length > 0) {
    out.push(`  denials (${s.denials.length})`);
    const [shown, left] = head(s.denials, limit);
    for (const x of shown)
      out.push(`    ${time(x.time)}  ${t(x.tool)}  ${x.codes.map(t).join(", ")}  ${p.dim(t(x.callId))}`);
    out.push(...more(left, "denials"));
  }
  if (s.approvals.length > 0) {
    out.push(`  approvals (${s.approvals.length})`);
    const [shown, left] = head(s.approvals, limit);
    for (const a of shown) {
      out.push(
        `    ${time(a.askedAt ?? a.decidedAt)}  ${t(a.tool)}  ${a.result === "granted" ? p.green(a.result) : a.result === "denied" ? p.red(a.result) : p.yellow(a.result)}${a.by !== undefined ? ` by ${t(a.by)}` : ""}${a.why !== undefined ? ` (${t(a.why)})` : ""}${a.grants !== undefined ? `, ${plural(a.grants, "grant")}` : ""}  ${a.codes.map(t).join(", ")}`,
      );
    }
    out.push(...more(left, "approvals"));
  }
  if (s.lifecycle.length > 0) {
    out.push("  revocations and pauses");
    const [shown, left] = head(s.lifecycle, limit);
    for (const l of shown) {
      out.push(
        `    ${time(l.time)}  ${t(l.type.slice("context.".length))}${l.inherited ? ` (ancestor ${t(l.contextId)})` : ""}${l.reason !== undefined ? `: ${t(l.reason)}` : ""}`,
      );
    }
    out.push(...more(left, "revocations and pauses"));
  }
  out.push("  timeline");
  const [events, leftOut] = head(s.timeline, limit);
  for (const e of events) {
    const line = `    ${time(e.time)}  ${e.seq !== undefined ? `#${e.seq}`.padEnd(6) : "      "}${t(e.summary)}`;
    out.push(e.deviation ? p.red(line) : e.effect === "deny" ? p.yellow(line) : line);
  }
  out.push(...more(leftOut + s.timelineOmitted, "events"));
  out.push(label("counts", countsText(s.counts)));
  return out;
}

/**
 * Renders a report as readable terminal text. All text from the trail is escaped
 * ({@link escapeTerminal}): a purpose or tool name cannot inject terminal control sequences.
 */
export function renderReportText(report: IntentReport, options: RenderTextOptions = {}): string {
  const p = options.color ? COLOR : PLAIN;
  const out: string[] = [];
  out.push(p.bold("Mandate intent report"));
  if (report.source !== undefined) out.push(`  source    ${t(report.source)}`);
  const v = verificationLines(report.verification, p);
  out.push(`  trail     ${v[0]}`);
  for (const l of v.slice(1)) out.push(`          ${l}`);
  if (report.filter !== undefined) {
    out.push(
      `  filter    intent ${t(report.filter.intent)}${report.filter.matched ? "" : p.red(" — no intent or context has this id")}`,
    );
  }
  if (report.period.from !== undefined)
    out.push(`  period    ${t(report.period.from)} → ${t(report.period.to ?? report.period.from)}`);
  const tot = report.totals;
  out.push(
    `  totals    ${plural(tot.intents, "intent")} · ${plural(tot.agents, "agent")} · ${countsText(tot)}`,
  );
  if (report.input.skipped > 0)
    out.push(`  skipped   ${plural(report.input.skipped, "entry", "entries")} that are not audit events`);
  out.push("");
  out.push(p.bold("Delegation tree"));
  out.push(...(report.tree.length > 0 ? treeLines(report.tree, p, "  ") : ["  (no intents)"]));
  for (const s of report.intents) {
    out.push("");
    out.push(...intentLines(s, p, options.limit ?? 200));
  }
  if (report.agents.length > 0) {
    out.push("");
    out.push(p.bold("Agents"));
    for (const a of report.agents) {
      out.push(
        `  ${agentText(a)}${a.roles !== undefined ? `  roles ${list(a.roles)}` : ""}${a.model !== undefined ? `  model ${t(a.model)}` : ""}`,
      );
      out.push(`    ${plural(a.contexts.length, "context")} · ${countsText(a.counts)}`);
      const codes = Object.entries(a.deviationCodes);
      if (codes.length > 0)
        out.push(`    ${p.red(`deviations: ${codes.map(([c, n]) => `${t(c)} ×${n}`).join(", ")}`)}`);
      out.push(`    data used ${list(a.dataClasses.used)} · refused ${list(a.dataClasses.refused)}`);
    }
  }
  return `${out.join("\n")}\n`;
}
