/**
 * Tamper detection over a REAL audit log: a Mandate with a signing key writes about 10,000 events
 * of every kind to a JSONL file (signed checkpoints every 1,000 events, a final one on close). Then
 * every single-event tamper is applied at EVERY position of the log, and the verifier must detect
 * it and say what it was and where (kind, sequence number and line).
 *
 * Speed without weakening the check: one verification of the whole log costs ~100 ms (every line
 * parsed and hashed), so 10,000 positions × 6 kinds verified one at a time would take hours. The
 * tampers of one kind are therefore applied in {@link SPACING} interleaved batches (positions
 * s ≡ r mod SPACING, far enough apart that their effects cannot touch), and each batch is verified
 * in full: every line parsed and hashed, every link, every signature. The verdict must then list,
 * for every tampered position, exactly the problems that tamper causes — kind, sequence number and
 * line — and nothing anywhere else, so no tamper can borrow its detection from a neighbour.
 * A sample of positions is also verified alone, to show that batching changes no verdict.
 * Truncation cannot be batched (a log has one tail): on the big log it is verified for every
 * k = 1…{@link TAIL_CUTS}, around every checkpoint and down to nothing, and on a smaller real log
 * (600 events, a checkpoint every 50) for every k = 1…N.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AuditEvent,
  CHECKPOINT_TOKEN_TYPE,
  canonicalJson,
  createMandate,
  eventHash,
  generateSigningKey,
  type JsonWebKeySet,
  newId,
  type TrailProblem,
  type TrailProblemKind,
  verifyAuditLines,
} from "../src/index.js";
import { jsonlAuditSink, verifyAuditFile } from "../src/node/index.js";
import { approveYes, askOnAsk, driveUntil, runTools, teeSink } from "./fixtures/audit-run.js";
import { roles } from "./helpers.js";

const EVENTS = 10_000;
const CHECKPOINT_EVERY = 1_000;
/** Distance between two tampers of one batch. Each tamper touches at most positions s and s+1. */
const SPACING = 5;
/** Truncation is verified for every k = 1…TAIL_CUTS on the big log (each cut is one full verification). */
const TAIL_CUTS = 50;

type Ev = Record<string, unknown> & {
  readonly seq: number;
  readonly type: string;
  readonly "mandate.hash": string;
  readonly "mandate.prev": string;
  readonly "mandate.stream": string;
};

/** A real log as written by the JSONL sink, and what a verifier needs beside it. */
interface Log {
  readonly dir: string;
  readonly path: string;
  readonly lines: readonly string[];
  readonly events: readonly Ev[];
  /** Number of events (= lines): the last one is the final checkpoint. */
  readonly n: number;
  readonly stream: string;
  /** `<path>.checkpoint`, parsed. */
  readonly side: readonly Ev[];
  /** Checkpoints as a log shipper saw them leave (kept outside the log). */
  readonly shipped: readonly AuditEvent[];
  readonly keys: readonly JsonWebKeySet[];
  /** seq → how many in-log checkpoints vouch for that event. */
  readonly vouched: ReadonlyMap<number, number>;
  readonly checkpointSeqs: readonly number[];
}

async function writeLog(dir: string, events: number, checkpointEvery: number): Promise<Log> {
  const path = join(dir, "audit.jsonl");
  const key = await generateSigningKey();
  const tee = teeSink(jsonlAuditSink({ path }));
  const mandate = createMandate({
    roles,
    tools: runTools,
    policies: [askOnAsk],
    approver: approveYes,
    audit: { sink: tee, checkpointEvery, checkpointIntervalMs: 3_600_000 },
    tokens: { signing: key },
  });
  await driveUntil(mandate, tee, events);
  await mandate.close();
  const text = await readFile(path, "utf8");
  expect(text.endsWith("\n")).toBe(true);
  const lines = text.slice(0, -1).split("\n");
  const parsed = lines.map((l) => JSON.parse(l) as Ev);
  const side = (await readFile(`${path}.checkpoint`, "utf8"))
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Ev);
  const vouched = new Map<number, number>();
  const checkpointSeqs: number[] = [];
  for (const e of parsed) {
    if (e.type !== "audit.checkpoint") continue;
    checkpointSeqs.push(e.seq);
    const covered = (e["mandate.detail"] as { covers: { seq: number } }).covers.seq;
    vouched.set(covered, (vouched.get(covered) ?? 0) + 1);
  }
  return {
    dir,
    path,
    lines,
    events: parsed,
    n: lines.length,
    stream: parsed[0]?.["mandate.stream"] as string,
    side,
    shipped: tee.checkpoints,
    keys: [mandate.jwks()],
    vouched,
    checkpointSeqs,
  };
}

// ---- building tampered lines ------------------------------------------------------------------

/** The sealed line form the sink writes: the hash first, then the canonical text it covers. */
function sealedLine(e: Ev): string {
  const { "mandate.hash": hash, ...rest } = e;
  return `{"mandate.hash":${JSON.stringify(hash)},${canonicalJson(rest).slice(1)}`;
}

function rehashed(e: Ev): Ev {
  return { ...e, "mandate.hash": eventHash(e) };
}

/** A copy of the event with one field value changed (the hash is left as it was). */
function altered(e: Ev): Ev {
  const c = structuredClone(e) as Record<string, unknown>;
  switch (e.type) {
    case "tool.decision":
      c["mandate.decision"] = e["mandate.decision"] === "allow" ? "deny" : "allow";
      break;
    case "tool.outcome":
      c["mandate.outcome"] = e["mandate.outcome"] === "ok" ? "error" : "ok";
      break;
    case "audit.checkpoint": {
      const detail = c["mandate.detail"] as { covers: { seq: number } };
      detail.covers.seq += 1;
      break;
    }
    default:
      if (typeof e["mandate.sponsor"] === "string") c["mandate.sponsor"] = "user:mallory";
      else c.time = new Date(0).toISOString();
  }
  return c as Ev;
}

/** A forged event that links seamlessly after event `s`: next position, prev = hash of s, own hash recomputed. */
function forgedAfter(log: Log, s: number): Ev {
  const base = log.events[s - 1] as Ev;
  return rehashed({
    ...altered(base),
    id: newId(),
    seq: s + 1,
    "mandate.prev": base["mandate.hash"],
  });
}

const attacker = await generateSigningKey();

/** The checkpoint re-signed (same claims) by a key the verifier does not trust, and its hash fixed. */
async function resigned(e: Ev, kid: string): Promise<Ev> {
  const jwt = e["mandate.signature"] as string;
  const payload = decodeJwt(jwt);
  const header = decodeProtectedHeader(jwt);
  const signature = await new SignJWT(payload)
    .setProtectedHeader({ alg: attacker.alg, kid, typ: header.typ ?? CHECKPOINT_TOKEN_TYPE })
    .sign(attacker.privateKey);
  return rehashed({ ...e, "mandate.signature": signature });
}

/** The checkpoint with bytes of its signature flipped (the event's hash is left as it was). */
function flipped(e: Ev): Ev {
  const jwt = e["mandate.signature"] as string;
  const sig = jwt.slice(jwt.lastIndexOf(".") + 1);
  const at = Math.floor(sig.length / 2);
  const swap = (c: string) => (c === "A" ? "B" : "A");
  const bad = `${sig.slice(0, at)}${swap(sig[at] as string)}${swap(sig[at + 1] as string)}${sig.slice(at + 2)}`;
  return { ...e, "mandate.signature": `${jwt.slice(0, jwt.lastIndexOf(".") + 1)}${bad}` };
}

// ---- what the verifier must say -----------------------------------------------------------------

/** One problem the verifier must (or, when optional, may) report. `line` undefined: any line. */
interface Expected {
  readonly kind: TrailProblemKind;
  readonly seq: number | undefined;
  readonly line?: number;
  readonly optional?: boolean;
}

type Kind =
  | "alter"
  | "alter+rehash"
  | "delete"
  | "duplicate"
  | "forge"
  | "swap"
  | "resign (untrusted key, same kid)"
  | "resign (untrusted key, own kid)"
  | "flip signature bytes";

interface Tampered {
  readonly lines: string[];
  /** Tampered position → what it must produce. */
  readonly expected: Map<number, Expected[]>;
}

/** Applies one kind of tamper at every position of `sites` (far enough apart) in one pass. */
async function tamper(log: Log, kind: Kind, sites: ReadonlySet<number>): Promise<Tampered> {
  const { lines, events, n } = log;
  const out: string[] = [];
  const expected = new Map<number, Expected[]>();
  /** Problems a rewritten event `s` (own hash recomputed) causes: via the next link, via checkpoints. */
  const rewritten = (s: number, line: number): Expected[] => [
    ...(s < n ? [{ kind: "altered" as const, seq: s, line }] : []),
    ...Array.from({ length: log.vouched.get(s) ?? 0 }, () => ({ kind: "altered" as const, seq: s, line })),
  ];
  for (let s = 1; s <= n; s++) {
    const line = lines[s - 1] as string;
    const e = events[s - 1] as Ev;
    if (!sites.has(s)) {
      out.push(line);
      continue;
    }
    const site = s;
    const exp: Expected[] = [];
    switch (kind) {
      case "alter":
        out.push(sealedLine(altered(e)));
        exp.push({ kind: "altered", seq: s, line: out.length });
        break;
      case "alter+rehash":
        out.push(sealedLine(rehashed(altered(e))));
        exp.push(...rewritten(s, out.length));
        // The last event (the final checkpoint) has no successor and nothing in the log vouches for
        // it, but the checkpoint file beside the log holds it as written.
        if (s === n) exp.push({ kind: "altered", seq: s, line: out.length });
        break;
      case "delete":
        // Deleting the last event cuts the tail: the checkpoint file still holds it.
        exp.push(s === n ? { kind: "truncated", seq: s } : { kind: "deleted", seq: s });
        break;
      case "duplicate":
        out.push(line, line);
        exp.push({ kind: "inserted", seq: s, line: out.length });
        break;
      case "forge":
        out.push(line, sealedLine(forgedAfter(log, s)));
        exp.push({ kind: "inserted", seq: s + 1, line: out.length });
        break;
      case "swap":
        out.push(lines[s] as string, line);
        exp.push({ kind: "reordered", seq: s, line: out.length });
        s++;
        break;
      case "resign (untrusted key, same kid)":
      case "resign (untrusted key, own kid)": {
        const kid = kind.includes("same")
          ? (decodeProtectedHeader(e["mandate.signature"] as string).kid as string)
          : attacker.kid;
        out.push(sealedLine(await resigned(e, kid)));
        exp.push({ kind: "bad_signature", seq: s, line: out.length }, ...rewritten(s, out.length));
        // The final checkpoint differs from the one kept beside the log: may be reported too.
        if (s === n) exp.push({ kind: "altered", seq: s, line: out.length, optional: true });
        break;
      }
      case "flip signature bytes":
        out.push(sealedLine(flipped(e)));
        exp.push(
          { kind: "bad_signature", seq: s, line: out.length },
          { kind: "altered", seq: s, line: out.length },
        );
        break;
    }
    expected.set(site, exp);
  }
  return { lines: out, expected };
}

function matches(e: Expected, p: TrailProblem): boolean {
  return e.kind === p.kind && e.seq === p.seq && (e.line === undefined || e.line === p.line);
}

/** Whether the problems are exactly the expected ones (each required one once; optional ones any times). */
function exactly(expected: readonly Expected[], actual: readonly TrailProblem[]): boolean {
  const left = [...actual];
  // The verifier reports one problem per kind and place, however many checks saw it.
  const required = expected.filter(
    (x, i) =>
      !x.optional &&
      expected.findIndex((y) => !y.optional && y.kind === x.kind && y.seq === x.seq && y.line === x.line) ===
        i,
  );
  for (const e of required) {
    const i = left.findIndex((p) => matches(e, p));
    if (i < 0) return false;
    left.splice(i, 1);
  }
  return left.every((p) => expected.some((e) => e.optional && matches(e, p)));
}

const show = (p: TrailProblem) => `${p.kind}@seq ${p.seq ?? "-"}/line ${p.line ?? "-"}`;

// ---- the tally ------------------------------------------------------------------------------------

interface Tally {
  applied: number;
  detected: number;
  classified: number;
  misses: string[];
}

const tally = new Map<string, Tally>();
/** `<kind>#<position>` → the problems (kind@seq) the verifier reported there. */
const verdicts = new Map<string, string>();

function count(kind: string, detected: boolean, classified: boolean, why: () => string): void {
  const t = tally.get(kind) ?? { applied: 0, detected: 0, classified: 0, misses: [] };
  t.applied++;
  if (detected) t.detected++;
  if (classified) t.classified++;
  if ((!detected || !classified) && t.misses.length < 5) t.misses.push(why());
  tally.set(kind, t);
}

function assertAll(kind: string): void {
  const t = tally.get(kind);
  expect(t?.applied, `no ${kind} tamper applied`).toBeGreaterThan(0);
  expect({ kind, detected: t?.detected, misses: t?.misses }).toEqual({
    kind,
    detected: t?.applied,
    misses: t?.misses,
  });
  expect({ kind, classified: t?.classified, misses: t?.misses }).toEqual({
    kind,
    classified: t?.applied,
    misses: t?.misses,
  });
}

/** Verifies a tampered log as `verifyAuditFile` would (checkpoint file given) and tallies each site. */
async function verifyAndCount(log: Log, kind: Kind, t: Tampered, label: string = kind): Promise<number> {
  const verdict = await verifyAuditLines(t.lines, { keys: log.keys, checkpoints: log.side });
  // Attribute each problem to the tampered position it names (sites are SPACING apart).
  const owner = new Map<number, number>();
  for (const [site, exp] of t.expected) for (const e of exp) if (e.seq !== undefined) owner.set(e.seq, site);
  for (const site of t.expected.keys()) {
    owner.set(site, site);
    owner.set(site + 1, owner.get(site + 1) ?? site);
  }
  const bySite = new Map<number, TrailProblem[]>();
  const stray: TrailProblem[] = [];
  for (const p of verdict.problems) {
    const site = p.seq === undefined ? undefined : owner.get(p.seq);
    if (site === undefined) stray.push(p);
    else bySite.set(site, [...(bySite.get(site) ?? []), p]);
  }
  for (const [site, exp] of t.expected) {
    const got = bySite.get(site) ?? [];
    verdicts.set(
      `${label}#${site}`,
      got
        .map((p) => `${p.kind}@${p.seq}`)
        .sort()
        .join(", "),
    );
    count(label, got.length > 0 && !verdict.ok, exactly(exp, got), () => {
      const want = exp.map(
        (e) => `${e.optional ? "(" : ""}${e.kind}@seq ${e.seq}/line ${e.line ?? "*"}${e.optional ? ")" : ""}`,
      );
      return `position ${site}: expected [${want.join(", ")}], got [${got.map(show).join(", ")}]`;
    });
  }
  // A problem no tamper explains is a false positive: it fails the whole batch.
  expect(stray.map(show), `${kind}: problems at untampered positions`).toEqual([]);
  return verdict.problems.length;
}

// ---- the log ----------------------------------------------------------------------------------------

let log: Log;
const started = performance.now();
const durations: string[] = [];

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    durations.push(`${label}: ${Math.round(performance.now() - t0)} ms`);
  }
}

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), "mandate-tamper-"));
  log = await timed("writing the 10k-event log", () => writeLog(dir, EVENTS, CHECKPOINT_EVERY));
}, 120_000);

afterAll(async () => {
  if (log) await rm(log.dir, { recursive: true, force: true });
  const rows = [...tally].map(([kind, t]) => ({
    tamper: kind,
    applied: t.applied,
    detected: t.detected,
    "classified exactly": t.classified,
    "detection %": t.applied === 0 ? "-" : ((100 * t.detected) / t.applied).toFixed(2),
  }));
  const total = [...tally.values()].reduce(
    (a, t) => ({
      applied: a.applied + t.applied,
      detected: a.detected + t.detected,
      classified: a.classified + t.classified,
    }),
    { applied: 0, detected: 0, classified: 0 },
  );
  const lines = [
    `\naudit tamper detection over a real log of ${log?.n ?? "?"} events (${log?.checkpointSeqs.length ?? "?"} signed checkpoints)`,
    `${"tamper".padEnd(36)} ${"applied".padStart(8)} ${"detected".padStart(9)} ${"classified".padStart(11)} ${"detected %".padStart(11)}`,
    ...rows.map(
      (r) =>
        `${r.tamper.padEnd(36)} ${String(r.applied).padStart(8)} ${String(r.detected).padStart(9)} ${String(r["classified exactly"]).padStart(11)} ${r["detection %"].padStart(11)}`,
    ),
    `${"total".padEnd(36)} ${String(total.applied).padStart(8)} ${String(total.detected).padStart(9)} ${String(total.classified).padStart(11)}`,
    ...[...tally]
      .filter(([, t]) => t.misses.length > 0)
      .map(
        ([kind, t]) =>
          `  ${kind}: ${t.applied - t.classified} not exactly classified, e.g.\n    ${t.misses.join("\n    ")}`,
      ),
    `durations: ${durations.join("; ")}; whole file ${Math.round(performance.now() - started)} ms`,
  ];
  console.log(lines.join("\n"));
});

// ---- the tests --------------------------------------------------------------------------------------

describe(`a real audit log of ${EVENTS} events`, () => {
  it("verifies untouched, with every kind of event and a signed final checkpoint", async () => {
    const verdict = await verifyAuditFile(log.path, { keys: log.keys });
    expect(verdict.problems).toEqual([]);
    expect(verdict.ok).toBe(true);
    expect(verdict.signaturesChecked).toBe(true);
    expect(verdict.events).toBe(log.n);
    expect(verdict.streams).toEqual([
      expect.objectContaining({ stream: log.stream, events: log.n, lastSeq: log.n, final: true }),
    ]);
    expect(log.n).toBeGreaterThanOrEqual(EVENTS);
    expect(log.events.map((e) => e.seq)).toEqual(Array.from({ length: log.n }, (_, i) => i + 1));
    // A checkpoint after every 1,000 events (give or take a batch), and the final one.
    expect(log.checkpointSeqs.length).toBeGreaterThanOrEqual(EVENTS / CHECKPOINT_EVERY);
    expect(log.checkpointSeqs.at(-1)).toBe(log.n);
    expect(new Set(log.events.map((e) => e.type))).toEqual(
      new Set([
        "identity.issued",
        "intent.declared",
        "context.delegated",
        "context.revoked",
        "context.paused",
        "context.resumed",
        "tool.decision",
        "tool.outcome",
        "approval.asked",
        "approval.granted",
        "approval.denied",
        "audit.checkpoint",
      ]),
    );
    // Every line is in sealed form: it verifies without being re-encoded.
    expect(log.lines.every((l) => l.startsWith('{"mandate.hash":"sha256:'))).toBe(true);
    expect(log.side).toEqual([log.events.at(-1)]);
  });

  const single: Kind[] = ["alter", "alter+rehash", "delete", "duplicate", "forge", "swap"];
  const blurb: Record<string, string> = {
    alter: "one field changed, hash left as it was → altered at that event",
    "alter+rehash":
      "one field changed and the event's own hash recomputed → altered, via the next link or a checkpoint",
    delete: "one event removed → deleted at its position",
    duplicate: "an event copied right after itself → inserted",
    forge: "a forged event (own hash recomputed, linked to the one before) inserted → inserted",
    swap: "two neighbours swapped → reordered",
  };
  for (const kind of single) {
    it(`detects "${kind}" at every position: ${blurb[kind]}`, async () => {
      const last = kind === "swap" ? log.n - 1 : log.n;
      await timed(kind, async () => {
        for (let r = 0; r < SPACING; r++) {
          const sites = new Set<number>();
          for (let s = 1 + r; s <= last; s += SPACING) sites.add(s);
          await verifyAndCount(log, kind, await tamper(log, kind, sites));
        }
      });
      expect(tally.get(kind)?.applied).toBe(last);
      assertAll(kind);
    }, 60_000);
  }

  it("gives the same verdicts when a tamper is verified alone (sample of positions)", async (ctx) => {
    // Compares with the batched verdicts of the tests above: skipped when they did not run.
    if (!single.every((kind) => verdicts.has(`${kind}#1`))) ctx.skip();
    const c1 = log.checkpointSeqs[0] as number;
    const sample = [1, c1 - 1, c1, 4242, log.n - 1, log.n];
    const differ: string[] = [];
    await timed("single-tamper cross-check", async () => {
      for (const kind of single) {
        for (const s of sample) {
          if (kind === "swap" && s === log.n) continue;
          await verifyAndCount(log, kind, await tamper(log, kind, new Set([s])), `${kind} (alone)`);
          const batched = verdicts.get(`${kind}#${s}`);
          const alone = verdicts.get(`${kind} (alone)#${s}`);
          if (batched !== undefined && batched !== alone)
            differ.push(`${kind} at ${s}: batched [${batched}], alone [${alone}]`);
        }
      }
    });
    // Batching changes no verdict (whether it is right is asserted by the tests above).
    expect(differ).toEqual([]);
    for (const kind of single)
      expect(verdicts.has(`${kind}#${sample[0]}`), `${kind} batched first`).toBe(true);
  }, 60_000);

  for (const kind of [
    "resign (untrusted key, same kid)",
    "resign (untrusted key, own kid)",
    "flip signature bytes",
  ] as const) {
    it(`reports bad_signature for every checkpoint in the log: ${kind}`, async () => {
      await verifyAndCount(log, kind, await tamper(log, kind, new Set(log.checkpointSeqs)));
      expect(tally.get(kind)?.applied).toBe(log.checkpointSeqs.length);
      assertAll(kind);
    });
  }

  it("reports bad_signature for a tampered checkpoint file beside the log", async () => {
    const final = log.side[0] as Ev;
    const variants: [string, Ev][] = [
      ["checkpoint file: flipped signature", flipped(final)],
      ["checkpoint file: untrusted key", await resigned(final, attacker.kid)],
      [
        "checkpoint file: untrusted key, same kid",
        await resigned(final, decodeProtectedHeader(final["mandate.signature"] as string).kid as string),
      ],
    ];
    for (const [label, cp] of variants) {
      const verdict = await verifyAuditLines(log.lines, { keys: log.keys, checkpoints: [cp] });
      const ok = verdict.problems.length === 1 && verdict.problems[0]?.kind === "bad_signature";
      count(label, !verdict.ok, ok, () => verdict.problems.map(show).join(", "));
      expect(verdict.problems).toEqual([
        expect.objectContaining({ kind: "bad_signature", stream: log.stream }),
      ]);
    }
  });

  it("reports events appended after the final checkpoint as inserted", async () => {
    // A chain of forged events that link onto the final checkpoint, each hash recomputed.
    const appended: string[] = [];
    let prev = log.events[log.n - 1] as Ev;
    for (let i = 0; i < 3; i++) {
      const template = log.events[log.n - 3 - i] as Ev;
      const e = rehashed({
        ...template,
        id: newId(),
        seq: prev.seq + 1,
        "mandate.prev": prev["mandate.hash"],
      });
      appended.push(sealedLine(e));
      prev = e;
    }
    const t: Tampered = {
      lines: [...log.lines, ...appended],
      expected: new Map(
        appended.map((_, i) => [
          log.n + 1 + i,
          [{ kind: "inserted", seq: log.n + 1 + i, line: log.n + 1 + i }],
        ]),
      ),
    };
    await verifyAndCount(log, "forge", t, "append after final checkpoint");
    assertAll("append after final checkpoint");
  });
});

describe("tail truncation", () => {
  /** Cuts the last k events and verifies against the given checkpoints; tallies under `label`. */
  async function truncate(
    l: Log,
    k: number,
    label: string,
    checkpoints: readonly unknown[],
    expectedFor: (last: number) => Expected[],
  ): Promise<void> {
    const lines = l.lines.slice(0, l.n - k);
    const verdict = await verifyAuditLines(lines, { keys: l.keys, checkpoints });
    const exp = expectedFor(l.n - k);
    count(
      label,
      !verdict.ok,
      exactly(exp, verdict.problems),
      () => `k=${k}: got [${verdict.problems.map(show).join(", ")}]`,
    );
  }

  /** The whole tail is vouched for by the final checkpoint: any cut is `truncated` after the new last event. */
  const cut = (last: number): Expected[] => [{ kind: "truncated", seq: last + 1 }];

  /** The last `tail` cuts, cuts around every checkpoint, and the cuts that leave one event or none. */
  function cuts(l: Log, tail: number, around: readonly number[]): number[] {
    const ks = new Set<number>();
    for (let k = 1; k <= tail; k++) ks.add(k);
    // Around every checkpoint: keep it, cut it (keeping what it vouches for), cut one more…
    for (const c of l.checkpointSeqs)
      for (const d of around) if (c + d >= 0 && c + d < l.n) ks.add(l.n - (c + d));
    ks.add(l.n - 1); // only the first event left
    ks.add(l.n); // nothing left
    return [...ks].sort((a, b) => a - b);
  }

  it("reports truncated for every cut of the tail, against the checkpoint file", async () => {
    const ks = cuts(log, TAIL_CUTS, [1, 0, -1, -2]);
    await timed(`truncation against checkpoint file (${ks.length} cuts)`, async () => {
      for (const k of ks) await truncate(log, k, "truncate (checkpoint file)", log.side, cut);
    });
    assertAll("truncate (checkpoint file)");
  }, 60_000);

  it("reports truncated against checkpoints supplied from outside (as a log shipper received them)", async () => {
    // Every checkpoint the sink wrote, as shipped elsewhere when it was written; no checkpoint file.
    const shipped = log.shipped;
    expect(shipped.map((c) => c.seq)).toEqual(log.checkpointSeqs);
    const ks = cuts(log, 10, [0, -1]);
    await timed(`truncation against shipped checkpoints (${ks.length} cuts)`, async () => {
      for (const k of ks) {
        await truncate(log, k, "truncate (shipped checkpoints)", shipped, (last) => [
          ...cut(last),
          // Each shipped checkpoint cut from the log may be reported on its own.
          { kind: "truncated", seq: last + 1, optional: true },
        ]);
      }
    });
    // One mid-log checkpoint alone: a cut below what it vouches for is detected.
    const mid = shipped[Math.floor(shipped.length / 2)] as AuditEvent;
    const vouched = (mid["mandate.detail"] as { covers: { seq: number } }).covers.seq;
    for (const end of [vouched - 1, vouched - 2, vouched - 500, 1]) {
      await truncate(log, log.n - end, "truncate (one shipped mid-log checkpoint)", [mid], cut);
    }
    assertAll("truncate (shipped checkpoints)");
    assertAll("truncate (one shipped mid-log checkpoint)");
  }, 60_000);

  it("verifyAuditFile finds a truncated file through its checkpoint file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mandate-trunc-"));
    try {
      for (const k of [1, 2, 3, 777, log.n - 1, log.n]) {
        const path = join(dir, `cut-${k}.jsonl`);
        const kept = log.lines.slice(0, log.n - k);
        await writeFile(path, kept.map((l) => `${l}\n`).join(""));
        await copyFile(`${log.path}.checkpoint`, `${path}.checkpoint`);
        const verdict = await verifyAuditFile(path, { keys: log.keys });
        count(
          "truncate (verifyAuditFile)",
          !verdict.ok,
          exactly(cut(log.n - k), verdict.problems),
          () => `k=${k}: got [${verdict.problems.map(show).join(", ")}]`,
        );
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    assertAll("truncate (verifyAuditFile)");
  }, 60_000);

  it("reports truncated for EVERY k = 1…N on a smaller real log", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mandate-small-"));
    try {
      const small = await writeLog(dir, 600, 50);
      const verdict = await verifyAuditFile(small.path, { keys: small.keys });
      expect(verdict.ok).toBe(true);
      await timed(`every cut of a ${small.n}-event log`, async () => {
        for (let k = 1; k <= small.n; k++)
          await truncate(small, k, `truncate every k (${small.n}-event log)`, small.side, cut);
      });
      expect(tally.get(`truncate every k (${small.n}-event log)`)?.applied).toBe(small.n);
      assertAll(`truncate every k (${small.n}-event log)`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
