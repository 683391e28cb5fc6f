/**
 * Benchmark peer: Microsoft's Agent Governance Toolkit TypeScript SDK
 * (`@microsoft/agent-governance-sdk`, "AGT"), configured as closely as it allows to Mandate's
 * bench rule: agent `support-bot` may perform `db.read` on `crm/customers` touching data class
 * `customer.name`; everything else is denied.
 *
 * API used (read from the package's shipped `dist/client.js`, `dist/policy.js`):
 *
 * - `AgentMeshClient.create(agentId, { policyRules })` builds one client bound to one agent
 *   identity (it makes an Ed25519 key pair and a `did:agentmesh:support-bot:…` DID once, here).
 * - `client.executeWithGovernance(action, params)` is the per-call entry point. It activates the
 *   lifecycle on the first call, checks execution rings (defaults: agent ring 3, every action ring 3,
 *   so it always passes), runs the legacy flat-rule `PolicyEngine.evaluate(action, params)`
 *   (first matching rule wins, no match means `'deny'`), reads and updates an in-memory trust score,
 *   and appends a SHA-256 hash-chained entry to the in-memory `AuditLogger`. It returns
 *   `{ decision, trustScore, auditEntry, executionTime, lifecycleState }`. It only decides; the
 *   caller runs the action, which is what {@link createAgtPeer}'s `run` does after an `'allow'`.
 *
 * How the rule maps:
 *
 * - Agent: an AGT client *is* one agent; flat rules carry no agent field. `support-bot` is
 *   therefore fixed when the client is built, not checked per call.
 * - Action: `rule.action` (exact string; AGT also knows `*` and `prefix.*`).
 * - Resource and data class: a flat rule's `condition` object is matched by strict equality
 *   (`params[key] === value`) on top-level keys of `params`. AGT has no notion of resources or
 *   data classes, so they travel as two scalar params, `resource` and `dataClass`. Mandate's
 *   `Access.data` is a list; AGT's flat conditions cannot test list membership (an array never
 *   `===` another), so the peer sees one data class as a string.
 * - Everything else denied: the engine's built-in default when no rule matches; no extra rule.
 *
 * Defaults left alone: audit (`maxEntries` 10 000, in memory), trust (no `persistPath`, so no file
 * writes), rings, kill switch (built but only used on a ring breach), lifecycle. Nothing on this
 * path prints, reads or writes files, or touches the network. `console.warn` exists only for a
 * throwing protocol-facet extractor (`sql`/`k8s` params, which we never pass).
 */
import { createRequire } from "node:module";
import { AgentMeshClient, type PolicyRule } from "@microsoft/agent-governance-sdk";

const PEER_PACKAGE = "@microsoft/agent-governance-sdk";

const AGENT_ID = "support-bot";
const ACTION = "db.read";

/** The one allow rule. No match falls through to the engine's default `'deny'`. */
const RULES: PolicyRule[] = [
  {
    action: ACTION,
    effect: "allow",
    condition: { resource: "crm/customers", dataClass: "customer.name" },
  },
];

/** Params of the allowed call; `PolicyEngine.evaluate` copies them, so reusing one object is safe. */
const ALLOWED_PARAMS = Object.freeze({ resource: "crm/customers", dataClass: "customer.name" });

/** Calls just outside the rule: another resource, another data class, another action. */
const OUTSIDE_RULE: ReadonlyArray<{ action: string; params: Record<string, unknown> }> = [
  { action: ACTION, params: { resource: "hr/employees", dataClass: "customer.name" } },
  { action: ACTION, params: { resource: "crm/customers", dataClass: "customer.ssn" } },
  { action: "db.write", params: { resource: "crm/customers", dataClass: "customer.name" } },
];

/** The governed action itself: a no-op, awaited like a real async tool. */
async function noopAction(): Promise<void> {}

function peerVersion(): string {
  const require = createRequire(import.meta.url);
  return (require(`${PEER_PACKAGE}/package.json`) as { version: string }).version;
}

/** Builds the peer's equivalent of one allow rule: agent "support-bot" may perform action "db.read" on resource "crm/customers" (data class customer.name). Returns a function that performs ONE governed decision+execution of a no-op action, resolving when done, and asserting (throwing) if the peer did not allow it. */
export async function createAgtPeer(): Promise<{
  name: string;
  version: string;
  run: () => Promise<void>;
  denyCheck: () => Promise<boolean>;
}> {
  const client = AgentMeshClient.create(AGENT_ID, { policyRules: RULES });

  const run = async (): Promise<void> => {
    const result = await client.executeWithGovernance(ACTION, ALLOWED_PARAMS);
    if (result.decision !== "allow") {
      throw new Error(`${PEER_PACKAGE}: expected allow for ${ACTION} crm/customers, got ${result.decision}`);
    }
    await noopAction();
  };

  // Same client as `run`, so it proves the configured instance denies. Denials lower the trust
  // score, but executeWithGovernance never gates on trust, so later `run` calls are unaffected.
  const denyCheck = async (): Promise<boolean> => {
    for (const { action, params } of OUTSIDE_RULE) {
      const result = await client.executeWithGovernance(action, params);
      if (result.decision !== "deny") return false;
    }
    return true;
  };

  return { name: PEER_PACKAGE, version: peerVersion(), run, denyCheck };
}
