import { hash } from "node:crypto";
import { open } from "node:fs/promises";
import { genesisHash, HASH_FIELD, PREV_FIELD } from "../audit/chain.js";
import {
  checkpointClaims,
  type StreamSummary,
  type TrailVerification,
  type VerifyTrailOptions,
} from "../audit/verify-trail.js";
import type { CheckpointClaims } from "../token/checkpoint-token.js";
import { KeySet } from "../token/verify-jwt.js";

const HEAD = Buffer.from(`{"${HASH_FIELD}":"sha256:`);
/** Offset of the `",` that ends the hash in a sealed line; the hashed text starts at its comma. */
const HEAD_END = HEAD.length + 64;
const PREV_KEY = Buffer.from(`,"${PREV_FIELD}":"sha256:`);
const STREAM_KEY = Buffer.from(`,"mandate.stream":"`);
/** The end of a sealed line as the writer orders it: stream, tenant (optional), seq, time, type. */
const TAIL =
  /^,"mandate\.stream":"([0-9A-HJKMNP-TV-Z]{26})"(?:,"mandate\.tenant":"(?:[^"\\]|\\.)*")?,"seq":([1-9][0-9]{0,15}),"time":"[^"\\]*","type":"([a-z]+(?:\.[a-z]+)*)"}$/;
const CHECKPOINT = "audit.checkpoint";

interface Checkpoint {
  readonly seq: number;
  readonly hash: string;
  readonly covers: { readonly seq: unknown; readonly hash: unknown } | undefined;
  readonly claims: Promise<CheckpointClaims | string>;
}

/** A line after the stream's last checkpoint: no signature vouches for it yet. */
interface Unvouched {
  /** Where the line is in the file: read again, and parsed, once the scan is done. */
  readonly at: number;
  readonly length: number;
  readonly seq: number;
  readonly hash: string;
  readonly prev: string;
  readonly type: string;
}

interface Stream {
  events: number;
  lastSeq: number;
  lastHash: string;
  final: boolean;
  readonly checkpoints: Checkpoint[];
  tail: Unvouched[];
}

/** Why the fast pass cannot vouch for a file: the exact pass must look. */
class Unsure extends Error {}
const unsure = (): never => {
  throw new Unsure();
};

/**
 * The fast pass over a JSONL audit file, for the common case: a file whose every line is in the
 * sealed form and links to the line before it, and whose signed checkpoints vouch for everything
 * but a tail after the last one. It reads bytes, hashes each line's canonical text as it stands
 * and takes the chain fields from where the writer puts them, without parsing the line.
 *
 * That shortcut is only sound for lines a signature vouches for: those are, byte for byte, what
 * the writer wrote (SHA-256 links each to the next, up to a signed hash), and the writer writes
 * canonical JSON. So checkpoints are parsed and their signatures checked, lines after the last
 * checkpoint of a stream are parsed too, and anything unexpected — a line in another form, a
 * gap, a broken link, a bad signature, a torn tail — makes it give up (`undefined`): the exact
 * pass then parses every line and says what is wrong and where. When it answers, its verdict is
 * the one the exact pass would give.
 * @internal
 */
export async function verifySealedFile(
  path: string,
  checkpointsOutside: readonly unknown[],
  options: VerifyTrailOptions,
): Promise<TrailVerification | undefined> {
  if (options.keys === undefined || options.keys.length === 0) return undefined;
  const keys = new KeySet(options.keys);
  const now = options.now ?? Date.now();
  const streams = new Map<string, Stream>();
  let events = 0;
  let lines = 0;

  const line = (buf: Buffer, s: number, e: number, offset: number): void => {
    lines++;
    if (options.onProgress && lines % 10_000 === 0) options.onProgress(lines);
    if (e - s < HEAD_END + 2 || buf.compare(HEAD, 0, HEAD.length, s, s + HEAD.length) !== 0) unsure();
    if (buf[s + HEAD_END] !== 0x22 || buf[s + HEAD_END + 1] !== 0x2c) unsure();
    const stored = buf.toString("latin1", s + HEAD.length, s + HEAD_END);
    // The hashed text is the line with `{` in place of everything up to the hash's `",`.
    const from = s + HEAD_END + 1;
    buf[from] = 0x7b;
    const computed = hash("sha256", buf.subarray(from, e), "hex");
    buf[from] = 0x2c;
    if (computed !== stored) unsure();

    const at = buf.lastIndexOf(STREAM_KEY, e - 1);
    if (at < from) unsure();
    const tail = TAIL.exec(buf.toString("latin1", at, e)) ?? unsure();
    const [, id, seqText, type] = tail as unknown as [string, string, string, string];
    const p = buf.lastIndexOf(PREV_KEY, at - 1);
    if (p < from || buf[p + PREV_KEY.length + 64] !== 0x22) unsure();
    const prev = buf.toString("latin1", p + PREV_KEY.length, p + PREV_KEY.length + 64);

    const seq = Number(seqText);
    let st = streams.get(id);
    if (st === undefined) {
      st = {
        events: 0,
        lastSeq: 0,
        lastHash: genesisHash(id).slice(7),
        final: false,
        checkpoints: [],
        tail: [],
      };
      streams.set(id, st);
    }
    if (seq !== st.lastSeq + 1 || prev !== st.lastHash || st.final) unsure();
    if (type === CHECKPOINT) {
      const cp = JSON.parse(buf.toString("utf8", s, e)) as Record<string, unknown>;
      const covers = coversOf(cp);
      if (covers?.seq !== seq - 1 || covers.hash !== `sha256:${prev}`) unsure();
      st.checkpoints.push({ seq, hash: computed, covers, claims: checkpointClaims(cp, keys, now) });
      st.final = (cp["mandate.detail"] as { final?: unknown }).final === true;
      st.tail = []; // vouched for by this checkpoint, once its signature is checked
    } else {
      st.tail.push({ at: offset, length: e - s, seq, hash: computed, prev, type });
    }
    st.events++;
    events++;
    st.lastSeq = seq;
    st.lastHash = computed;
  };

  try {
    await scanLines(path, line);

    const summaries: StreamSummary[] = [];
    for (const [id, st] of streams) {
      // Lines no signature vouches for are held to what a parse of them says.
      for (const [u, text] of await readUnvouched(path, st.tail)) {
        const e = JSON.parse(text) as Record<string, unknown>;
        if (
          e["mandate.stream"] !== id ||
          e.seq !== u.seq ||
          e[HASH_FIELD] !== `sha256:${u.hash}` ||
          e[PREV_FIELD] !== `sha256:${u.prev}` ||
          e.type !== u.type
        )
          unsure();
      }
      let valid = 0;
      let checkpointedSeq = 0;
      let final = false;
      for (const cp of st.checkpoints) {
        const claims = vouching(await cp.claims, id, cp.covers);
        valid++;
        checkpointedSeq = Math.max(checkpointedSeq, claims.seq);
        final ||= claims.final;
      }
      // The checkpoint kept beside the log must be one of the log's own.
      for (const outside of checkpointsOutside as Record<string, unknown>[]) {
        if (outside?.["mandate.stream"] !== id) continue;
        const own = st.checkpoints.find((cp) => cp.seq === outside.seq);
        if (own === undefined || `sha256:${own.hash}` !== outside[HASH_FIELD]) unsure();
        const claims = vouching(await checkpointClaims(outside, keys, now), id, coversOf(outside));
        valid++;
        final ||= claims.final;
      }
      summaries.push({
        stream: id,
        events: st.events,
        lastSeq: st.lastSeq,
        lastHash: `sha256:${st.lastHash}`,
        checkpoints: valid,
        checkpointedSeq,
        final,
      });
    }
    for (const outside of checkpointsOutside as Record<string, unknown>[]) {
      if (!streams.has(outside?.["mandate.stream"] as string)) unsure();
    }
    return { ok: true, events, streams: summaries, problems: [], signaturesChecked: true };
  } catch (err) {
    if (err instanceof Unsure || err instanceof SyntaxError) return undefined;
    throw err;
  } finally {
    // Signature checks still running when the pass gave up must not go unhandled.
    for (const st of streams.values()) for (const cp of st.checkpoints) cp.claims.catch(() => undefined);
  }
}

/** What a checkpoint event states it vouches for. */
function coversOf(checkpoint: Record<string, unknown>): Checkpoint["covers"] {
  return (checkpoint["mandate.detail"] as { covers?: Checkpoint["covers"] } | undefined)?.covers;
}

/** The checkpoint's signed claims, when they verify and are for this stream and what it states. */
function vouching(
  claims: CheckpointClaims | string,
  stream: string,
  covers: Checkpoint["covers"],
): CheckpointClaims {
  if (typeof claims === "string" || claims.stream !== stream) return unsure();
  if (claims.seq !== covers?.seq || claims.hash !== covers.hash) return unsure();
  return claims;
}

/** The lines no signature vouches for, read again from the file, each with what the scan took. */
async function readUnvouched(path: string, tail: readonly Unvouched[]): Promise<[Unvouched, string][]> {
  if (tail.length === 0) return [];
  const fh = await open(path, "r");
  try {
    const out: [Unvouched, string][] = [];
    for (const u of tail) {
      const bytes = Buffer.alloc(u.length);
      const { bytesRead } = await fh.read(bytes, 0, u.length, u.at);
      out.push([u, bytes.toString("utf8", 0, bytesRead)]);
    }
    return out;
  } finally {
    await fh.close();
  }
}

/**
 * Calls `line(buf, start, end, offset)` for each newline-terminated line of the file (`offset`:
 * where the line starts in the file), in chunks; gives up on a last line without its newline (a
 * torn write, for the exact pass to report).
 */
async function scanLines(
  path: string,
  line: (buf: Buffer, s: number, e: number, offset: number) => void,
): Promise<void> {
  const fh = await open(path, "r");
  try {
    let buf = Buffer.allocUnsafe(4 << 20);
    let filled = 0;
    /** The file offset of `buf[0]`. */
    let base = 0;
    for (;;) {
      if (filled === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, filled);
        buf = bigger;
      }
      const { bytesRead } = await fh.read(buf, filled, buf.length - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
      let start = 0;
      for (let nl = buf.indexOf(0x0a, start); nl !== -1 && nl < filled; nl = buf.indexOf(0x0a, start)) {
        if (nl > start) line(buf, start, nl, base + start);
        start = nl + 1;
      }
      buf.copy(buf, 0, start, filled);
      filled -= start;
      base += start;
    }
    if (filled > 0) unsure();
  } finally {
    await fh.close();
  }
}
