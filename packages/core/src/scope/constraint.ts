import type { ArgumentConstraint } from "../schema/scope.js";
import { compileGlob, globIncludes } from "./glob.js";

type Scalar = string | number | boolean;

function holdsForScalar(c: ArgumentConstraint, v: unknown): boolean {
  if (c.equals !== undefined && v !== c.equals) return false;
  if (c.oneOf !== undefined && !c.oneOf.includes(v as Scalar)) return false;
  if (c.min !== undefined && !(typeof v === "number" && v >= c.min)) return false;
  if (c.max !== undefined && !(typeof v === "number" && v <= c.max)) return false;
  if (c.maxLength !== undefined && !(typeof v === "string" && v.length <= c.maxLength)) return false;
  if (c.pattern !== undefined && !(typeof v === "string" && compileGlob(c.pattern, "").test(v))) return false;
  return true;
}

/**
 * Whether an argument value satisfies a constraint. An array satisfies it when it is non-empty and
 * every element does, so `to: { oneOf: [...] }` constrains every recipient of a list.
 */
export function constraintHolds(c: ArgumentConstraint, value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0 && value.every((v) => holdsForScalar(c, v));
  return holdsForScalar(c, value);
}

function finiteValues(c: ArgumentConstraint): Scalar[] | undefined {
  if (c.equals !== undefined) return [c.equals];
  return c.oneOf;
}

/**
 * Whether every value satisfying `child` satisfies `parent`. Sound (a `true` is always right) and
 * exact whenever `child` enumerates its values (`equals`, `oneOf`); otherwise it compares the
 * bounds one by one and may reject a child that only a cleverer proof would accept.
 */
export function constraintImplies(child: ArgumentConstraint, parent: ArgumentConstraint): boolean {
  const values = finiteValues(child);
  if (values !== undefined) {
    return values.filter((v) => holdsForScalar(child, v)).every((v) => holdsForScalar(parent, v));
  }
  const numeric = child.min !== undefined || child.max !== undefined;
  const textual = child.pattern !== undefined || child.maxLength !== undefined;
  if (numeric && textual) return true; // nothing is both a number and a string: the child admits nothing
  if (parent.equals !== undefined || parent.oneOf !== undefined) return false;
  if (parent.min !== undefined && !(child.min !== undefined && child.min >= parent.min)) return false;
  if (parent.max !== undefined && !(child.max !== undefined && child.max <= parent.max)) return false;
  if (
    parent.maxLength !== undefined &&
    !(child.maxLength !== undefined && child.maxLength <= parent.maxLength)
  ) {
    return false;
  }
  if (parent.pattern !== undefined) {
    if (child.pattern === undefined) return false;
    if (!globIncludes(compileGlob(child.pattern, ""), [compileGlob(parent.pattern, "")])) return false;
  }
  return true;
}
