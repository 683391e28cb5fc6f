import { z } from "zod";
import { DIGEST_PATTERN } from "../digest.js";
import { ULID_PATTERN } from "../ids.js";
import { DurationSchema } from "./identity.js";
import { Scope, ScopeEntry } from "./scope.js";

const ToolName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/, { message: "must be a tool name of [A-Za-z0-9_.:-]" });

/** Limits on what an intent may consume. Every allowed call counts against its context and all ancestors. */
export const Limits = z.strictObject({
  /** Maximum number of allowed calls. */
  calls: z.number().int().positive().optional(),
  /** Maximum allowed calls in any minute (token bucket). */
  perMinute: z.number().int().positive().optional(),
  /** How long the context lives; it then behaves as revoked. */
  ttl: DurationSchema.optional(),
  /** Total cost the context may spend; each tool's cost comes from `costs`, else the tool definition, else 1. */
  budget: z.number().positive().finite().optional(),
  /** Per-tool cost overrides, by tool name. */
  costs: z.record(ToolName, z.number().nonnegative().finite()).optional(),
});

/** Limits on what an intent may consume. */
export type LimitsInput = z.input<typeof Limits>;

/** What an agent instance says it will do, as the application passes it in. */
export const IntentInput = z.strictObject({
  /** The purpose in words, e.g. "find all customer names". */
  purpose: z.string().trim().min(1, { message: "purpose must say what the agent will do" }).max(4000),
  /** The scope: the union of these entries. */
  allow: z.array(ScopeEntry).min(1, { message: "an intent needs at least one scope entry" }).max(1024),
  limits: Limits.optional(),
  /** The prompt that led to the intent. Only its digest is kept unless `keepPrompt` is true. */
  prompt: z.string().max(1_000_000).optional(),
  /** Keep the raw prompt in the declaration (off by default: prompts often carry personal data). */
  keepPrompt: z.boolean().optional(),
  /** A prompt digest computed elsewhere (`sha256:<hex>`), instead of `prompt`. */
  promptDigest: z
    .string()
    .regex(DIGEST_PATTERN, { message: "must be sha256:<64 lowercase hex digits>" })
    .optional(),
  /** `enforce` (default) blocks deviations; `monitor` allows them and records each as a deviation. */
  mode: z.enum(["enforce", "monitor"]).optional(),
  /**
   * What happens to a call that strays only from the intent (still within every ceiling, fully
   * inspected, within limits): `deny` (default), or `ask` an approver, whose approval becomes a
   * narrow, short-lived grant.
   */
  outOfScope: z.enum(["deny", "ask"]).optional(),
});

/** What an agent instance says it will do, as the application passes it in. */
export type IntentInput = z.input<typeof IntentInput>;

/** Resolved limits, with the ttl in milliseconds. */
export interface Limits {
  readonly calls?: number;
  readonly perMinute?: number;
  readonly ttlMs?: number;
  readonly budget?: number;
  readonly costs?: Readonly<Record<string, number>>;
}

/** A declared intent, as recorded. */
export const IntentDeclaration = z.strictObject({
  id: z.string().regex(ULID_PATTERN),
  /** Format version of the declaration. */
  version: z.literal(1),
  purpose: z.string().min(1).max(4000),
  scope: Scope,
  limits: z.strictObject({
    calls: z.number().int().positive().optional(),
    perMinute: z.number().int().positive().optional(),
    ttlMs: z.number().int().positive().optional(),
    budget: z.number().positive().optional(),
    costs: z.record(z.string(), z.number().nonnegative()).optional(),
  }),
  promptDigest: z.string().regex(DIGEST_PATTERN).optional(),
  prompt: z.string().optional(),
  mode: z.enum(["enforce", "monitor"]),
  outOfScope: z.enum(["deny", "ask"]).optional(),
  /** The intent of the parent context, for delegated intents. */
  parent: z.string().regex(ULID_PATTERN).optional(),
  /** Declaration time, epoch milliseconds. */
  declaredAt: z.number().int().nonnegative(),
});

/** A declared intent, as recorded. */
export type IntentDeclaration = z.infer<typeof IntentDeclaration>;
