import { escapeHtml } from "./escape.js";
import { duration } from "./format.js";
import type {
  IntentReport,
  IntentSection,
  ReportAccess,
  ReportAgentRef,
  ReportCounts,
  ReportDeviation,
  ReportTreeNode,
  ReportVerification,
} from "./report-types.js";

/** Options of {@link renderReportHtml}. */
export interface RenderHtmlOptions {
  /** The page title (default "Mandate intent report", plus the source). */
  readonly title?: string;
  /**
   * Most entries shown per list (deviations, denials, approvals, timeline of each intent), so a
   * trail of millions of events still gives a page a browser opens; the counts always cover
   * everything, and a note says how many were left out (default 200; 0 for no limit).
   */
  readonly limit?: number;
}

/** The first `limit` items and how many were left out. */
function head<T>(items: readonly T[], limit: number): [readonly T[], number] {
  return limit > 0 && items.length > limit ? [items.slice(0, limit), items.length - limit] : [items, 0];
}

function more(n: number, what: string, tag: "li" | "tr" | "p" = "li", cols = 1): string {
  if (n <= 0) return "";
  const text = `… ${n.toLocaleString("en-US")} more ${what} not shown here: the JSON report has them all`;
  if (tag === "tr") return `<tr><td colspan="${cols}" class="muted">${text}</td></tr>`;
  return `<${tag} class="muted more">${text}</${tag}>`;
}

/** Every piece of text from the trail goes through this before it reaches the page. */
const h = escapeHtml;

/** An element id from untrusted text: only `[A-Za-z0-9_-]` survive. */
const anchor = (contextId: string) => `ctx-${contextId.replace(/[^A-Za-z0-9_-]/g, "_")}`;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

// One self-contained page: no scripts, no external assets. The Content-Security-Policy is defence
// in depth: were some text ever left unescaped, the browser would still run no script and load
// nothing.
const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const CSS = `
:root{--fg:#1d2330;--muted:#5b6475;--line:#dde2ea;--bg:#f5f7fa;--panel:#fff;--ok:#17803d;--ok-bg:#e6f4ea;
--dev:#b3261e;--dev-bg:#fdecea;--warn:#8a5300;--warn-bg:#fff4db;--info:#1f4e9e;--info-bg:#e8effb;--code:#f0f2f6}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--fg);background:var(--bg)}
header.top{background:var(--panel);border-bottom:1px solid var(--line);padding:20px 32px 16px}
h1{margin:0 0 4px;font-size:22px}
h2{margin:0 0 12px;font-size:18px}
h3{margin:18px 0 8px;font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
main{padding:20px 32px 40px;max-width:1280px}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
code{background:var(--code);padding:1px 5px;border-radius:4px;word-break:break-all}
.meta{margin:0;color:var(--muted)}
.verdict{margin:14px 0 0;padding:10px 14px;border-radius:8px;border-left:6px solid;font-size:15px}
.verdict.ok{background:var(--ok-bg);border-color:var(--ok)}
.verdict.broken{background:var(--dev-bg);border-color:var(--dev)}
.verdict.unverified{background:var(--warn-bg);border-color:var(--warn)}
.verdict ul{margin:6px 0 0;padding-left:20px;font-size:13.5px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin-top:14px}
.card{background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:96px}
.card b{display:block;font-size:20px}
.card span{color:var(--muted);font-size:12px}
.card.alert{background:var(--dev-bg);border-color:var(--dev);color:var(--dev)}
.panel{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:18px 22px;margin-bottom:18px}
.panel.intent.has-deviation{border-left:6px solid var(--dev)}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600;vertical-align:middle;border:1px solid transparent}
.badge.active,.badge.allow,.badge.granted,.badge.ok{background:var(--ok-bg);color:var(--ok)}
.badge.revoked,.badge.deny,.badge.denied,.badge.error{background:var(--dev-bg);color:var(--dev)}
.badge.paused,.badge.ask,.badge.pending,.badge.aborted,.badge.warn{background:var(--warn-bg);color:var(--warn)}
.badge.mode,.badge.info{background:var(--info-bg);color:var(--info)}
.label-dev{display:inline-block;background:var(--dev);color:#fff;font-weight:700;font-size:11.5px;letter-spacing:.06em;padding:2px 8px;border-radius:4px;margin-right:8px;vertical-align:middle}
ul.tree,ul.tree ul{list-style:none;margin:0;padding-left:22px;position:relative}
ul.tree{padding-left:0}
ul.tree ul li{position:relative}
ul.tree ul li::before{content:"";position:absolute;left:-14px;top:0;height:1.15em;width:10px;border-left:1px solid var(--line);border-bottom:1px solid var(--line)}
.node{display:inline-flex;flex-wrap:wrap;gap:8px;align-items:center;padding:4px 0}
.node a{color:var(--fg);font-weight:600;text-decoration:none}
.node a:hover{text-decoration:underline}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;color:var(--muted);font-weight:600}
tr.refused td{background:#fffaf0}
.chip{display:inline-block;background:var(--code);border-radius:4px;padding:0 6px;margin:1px 4px 1px 0;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}
.chip.undeclared{background:var(--dev);color:#fff;font-weight:600}
.chip.refused{background:var(--warn-bg);color:var(--warn)}
ul.deviations{list-style:none;margin:0;padding:0}
.deviation{background:var(--dev-bg);border:1px solid #f3b8b2;border-left:6px solid var(--dev);border-radius:6px;padding:8px 12px;margin:6px 0}
.deviation .dc{font-weight:700;color:var(--dev)}
.deviation .msg{color:#5c1a15;margin-top:2px;font-size:13px}
ol.timeline{list-style:none;margin:0;padding:0;border-left:2px solid var(--line)}
ol.timeline li{position:relative;padding:4px 10px 4px 16px;margin:2px 0 2px 0}
ol.timeline li::before{content:"";position:absolute;left:-6px;top:11px;width:10px;height:10px;border-radius:50%;background:#b8c0cc}
ol.timeline li.deny::before{background:var(--warn)}
ol.timeline li.allow::before{background:var(--ok)}
ol.timeline li.deviation{margin:4px 0 4px 6px;padding-left:12px}
ol.timeline li.deviation::before{background:var(--dev);left:-13px}
.tl-time{color:var(--muted)}
.tl-type{color:var(--info);font-size:12px}
.muted{color:var(--muted)}
.when{color:var(--muted);white-space:nowrap}
.status-line{margin:-6px 0 12px;color:var(--muted)}
.status-line code{color:var(--fg)}
.counts{margin-top:14px;color:var(--muted);font-size:13px}
footer{color:var(--muted);font-size:12px;padding:0 32px 24px}
@media print{body{background:#fff}.panel{break-inside:avoid}}
`;

function time(s: string | undefined): string {
  return s === undefined ? "?" : h(s.replace("T", " ").replace("Z", " UTC"));
}

function shortTime(s: string | undefined): string {
  if (s === undefined) return "?";
  const m = /T(\d{2}:\d{2}:\d{2}(?:\.\d+)?)/.exec(s);
  return h(m ? m[1] : s);
}

function purpose(p: string | undefined): string {
  return p === undefined ? `<span class="muted">(purpose not in the trail)</span>` : `“${h(p)}”`;
}

function agent(a: ReportAgentRef | undefined): string {
  if (a === undefined || (a.id === undefined && a.name === undefined))
    return `<span class="muted">unknown agent</span>`;
  const name = `<b>${h(a.name ?? "?")}</b>${a.version !== undefined ? `@${h(a.version)}` : ""}`;
  const parts = [name];
  if (a.sponsor !== undefined) parts.push(`sponsor <code>${h(a.sponsor)}</code>`);
  if (a.tenant !== undefined) parts.push(`tenant <code>${h(a.tenant)}</code>`);
  if (a.id !== undefined) parts.push(`<span class="mono muted">${h(a.id)}</span>`);
  return parts.join(" · ");
}

function chips(items: readonly string[], cls = ""): string {
  if (items.length === 0) return `<span class="muted">none</span>`;
  return items.map((d) => `<span class="chip${cls ? ` ${cls}` : ""}">${h(d)}</span>`).join("");
}

function badge(text: string, cls: string): string {
  return `<span class="badge ${h(cls)}">${h(text)}</span>`;
}

function effectBadge(effect: string | undefined): string {
  const e = effect ?? "?";
  return badge(e, ["allow", "deny", "ask"].includes(e) ? e : "warn");
}

function verdict(v: ReportVerification | undefined): string {
  if (v === undefined) {
    return `<div class="verdict unverified" role="status"><strong>Trail not verified.</strong> This report was built without checking the hash chain; run <code>mandate audit verify</code>.</div>`;
  }
  const sig = v.signaturesChecked
    ? "checkpoint signatures checked"
    : "checkpoint signatures <b>not</b> checked (no keys given)";
  if (v.ok) {
    const torn =
      v.tornLine !== undefined ? `; a torn last line (${v.tornLine}) from a crash mid-write is ignored` : "";
    return `<div class="verdict ok" role="status"><strong>Trail verified.</strong> ${plural(v.events, "event")}, hash chain intact, ${sig}${torn}.</div>`;
  }
  const problems = v.problems
    .map((q) => {
      const where = [
        q.line !== undefined ? `line ${q.line}` : "",
        q.seq !== undefined ? `seq ${q.seq}` : "",
        q.stream !== undefined ? `stream <code>${h(q.stream)}</code>` : "",
      ]
        .filter(Boolean)
        .join(", ");
      return `<li><b>${h(q.kind)}</b>${where ? ` at ${where}` : ""}: ${h(q.message)}</li>`;
    })
    .join("");
  return `<div class="verdict broken" role="alert"><strong>Trail BROKEN: it was altered, truncated or reordered.</strong> ${plural(v.problems.length, "problem")} in ${plural(v.events, "event")}; ${sig}. Do not trust what follows without investigating.<ul>${problems}</ul></div>`;
}

function card(value: number, label: string, alert = false): string {
  return `<div class="card${alert ? " alert" : ""}"><b>${value}</b><span>${h(label)}</span></div>`;
}

function tree(nodes: readonly ReportTreeNode[]): string {
  if (nodes.length === 0) return "";
  const items = nodes.map((n) => {
    const dev = n.deviations > 0 ? ` ${badge(plural(n.deviations, "deviating call"), "deny")}` : "";
    const status = badge(n.status, n.status);
    return `<li><div class="node"><a href="#${anchor(n.contextId)}">${purpose(n.purpose)}</a> <span>${h(n.agent.name ?? "?")}</span> ${status} <span class="muted">${plural(n.calls, "call")}</span>${dev} <span class="mono muted">${h(n.contextId)}</span></div>${tree(n.children)}</li>`;
  });
  return `<ul>${items.join("")}</ul>`;
}

function deviationItem(d: ReportDeviation, withContext?: IntentSection): string {
  const access = d.access ? ` on <code>${h(d.access.action)} ${h(d.access.resource)}</code>` : "";
  const where = withContext
    ? ` in <a href="#${anchor(withContext.contextId)}">${purpose(withContext.purpose)}</a>`
    : "";
  return `<li class="deviation" data-kind="deviation"><span class="label-dev">DEVIATION</span>${d.stage === "output" ? '<span class="badge warn">in its output</span> ' : ""}<code>${h(d.code)}</code>${d.dataClass !== undefined ? ` <span class="dc">${h(d.dataClass)}</span>` : ""} · tool <b>${h(d.tool)}</b> ${effectBadge(d.effect)}${access}${where} <span class="when">${time(d.time)}</span>${d.message ? `<div class="msg">${h(d.message)}</div>` : ""}</li>`;
}

function accessRows(
  rows: readonly ReportAccess[],
  kind: "permitted" | "refused",
  undeclared: Set<string>,
): string {
  return rows
    .map(
      (a) =>
        `<tr class="${kind}"><td>${badge(kind, kind === "permitted" ? "allow" : "deny")}</td><td><code>${h(a.action)}</code></td><td><code>${h(a.resource)}</code>${a.uninspectable ? ` <span class="badge warn">uninspectable ${h(a.uninspectable.field)}</span>` : ""}</td><td>${a.data.length > 0 ? a.data.map((d) => `<span class="chip${undeclared.has(d) ? " undeclared" : ""}">${h(d)}</span>`).join("") : '<span class="muted">none</span>'}</td><td>${a.count}</td><td>${a.tools.map(h).join(", ")}</td></tr>`,
    )
    .join("");
}

function counts(c: ReportCounts): string {
  const parts = [
    plural(c.events, "event"),
    plural(c.calls, "call"),
    `${c.allowed} allowed`,
    `${c.denied} denied`,
    `${c.asked} asked`,
    plural(c.deviations, "deviating call"),
    `approvals ${c.approvals.asked} asked / ${c.approvals.granted} granted / ${c.approvals.denied} denied`,
    `outcomes ${c.outcomes.ok} ok / ${c.outcomes.error} error / ${c.outcomes.aborted} aborted`,
  ];
  if (c.revocations > 0) parts.push(plural(c.revocations, "revocation"));
  if (c.pauses > 0) parts.push(plural(c.pauses, "pause"));
  return parts.join(" · ");
}

/** One limit, with a ttl in milliseconds shown as a duration. */
function limitHtml(k: string, v: unknown): string {
  if (k === "ttlMs" && typeof v === "number") return `ttl <code>${h(duration(v))}</code>`;
  return `${h(k)} <code>${h(typeof v === "object" ? JSON.stringify(v) : String(v))}</code>`;
}

function intentSection(s: IntentSection, limit: number): string {
  const out: string[] = [];
  const hasDev = s.deviations.length > 0;
  out.push(`<section class="panel intent${hasDev ? " has-deviation" : ""}" id="${anchor(s.contextId)}">`);
  const st = s.status;
  const statusText =
    st.state === "active"
      ? badge("active", "active")
      : `${badge(st.state, st.state)}${st.by !== undefined && st.by !== s.contextId ? ` through ancestor <code>${h(st.by)}</code>` : ""}${st.reason !== undefined ? ` — ${h(st.reason)}` : ""}${st.time !== undefined ? ` <span class="when">${time(st.time)}</span>` : ""}`;
  out.push(`<h2>Intent ${purpose(s.purpose)}</h2>`);
  out.push(
    `<p class="status-line">${statusText}${s.mode !== undefined ? ` ${badge(`${s.mode} mode`, "mode")}` : ""}${hasDev ? ` ${badge(plural(s.deviations.length, "deviation"), "deny")}` : ""}</p>`,
  );
  if (!s.declared) out.push(`<p class="badge warn">The declaration of this intent is not in the trail.</p>`);
  const facts: [string, string][] = [
    ["agent", agent(s.agent)],
    [
      "context",
      `<code>${h(s.contextId)}</code>${s.depth > 0 ? ` <span class="muted">depth ${s.depth}</span>` : ""}`,
    ],
  ];
  if (s.intentId !== undefined) facts.push(["intent", `<code>${h(s.intentId)}</code>`]);
  if (s.intentDigest !== undefined) facts.push(["intent digest", `<code>${h(s.intentDigest)}</code>`]);
  if (s.declaredAt !== undefined) facts.push(["declared", time(s.declaredAt)]);
  if (s.parent !== undefined) {
    facts.push([
      "delegated from",
      `<a href="#${anchor(s.parent.contextId)}">${purpose(s.parent.purpose)}</a> <code>${h(s.parent.contextId)}</code>${s.delegatedBy !== undefined ? ` <span class="muted">by ${s.parent.agent?.name !== undefined && s.parent.agent.id === s.delegatedBy ? `${h(s.parent.agent.name)} ` : "agent "}<span class="mono">${h(s.delegatedBy)}</span></span>` : ""}`,
    ]);
  }
  if (s.children.length > 0) {
    facts.push([
      "delegated to",
      s.children
        .map(
          (c) =>
            `<a href="#${anchor(c.contextId)}">${purpose(c.purpose)}</a> <span class="muted">${h(c.agent?.name ?? "?")}</span>`,
        )
        .join("<br>"),
    ]);
  }
  if (s.limits !== undefined && Object.keys(s.limits).length > 0) {
    facts.push([
      "limits",
      Object.entries(s.limits)
        .map(([k, v]) => limitHtml(k, v))
        .join(", "),
    ]);
  }
  out.push(`<dl class="facts">${facts.map(([k, v]) => `<dt>${h(k)}</dt><dd>${v}</dd>`).join("")}</dl>`);

  if (hasDev) {
    out.push(`<h3>Deviations from the declared intent</h3>`);
    const [shown, left] = head(s.deviations, limit);
    out.push(
      `<ul class="deviations">${shown.map((d) => deviationItem(d)).join("")}${more(left, "deviations")}</ul>`,
    );
  }

  out.push(`<h3>Declared scope</h3>`);
  out.push(
    s.declaredScope.length === 0
      ? `<p class="muted">none recorded</p>`
      : `<table><thead><tr><th>action</th><th>resource</th><th>data classes</th><th>constraints</th></tr></thead><tbody>${s.declaredScope
          .map(
            (e) =>
              `<tr><td><code>${h(e.action)}</code></td><td><code>${h(e.resource)}</code></td><td>${chips(e.data)}</td><td>${e.where !== undefined ? `<code>${h(JSON.stringify(e.where))}</code>` : ""}</td></tr>`,
          )
          .join("")}</tbody></table>`,
  );

  const undeclared = new Set(s.dataClasses.undeclared);
  out.push(`<h3>Data classes: declared vs touched</h3>`);
  out.push(
    `<dl class="facts"><dt>declared</dt><dd>${chips(s.dataClasses.declared)}</dd><dt>used (let through)</dt><dd>${s.dataClasses.used.length > 0 ? s.dataClasses.used.map((d) => `<span class="chip${undeclared.has(d) ? " undeclared" : ""}">${h(d)}</span>`).join("") : '<span class="muted">none</span>'}</dd><dt>refused</dt><dd>${chips(s.dataClasses.refused, "refused")}</dd>${undeclared.size > 0 ? `<dt>outside the intent</dt><dd class="deviation" data-kind="deviation"><span class="label-dev">DEVIATION</span>${chips([...undeclared], "undeclared")}</dd>` : ""}</dl>`,
  );

  const { permitted, refused } = s.accesses;
  out.push(`<h3>Accesses</h3>`);
  out.push(
    permitted.length + refused.length === 0
      ? `<p class="muted">none</p>`
      : `<table><thead><tr><th></th><th>action</th><th>resource</th><th>data classes</th><th>calls</th><th>tools</th></tr></thead><tbody>${accessRows(permitted, "permitted", undeclared)}${accessRows(refused, "refused", undeclared)}</tbody></table>`,
  );

  if (s.denials.length > 0) {
    out.push(`<h3>Denials</h3>`);
    out.push(
      `<table><thead><tr><th>time</th><th>tool</th><th>reasons</th><th>call</th></tr></thead><tbody>${head(
        s.denials,
        limit,
      )[0]
        .map(
          (d) =>
            `<tr${d.deviation ? ' class="refused"' : ""}><td class="tl-time">${shortTime(d.time)}</td><td>${h(d.tool)}</td><td>${d.reasons.length > 0 ? d.reasons.map((r) => `<code>${h(r.code)}</code>${r.dataClass !== undefined ? ` ${h(r.dataClass)}` : ""}`).join("<br>") : d.codes.map((c) => `<code>${h(c)}</code>`).join(" ")}</td><td class="mono muted">${h(d.callId)}</td></tr>`,
        )
        .join("")}${more(head(s.denials, limit)[1], "denials", "tr", 4)}</tbody></table>`,
    );
  }
  if (s.approvals.length > 0) {
    out.push(`<h3>Approvals</h3>`);
    out.push(
      `<table><thead><tr><th>asked</th><th>tool</th><th>result</th><th>why asked</th><th>decided</th></tr></thead><tbody>${head(
        s.approvals,
        limit,
      )[0]
        .map(
          (a) =>
            `<tr><td class="tl-time">${a.askedAt !== undefined ? shortTime(a.askedAt) : '<span class="muted">not asked</span>'}</td><td>${h(a.tool)}</td><td>${badge(a.result, a.result)}${a.by !== undefined ? ` by ${h(a.by)}` : ""}${a.why !== undefined ? ` <span class="muted">${h(a.why)}</span>` : ""}${a.grants !== undefined ? ` <span class="muted">${plural(a.grants, "grant")}</span>` : ""}</td><td>${a.codes.map((c) => `<code>${h(c)}</code>`).join(" ")}</td><td class="tl-time">${a.decidedAt !== undefined ? shortTime(a.decidedAt) : ""}</td></tr>`,
        )
        .join("")}${more(head(s.approvals, limit)[1], "approvals", "tr", 5)}</tbody></table>`,
    );
  }
  if (s.lifecycle.length > 0) {
    out.push(`<h3>Revocations and pauses</h3>`);
    out.push(
      `<table><tbody>${head(s.lifecycle, limit)[0]
        .map(
          (l) =>
            `<tr><td class="tl-time">${time(l.time)}</td><td>${badge(l.type.slice("context.".length), l.type === "context.revoked" ? "revoked" : l.type === "context.paused" ? "paused" : "active")}</td><td>${l.inherited ? `through ancestor <code>${h(l.contextId)}</code>` : "this context"}</td><td>${l.reason !== undefined ? h(l.reason) : ""}</td></tr>`,
        )
        .join("")}${more(head(s.lifecycle, limit)[1], "revocations and pauses", "tr", 4)}</tbody></table>`,
    );
  }

  out.push(`<h3>Timeline</h3>`);
  out.push(
    `<ol class="timeline">${head(s.timeline, limit)[0]
      .map((e) => {
        const cls = [
          e.effect === "allow" || e.effect === "deny" ? e.effect : "",
          e.deviation ? "deviation" : "",
        ]
          .filter(Boolean)
          .join(" ");
        const attrs = `${cls ? ` class="${cls}"` : ""}${e.deviation ? ' data-kind="deviation"' : ""}`;
        return `<li${attrs}>${e.deviation ? '<span class="label-dev">DEVIATION</span>' : ""}<span class="tl-time mono" title="${h(e.time ?? "")}">${shortTime(e.time)}</span> ${e.seq !== undefined ? `<span class="muted mono">#${e.seq}</span> ` : ""}<span class="tl-type">${h(e.type)}</span> ${h(e.summary)}</li>`;
      })
      .join("")}${more(head(s.timeline, limit)[1] + s.timelineOmitted, "events")}</ol>`,
  );
  out.push(`<p class="counts">${counts(s.counts)}</p>`);
  out.push(`</section>`);
  return out.join("\n");
}

function agentsTable(report: IntentReport): string {
  if (report.agents.length === 0) return "";
  const rows = report.agents
    .map((a) => {
      const codes = Object.entries(a.deviationCodes);
      return `<tr><td>${agent(a)}${a.roles !== undefined ? `<br><span class="muted">roles</span> ${chips(a.roles)}` : ""}${a.model !== undefined ? ` <span class="muted">model</span> ${h(a.model)}` : ""}</td><td>${a.contexts.map((c) => `<a href="#${anchor(c.contextId)}">${purpose(c.purpose)}</a>`).join("<br>") || '<span class="muted">none</span>'}</td><td>${a.counts.calls}</td><td>${a.counts.allowed}</td><td>${a.counts.denied}</td><td>${codes.length > 0 ? codes.map(([c, n]) => `<span class="chip undeclared">${h(c)} ×${n}</span>`).join("") : "0"}</td><td>${chips(a.dataClasses.used)}</td><td>${chips(a.dataClasses.refused, "refused")}</td></tr>`;
    })
    .join("");
  return `<section class="panel"><h2>Agents</h2><table><thead><tr><th>agent instance</th><th>intents</th><th>calls</th><th>allowed</th><th>denied</th><th>deviations</th><th>data used</th><th>data refused</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

/**
 * Renders a report as one self-contained HTML page (inline CSS, no scripts, no external assets):
 * the verification verdict, the delegation tree, each intent with its deviations highlighted, its
 * scope, data classes, accesses and timeline, and the agents. All text from the trail is escaped,
 * and a Content-Security-Policy forbids scripts and loads as a second line of defence.
 */
export function renderReportHtml(report: IntentReport, options: RenderHtmlOptions = {}): string {
  const title =
    options.title ?? `Mandate intent report${report.source !== undefined ? ` — ${report.source}` : ""}`;
  const t = report.totals;
  const limit = options.limit ?? 200;
  const deviationCount = report.intents.reduce((n, s) => n + s.deviations.length, 0);
  // The summary list: the first deviations across intents, in report order.
  const summary: string[] = [];
  for (const s of report.intents) {
    for (const d of s.deviations) {
      if (limit > 0 && summary.length >= limit) break;
      summary.push(deviationItem(d, s));
    }
  }
  const meta = [
    report.source !== undefined ? `source <code>${h(report.source)}</code>` : "",
    report.period.from !== undefined
      ? `${time(report.period.from)} → ${time(report.period.to ?? report.period.from)}`
      : "",
    `generated ${time(report.generatedAt)}`,
    report.filter !== undefined
      ? `filtered to intent <code>${h(report.filter.intent)}</code>${report.filter.matched ? "" : " — <b>no intent or context has this id</b>"}`
      : "",
    report.input.skipped > 0
      ? `${plural(report.input.skipped, "entry", "entries")} skipped (not audit events)`
      : "",
  ]
    .filter(Boolean)
    .join(" · ");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${h(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header class="top">
<h1>${h(title)}</h1>
<p class="meta">${meta}</p>
${verdict(report.verification)}
<div class="cards">${card(t.intents, "intents")}${card(t.agents, "agents")}${card(t.calls, "calls")}${card(t.allowed, "allowed")}${card(t.denied, "denied")}${card(t.asked, "asked")}${card(t.deviations, "deviating calls", t.deviations > 0)}${card(t.approvals.asked, "approvals asked")}${card(t.revocations, "revocations")}</div>
</header>
<main>
<section class="panel"><h2>Delegation tree</h2>${report.tree.length > 0 ? `<div class="tree-wrap">${tree(report.tree).replace(/^<ul>/, '<ul class="tree">')}</div>` : '<p class="muted">No intents in this trail.</p>'}</section>
${deviationCount > 0 ? `<section class="panel"><h2>Deviations (${deviationCount})</h2><ul class="deviations">${summary.join("")}${more(deviationCount - summary.length, "deviations")}</ul></section>` : ""}
${report.intents.map((s) => intentSection(s, limit)).join("\n")}
${agentsTable(report)}
</main>
<footer>Mandate report format v${report.version}. Text from the audit trail is shown escaped; the page runs no scripts.</footer>
</body>
</html>
`;
}
