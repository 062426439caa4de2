import { describe, expect, it } from 'vitest';
import { SaveBook, type RecordKey } from './saveBook.ts';

const cat = (id: number): RecordKey => ({ coll: 'categories', id });
const ann = (id: number): RecordKey => ({ coll: 'annotations', id });
const sorted = (keys: RecordKey[]) => keys.map((k) => `${k.coll}:${k.id}`).sort();

describe('SaveBook', () => {
  it('a touched record is dirty and journaled until the write that took it lands', () => {
    const b = new SaveBook();
    expect(b.hasWork()).toBe(false);
    b.touch([cat(2), ann(5)]);
    expect(b.hasWork()).toBe(true);
    expect(b.isDirty(cat(2))).toBe(true);
    expect(b.dirtyCount()).toBe(2);
    expect(sorted(b.journalKeys())).toEqual(['annotations:5', 'categories:2']);

    const w = b.take();
    expect(sorted(w.keys)).toEqual(['annotations:5', 'categories:2']);
    expect(w.renamed).toBe(false);
    // in flight: no longer dirty, still covered by the journal
    expect(b.hasWork()).toBe(false);
    expect(b.isDirty(cat(2))).toBe(false);
    expect(sorted(b.journalKeys())).toEqual(['annotations:5', 'categories:2']);

    b.landed(w);
    expect(b.journalKeys()).toEqual([]);
  });

  it('a record touched twice before a write is written once', () => {
    const b = new SaveBook();
    b.touch([cat(2)]);
    b.touch([cat(2)]);
    expect(b.dirtyCount()).toBe(1);
    expect(b.take().keys).toEqual([cat(2)]);
  });

  it('a record written again while its earlier write is in flight stays journaled until the last write lands', () => {
    const b = new SaveBook();
    b.touch([cat(2)]);
    const first = b.take();
    b.touch([cat(2)]);
    const second = b.take();
    b.landed(first);
    // the first write holds the older version: the newer one is not in storage yet
    expect(b.journalKeys()).toEqual([cat(2)]);
    b.landed(second);
    expect(b.journalKeys()).toEqual([]);
  });

  it('a record changed again after its write was taken is journaled and written again after that write lands', () => {
    const b = new SaveBook();
    b.touch([cat(2)]);
    const first = b.take();
    b.touch([cat(2)]);
    b.landed(first);
    expect(b.isDirty(cat(2))).toBe(true);
    expect(b.journalKeys()).toEqual([cat(2)]);
    expect(b.take().keys).toEqual([cat(2)]);
  });

  it('a failed write puts its records back to be written with the next one, still journaled', () => {
    const b = new SaveBook();
    b.touch([cat(2)]);
    const w = b.take();
    b.touch([ann(7)]);
    b.failed(w, true);
    expect(b.isDirty(cat(2))).toBe(true);
    expect(sorted(b.journalKeys())).toEqual(['annotations:7', 'categories:2']);
    expect(sorted(b.take().keys)).toEqual(['annotations:7', 'categories:2']);
  });

  it('a failed write of a project left meanwhile puts nothing back (its records belong to the other project)', () => {
    const b = new SaveBook();
    b.touch([cat(2)]);
    const w = b.take();
    b.failed(w, false);
    expect(b.isDirty(cat(2))).toBe(false);
    expect(b.journalKeys()).toEqual([]);
  });

  it('a failed write keeps the meta record and a rename to be written again', () => {
    const b = new SaveBook();
    b.touchMeta(true);
    const w = b.take();
    expect(w).toEqual({ keys: [], renamed: true });
    expect(b.hasWork()).toBe(false);
    b.failed(w, true);
    expect(b.hasWork()).toBe(true);
    expect(b.take().renamed).toBe(true);
  });

  it('the meta record alone is work to write; a rename is reported once', () => {
    const b = new SaveBook();
    b.touchMeta();
    expect(b.hasWork()).toBe(true);
    expect(b.dirtyCount()).toBe(0);
    expect(b.take().renamed).toBe(false);
    b.touchMeta(true);
    expect(b.take().renamed).toBe(true);
    b.touchMeta();
    expect(b.take().renamed).toBe(false);
  });

  describe('bulk (an import too large to journal)', () => {
    const many = Array.from({ length: 600 }, (_, i) => ann(i + 1));

    it('bulk keys are written but not journaled; a small change beside them is journaled at once', () => {
      const b = new SaveBook();
      b.touch(many, true);
      expect(b.dirtyCount()).toBe(600);
      expect(b.journalKeys()).toEqual([]);
      const w = b.take();
      expect(w.keys).toHaveLength(600);
      // an accept while the import's write is under way
      b.touch([cat(9)]);
      expect(b.journalKeys()).toEqual([cat(9)]);
      b.landed(w);
      expect(b.journalKeys()).toEqual([cat(9)]);
    });

    it('a bulk record touched again by a small change is journaled (its new version is no import)', () => {
      const b = new SaveBook();
      b.touch(many, true);
      const w = b.take();
      b.touch([ann(3)]);
      expect(b.journalKeys()).toEqual([ann(3)]);
      b.landed(w);
      expect(b.journalKeys()).toEqual([ann(3)]);
    });

    it('once the import has landed its keys are ordinary again: a later small change of one is journaled', () => {
      const b = new SaveBook();
      b.touch(many, true);
      b.landed(b.take());
      b.touch([ann(4)]);
      expect(b.journalKeys()).toEqual([ann(4)]);
    });
  });

  it('clearDirty forgets what waits (another project is open); writes under way still settle', () => {
    const b = new SaveBook();
    b.touch([cat(2)]);
    const w = b.take();
    b.touch([cat(3)]);
    b.touchMeta(true);
    b.clearDirty();
    expect(b.hasWork()).toBe(false);
    expect(b.isDirty(cat(3))).toBe(false);
    b.landed(w);
    expect(b.journalKeys()).toEqual([]);
  });
});
