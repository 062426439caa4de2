import { describe, expect, it } from 'vitest';
import { parseClassMap } from './classMap.ts';

describe('parseClassMap', () => {
  it('reads id=name lists, id: name lines and JSON', () => {
    expect([...parseClassMap('1=person, 2=car')]).toEqual([
      [1, 'person'],
      [2, 'car'],
    ]);
    expect([...parseClassMap('3: traffic light\n4: dog\n')]).toEqual([
      [3, 'traffic light'],
      [4, 'dog'],
    ]);
    expect([...parseClassMap('{"7": "cat"}')]).toEqual([[7, 'cat']]);
    expect([...parseClassMap('["background", "person", null, "car"]')]).toEqual([
      [0, 'background'],
      [1, 'person'],
      [3, 'car'],
    ]);
    expect(parseClassMap('  ').size).toBe(0);
  });
  it('says which entry is wrong', () => {
    expect(() => parseClassMap('1=person, car')).toThrow(/"car": expected id=name/);
    expect(() => parseClassMap('x=person')).toThrow(/class id "x"/);
    expect(() => parseClassMap('{"1": ""}')).toThrow(/class 1 needs a category name/);
    expect(() => parseClassMap('{"1": ')).toThrow(/not valid JSON/);
  });
});
