import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Folders that the engine must never import from (dependencies point one way). */
const engineForbidden = ['workbench', 'app', 'cli', 'worker'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', 'coverage/**', 'test-results/**', 'playwright-report/**', '.cache/**', '.ci-out/**', '.scratch*', 'renderer/**/*.vue'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['main/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          {
            group: [...engineForbidden.flatMap((folder) => [`**/${folder}/**`, `**/${folder}`]), '**/renderer/**', 'electron'],
            message: 'main/engine is pure TypeScript over tfjs: it must not import from workbench, app, cli, worker, renderer or electron.',
          },
        ],
      }],
    },
  },
  {
    files: ['renderer/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/main/**', 'electron', 'node:*'], allowTypeImports: true, message: 'The renderer imports only types across the preload boundary.' }],
      }],
    },
  },
);
