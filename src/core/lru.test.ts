import { describe, expect, it } from 'vitest';
import { LruCache } from './lru.ts';

describe('LruCache', () => {
  it('evicts the least recently used entry and reports it', () => {
    const evicted: string[] = [];
    const c = new LruCache<string, number>(2, (k) => evicted.push(k));
    c.set('a', 1);
    c.set('b', 2);
    expect(c.get('a')).toBe(1); // a is now newest
    c.set('c', 3);
    expect(evicted).toEqual(['b']);
    expect(c.keys()).toEqual(['a', 'c']);
    expect(c.has('b')).toBe(false);
    c.set('a', 10); // replacing keeps size
    expect(c.size).toBe(2);
    expect(c.get('a')).toBe(10);
    expect(c.delete('a')).toBe(true);
    expect(c.size).toBe(1);
  });
  it('needs a positive capacity', () => {
    expect(() => new LruCache(0)).toThrow(RangeError);
  });
});
