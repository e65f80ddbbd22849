// Lint rules live here, not in prose. Type-checked rules from typescript-eslint; formatting is Prettier's (.prettierrc.json).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  // test/e2e/consumer: a user's project, compiled against the packed package by test/e2e/package.test.ts.
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.js', '**/*.mjs', '**/*.cjs', 'test/e2e/consumer/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // An async function without await is how an interface method turns a throw into a rejection: not a mistake here.
      '@typescript-eslint/require-await': 'off',
      // Type-only imports are erased, so importing a type never loads a module at start (cold start is measured).
      // `typeof import('./m')` names a lazily loaded module's type without loading it: allowed.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      // An AbortSignal's reason is `unknown` by definition, and passing it on as the rejection is what the platform does.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true, allowThrowingAny: true }],
      '@typescript-eslint/only-throw-error': ['error', { allowThrowingUnknown: true, allowThrowingAny: true }],
      // Handlers may answer synchronously (the log action: no promise per event), so Promise.all over their
      // results mixes values and promises by design, which this rule reports.
      '@typescript-eslint/await-thenable': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['functions/**/*.ts'],
    rules: {
      // Each setting is declared once, in functions/config.ts: nothing else reads the environment.
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'declare the setting in functions/config.ts and read it from there' },
      ],
      // The service logs one JSON line per entry through support/logger.ts, which Cloud Logging parses.
      'no-console': 'error',
    },
  },
  {
    files: ['functions/config.ts', 'functions/cli/**/*.ts', 'functions/support/logger.ts'],
    rules: { 'no-restricted-properties': 'off', 'no-console': 'off' },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      // Tests and benches read JSON answers and peers' bodies, and pass methods to jest: the type-unsafe rules would only add casts.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  prettier,
);
