import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist', 'dist-cli', 'node_modules', 'test-results', 'playwright-report'] },
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
  {
    // the core runs in the browser, in workers and in Node: no DOM, React, Konva or onnxruntime
    files: ['src/core/**/*.ts'],
    ignores: ['src/core/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['react', 'react-*', 'konva', 'onnxruntime-*', 'zustand', 'comlink'], message: 'src/core is pure TypeScript.' },
            {
              group: ['**/state/**', '**/inference/**', '**/canvas/**', '**/ui/**', '**/io/**', '**/cli/**', '**/workers/**'],
              message: 'src/core imports nothing from the other layers.',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'window', 'document', 'navigator', 'HTMLElement', 'OffscreenCanvas', 'ImageBitmap'],
    },
  },
  {
    files: ['src/inference/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/state/**', '**/canvas/**', '**/ui/**'], message: 'inference sits below state and the views.' }] },
      ],
    },
  },
  {
    files: ['src/state/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/canvas/**', '**/ui/**', 'react-konva', 'konva'], message: 'state sits below the views.' }] },
      ],
    },
  },
);
