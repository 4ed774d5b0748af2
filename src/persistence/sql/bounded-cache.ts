/**
 * A small map with a ceiling, for per-SQL-text caches (prepared statements, placeholder rewrites).
 * The stores use a fixed set of statements, but visibility queries are compiled from user input, so
 * an unbounded cache keyed by SQL text would grow without end. At the ceiling the oldest entry goes.
 */
export class BoundedCache<V> {
  private readonly map = new Map<string, V>();

  constructor(private readonly max = 1000) {}

  get(key: string, make: (key: string) => V): V {
    let v = this.map.get(key);
    if (v === undefined) {
      v = make(key);
      if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value!);
      this.map.set(key, v);
    }
    return v;
  }
}
