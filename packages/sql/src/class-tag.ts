import { MandateError } from "@mandate/core";

/** The tag that marks a data class in a PostgreSQL comment: `mandate:class=employee.salary`. */
export const CLASS_TAG = "mandate:class=";

const CLASS_SYNTAX = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

/**
 * Reads the data classes tagged in a comment. The tag is `mandate:class=` followed by one class or
 * a comma-separated list, up to the next whitespace; it may sit anywhere in free text, several
 * tags add up, and a trailing `.`, `;` or `)` is punctuation, not part of the class:
 *
 * `COMMENT ON COLUMN hr.employees.salary IS 'Gross pay, EUR. mandate:class=employee.salary,pii.financial'`
 *
 * @param where - names the commented object in the error message
 * @throws MandateError `ERR_INVALID_CONFIG` when a tag holds something that is not a data class:
 *   a typo must never leave a column silently unclassified.
 */
export function parseClassTags(comment: string | null | undefined, where = "comment"): string[] {
  if (!comment) return [];
  const out = new Set<string>();
  let at = comment.indexOf(CLASS_TAG);
  while (at !== -1) {
    let end = at + CLASS_TAG.length;
    while (end < comment.length && !/\s/.test(comment[end] as string)) end++;
    const value = comment.slice(at + CLASS_TAG.length, end).replace(/[.;)]+$/, "");
    const classes = value.split(",");
    for (const c of classes) {
      if (!CLASS_SYNTAX.test(c)) {
        throw new MandateError(
          "ERR_INVALID_CONFIG",
          `invalid data-class tag on ${where}: "${comment.slice(at, end)}" (expected ${CLASS_TAG}a.b[,c.d])`,
          [{ field: where, rule: "class", message: `"${c}" is not a data class` }],
        );
      }
      out.add(c);
    }
    at = comment.indexOf(CLASS_TAG, end);
  }
  return [...out];
}
