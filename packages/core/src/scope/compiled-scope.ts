import type { Access } from "../access.js";
import type { ArgumentConstraint, Scope, ScopeEntry } from "../schema/scope.js";
import { constraintHolds } from "./constraint.js";
import { compileGlob, type Glob } from "./glob.js";

/** How far an access got into the best-matching entry before it failed. */
export type Shortfall = "action" | "resource" | "data" | "constraint";

/** Why a scope does not cover an access. */
export interface ScopeMiss {
  /** The dimension where the closest entry stopped matching. */
  readonly shortfall: Shortfall;
  /** The data class that is not covered, when `shortfall` is `data` (or when a constraint failed for it). */
  readonly dataClass?: string;
  /** The argument whose constraint failed, when `shortfall` is `constraint`. */
  readonly argument?: string;
}

interface CompiledEntry {
  readonly action: Glob;
  readonly resource: Glob;
  readonly data: readonly Glob[];
  readonly where: readonly (readonly [path: readonly string[], name: string, c: ArgumentConstraint])[];
}

const RANK: Record<Shortfall, number> = { action: 0, resource: 1, data: 2, constraint: 3 };

function argumentAt(args: unknown, path: readonly string[]): unknown {
  let value = args;
  for (const key of path) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * A scope compiled for matching on the hot path. A scope is the union of its entries: an access is
 * covered when, for each of its data classes (or once, when it carries none), one entry matches
 * its action, resource, that data class and the call's arguments.
 */
export class CompiledScope {
  readonly entries: readonly CompiledEntry[];

  constructor(scope: Scope) {
    this.entries = scope.map(compileEntry);
  }

  /**
   * Returns undefined when the scope covers the access, or what is missing: one miss per data
   * class not covered (or a single one for an access without data classes).
   */
  misses(access: Access, args: unknown): ScopeMiss[] | undefined {
    if (access.data.length === 0) {
      const miss = this.missOne(access, undefined, args);
      return miss && [miss];
    }
    let out: ScopeMiss[] | undefined;
    for (const dataClass of access.data) {
      const miss = this.missOne(access, dataClass, args);
      if (miss) {
        if (out === undefined) out = [miss];
        else out.push(miss);
      }
    }
    return out;
  }

  private missOne(access: Access, dataClass: string | undefined, args: unknown): ScopeMiss | undefined {
    let best: Shortfall = "action";
    let argument: string | undefined;
    // Whether any entry for this action names the data class at all: when none does, the data
    // class is what strays from the intent, whatever the resource.
    let dataNamed = dataClass === undefined;
    for (const e of this.entries) {
      if (!e.action.test(access.action)) continue;
      if (!dataNamed && anyMatch(e.data, dataClass as string)) dataNamed = true;
      if (!e.resource.test(access.resource)) {
        if (RANK[best] < RANK.resource) best = "resource";
        continue;
      }
      if (dataClass !== undefined && !anyMatch(e.data, dataClass)) {
        if (RANK[best] < RANK.data) best = "data";
        continue;
      }
      let failed: string | undefined;
      for (const [path, name, c] of e.where) {
        if (!constraintHolds(c, argumentAt(args, path))) {
          failed = name;
          break;
        }
      }
      if (failed === undefined) return undefined;
      best = "constraint";
      argument = failed;
    }
    if (!dataNamed && best !== "action") best = "data";
    const miss: { shortfall: Shortfall; dataClass?: string; argument?: string } = { shortfall: best };
    if (dataClass !== undefined) miss.dataClass = dataClass;
    if (argument !== undefined) miss.argument = argument;
    return miss;
  }
}

function compileEntry(entry: ScopeEntry): CompiledEntry {
  return {
    action: compileGlob(entry.action, "."),
    resource: compileGlob(entry.resource, "/"),
    data: (entry.data ?? []).map((d) => compileGlob(d, ".")),
    where: Object.entries(entry.where ?? {}).map(([name, c]) => [name.split("."), name, c] as const),
  };
}

/** Whether any of the globs matches the name (a loop, not `some`: this runs on every check). */
function anyMatch(globs: readonly { test(name: string): boolean }[], name: string): boolean {
  for (let i = 0; i < globs.length; i++)
    if ((globs[i] as { test(name: string): boolean }).test(name)) return true;
  return false;
}
