import { describe, expect, it } from 'vitest';
import { helpRequested } from './usage.ts';

describe('server and worker usage', () => {
  it('is printed for --help, -h and "help", before anything needs a database', () => {
    for (const args of [['worker', '--help'], ['--help'], ['create-user', '-h'], ['help']]) {
      const text = helpRequested(args);
      expect(text, args.join(' ')).toMatch(/^Usage: npm run server/);
      for (const word of ['create-admin', 'set-password', 'worker', '--workers', '--encoder', 'DATABASE_URL']) expect(text).toContain(word);
    }
    expect(helpRequested(['worker'])).toBeNull();
    expect(helpRequested([])).toBeNull();
  });
});
