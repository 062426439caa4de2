import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

const LAYERS = ['core', 'node', 'cli', 'server', 'workers', 'io', 'inference', 'state', 'canvas', 'ui'];

/** A `no-restricted-imports` rule for one layer's files: the packages and layers it may not import (types too). */
function layer(files, ignores, message, banned, allowTypeImports = false) {
  // the workers' typed API (workers/protocol.ts) is the contract every side shares
  const group = banned.flatMap((b) =>
    LAYERS.includes(b) ? (b === 'workers' ? ['**/workers/**', '!**/workers/protocol.ts'] : [`**/${b}/**`]) : [b],
  );
  return [
    {
      files: [files],
      ignores,
      rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group, message, allowTypeImports }] }] },
    },
  ];
}

export default tseslint.config(
  { ignores: ['dist', 'dist-cli', 'node_modules', 'test-results', 'playwright-report', '.cache'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // Layers (see docs/DESIGN.md): ui/canvas -> state -> inference -> core; workers -> core; cli -> node -> core;
  // io (files, IndexedDB, worker-backed parsers) is used by state. Each boundary is a rule.
  ...layer('src/core/**/*.ts', ['src/core/**/*.test.ts'], 'src/core is pure TypeScript: it imports nothing from the other layers.', [
    'react',
    'react-*',
    'konva',
    'onnxruntime-*',
    'zustand',
    'comlink',
    'idb',
    ...LAYERS.filter((l) => l !== 'core'),
  ]),
  ...layer('src/core/**/*.test.ts', [], 'Tests of src/core import nothing from the CLI or the browser layers.', [
    ...LAYERS.filter((l) => l !== 'core' && l !== 'node'),
  ]),
  ...layer('src/node/**/*.ts', [], 'src/node holds Node-side helpers on top of core.', [
    'react',
    'react-*',
    'onnxruntime-web',
    ...LAYERS.filter((l) => l !== 'core' && l !== 'node'),
  ]),
  ...layer(
    'src/server/**/*.ts',
    ['src/server/worker*.ts'],
    'The project server runs the core in Node; it knows nothing of the browser layers.',
    [
      'react',
      'react-*',
      'onnxruntime-*',
      '**/node/sam-node*',
      'zustand',
      'comlink',
      'idb',
      ...LAYERS.filter((l) => !['core', 'node', 'server'].includes(l)),
    ],
  ),
  // the pre-annotation worker runs SAM (onnxruntime-node, through src/node/sam-node.ts); the server loads it only for --workers
  ...layer('src/server/worker*.ts', [], 'The pre-annotation worker runs the core and SAM in Node, never the browser layers.', [
    'react',
    'react-*',
    'onnxruntime-web',
    'zustand',
    'comlink',
    'idb',
    ...LAYERS.filter((l) => !['core', 'node', 'server'].includes(l)),
  ]),
  ...layer('src/cli/**/*.ts', [], 'The CLI runs the core in Node (onnxruntime-node), never the browser layers.', [
    'react',
    'react-*',
    'onnxruntime-web',
    'zustand',
    ...LAYERS.filter((l) => !['core', 'node', 'cli'].includes(l)),
  ]),
  ...layer('workers/**/*.ts', [], 'Workers run the core; they know nothing of the store or the views.', [
    'react',
    'react-*',
    'zustand',
    ...LAYERS.filter((l) => l !== 'core' && l !== 'workers'),
  ]),
  ...layer('src/io/**/*.ts', [], 'io reads and writes files and storage; it sits below state.', [
    'react',
    'react-*',
    'zustand',
    ...LAYERS.filter((l) => !['core', 'io'].includes(l)),
  ]),
  ...layer('src/inference/**/*.ts', [], 'inference sits below state and the views.', [
    'react',
    'react-*',
    'zustand',
    ...LAYERS.filter((l) => !['core', 'inference'].includes(l)),
  ]),
  ...layer('src/state/**/*.ts', [], 'state sits below the views.', [
    'react-konva',
    'konva',
    'react-dom',
    ...LAYERS.filter((l) => ['ui', 'canvas', 'cli', 'node'].includes(l)),
  ]),
  // the views reach the engine and the workers only through the store and the inference layer
  ...layer(
    'src/canvas/**/*.{ts,tsx}',
    [],
    'canvas draws; it reaches the model through the store.',
    [
      'onnxruntime-*',
      'comlink',
      '**/inference/engine*',
      '**/inference/maskSession*',
      '**/io/exporter*',
      '**/io/persist*',
      ...LAYERS.filter((l) => ['ui', 'cli', 'node', 'workers'].includes(l)),
    ],
    true,
  ),
  ...layer(
    'src/ui/**/*.{ts,tsx}',
    [],
    'ui reaches the model, the workers and storage through the store.',
    [
      'onnxruntime-*',
      'comlink',
      'idb',
      '**/inference/engine*',
      '**/inference/maskSession*',
      '**/io/exporter*',
      '**/io/persist*',
      ...LAYERS.filter((l) => ['cli', 'node', 'workers'].includes(l)),
    ],
    true,
  ),
);
