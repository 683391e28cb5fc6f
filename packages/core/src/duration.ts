const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration: milliseconds as a number, or text such as `500ms`, `30s`, `10m`, `2h`, `1d`. */
export type Duration = number | `${number}${"ms" | "s" | "m" | "h" | "d"}`;

/** The text form of a duration. */
export const DURATION_PATTERN = /^(\d{1,9})(ms|s|m|h|d)$/;

/** Converts a duration to milliseconds, or returns undefined when it is not one. */
export function toMillis(value: Duration | string): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  const m = DURATION_PATTERN.exec(value);
  if (!m) return undefined;
  const ms = Number(m[1]) * (UNITS[m[2] as string] as number);
  return ms > 0 ? ms : undefined;
}
