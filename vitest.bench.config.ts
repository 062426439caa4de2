import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { include: ['bench/**/*.bench-run.ts'], environment: 'node', testTimeout: 1_800_000, reporters: ['dot'] },
});
