import { describe, expect, it } from 'vitest';
import { uniqueName } from './names.ts';

describe('uniqueName', () => {
  it('keeps a free name, and numbers one that is taken from 2 on, filling no gaps it need not', () => {
    expect(uniqueName('Untitled project', [])).toBe('Untitled project');
    expect(uniqueName('Untitled project', ['Street scenes'])).toBe('Untitled project');
    expect(uniqueName('Untitled project', ['Untitled project'])).toBe('Untitled project 2');
    expect(uniqueName('Untitled project', [' untitled PROJECT ', 'Untitled project 2'])).toBe('Untitled project 3');
    expect(uniqueName('Untitled project', ['Untitled project', 'Untitled project 3'])).toBe('Untitled project 2');
  });
});
