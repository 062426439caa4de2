import { defineConfig } from 'vite';

/** Builds the Node command-line tools (src/cli) and the project server (src/server) into dist-cli/, dependencies left external. */
export default defineConfig({
  build: {
    ssr: true,
    outDir: 'dist-cli',
    emptyOutDir: true,
    target: 'node20',
    rollupOptions: {
      input: {
        eval: 'src/cli/eval.ts',
        'eval-video': 'src/cli/eval-video.ts',
        track: 'src/cli/track.ts',
        preannotate: 'src/cli/preannotate.ts',
        'family-models': 'src/cli/family-models.ts',
        'decoder-candidates': 'src/cli/decoder-candidates.ts',
        'decoder-int8': 'src/cli/decoder-int8.ts',
        'bench-browser': 'bench/browser.ts',
        'coarse-labels': 'bench/coarse-labels.ts',
        'bench-preannotate': 'bench/preannotate-browser.ts',
        'bench-workspace': 'bench/workspace-browser.ts',
        'bench-scale': 'bench/scale-browser.ts',
        'bench-video': 'bench/video-browser.ts',
        server: 'src/server/main.ts',
        'bench-server': 'bench/server-load.ts',
        'bench-workers': 'bench/workers.ts',
      },
      output: { format: 'es', entryFileNames: '[name].mjs' },
    },
  },
  ssr: {
    external: [
      'onnxruntime-node',
      'pngjs',
      'jpeg-js',
      '@jsquash/jpeg',
      'fflate',
      'playwright-core',
      'hono',
      '@hono/node-server',
      'kysely',
      '@electric-sql/pglite',
      'kysely-pglite-dialect',
      'pg',
      '@node-rs/argon2',
      'zod',
      'pg-boss',
    ],
  },
});
