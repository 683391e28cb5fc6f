import { decodeJwt } from "jose";
import { type CheckpointClaims, verifyCheckpoint } from "../token/checkpoint-token.js";
import type { JsonWebKeySet } from "../token/signing-key.js";
import { KeySet } from "../token/verify-jwt.js";
import { eventHash, genesisHash, HASH_FIELD, lineHashHolds, PREV_FIELD } from "./chain.js";

/** How a chain can break. */
export type TrailProblemKind =
  | "malformed"
  | "torn"
  | "altered"
  | "deleted"
  | "inserted"
  | "reordered"
  | "truncated"
  | "bad_signature";

/** One place where the trail does not verify. */
export interface TrailProblem {
  readonly kind: TrailProblemKind;
  readonly stream?: string;
  /** The sequence number concerned (the first, for a range). */
  readonly seq?: number;
  /** The line (1-based) in the input, when the trail came as lines. */
  readonly line?: number;
  readonly message: string;
}

/** What the verifier found for one stream. */
export interface StreamSummary {
  readonly stream: string;
  readonly events: number;
  readonly lastSeq: number;
  readonly lastHash: string;
  readonly checkpoints: number;
  /** The highest sequence number a valid checkpoint vouches for. */
  readonly checkpointedSeq: number;
  /** Whether a final checkpoint closed the stream. */
  readonly final: boolean;
}

/** The verifier's verdict. */
export interface TrailVerification {
  /** True when nothing is wrong except, possibly, a torn last line (a crash mid-write). */
  readonly ok: boolean;
  readonly events: number;
  readonly streams: readonly StreamSummary[];
  readonly problems: readonly TrailProblem[];
  /** The line number of a torn (incomplete) last line, if any. */
  readonly tornLine?: number;
  /** Whether checkpoint signatures were checked (keys were given). */
  readonly signaturesChecked: boolean;
}

/** Options of the verifier. */
export interface VerifyTrailOptions {
  /** Keys to check checkpoint signatures with (the issuer's JWKS). Without them, signatures are not checked. */
  readonly keys?: readonly JsonWebKeySet[];
  /** Checkpoints kept outside the log (e.g. the JSONL sink's `<path>.checkpoint`), to detect a truncated tail. */
  readonly checkpoints?: readonly unknown[];
  /** Called every 10,000 lines with the count so far. */
  readonly onProgress?: (lines: number) => void;
  /** Clock for signature checks, epoch ms. */
  readonly now?: number;
}

interface Entry {
  readonly event: Record<string, unknown>;
  readonly seq: number;
  readonly line: number | undefined;
  /** The hash recomputed from the content. */
  readonly hash: string;
}

function isEvent(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const e = v as Record<string, unknown>;
  return (
    typeof e["mandate.stream"] === "string" &&
    Number.isSafeInteger(e.seq) &&
    (e.seq as number) >= 1 &&
    typeof e[HASH_FIELD] === "string" &&
    typeof e[PREV_FIELD] === "string"
  );
}

/**
 * Verifies an audit trail given as JSON lines (the JSONL sink's file). See {@link verifyAuditEvents}.
 * An unparseable last line is reported as torn (a crash mid-write), not as tampering.
 */
export async function verifyAuditLines(
  lines: Iterable<string> | AsyncIterable<string>,
  options: VerifyTrailOptions = {},
): Promise<TrailVerification> {
  const entries: { value: unknown; line: number; fast: boolean }[] = [];
  const problems: TrailProblem[] = [];
  let n = 0;
  let pendingBad: { line: number; message: string } | undefined;
  for await (const raw of lines as AsyncIterable<string>) {
    n++;
    if (options.onProgress && n % 10_000 === 0) options.onProgress(n);
    if (raw.trim() === "") continue;
    if (pendingBad) problems.push({ kind: "malformed", line: pendingBad.line, message: pendingBad.message });
    pendingBad = undefined;
    try {
      entries.push({ value: JSON.parse(raw), line: n, fast: lineHashHolds(raw) });
    } catch {
      pendingBad = { line: n, message: "not JSON" };
    }
  }
  const verdict = await verify(entries, options, problems);
  if (pendingBad) return { ...verdict, tornLine: pendingBad.line };
  return verdict;
}

/**
 * Verifies audit events, stream by stream: each event's hash over its canonical JSON, the links
 * between consecutive events, sequence numbers without gaps, duplicates or reordering, signed
 * checkpoints (signature, and that the event they vouch for is there with that hash), events
 * written after a final checkpoint, and — against checkpoints kept outside the log — a truncated
 * tail. Says exactly where and how the chain breaks.
 */
export function verifyAuditEvents(
  events: Iterable<unknown>,
  options: VerifyTrailOptions = {},
): Promise<TrailVerification> {
  return verify(
    [...events].map((value) => ({ value, line: undefined, fast: false })),
    options,
    [],
  );
}

async function verify(
  raw: readonly { value: unknown; line: number | undefined; fast: boolean }[],
  options: VerifyTrailOptions,
  problems: TrailProblem[],
): Promise<TrailVerification> {
  const byStream = new Map<string, Entry[]>();
  let count = 0;
  for (const { value, line, fast } of raw) {
    if (!isEvent(value)) {
      problems.push({
        kind: "malformed",
        ...(line ? { line } : {}),
        message: "not an audit event (stream, seq, hash, prev)",
      });
      continue;
    }
    count++;
    const stream = value["mandate.stream"] as string;
    const hash = fast ? (value[HASH_FIELD] as string) : eventHash(value);
    const list = byStream.get(stream) ?? [];
    list.push({ event: value, seq: value.seq as number, line, hash });
    byStream.set(stream, list);
  }

  const keys = options.keys && options.keys.length > 0 ? new KeySet(options.keys) : undefined;
  const now = options.now ?? Date.now();
  const external = new Map<string, Record<string, unknown>[]>();
  for (const cp of options.checkpoints ?? []) {
    if (isEvent(cp)) {
      const s = cp["mandate.stream"] as string;
      external.set(s, [...(external.get(s) ?? []), cp]);
    }
  }

  const streams: StreamSummary[] = [];
  for (const [stream, list] of byStream) {
    streams.push(await verifyStream(stream, list, external.get(stream) ?? [], keys, now, problems));
  }
  for (const [stream, cps] of external) {
    if (!byStream.has(stream)) {
      const top = Math.max(
        ...cps.map((c) => (c["mandate.detail"] as { covers?: { seq?: number } })?.covers?.seq ?? 0),
      );
      problems.push({
        kind: "truncated",
        stream,
        seq: 1,
        message: `stream ${stream} is missing entirely (a checkpoint vouches for ${top} events)`,
      });
    }
  }
  // One place, one kind, one report: several checks may see the same break. An inserted event is
  // reported as inserted; whatever else is wrong with it is noise.
  const intruders = new Set(
    problems.filter((p) => p.kind === "inserted" && p.line !== undefined).map((p) => p.line),
  );
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    if (p.kind !== "inserted" && p.line !== undefined && intruders.has(p.line)) return false;
    const key = `${p.kind}|${p.stream}|${p.seq}|${p.line}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const where = (p: TrailProblem) => p.line ?? p.seq ?? 0;
  unique.sort((a, b) => where(a) - where(b));
  return {
    ok: unique.length === 0,
    events: count,
    streams,
    problems: unique,
    signaturesChecked: keys !== undefined,
  };
}

async function verifyStream(
  stream: string,
  list: Entry[],
  externalCheckpoints: Record<string, unknown>[],
  keys: KeySet | undefined,
  now: number,
  problems: TrailProblem[],
): Promise<StreamSummary> {
  const at = (e: Entry) => ({ stream, seq: e.seq, ...(e.line ? { line: e.line } : {}) });

  // 1. Each event's content against its own hash.
  for (const e of list) {
    if (e.hash !== e.event[HASH_FIELD]) {
      problems.push({
        kind: "altered",
        ...at(e),
        message: `event ${e.seq} does not match its hash: its content was changed`,
      });
    }
  }

  // 2. File order: a sequence number lower than one before it was moved.
  const claims = new Map<number, Entry[]>();
  let highest = 0;
  for (const e of list) {
    if (e.seq < highest) {
      problems.push({
        kind: "reordered",
        ...at(e),
        message: `event ${e.seq} comes after event ${highest}: events were reordered`,
      });
    }
    highest = Math.max(highest, e.seq);
    const same = claims.get(e.seq);
    if (same) same.push(e);
    else claims.set(e.seq, [e]);
  }
  // Several events claiming one position: the original is the one the next event chained to, or
  // one a checkpoint kept outside the log vouches for, or the one that chains to the event before;
  // every other one was inserted.
  const vouched = new Set<unknown>();
  for (const cp of externalCheckpoints) {
    vouched.add(cp[HASH_FIELD]);
    vouched.add((cp["mandate.detail"] as { covers?: { hash?: unknown } } | undefined)?.covers?.hash);
  }
  const bySeq = new Map<number, Entry>();
  for (const [seq, candidates] of claims) {
    if (candidates.length === 1) {
      bySeq.set(seq, candidates[0] as Entry);
      continue;
    }
    const nextPrevs = new Set((claims.get(seq + 1) ?? []).map((n) => n.event[PREV_FIELD]));
    const prevHashes = new Set(
      seq === 1 ? [genesisHash(stream)] : (claims.get(seq - 1) ?? []).map((p) => p.hash),
    );
    const original =
      candidates.find((c) => nextPrevs.has(c.hash) && c.hash === c.event[HASH_FIELD]) ??
      candidates.find((c) => vouched.has(c.hash) && c.hash === c.event[HASH_FIELD]) ??
      candidates.find(
        (c) => prevHashes.has(c.event[PREV_FIELD] as string) && c.hash === c.event[HASH_FIELD],
      ) ??
      (candidates[0] as Entry);
    bySeq.set(seq, original);
    for (const c of candidates) {
      if (c !== original)
        problems.push({ kind: "inserted", ...at(c), message: `a second event claims position ${seq}` });
    }
  }

  // 3. Gaps, and the links between consecutive events.
  const seqs = [...bySeq.keys()].sort((a, b) => a - b);
  let expected = 1;
  let prevHash = genesisHash(stream);
  for (const seq of seqs) {
    const e = bySeq.get(seq) as Entry;
    if (seq > expected) {
      const range = seq - 1 === expected ? `${expected}` : `${expected}–${seq - 1}`;
      problems.push({
        kind: "deleted",
        stream,
        seq: expected,
        message: `event${seq - 1 === expected ? "" : "s"} ${range} missing`,
      });
    } else if (e.event[PREV_FIELD] !== prevHash) {
      const before = bySeq.get(seq - 1);
      if (before && before.hash === before.event[HASH_FIELD]) {
        // The previous event is self-consistent but not what this one chained to: it was rewritten.
        problems.push({
          kind: "altered",
          ...at(before),
          message: `event ${seq - 1} was rewritten: event ${seq} chained to another hash`,
        });
      } else if (!before) {
        problems.push({
          kind: "altered",
          ...at(e),
          message: `event ${seq} does not chain to the start of the stream`,
        });
      }
    }
    expected = seq + 1;
    prevHash = e.event[HASH_FIELD] as string;
  }
  const last = seqs.length > 0 ? (bySeq.get(seqs[seqs.length - 1] as number) as Entry) : undefined;

  // 4. Checkpoints: in the log and kept outside it.
  let checkpoints = 0;
  let checkpointedSeq = 0;
  let finalAt: number | undefined;
  // Checkpoints of the chain itself; an inserted copy was reported already and vouches for nothing.
  const inLog = [...bySeq.values()]
    .filter((e) => e.event.type === "audit.checkpoint")
    .map((e) => ({ event: e.event, entry: e as Entry | undefined }));
  const outside = externalCheckpoints.map((event) => ({ event, entry: undefined as Entry | undefined }));
  for (const { event, entry } of [...inLog, ...outside]) {
    const claims = await checkpointClaims(event, keys, now);
    const where = entry ? at(entry) : { stream };
    if (typeof claims === "string") {
      problems.push({
        kind: "bad_signature",
        ...where,
        message: `checkpoint ${String(event.seq)}: ${claims}`,
      });
      continue;
    }
    if (claims.stream !== stream) {
      problems.push({ kind: "bad_signature", ...where, message: "checkpoint signed for another stream" });
      continue;
    }
    checkpoints++;
    const covers = (event["mandate.detail"] as { covers?: { seq?: unknown; hash?: unknown } } | undefined)
      ?.covers;
    if (covers?.seq !== claims.seq || covers?.hash !== claims.hash) {
      problems.push({
        kind: "altered",
        ...where,
        message: `checkpoint ${String(event.seq)} does not state what its signature vouches for`,
      });
    }
    if (entry === undefined) {
      // A checkpoint kept outside the log is itself an event of the stream: it must be there, as kept.
      const own = event.seq as number;
      const inLogAt = bySeq.get(own);
      if (inLogAt === undefined && own > (last?.seq ?? 0)) {
        problems.push({
          kind: "truncated",
          stream,
          seq: (last?.seq ?? 0) + 1,
          message: `the log ends at event ${last?.seq ?? 0}, but the checkpoint kept outside it is event ${own}`,
        });
      } else if (inLogAt !== undefined && inLogAt.event[HASH_FIELD] !== event[HASH_FIELD]) {
        problems.push({
          kind: "altered",
          ...at(inLogAt),
          message: `event ${own} differs from the checkpoint kept outside the log`,
        });
      }
    }
    const covered = bySeq.get(claims.seq);
    if (covered === undefined) {
      if (claims.seq > (last?.seq ?? 0)) {
        problems.push({
          kind: "truncated",
          stream,
          seq: (last?.seq ?? 0) + 1,
          message: `the log ends at event ${last?.seq ?? 0}, but a signed checkpoint vouches for ${claims.seq}`,
        });
      }
    } else if (covered.event[HASH_FIELD] !== claims.hash) {
      problems.push({
        kind: "altered",
        ...at(covered),
        message: `event ${claims.seq} differs from what a signed checkpoint vouches for`,
      });
    } else {
      checkpointedSeq = Math.max(checkpointedSeq, claims.seq);
    }
    if (claims.final) finalAt = Math.max(finalAt ?? 0, claims.seq + 1);
  }
  if (finalAt !== undefined) {
    for (const e of list) {
      if (e.seq > finalAt)
        problems.push({
          kind: "inserted",
          ...at(e),
          message: `event ${e.seq} follows the stream's final checkpoint`,
        });
    }
  }

  return {
    stream,
    events: list.length,
    lastSeq: last?.seq ?? 0,
    lastHash: (last?.event[HASH_FIELD] as string | undefined) ?? genesisHash(stream),
    checkpoints,
    checkpointedSeq,
    final: finalAt !== undefined,
  };
}

/**
 * A checkpoint's claims (signature checked when keys are given), or why it is not acceptable.
 * @internal
 */
export async function checkpointClaims(
  event: Record<string, unknown>,
  keys: KeySet | undefined,
  now: number,
): Promise<CheckpointClaims | string> {
  const jwt = event["mandate.signature"];
  if (typeof jwt !== "string") return "no signature";
  try {
    if (keys) return await verifyCheckpoint(jwt, keys, now);
    const c = decodeJwt(jwt) as unknown as CheckpointClaims;
    return typeof c.stream === "string" && typeof c.seq === "number" && typeof c.hash === "string"
      ? { ...c, final: c.final === true }
      : "malformed claims";
  } catch (err) {
    return err instanceof Error ? err.message : "does not verify";
  }
}
