import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The layer boundaries of eslint.config.js fire: each case lints a small source text as if it were a file of
 * that layer (the path need not exist: the config's `files` patterns pick the rules by path). The config is not
 * type-aware (no parserOptions.project), so a virtual path needs no tsconfig.
 */

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const IMPORTS = '@typescript-eslint/no-restricted-imports';
const GLOBALS = 'no-restricted-globals';

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: repoRoot });
});

/** The rule ids of what `code`, linted as `filePath` (from the repository root), reports; fails on a parse error. */
async function rulesFired(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${repoRoot}${filePath}`, warnIgnored: true });
  expect(result, filePath).toBeDefined();
  const messages = result!.messages;
  expect(
    messages.filter((m) => m.fatal || m.ruleId === null),
    `${filePath}: ${JSON.stringify(messages)}`,
  ).toEqual([]);
  return messages.map((m) => m.ruleId!);
}

/** A value import used as a value (so no-unused-vars has nothing to say). */
const value = (from: string, name = 'X') => `import { ${name} } from '${from}';\nexport const used = ${name};\n`;
/** A type-only import, both spellings. */
const typeOnly = (from: string, name = 'X') => `import type { ${name} } from '${from}';\nexport type Used = ${name};\n`;
const inlineType = (from: string, name = 'X') => `import { type ${name} } from '${from}';\nexport type Used = ${name};\n`;

type Case = [path: string, code: string];
/** Cases named by their path and first line. */
const named = (cases: Case[]) => cases.map(([path, code]) => [path, code.split('\n')[0]!, code] as const);

const FORBIDDEN: Case[] = [
  // views: no value from io, inference, workers (protocol included), server; nothing from cli or node
  ['src/ui/__fixture__.tsx', value('../io/images.ts', 'ImageRegistry')],
  ['src/ui/__fixture__.tsx', value('../io/serverApi.ts', 'ServerApi')],
  ['src/ui/__fixture__.tsx', value('../inference/engine.ts', 'InferenceEngine')],
  ['src/ui/__fixture__.tsx', value('../inference/overlays.ts', 'OverlayRegistry')],
  ['src/ui/panels/__fixture__.tsx', value('../../workers/protocol.ts')],
  ['src/ui/__fixture__.tsx', value('../server/app.ts')],
  ['src/ui/__fixture__.tsx', typeOnly('../cli/refiner.ts', 'NodeRefiner')],
  ['src/ui/__fixture__.ts', value('../node/image.ts')],
  ['src/ui/__fixture__.tsx', value('onnxruntime-web', 'InferenceSession')],
  ['src/ui/__fixture__.tsx', value('idb', 'openDB')],
  // one composition root: the views get the context from the provider, never make one
  ['src/ui/__fixture__.tsx', value('../state/appContext.ts', 'createAppContext')],
  ['src/canvas/__fixture__.tsx', value('../io/images.ts', 'ImageRegistry')],
  ['src/canvas/__fixture__.tsx', value('../inference/overlays.ts', 'OverlayRegistry')],
  ['src/canvas/tools/__fixture__.ts', value('../../../workers/protocol.ts')],
  ['src/canvas/__fixture__.tsx', value('../state/appContext.ts', 'createAppContext')],
  // canvas does not import ui, not even its types
  ['src/canvas/__fixture__.tsx', value('../ui/App.tsx', 'App')],
  ['src/canvas/__fixture__.tsx', typeOnly('../ui/App.tsx', 'AppProps')],
  // state sits below the views and never reaches the server code
  ['src/state/__fixture__.ts', value('../server/app.ts', 'createApp')],
  ['src/state/services/__fixture__.ts', typeOnly('../../server/schema.ts', 'Database')],
  ['src/state/__fixture__.tsx', value('../ui/App.tsx', 'App')],
  ['src/state/store/__fixture__.ts', value('../../canvas/viewport.ts')],
  ['src/state/__fixture__.ts', value('../cli/refiner.ts', 'NodeRefiner')],
  ['src/state/__fixture__.ts', value('../node/image.ts')],
  // io, inference, workers: below state, never the server
  ['src/io/__fixture__.ts', value('../server/app.ts', 'createApp')],
  ['src/io/__fixture__.ts', value('../state/store/store.ts', 'createAppStore')],
  ['src/io/__fixture__.ts', value('../inference/engine.ts', 'InferenceEngine')],
  ['src/inference/__fixture__.ts', typeOnly('../server/schema.ts', 'Database')],
  ['src/inference/__fixture__.ts', value('../ui/App.tsx', 'App')],
  ['src/inference/__fixture__.ts', value('../io/images.ts', 'ImageRegistry')],
  ['workers/__fixture__.ts', value('../src/state/store/store.ts', 'createAppStore')],
  ['workers/decoder/__fixture__.ts', value('../../src/server/app.ts', 'createApp')],
  ['workers/__fixture__.ts', value('../src/io/images.ts', 'ImageRegistry')],
  // the server knows nothing of the browser layers (the workers' protocol included)
  ['src/server/__fixture__.ts', value('../state/store/store.ts', 'createAppStore')],
  ['src/server/routes/__fixture__.ts', value('../../ui/App.tsx', 'App')],
  ['src/server/__fixture__.ts', typeOnly('../io/serverApi.ts', 'ServerJob')],
  ['src/server/__fixture__.ts', value('../inference/preannotate.ts')],
  ['src/server/__fixture__.ts', typeOnly('../../workers/protocol.ts', 'RenderedMask')],
  ['src/server/worker__fixture__.ts', value('../state/store/store.ts', 'createAppStore')],
  // core imports no other layer
  ['src/core/__fixture__.ts', value('../state/store/store.ts', 'createAppStore')],
  ['src/core/sam/__fixture__.ts', value('../../node/image.ts')],
  ['src/core/__fixture__.ts', value('react', 'useState')],
  // the CLI stays in Node
  ['src/cli/__fixture__.ts', value('../state/store/store.ts', 'createAppStore')],
];

const ALLOWED: Case[] = [
  // the views reach the app through the store
  ['src/ui/__fixture__.tsx', value('../state/useApp.tsx', 'useApp')],
  ['src/ui/__fixture__.tsx', value('../state/store/selectors.ts', 'selectShown')],
  ['src/ui/__fixture__.tsx', value('../canvas/AnnotationStage.tsx', 'AnnotationStage')],
  ['src/ui/__fixture__.tsx', value('../core/geometry.ts', 'clamp')],
  // type imports from the lower layers, both spellings
  ['src/ui/__fixture__.tsx', typeOnly('../io/images.ts', 'ImageRegistry')],
  ['src/ui/__fixture__.tsx', inlineType('../io/serverApi.ts', 'ServerJob')],
  ['src/ui/__fixture__.tsx', typeOnly('../inference/preannotate.ts', 'PreannotateMode')],
  ['src/ui/__fixture__.tsx', typeOnly('../state/appContext.ts', 'AppContext')],
  ['src/canvas/__fixture__.tsx', typeOnly('../../workers/protocol.ts', 'RenderedMask')],
  ['src/canvas/__fixture__.tsx', value('../state/useApp.tsx', 'useApp')],
  // state wires the lower layers
  ['src/state/__fixture__.ts', value('../io/persist.ts', 'ProjectDb')],
  ['src/state/__fixture__.ts', value('../inference/engine.ts', 'InferenceEngine')],
  ['src/state/__fixture__.ts', value('../../workers/protocol.ts')],
  ['src/state/__fixture__.ts', value('../io/serverApi.ts', 'ServerApi')],
  // the lower layers share the workers' protocol and core
  ['src/io/__fixture__.ts', typeOnly('../../workers/protocol.ts', 'ExportApi')],
  ['src/inference/__fixture__.ts', value('../core/errors.ts', 'AppError')],
  ['workers/__fixture__.ts', value('./protocol.ts')],
  ['workers/__fixture__.ts', value('../src/core/geometry.ts', 'clamp')],
  ['src/server/__fixture__.ts', value('../core/errors.ts', 'AppError')],
  ['src/server/__fixture__.ts', value('../node/httpHeaders.ts')],
  ['src/server/worker__fixture__.ts', value('../node/sam-node.ts', 'NodeSam')],
  ['src/cli/__fixture__.ts', value('../node/sam-node.ts', 'NodeSam')],
  // core may use what Node has too, and DOM names in type positions
  ['src/core/__fixture__.ts', 'export const bytes = new TextEncoder().encode("a");\nexport const u = new URL("a", "http://x");\n'],
  ['src/core/__fixture__.ts', 'export function size(c: HTMLCanvasElement, b: Blob): number {\n  return c.width + b.size;\n}\n'],
  // core's tests are not bound by the DOM rule
  ['src/core/__fixture__.test.ts', 'export const d = typeof document;\n'],
];

describe('eslint layer boundaries', () => {
  it.each(named(FORBIDDEN))('%s forbids %s', async (path, _line, code) => {
    expect(await rulesFired(path, code)).toEqual([IMPORTS]);
  });

  it.each(named(ALLOWED))('%s allows %s', async (path, _line, code) => {
    expect(await rulesFired(path, code)).toEqual([]);
  });

  it('core uses no DOM globals (values, or through globalThis / self / window)', async () => {
    const code = [
      'export const a = document.title;',
      'export const b = globalThis.localStorage;',
      'export const c = navigator.hardwareConcurrency;',
      'export const d = createImageBitmap;',
      'export const e = new OffscreenCanvas(1, 1);',
      'export const f = fetch;',
      'export const g = self.indexedDB;',
      '',
    ].join('\n');
    expect(await rulesFired('src/core/mask/__fixture__.ts', code)).toEqual(Array(7).fill(GLOBALS));
  });
});
