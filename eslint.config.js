// Lint: strict TypeScript, no `any`, and the import rules of architecture.md (folders import each other's index.ts only).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
  {
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['../models/*', '../sampling/*', '../collage/*', '../method/*', '../cli/*', '../world/*', '../eval/*', '../train/*'] }],
    },
  },
  {
    files: ['src/collage/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['../engine/*', '../models/*', '../method/*', 'onnxruntime-node'] }],
    },
  },
);
