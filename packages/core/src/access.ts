/**
 * What one tool call really touches. Inspectors turn a call's arguments into accesses; the guard
 * checks every access against the agent's ceiling, intent and grants.
 */
export interface Access {
  /** Dot-namespaced action, e.g. `db.read`, `http.get`, `email.send`. */
  readonly action: string;
  /** Hierarchical resource name, e.g. `crm/customers`, `https://api.example.com/v1/users`, `file:/srv/a.csv`. */
  readonly resource: string;
  /** Data classes the access reads or writes, e.g. `customer.name`. Empty when it touches no classified data. */
  readonly data: readonly string[];
  /** Facts an inspector learned (host, recipients, row count…), kept for policies and the audit trail. */
  readonly facts?: Readonly<Record<string, unknown>>;
  /**
   * Set when the inspector could not understand the argument. Such an access is always denied
   * (or flagged in monitor mode): the guard never allows what it cannot see.
   */
  readonly uninspectable?: {
    /** The argument the inspector could not understand, as a dotted path (`url`, `to[1]`). */
    readonly field: string;
    /** Why, in words a reviewer can act on. */
    readonly reason: string;
  };
}

/**
 * Turns a tool call's arguments into the accesses it makes. Must be synchronous and side-effect
 * free: it runs on the hot path before the tool. Returning an {@link uninspectable} access (or
 * throwing) denies the call.
 */
export type Inspector<A = unknown> = (args: A) => readonly Access[];

/**
 * Builds the access an inspector returns when it cannot understand an argument.
 *
 * @param action - the action the call would have performed
 * @param field - the argument path that could not be understood
 * @param reason - a human-readable reason
 */
export function uninspectable(action: string, field: string, reason: string): Access {
  return { action, resource: "", data: [], uninspectable: { field, reason } };
}
