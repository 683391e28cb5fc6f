import type { Access } from "./access.js";

/**
 * A narrow, short-lived exception to a context's intent, created when an approver approves a call:
 * it covers exactly the accesses that call made (action, resource, and no data class beyond those),
 * for a limited time and number of uses. Grants never lift a ceiling: the identity's roles still
 * bind every call.
 */
export interface Grant {
  readonly id: string;
  readonly contextId: string;
  readonly action: string;
  readonly resource: string;
  readonly data: readonly string[];
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  /** Uses left. */
  remaining: number;
  /** Who approved it (as the approver said). */
  readonly approvedBy: string;
  /** The approval request it came from. */
  readonly approvalId: string;
}

/** Whether a grant covers an access now. */
export function grantCovers(grant: Grant, access: Access, now: number): boolean {
  return (
    grant.remaining > 0 &&
    now < grant.expiresAt &&
    grant.action === access.action &&
    grant.resource === access.resource &&
    access.data.every((d) => grant.data.includes(d))
  );
}

/** The first live grant covering an access, if any. */
export function findGrant(grants: readonly Grant[], access: Access, now: number): Grant | undefined {
  for (const g of grants) if (grantCovers(g, access, now)) return g;
  return undefined;
}
