import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.purse/', 'batches/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  { files: ['test/**', 'bin/**'], rules: { 'no-console': 'off' } },
  // The ledger is below settlement (design §2): settlement reads the ledger, never the reverse.
  { files: ['src/ledger/**'], rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/settlement/*'], message: 'src/ledger must not import settlement (the ledger is below it)' }] }] } },
);
