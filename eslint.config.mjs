// Flat config shared by every TypeScript workspace. Type-aware rules stay off so lint runs
// fast and independently of `tsc --noEmit`, which CI runs separately.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'plugin/build/**',
      'plugin/vendor/**',
      'vendor/**',
      '.harness/**',
      'e2e/test-results/**',
      'e2e/playwright-report/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['assets-src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
