import { z } from "zod";
import { DIGEST_PATTERN } from "../digest.js";
import { DURATION_PATTERN, toMillis } from "../duration.js";
import { ULID_PATTERN } from "../ids.js";

const Name = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
    message: "must start with a letter or digit and use [A-Za-z0-9._-]",
  });

/** A principal such as `user:alice` or `org:acme`: who is accountable for an agent. */
export const Principal = z
  .string()
  .max(256)
  .regex(/^[a-z][a-z0-9+.-]*:\S+$/, { message: "must be a principal like user:alice or org:acme" });

const RoleName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, { message: "must be a role name of [A-Za-z0-9._:-]" });

/** Schema of a duration (`500ms`, `30s`, `10m`, `2h`, `1d`, or positive milliseconds). */
export const DurationSchema = z.union(
  [
    z.number().int().positive(),
    z.string().regex(DURATION_PATTERN, { message: "must be a duration like 30s, 10m, 2h or 1d" }),
  ],
  { error: "must be a duration like 30s, 10m, 2h or 1d, or a positive whole number of milliseconds" },
);

/** What an application says about a new agent instance; Mandate fills in id, fingerprint and times. */
export const IdentityInput = z.strictObject({
  /** The agent kind, e.g. `support-bot`. */
  name: Name,
  /** The agent kind's version, e.g. `1.4.0`. */
  version: z.string().min(1).max(64).optional(),
  /** The accountable human or organisation. */
  sponsor: Principal,
  /** The tenant the instance acts in. */
  tenant: z.string().min(1).max(128).optional(),
  /** The model behind the instance, e.g. `gpt-4.1`. */
  model: z.string().min(1).max(128).optional(),
  /** Roles: the instance's ceiling. It never acts beyond them, whatever its intent says. */
  roles: z
    .array(RoleName)
    .min(1, { message: "an identity needs at least one role: roles are its ceiling" })
    .max(64),
  /**
   * The configuration the instance runs with. Only its digest is kept (the fingerprint), so that a
   * changed system prompt or tool list shows up as a different fingerprint without being stored.
   */
  config: z
    .strictObject({
      systemPrompt: z.string().max(1_000_000).optional(),
      tools: z.array(z.string().min(1).max(256)).max(4096).optional(),
    })
    .optional(),
  /** A fingerprint computed elsewhere (`sha256:<hex>`); mutually exclusive with `config`. */
  fingerprint: z
    .string()
    .regex(DIGEST_PATTERN, { message: "must be sha256:<64 lowercase hex digits>" })
    .optional(),
  /** How long the identity is valid. */
  ttl: DurationSchema.optional(),
});

/** What an application says about a new agent instance. */
export type IdentityInput = z.input<typeof IdentityInput>;

/** One agent instance: who it is, who answers for it, and its ceiling. */
export const AgentIdentity = z.strictObject({
  /** ULID of this instance. */
  id: z.string().regex(ULID_PATTERN, { message: "must be a ULID" }),
  name: Name,
  version: z.string().min(1).max(64),
  sponsor: Principal,
  tenant: z.string().min(1).max(128).optional(),
  model: z.string().min(1).max(128).optional(),
  roles: z.array(RoleName).min(1).max(64),
  /** Digest of the system prompt and tool list (`sha256:<hex>`), when known. */
  fingerprint: z.string().regex(DIGEST_PATTERN).optional(),
  /** Issue time, epoch milliseconds. */
  issuedAt: z.number().int().nonnegative(),
  /** Expiry time, epoch milliseconds. */
  expiresAt: z.number().int().positive().optional(),
});

/** One agent instance: who it is, who answers for it, and its ceiling. */
export type AgentIdentity = z.infer<typeof AgentIdentity>;

export { toMillis };
