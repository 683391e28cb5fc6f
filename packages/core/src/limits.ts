import type { Reason } from "./decision.js";
import type { Limits } from "./schema/intent.js";

/** What a context has consumed so far. */
export class Usage {
  calls = 0;
  spent = 0;
  /** Token bucket for `perMinute`. */
  tokens: number;
  refilledAt: number;

  constructor(limits: Limits, now: number) {
    this.tokens = limits.perMinute ?? 0;
    this.refilledAt = now;
  }
}

/** A node whose limits count: its limits, what it used, and its own cost table. */
export interface Metered {
  readonly id: string;
  readonly limits: Limits;
  readonly usage: Usage;
}

function refill(node: Metered, now: number): number {
  const cap = node.limits.perMinute as number;
  const u = node.usage;
  return Math.min(cap, u.tokens + ((now - u.refilledAt) * cap) / 60_000);
}

/** The cost of one call of `tool` for a node: its intent's table, else the tool's cost, else 1. */
export function costFor(node: Metered, tool: string, toolCost: number | undefined): number {
  const costs = node.limits.costs;
  // Own keys only: a tool named "constructor" must not read Object.prototype.constructor as its cost.
  if (costs !== undefined && Object.hasOwn(costs, tool)) return costs[tool] as number;
  return toolCost ?? 1;
}

/**
 * Checks one more call against every metered node on the path (the context and its ancestors: a
 * child's calls count against its parents' limits too). Returns the first limit that would be
 * exceeded.
 */
export function limitShortfall(
  chain: readonly Metered[],
  tool: string,
  toolCost: number | undefined,
  now: number,
): Reason | undefined {
  for (const node of chain) {
    const { limits, usage } = node;
    if (limits.calls !== undefined && usage.calls + 1 > limits.calls) {
      return { code: "limit.calls", message: `call limit of ${limits.calls} reached`, contextId: node.id };
    }
    if (limits.perMinute !== undefined && refill(node, now) < 1) {
      return {
        code: "limit.rate",
        message: `rate limit of ${limits.perMinute}/min reached`,
        contextId: node.id,
      };
    }
    if (limits.budget !== undefined && usage.spent + costFor(node, tool, toolCost) > limits.budget) {
      return {
        code: "limit.budget",
        message: `budget of ${limits.budget} would be exceeded`,
        contextId: node.id,
      };
    }
  }
  return undefined;
}

/** Records one allowed call on every metered node of the path. */
export function consume(
  chain: readonly Metered[],
  tool: string,
  toolCost: number | undefined,
  now: number,
): void {
  for (const node of chain) {
    const u = node.usage;
    u.calls++;
    if (node.limits.budget !== undefined) u.spent += costFor(node, tool, toolCost);
    if (node.limits.perMinute !== undefined) {
      u.tokens = refill(node, now) - 1;
      u.refilledAt = now;
    }
  }
}
