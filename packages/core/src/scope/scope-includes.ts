import type { Scope, ScopeEntry } from "../schema/scope.js";
import { constraintImplies } from "./constraint.js";
import { compileGlob, globIncludes } from "./glob.js";

const RANK = ["action", "resource", "data", "constraint"];

/** Where a scope reaches beyond another. */
export interface ScopeExcess {
  /** Index of the entry of the inner scope that is not covered. */
  readonly entry: number;
  /** The data class pattern of that entry that is not covered, when the rest is. */
  readonly dataClass?: string;
  /** Readable explanation. */
  readonly message: string;
}

function entryWithin(
  child: ScopeEntry,
  dataClass: string | undefined,
  parent: ScopeEntry,
): "action" | "resource" | "data" | `constraint:${string}` | undefined {
  if (!globIncludes(compileGlob(child.action, "."), [compileGlob(parent.action, ".")])) return "action";
  if (!globIncludes(compileGlob(child.resource, "/"), [compileGlob(parent.resource, "/")])) return "resource";
  if (dataClass !== undefined) {
    const parentData = (parent.data ?? []).map((d) => compileGlob(d, "."));
    if (!globIncludes(compileGlob(dataClass, "."), parentData)) return "data";
  }
  for (const [name, pc] of Object.entries(parent.where ?? {})) {
    const cc = child.where?.[name];
    if (cc === undefined || !constraintImplies(cc, pc)) return `constraint:${name}`;
  }
  return undefined;
}

/**
 * Decides whether `inner` permits nothing that `outer` does not: every entry of `inner` — each of
 * its data-class patterns on its own — must lie inside one entry of `outer` (action, resource and
 * data patterns by exact glob inclusion, argument constraints by implication).
 *
 * Returns undefined when it does, or the first entry that reaches beyond. The check is sound: it
 * never accepts a scope that permits more. It is conservative in one case — an inner entry that
 * only the union of several outer entries covers is rejected; split it into one entry per outer
 * entry to pass.
 */
export function scopeExcess(inner: Scope, outer: Scope): ScopeExcess | undefined {
  for (let i = 0; i < inner.length; i++) {
    const child = inner[i] as ScopeEntry;
    const atoms: (string | undefined)[] = child.data && child.data.length > 0 ? child.data : [undefined];
    for (const dataClass of atoms) {
      let closest = "action";
      let covered = false;
      for (const parent of outer) {
        const failed = entryWithin(child, dataClass, parent);
        if (failed === undefined) {
          covered = true;
          break;
        }
        if (RANK.indexOf(failed.split(":")[0] as string) > RANK.indexOf(closest.split(":")[0] as string)) {
          closest = failed;
        }
      }
      if (covered) continue;
      const what = closest.startsWith("constraint:")
        ? `the constraint on argument "${closest.slice("constraint:".length)}"`
        : closest === "data"
          ? `data class "${dataClass}"`
          : closest === "resource"
            ? `resource "${child.resource}"`
            : `action "${child.action}"`;
      const excess: { entry: number; dataClass?: string; message: string } = {
        entry: i,
        message: `${what} of allow[${i}] (${child.action} on ${child.resource}) is not covered`,
      };
      if (dataClass !== undefined && closest === "data") excess.dataClass = dataClass;
      return excess;
    }
  }
  return undefined;
}

/** Whether `inner` permits nothing that `outer` does not. See {@link scopeExcess}. */
export function scopeIncludes(outer: Scope, inner: Scope): boolean {
  return scopeExcess(inner, outer) === undefined;
}
