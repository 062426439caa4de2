/**
 * A bounded least-recently-used map; `onEvict` is told of every entry pushed out. `capacity` counts
 * entries, or with `weigh` the sum of their weights (e.g. bytes); the newest entry is always kept,
 * however heavy.
 */
export class LruCache<K, V> {
  private readonly map = new Map<K, V>();
  private total = 0;
  constructor(
    readonly capacity: number,
    private readonly onEvict?: (key: K, value: V) => void,
    private readonly weigh: (value: V) => number = () => 1,
  ) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be at least 1');
  }

  /** the sum of the entries' weights (their count without `weigh`) */
  get weight(): number {
    return this.total;
  }

  get size(): number {
    return this.map.size;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Returns the value and marks it most recently used. */
  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  set(key: K, value: V): void {
    this.delete(key);
    this.map.set(key, value);
    this.total += this.weigh(value);
    while (this.total > this.capacity && this.map.size > 1) {
      const oldest = this.map.keys().next().value as K;
      const ov = this.map.get(oldest) as V;
      this.delete(oldest);
      this.onEvict?.(oldest, ov);
    }
  }

  delete(key: K): boolean {
    const v = this.map.get(key);
    if (v === undefined) return false;
    this.total -= this.weigh(v);
    return this.map.delete(key);
  }

  keys(): K[] {
    return [...this.map.keys()];
  }
}
