/*
 * Layers (docs/DESIGN.md, "Layers, as lint rules"); each boundary below is a rule, and
 * src/cli/lintBoundaries.test.ts checks that the rules fire.
 *
 *   core       pure TypeScript: imports no other layer and no runtime package; no DOM globals
 *              (no-restricted-globals, value references only). Its tests may use src/node.
 *   node       Node-side helpers on core.                       cli: the Node CLI, on core and node.
 *   server     the project server, on core and node; never a browser layer (state, ui, canvas, io,
 *              inference, workers). Only its pre-annotation worker (src/server/worker*.ts) runs SAM.
 *   workers    on core and their own protocol (workers/protocol.ts, the typed contract all sides share).
 *   io         files, IndexedDB, the server's HTTP API; on core (and the workers' protocol).
 *   inference  the engine and its workers' clients; on core (and the workers' protocol).
 *   state      the store and the services; on core, io, inference, workers. Never server, cli, node,
 *              ui or canvas: it sits below the views.
 *   canvas     draws; on core, state. Never ui.               ui: on core, state and canvas.
 *              Views reach the app through the store (src/state/useApp.tsx, src/state/**): no value
 *              from io, inference, workers, server, onnxruntime, comlink or idb (type imports
 *              allowed), and no value of src/state/appContext.ts (src/main.tsx is the one composition
 *              root); nothing at all from cli or node.
 */

import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

const LAYERS = ['core', 'node', 'cli', 'server', 'workers', 'io', 'inference', 'state', 'canvas', 'ui'];

/** Import patterns of layer names and packages; the workers' typed API (workers/protocol.ts) is the contract every side shares. */
function patternsOf(banned) {
  return banned.flatMap((b) =>
    LAYERS.includes(b) ? (b === 'workers' ? ['**/workers/**', '!**/workers/protocol.ts'] : [`**/${b}/**`]) : [b],
  );
}

/**
 * A `no-restricted-imports` rule for one layer's files: the packages and layers it may not import at all
 * (`banned`, types too) and those it may import types from only (`valuesBanned`).
 */
function layer(files, ignores, message, banned, valuesBanned = []) {
  const patterns = [{ group: patternsOf(banned), message }];
  if (valuesBanned.length > 0)
    patterns.push({ group: patternsOf(valuesBanned), message: `${message} (type imports are allowed)`, allowTypeImports: true });
  return [{ files: [files], ignores, rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] } }];
}

/** Browser globals src/core may not use (as values: type positions are not reported). Blob and File are left out: Node has them too. */
const DOM_GLOBALS = [
  'window',
  'self',
  'document',
  'navigator',
  'location',
  'history',
  'localStorage',
  'sessionStorage',
  'indexedDB',
  'caches',
  'HTMLElement',
  'HTMLCanvasElement',
  'HTMLImageElement',
  'Image',
  'ImageData',
  'ImageBitmap',
  'createImageBitmap',
  'OffscreenCanvas',
  'CanvasRenderingContext2D',
  'Worker',
  'postMessage',
  'addEventListener',
  'removeEventListener',
  'requestAnimationFrame',
  'cancelAnimationFrame',
  'BroadcastChannel',
  'EventSource',
  'WebSocket',
  'XMLHttpRequest',
  'FileReader',
  'fetch',
];

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
  ...layer('src/core/**/*.{ts,tsx}', ['src/core/**/*.test.ts'], 'src/core is pure TypeScript: it imports nothing from the other layers.', [
    'react',
    'react-*',
    'konva',
    'onnxruntime-*',
    'zustand',
    'comlink',
    'idb',
    ...LAYERS.filter((l) => l !== 'core'),
  ]),
  {
    files: ['src/core/**/*.{ts,tsx}'],
    ignores: ['src/core/**/*.test.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        {
          // `globalThis.document` and `self.fetch` too
          checkGlobalObject: true,
          globals: DOM_GLOBALS.map((name) => ({
            name,
            message: 'src/core runs in Node and in workers too: the browser reaches it through its callers (state, io, workers).',
          })),
        },
      ],
    },
  },
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
      '**/workers/**', // the workers' protocol too: the server has its own (src/core/sync, src/server/schema.ts)
      ...LAYERS.filter((l) => !['core', 'node', 'server', 'workers'].includes(l)),
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
    '**/workers/**',
    ...LAYERS.filter((l) => !['core', 'node', 'server', 'workers'].includes(l)),
  ]),
  ...layer('src/cli/**/*.ts', [], 'The CLI runs the core in Node (onnxruntime-node), never the browser layers.', [
    'react',
    'react-*',
    'onnxruntime-web',
    'zustand',
    ...LAYERS.filter((l) => !['core', 'node', 'cli'].includes(l)),
  ]),
  ...layer('workers/**/*.ts', [], 'Workers run the core; they know nothing of the store, the views or the server.', [
    'react',
    'react-*',
    'zustand',
    ...LAYERS.filter((l) => l !== 'core' && l !== 'workers'),
  ]),
  ...layer('src/io/**/*.ts', [], 'io reads and writes files and storage; it sits below state and knows nothing of the server code.', [
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
  ...layer('src/state/**/*.{ts,tsx}', [], 'state sits below the views; it reaches the project server over HTTP (src/io/serverApi.ts).', [
    'react-konva',
    'konva',
    'react-dom',
    ...LAYERS.filter((l) => ['server', 'ui', 'canvas', 'cli', 'node'].includes(l)),
  ]),
  // The views reach the app only through the store (src/state/useApp.tsx, src/state/**): values from the lower
  // layers are banned, their types allowed. '**/workers/**' without the protocol exception: no value of it either.
  // src/state/appContext.ts makes the app's parts; only the composition root (src/main.tsx) calls it.
  ...layer(
    'src/canvas/**/*.{ts,tsx}',
    [],
    'canvas draws; it reaches the model, the workers and storage through the store (src/state/useApp.tsx).',
    [...LAYERS.filter((l) => ['ui', 'cli', 'node'].includes(l))],
    [
      'onnxruntime-*',
      'comlink',
      'idb',
      '**/workers/**',
      '**/state/appContext*',
      ...LAYERS.filter((l) => ['io', 'inference', 'server'].includes(l)),
    ],
  ),
  ...layer(
    'src/ui/**/*.{ts,tsx}',
    [],
    'ui reaches the model, the workers and storage through the store (src/state/useApp.tsx).',
    [...LAYERS.filter((l) => ['cli', 'node'].includes(l))],
    [
      'onnxruntime-*',
      'comlink',
      'idb',
      '**/workers/**',
      '**/state/appContext*',
      ...LAYERS.filter((l) => ['io', 'inference', 'server'].includes(l)),
    ],
  ),
);
