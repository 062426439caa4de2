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
  it('bounds the sum of weights, keeping the newest entry however heavy', () => {
    const evicted: string[] = [];
    // SAM 2 embeddings weigh 4x a SAM 1 one: a budget of 10 holds two of 4, then one of 12 alone
    const c = new LruCache<string, number>(
      10,
      (k) => evicted.push(k),
      (v) => v,
    );
    c.set('a', 4);
    c.set('b', 4);
    expect(c.weight).toBe(8);
    c.set('c', 4);
    expect(evicted).toEqual(['a']);
    expect(c.weight).toBe(8);
    c.set('b', 1); // replaced: weighed again
    expect(c.weight).toBe(5);
    c.set('big', 12);
    expect(c.keys()).toEqual(['big']);
    expect(evicted).toEqual(['a', 'c', 'b']);
    expect(c.weight).toBe(12);
    c.delete('big');
    expect(c.weight).toBe(0);
  });
  it('needs a positive capacity', () => {
    expect(() => new LruCache(0)).toThrow(RangeError);
  });
});
