interface Entry<V> {
  readonly value: V;
  /** When the entry was last placed at the young end of the map. */
  tick: number;
}

/**
 * A bounded least-recently-used map from the exact statement text to what the inspector made of
 * it. Keys are compared as strings, code unit for code unit: `SELECT 1` and `select 1` are
 * different entries, which is the point (nothing is normalised before it is parsed).
 *
 * Recency is kept lazily: a hit moves its entry to the young end of the map only when the entry
 * has drifted out of the youngest quarter. Moving on every hit (delete + set) makes V8 rehash a
 * nearly full Map every few operations, and a hit would then cost a microsecond instead of tens of
 * nanoseconds. An evicted entry is never among the most recently used quarter.
 */
export class StatementCache<V> {
  private readonly map = new Map<string, Entry<V>>();
  private tick = 0;
  private hitCount = 0;
  private missCount = 0;
  private readonly promoteAfter: number;

  /** @param capacity - the most entries kept; the least recently used one is evicted first. */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError("capacity must be an integer ≥ 0");
    this.promoteAfter = capacity >> 2;
  }

  /** The entry for `key`, marking it recently used. */
  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (e === undefined) {
      this.missCount++;
      return undefined;
    }
    this.hitCount++;
    if (this.tick - e.tick > this.promoteAfter) {
      this.map.delete(key);
      this.map.set(key, e);
      e.tick = ++this.tick;
    }
    return e.value;
  }

  /** Stores an entry, evicting the least recently used one when full. */
  set(key: string, value: V): void {
    if (this.capacity === 0) return;
    const map = this.map;
    if (map.has(key)) map.delete(key);
    else if (map.size >= this.capacity) {
      const oldest = map.keys().next();
      if (!oldest.done) map.delete(oldest.value);
    }
    map.set(key, { value, tick: ++this.tick });
  }

  /** How many entries are kept now. */
  get size(): number {
    return this.map.size;
  }

  /** Hits and misses since creation (or the last {@link clear}). */
  get stats(): { readonly hits: number; readonly misses: number } {
    return { hits: this.hitCount, misses: this.missCount };
  }

  /** Drops every entry and resets the counters. */
  clear(): void {
    this.map.clear();
    this.hitCount = 0;
    this.missCount = 0;
  }
}
