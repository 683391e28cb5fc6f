import { z } from "zod";

/**
 * Action and data-class patterns: dot-separated segments of letters, digits, `_` and `-`, where a
 * segment may contain `*` (within the segment) or be `**` (across segments).
 */
const DOTTED = /^(?:[A-Za-z0-9_*-]+)(?:\.[A-Za-z0-9_*-]+)*$/;
/** Resource patterns: printable text without whitespace or control characters. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const RESOURCE = /^[^\s\u0000-\u001f\u007f]+$/u;

/** Schema of an action pattern such as `db.read` or `email.*`. */
export const ActionPattern = z
  .string()
  .max(256)
  .refine((s) => DOTTED.test(s), {
    message:
      "must be dot-separated segments of [A-Za-z0-9_-], with * or ** wildcards (e.g. db.read, email.*)",
    params: { rule: "pattern.syntax" },
  });

/** Schema of a data-class pattern such as `customer.name` or `employee.*`. */
export const DataClassPattern = z
  .string()
  .max(256)
  .refine((s) => DOTTED.test(s), {
    message:
      "must be dot-separated segments of [A-Za-z0-9_-], with * or ** wildcards (e.g. customer.name, pii.**)",
    params: { rule: "pattern.syntax" },
  });

/** Schema of a resource pattern such as `crm/customers`, `crm/**` or `https://api.example.com/v1/**`. */
export const ResourcePattern = z
  .string()
  .min(1)
  .max(2048)
  .refine((s) => RESOURCE.test(s), {
    message: "must be non-empty text without whitespace or control characters (e.g. crm/customers, crm/**)",
    params: { rule: "pattern.syntax" },
  });

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

/**
 * A constraint on one argument. Several keys in one constraint must all hold. When the argument is
 * an array, every element must satisfy the constraint (and an empty array satisfies none).
 */
export const ArgumentConstraint = z
  .strictObject({
    /** The argument equals this value. */
    equals: Scalar.optional(),
    /** The argument is one of these values. */
    oneOf: z.array(Scalar).min(1).max(1000).optional(),
    /** The argument is a string matching this glob (`*` any run of characters). */
    pattern: z.string().min(1).max(1024).optional(),
    /** The argument is a number ≥ min. */
    min: z.number().finite().optional(),
    /** The argument is a number ≤ max. */
    max: z.number().finite().optional(),
    /** The argument is a string of at most this many characters. */
    maxLength: z.number().int().nonnegative().optional(),
  })
  .refine((c) => Object.values(c).some((v) => v !== undefined), {
    message: "a constraint needs at least one of equals, oneOf, pattern, min, max, maxLength",
    params: { rule: "constraint.empty" },
  })
  .refine((c) => c.min === undefined || c.max === undefined || c.min <= c.max, {
    message: "min must not exceed max",
    params: { rule: "constraint.range" },
  });

/** Argument names are dotted paths into the call's arguments (`to`, `payment.amount`). */
const ArgumentName = z.string().regex(/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/, {
  message: "must be an argument path like amount or payment.amount",
});

const RESERVED = new Set(["__proto__", "prototype", "constructor"]);

/**
 * Constraints by argument path. Keys such as `__proto__` are rejected on the raw input: object
 * assignment would drop or reroute them, and a constraint must never vanish silently.
 */
const Where = z.preprocess(
  (value, ctx) => {
    if (value !== null && typeof value === "object") {
      for (const key of Reflect.ownKeys(value)) {
        if (
          String(key)
            .split(".")
            .some((seg) => RESERVED.has(seg))
        ) {
          ctx.addIssue({
            code: "custom",
            message: "must not name __proto__, prototype or constructor",
            path: [String(key)],
            params: { rule: "argument.reserved" },
          });
        }
      }
    }
    return value;
  },
  z.record(ArgumentName, ArgumentConstraint),
);

/**
 * One scope entry: the actions it permits, on which resources, touching which data classes, under
 * which argument constraints. A scope is the union of its entries.
 */
export const ScopeEntry = z.strictObject({
  action: ActionPattern,
  resource: ResourcePattern,
  /** Data classes the entry permits. Omitted means none: an access carrying data classes needs them listed. */
  data: z.array(DataClassPattern).max(256).optional(),
  /** Constraints on the call's arguments, by argument path. */
  where: Where.optional(),
});

/** A scope: the union of its entries. */
export const Scope = z.array(ScopeEntry).max(1024);

/** One scope entry. */
export type ScopeEntry = z.infer<typeof ScopeEntry>;
/** A constraint on one argument. */
export type ArgumentConstraint = z.infer<typeof ArgumentConstraint>;
/** A scope: the union of its entries. */
export type Scope = z.infer<typeof Scope>;
