// ESLint flat config: @eslint/js recommended + typescript-eslint recommended (not type-checked, to stay fast)
// + eslint-config-prettier (formatting is prettier's job; see .prettierrc.json).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

export default tseslint.config(
  {
    // asm/ is AssemblyScript (decorators, i32/usize), not plain TypeScript.
    ignores: ['dist/', 'node_modules/', 'asm/', 'samples/', 'coverage/', 'bench/data/', 'test/fixtures/'],
  },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.mjs', 'scripts/**/*.mjs', 'bin/*.js', '*.config.ts', '*.config.js'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended, prettier],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    rules: {
      // The project marks deliberately unused names with a leading underscore (`for await (const _ of s)` to drain
      // a stream, `{ input: _i, ...rest }` to omit keys); the recommended rule flags those.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // Each command declares its own `XOptions extends CommonOptions` even when it adds nothing yet, so every
      // command has a named options type; an interface with a single `extends` is that, not a mistake.
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }],
    },
  },
  {
    // the HTML report's page runs in a browser
    files: ['web/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended, prettier],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...globals.browser } },
  },
);
