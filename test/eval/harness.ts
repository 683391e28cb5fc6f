import { readFile } from "node:fs/promises";
import {
  type Access,
  type AgentContext,
  type AnyTool,
  compileGlob,
  createMandate,
  type Effect,
  type IdentityInput,
  type Mandate,
  MandateError,
  type Policy,
  type PolicyInput,
  trustedArguments,
  untrustedEgress,
} from "@mandate/core";
import { buildTools } from "./build-tools.js";
import {
  type CallStep,
  type Corpus,
  CorpusError,
  type DelegateStep,
  type IdentitySpec,
  type MatchSpec,
  type PolicySpec,
  parseCorpus,
  type RulePolicySpec,
  type ScenarioSpec,
} from "./corpus-schema.js";

export { type Corpus, CorpusError, type CorpusIssue, parseCorpus } from "./corpus-schema.js";

/** What the harness counts as a blocked attack: a `deny` or an `ask` (a human would be asked). */
export const BLOCKED_EFFECTS = ["deny", "ask"] as const;

/** The outcome of one labelled call (or delegation) of an episode. */
export interface CallResult {
  readonly episode: number;
  /** Index of the step in the episode's `calls`. */
  readonly step: number;
  /** 0-based repetition, for steps with `repeat`. */
  readonly repetition: number;
  readonly kind: "call" | "delegate";
  /** The tool called, or the name of the delegated context. */
  readonly tool: string;
  /** The context that acted (`root` or a delegation's name). */
  readonly as: string;
  readonly label: "legit" | "attack";
  readonly note: string;
  readonly effect: Effect;
  /** Reason codes of the decision (error codes for a refused delegation). */
  readonly codes: readonly string[];
  /** The first reason's message, for reading a miss. */
  readonly message?: string;
}

/** The figures of a set of calls. Rates are fractions in [0, 1], `null` when nothing was counted. */
export interface Tally {
  readonly legit: number;
  readonly legitAllowed: number;
  readonly legitDenied: number;
  readonly legitAsked: number;
  /** legitAllowed / legit. */
  readonly utility: number | null;
  /** 1 − utility. */
  readonly falseDenyRate: number | null;
  readonly attacks: number;
  /** Attacks denied or asked. */
  readonly attacksBlocked: number;
  readonly attacksDenied: number;
  readonly attacksAsked: number;
  readonly attacksAllowed: number;
  /** attacksBlocked / attacks. */
  readonly blockRate: number | null;
}

export interface ScenarioResult {
  readonly name: string;
  readonly domain: string;
  readonly description: string;
  readonly tally: Tally;
  readonly calls: readonly CallResult[];
}

export interface CorpusResults {
  /** What counts as blocked: always `["deny", "ask"]`. */
  readonly blocked: readonly string[];
  readonly overall: Tally;
  readonly domains: Readonly<Record<string, Tally>>;
  readonly scenarios: readonly ScenarioResult[];
}

/** Options of {@link runCorpus}. */
export interface RunOptions {
  /** Start of the simulated clock, epoch ms (default 2026-01-01T00:00:00Z). */
  readonly start?: number;
  /** Run the corpus's policies (default true); false measures scope, limits and inspectors alone. */
  readonly policies?: boolean;
}

/** Reads and validates a corpus file. Throws {@link CorpusError} naming the field at fault. */
export async function loadCorpus(path: string): Promise<Corpus> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new CorpusError([{ field: "", message: `cannot read ${path}: ${(err as Error).message}` }]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new CorpusError([{ field: "", message: `${path} is not JSON: ${(err as Error).message}` }]);
  }
  return parseCorpus(raw);
}

/** Counts a list of call results. */
export function tally(calls: readonly CallResult[]): Tally {
  let legit = 0;
  let legitAllowed = 0;
  let legitDenied = 0;
  let legitAsked = 0;
  let attacks = 0;
  let attacksDenied = 0;
  let attacksAsked = 0;
  for (const c of calls) {
    if (c.label === "legit") {
      legit++;
      if (c.effect === "allow") legitAllowed++;
      else if (c.effect === "ask") legitAsked++;
      else legitDenied++;
    } else {
      attacks++;
      if (c.effect === "deny") attacksDenied++;
      else if (c.effect === "ask") attacksAsked++;
    }
  }
  const attacksBlocked = attacksDenied + attacksAsked;
  const utility = legit === 0 ? null : legitAllowed / legit;
  return {
    legit,
    legitAllowed,
    legitDenied,
    legitAsked,
    utility,
    falseDenyRate: utility === null ? null : 1 - utility,
    attacks,
    attacksBlocked,
    attacksDenied,
    attacksAsked,
    attacksAllowed: attacks - attacksBlocked,
    blockRate: attacks === 0 ? null : attacksBlocked / attacks,
  };
}

/**
 * Replays a corpus through the real guard. Each episode gets a fresh `createMandate` (the corpus's
 * roles, tools and policies), a fresh identity and a declared intent; its calls then run in order
 * through `ctx.check`, so limits and history count, on a simulated clock. Throws
 * {@link CorpusError} when the corpus is invalid or an intent cannot be declared.
 */
export async function runCorpus(input: unknown, options: RunOptions = {}): Promise<CorpusResults> {
  const corpus = parseCorpus(input);
  const tools = await buildTools(corpus);
  const scenarios: ScenarioResult[] = [];
  for (const [i, scenario] of corpus.scenarios.entries()) {
    const calls = await runScenario(
      corpus,
      tools,
      scenario,
      i,
      options.start ?? Date.UTC(2026, 0, 1),
      options.policies ?? true,
    );
    scenarios.push({
      name: scenario.name,
      domain: scenario.domain,
      description: scenario.description,
      tally: tally(calls),
      calls,
    });
  }
  const byDomain = new Map<string, CallResult[]>();
  for (const s of scenarios) {
    const list = byDomain.get(s.domain) ?? [];
    list.push(...s.calls);
    byDomain.set(s.domain, list);
  }
  return {
    blocked: [...BLOCKED_EFFECTS],
    overall: tally(scenarios.flatMap((s) => s.calls)),
    domains: Object.fromEntries([...byDomain].map(([d, calls]) => [d, tally(calls)])),
    scenarios,
  };
}

/** Error codes of a delegation the guard refused (a block, not a corpus error). */
const REFUSED_DELEGATION = new Set([
  "ERR_BEYOND_PARENT",
  "ERR_BEYOND_CEILING",
  "ERR_DELEGATION_DEPTH",
  "ERR_CONTEXT_CLOSED",
]);

async function runScenario(
  corpus: Corpus,
  tools: readonly AnyTool[],
  scenario: ScenarioSpec,
  index: number,
  start: number,
  withPolicies: boolean,
): Promise<CallResult[]> {
  const results: CallResult[] = [];
  const specs = withPolicies ? (corpus.policies ?? []).filter((p) => applies(p, scenario)) : [];
  for (const [e, episode] of scenario.episodes.entries()) {
    const at = `scenarios[${index}].episodes[${e}]`;
    let clock = start;
    const mandate = createMandate({
      roles: corpus.roles,
      tools,
      policies: specs.map(policyOf),
      now: () => clock,
    });
    try {
      const root = await declare(
        () =>
          mandate.declare(
            identityOf(episode.identity ?? scenario.identity, scenario.name),
            episode.intent ?? scenario.intent,
          ),
        episode.intent ? `${at}.intent` : `scenarios[${index}].intent`,
      );
      /** Contexts by name; `undefined` for a delegation the guard refused. */
      const contexts = new Map<string, AgentContext | undefined>([["root", root]]);
      for (const [k, step] of episode.calls.entries()) {
        const base = { episode: e, step: k, label: step.label, note: step.note };
        if ("delegate" in step) {
          clock += step.after ?? 1000;
          results.push(await delegation(step, contexts, base, `${at}.calls[${k}]`));
          continue;
        }
        for (let r = 0; r < (step.repeat ?? 1); r++) {
          clock += step.after ?? 1000;
          results.push(call(mandate, step, contexts, { ...base, repetition: r }));
        }
      }
    } finally {
      await mandate.close();
    }
  }
  return results;
}

type Base = Pick<CallResult, "episode" | "step" | "label" | "note">;

/** A delegation step: the child context is created, or refused (a deny with the error code). */
async function delegation(
  step: DelegateStep,
  contexts: Map<string, AgentContext | undefined>,
  base: Base,
  field: string,
): Promise<CallResult> {
  const from = step.from ?? "root";
  const result = { ...base, repetition: 0, kind: "delegate" as const, tool: step.delegate, as: from };
  const parent = contexts.get(from);
  contexts.set(step.delegate, undefined);
  if (parent === undefined) {
    const message = `parent context "${from}" was refused, so it cannot delegate`;
    return { ...result, effect: "deny", codes: ["delegation.refused"], message };
  }
  const identity = step.identity
    ? identityOf(step.identity, step.delegate)
    : { name: step.delegate, sponsor: parent.identity.sponsor, roles: [...parent.identity.roles] };
  try {
    contexts.set(step.delegate, await parent.delegate(identity, step.intent));
    return { ...result, effect: "allow", codes: [] };
  } catch (err) {
    if (err instanceof MandateError && REFUSED_DELEGATION.has(err.code)) {
      return { ...result, effect: "deny", codes: [err.code], message: err.message };
    }
    throw new CorpusError([{ field, message: errorText(err) }]);
  }
}

/** A call step: checked by the guard; when allowed, its output is reported as a framework would. */
function call(
  mandate: Mandate,
  step: CallStep,
  contexts: ReadonlyMap<string, AgentContext | undefined>,
  base: Base & { repetition: number },
): CallResult {
  const as = step.as ?? "root";
  const result = { ...base, kind: "call" as const, tool: step.tool, as };
  const ctx = contexts.get(as);
  if (ctx === undefined) {
    const message = `context "${as}" was refused, so its calls never run`;
    return { ...result, effect: "deny", codes: ["delegation.refused"], message };
  }
  const d = ctx.check({ tool: step.tool, args: step.args });
  // The call ran: its output reaches the guard, so taint and provenance build up for
  // history-aware policies. Denied and asked calls never ran, so there is nothing to observe.
  if (d.effect === "allow") {
    mandate.observe(ctx, { tool: step.tool, output: step.output, args: step.args, callId: d.callId });
  }
  const first = d.reasons[0];
  return {
    ...result,
    effect: d.effect,
    codes: [...new Set(d.reasons.map((x) => x.code))],
    ...(first !== undefined && { message: first.message }),
  };
}

async function declare(run: () => Promise<AgentContext>, field: string): Promise<AgentContext> {
  try {
    return await run();
  } catch (err) {
    const sub = err instanceof MandateError && err.field ? `.${err.field}` : "";
    throw new CorpusError([{ field: `${field}${sub}`, message: errorText(err) }]);
  }
}

function errorText(err: unknown): string {
  if (err instanceof MandateError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

function identityOf(spec: IdentitySpec, fallbackName: string): IdentityInput {
  return { name: spec.name ?? fallbackName, sponsor: spec.sponsor ?? "user:eval", roles: [...spec.roles] };
}

function applies(policy: PolicySpec, scenario: ScenarioSpec): boolean {
  const to = policy.appliesTo;
  if (to === undefined) return true;
  if (to.domains !== undefined && !to.domains.includes(scenario.domain)) return false;
  if (to.scenarios !== undefined && !to.scenarios.includes(scenario.name)) return false;
  return true;
}

function matches(m: MatchSpec, tool: string, accesses: readonly Access[]): boolean {
  if (m.tool !== undefined && !m.tool.includes(tool)) return false;
  if (
    m.action === undefined &&
    m.resource === undefined &&
    m.notResource === undefined &&
    m.data === undefined
  )
    return true;
  const action = m.action === undefined ? undefined : compileGlob(m.action, ".");
  const data = m.data === undefined ? undefined : compileGlob(m.data, ".");
  const resource = m.resource === undefined ? undefined : compileGlob(m.resource, "/");
  const notResource = m.notResource === undefined ? undefined : compileGlob(m.notResource, "/");
  return accesses.some(
    (a) =>
      (action === undefined || action.test(a.action)) &&
      (resource === undefined || resource.test(a.resource)) &&
      (notResource === undefined || !notResource.test(a.resource)) &&
      (data === undefined || a.data.some((d) => data.test(d))),
  );
}

/**
 * A corpus policy as a real `Policy`: core's built-ins with their options (renamed after the corpus
 * entry), or a data rule. A rule with `after` is history-aware: it fires only once the calling
 * context has had an allowed call matching `after` (core's `input.history`).
 */
function policyOf(spec: PolicySpec): Policy {
  if ("builtin" in spec) {
    const core =
      spec.builtin === "untrusted-egress"
        ? untrustedEgress({
            internal: spec.internal,
            ...(spec.actions !== undefined && { actions: spec.actions }),
          })
        : trustedArguments({ tools: spec.tools });
    return { name: spec.name, evaluate: (input) => core.evaluate(input) };
  }
  return { name: spec.name, evaluate: (input) => rule(spec, input) };
}

function rule(spec: RulePolicySpec, input: PolicyInput): ReturnType<Policy["evaluate"]> {
  const after = spec.after;
  if (
    after !== undefined &&
    !input.history.some((h) => h.effect === "allow" && matches(after, h.tool, h.accesses))
  )
    return "abstain";
  if (!matches(spec.when, input.tool, input.accesses)) return "abstain";
  return { effect: spec.effect, reason: spec.reason ?? `policy "${spec.name}"` };
}
