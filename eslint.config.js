// Lint: strict TypeScript, no `any`, and the import rules of architecture.md: folders import each other only through
// their index.ts, and only downward (style.md "Module boundaries").
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Folders each folder must not import (they sit above it, or beside it where no arrow is drawn). */
const FORBIDDEN = {
  engine: ['io', 'text', 'models', 'sampling', 'collage', 'method', 'world', 'eval', 'train', 'server', 'cli'],
  io: ['engine', 'text', 'models', 'sampling', 'collage', 'method', 'world', 'eval', 'train', 'server', 'cli'],
  text: ['engine', 'models', 'sampling', 'collage', 'method', 'world', 'eval', 'train', 'server', 'cli'],
  models: ['sampling', 'collage', 'method', 'world', 'eval', 'train', 'server', 'cli'],
  sampling: ['collage', 'method', 'world', 'eval', 'train', 'server', 'cli'],
  collage: ['engine', 'models', 'method', 'world', 'eval', 'train', 'server', 'cli'],
  method: ['world', 'eval', 'train', 'server', 'cli'],
  world: ['engine', 'text', 'models', 'sampling', 'collage', 'method', 'eval', 'train', 'server', 'cli'],
  eval: ['engine', 'models', 'sampling', 'collage', 'method', 'train', 'server', 'cli'],
  train: ['collage', 'method', 'server', 'cli'],
  server: ['train', 'cli'],
};

const throughIndex = { group: ['../*/*', '!../*/index.ts', '!../../*.ts'], message: 'import another folder only through its index.ts' };

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'src/web/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/ban-ts-comment': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['src/cli/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [throughIndex] }] } },
  ...Object.entries(FORBIDDEN).map(([folder, forbidden]) => ({
    files: [`src/${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            throughIndex,
            { group: forbidden.map((f) => `../${f}/*`), message: `${folder}/ may not import this folder (architecture.md: arrows point down)` },
            ...(folder === 'engine' ? [] : [{ group: ['onnxruntime-node'], message: 'only engine/ imports onnxruntime-node' }]),
          ],
        },
      ],
    },
  })),
);
