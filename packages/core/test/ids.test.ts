/** The ULIDs Mandate makes for contexts, calls and events: well-formed, unique, time-ordered. */
import { describe, expect, it } from "vitest";
import { monotonicIds, newId, ULID_PATTERN } from "../src/ids.js";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const timeOf = (id: string) => [...id.slice(0, 10)].reduce((t, c) => t * 32 + ALPHABET.indexOf(c), 0);

describe("ULIDs", () => {
  it("are 26 Crockford base-32 characters whose first 10 encode the time", () => {
    for (const now of [0, 1, 1_796_010_220_307, 2 ** 48 - 1]) {
      const id = newId(now);
      expect(id).toMatch(ULID_PATTERN);
      expect(timeOf(id)).toBe(now);
    }
  });

  it("refuses a time that is not a whole number of ms in 48 bits", () => {
    for (const bad of [-1, 1.5, 2 ** 48, Number.NaN]) expect(() => newId(bad)).toThrow(TypeError);
  });

  it("never repeat, and their random characters are uniform over the alphabet", () => {
    const ids = new Set<string>();
    const counts = new Map<string, number>();
    for (let i = 0; i < 50_000; i++) {
      const id = newId(1_796_010_220_307);
      ids.add(id);
      for (const c of id.slice(10)) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    expect(ids.size).toBe(50_000);
    expect(counts.size).toBe(32);
    const expected = (50_000 * 16) / 32;
    for (const n of counts.values()) expect(Math.abs(n - expected) / expected).toBeLessThan(0.05);
  });

  it("monotonic ids sort in creation order within a millisecond, across them, and when the clock steps back", () => {
    const next = monotonicIds();
    const times = [5_000, 5_000, 5_000, 5_001, 4_999, 5_001, 6_000, 6_000];
    const ids: string[] = [];
    for (let i = 0; i < 20_000; i++) ids.push(next(times[i % times.length] as number));
    expect(ids.every((id) => ULID_PATTERN.test(id))).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
