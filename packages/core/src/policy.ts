import type { Access } from "./access.js";
import type { CallRecord, Provenance } from "./history.js";
import type { AgentIdentity } from "./schema/identity.js";
import type { IntentDeclaration } from "./schema/intent.js";

/** What a policy sees of a call. */
export interface PolicyInput {
  readonly identity: AgentIdentity;
  readonly intent: IntentDeclaration;
  /** Context ids from the root to the calling context. */
  readonly path: readonly string[];
  readonly tool: string;
  readonly args: unknown;
  readonly accesses: readonly Access[];
  /** The calling context's recent calls, oldest first. */
  readonly history: readonly CallRecord[];
  /** Whether this context or an ancestor has read the output of a tool marked untrusted. */
  readonly tainted: boolean;
  /**
   * Where a value came from: stated in the intent (purpose, prompt, constraint values), seen in a
   * trusted tool's output, seen only in untrusted output, or unknown. Case-insensitive.
   */
  provenance(value: string): Provenance;
}

/** What a policy says. `allow` and `abstain` never widen scope: a policy can only restrict. */
export type PolicyVerdict =
  | "allow"
  | "deny"
  | "ask"
  | "abstain"
  | { readonly effect: "allow" | "deny" | "ask" | "abstain"; readonly reason?: string };

/**
 * A rule in code, run after scope and limits on every call. Policies are synchronous (they run on
 * the hot path) and side-effect free. Deny wins over ask, ask over allow; a policy that throws
 * denies the call (`policy.error`).
 */
export interface Policy {
  readonly name: string;
  evaluate(input: PolicyInput): PolicyVerdict;
}
