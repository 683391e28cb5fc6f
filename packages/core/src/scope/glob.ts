/**
 * Glob patterns: the one pattern language of scopes.
 *
 * A pattern is literal text with two wildcards:
 * - `*` matches any run of characters inside one segment (it never crosses the separator);
 * - `**` matches any run of characters, separators included.
 *
 * The separator is `.` for actions and data classes (`email.*`, `employee.**`) and `/` for
 * resources (`crm/*`, `https://api.example.com/v1/**`). Because both wildcards are regular,
 * "every name matched by A is matched by B" is decidable; {@link globIncludes} decides it exactly
 * by exploring the product of the two patterns' automata.
 */

type Token = { kind: "lit"; ch: string } | { kind: "star" } | { kind: "globstar" };

const GLOBSTAR: Token = { kind: "globstar" };

/** A compiled glob pattern. */
export interface Glob {
  readonly source: string;
  readonly separator: string;
  /** True when the pattern has no wildcard (it names exactly one thing). */
  readonly literal: boolean;
  /** Tests a concrete name. */
  readonly test: (name: string) => boolean;
  /** @internal automaton tokens, used by {@link globIncludes}. */
  readonly tokens: readonly Token[];
}

const cache = new Map<string, Glob>();
const CACHE_LIMIT = 10_000;

/**
 * Compiles a pattern. Compilation is memoised, so calling this with the same pattern twice is cheap.
 *
 * @param source - the pattern text
 * @param separator - the segment separator (`.` or `/`)
 */
export function compileGlob(source: string, separator: string): Glob {
  const key = `${separator}\u0000${source}`;
  let glob = cache.get(key);
  if (glob === undefined) {
    glob = build(source, separator);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, glob);
  }
  return glob;
}

function build(source: string, separator: string): Glob {
  // Without a separator there are no segments: `*` and `**` mean the same thing.
  const tokens =
    separator === "" ? tokenize(source).map((t) => (t.kind === "star" ? GLOBSTAR : t)) : tokenize(source);
  const literal = tokens.every((t) => t.kind === "lit");
  return { source, separator, literal, test: matcher(source, tokens, separator, literal), tokens };
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < source.length; i++) {
    const ch = source[i] as string;
    if (ch !== "*") {
      tokens.push({ kind: "lit", ch });
      continue;
    }
    if (source[i + 1] === "*") {
      i++;
      // `***` and longer collapse into one globstar: they match the same names.
      while (source[i + 1] === "*") i++;
      tokens.push({ kind: "globstar" });
    } else {
      tokens.push({ kind: "star" });
    }
  }
  return tokens;
}

function matcher(source: string, tokens: Token[], sep: string, literal: boolean): (name: string) => boolean {
  if (literal) return (name) => name === source;
  // The common shapes get string operations instead of a regular expression: `prefix**`, `prefix*`.
  const last = tokens[tokens.length - 1];
  const head = tokens.slice(0, -1);
  if (last && last.kind !== "lit" && head.every((t) => t.kind === "lit")) {
    const prefix = source.slice(0, head.length);
    if (last.kind === "globstar") return (name) => name.startsWith(prefix);
    return (name) => name.startsWith(prefix) && name.indexOf(sep, prefix.length) === -1;
  }
  const notSep = `[^${escapeRegExp(sep)}]*`;
  let body = "";
  for (const t of tokens) body += t.kind === "lit" ? escapeRegExp(t.ch) : t.kind === "star" ? notSep : "[^]*";
  // Code units, not code points: the same alphabet as the tokens and the inclusion automaton.
  const re = new RegExp(`^${body}$`);
  return (name) => re.test(name);
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
}

// ---- inclusion ------------------------------------------------------------------------------

/** NFA state sets are bit sets over token positions, encoded as sorted strings for hashing. */
type StateSet = readonly number[];

function closure(tokens: readonly Token[], states: Iterable<number>): number[] {
  const out = new Set<number>();
  const stack = [...states];
  while (stack.length > 0) {
    const s = stack.pop() as number;
    if (out.has(s)) continue;
    out.add(s);
    const t = tokens[s];
    // A wildcard may match nothing: step over it without consuming a character.
    if (t && t.kind !== "lit") stack.push(s + 1);
  }
  return [...out].sort((a, b) => a - b);
}

function step(tokens: readonly Token[], states: StateSet, ch: string, sep: string): number[] {
  const next: number[] = [];
  for (const s of states) {
    const t = tokens[s];
    if (!t) continue;
    if (t.kind === "lit") {
      if (t.ch === ch) next.push(s + 1);
    } else if (t.kind === "globstar" || ch !== sep) {
      next.push(s);
    }
  }
  return closure(tokens, next);
}

/**
 * Decides whether every name matched by `a` is also matched by at least one of `bs`
 * (L(a) ⊆ L(b1) ∪ … ∪ L(bn)). Exact: it explores the deterministic product automaton over an
 * alphabet made of the patterns' literal characters, the separator and one stand-in for every
 * other character, looking for a name that `a` accepts and no `b` does.
 */
export function globIncludes(a: Glob, bs: readonly Glob[]): boolean {
  if (bs.length === 0) return false;
  // Fast paths: equal text, or some b is a bare `**`; a literal names one thing, which some b
  // matches or none does.
  for (const b of bs) if (b.source === a.source || b.source === "**") return true;
  if (a.literal) return bs.some((b) => b.test(a.source));
  const key = `${a.separator}\u0000${a.source}\u0000${bs.map((b) => b.source).join("\u0000")}`;
  let known = inclusions.get(key);
  if (known === undefined) {
    known = includes(a, bs);
    if (inclusions.size >= CACHE_LIMIT) inclusions.clear();
    inclusions.set(key, known);
  }
  return known;
}

/** Decided inclusions, by patterns: delegation checks the same patterns again and again. */
const inclusions = new Map<string, boolean>();

function includes(a: Glob, bs: readonly Glob[]): boolean {
  const sep = a.separator;
  const alphabet = new Set<string>([sep, "\u{10FFFF}"]);
  for (const g of [a, ...bs]) for (const t of g.tokens) if (t.kind === "lit") alphabet.add(t.ch);
  const start: [number[], number[][]] = [closure(a.tokens, [0]), bs.map((b) => closure(b.tokens, [0]))];
  const seen = new Set<string>();
  const queue = [start];
  while (queue.length > 0) {
    const [sa, sbs] = queue.pop() as [number[], number[][]];
    if (sa.length === 0) continue; // a is dead here: nothing below can be a counter-example
    const key = `${sa.join(",")}|${sbs.map((s) => s.join(",")).join("|")}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const aAccepts = sa.includes(a.tokens.length);
    const bAccepts = sbs.some((s, i) => s.includes((bs[i] as Glob).tokens.length));
    if (aAccepts && !bAccepts) return false;
    for (const ch of alphabet) {
      queue.push([step(a.tokens, sa, ch, sep), sbs.map((s, i) => step((bs[i] as Glob).tokens, s, ch, sep))]);
    }
  }
  return true;
}
