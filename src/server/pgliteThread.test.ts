import { afterEach, describe, expect, it } from 'vitest';
import { PGliteThread } from './pgliteThread.ts';

describe('the embedded database on its own thread', () => {
  let db: PGliteThread | null = null;
  afterEach(async () => {
    await db?.close();
    db = null;
  });

  it('runs statements and scripts, with parameters and PostgreSQL types, and says how many rows a write touched', async () => {
    db = await PGliteThread.open();
    const script = await db.exec('create table t (id integer primary key, data jsonb, at timestamptz); select 1 as one');
    expect(script).toHaveLength(2);
    expect(script[1]!.rows).toEqual([{ one: 1 }]);
    const ins = await db.query('insert into t values ($1, $2, $3), ($4, $5, $6)', [
      1,
      { name: 'cat', counts: 'abc' },
      new Date(0),
      2,
      null,
      null,
    ]);
    expect(ins.affectedRows).toBe(2);
    const { rows } = await db.query('select id, data, at from t order by id');
    expect(rows).toEqual([
      { id: 1, data: { name: 'cat', counts: 'abc' }, at: new Date(0) },
      { id: 2, data: null, at: null },
    ]);
  });

  it('answers a failed statement with the database error and its SQLSTATE, and goes on', async () => {
    db = await PGliteThread.open();
    await db.exec('create table u (id integer primary key)');
    await db.query('insert into u values (1)');
    const err = (await db.query('insert into u values (1)').catch((e: unknown) => e)) as Error & { code?: string };
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('23505');
    expect(err.message).toMatch(/duplicate key/);
    expect((await db.query('select count(*)::int as n from u')).rows).toEqual([{ n: 1 }]);
  });

  it('leaves the caller’s thread free while a statement runs', async () => {
    db = await PGliteThread.open();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      await db.query('select pg_sleep(0.4)');
    } finally {
      clearInterval(timer);
    }
    // PGlite on the caller's thread: no timer runs until the statement ends (0 or 1 ticks)
    expect(ticks).toBeGreaterThan(10);
  });

  it('refuses statements after it is closed, saying so', async () => {
    db = await PGliteThread.open();
    await db.close();
    await expect(db.query('select 1')).rejects.toThrow(/embedded database is closed/);
  });
});
