// Test tier is in the file name: `.unit.` tests touch no I/O; `.int.` and `.e2e.` tests run
// against the real components the harness starts (Samba AD DCs, the Kafka-protocol cluster,
// PostgreSQL); `.deploy.` tests render the Helm chart and the Kustomize overlays with Helm and
// kustomize and check them against a kube-apiserver they start on loopback (all built once by
// their global setup with the machine's Go: docs/adr/0007), and start no other service.
const shared = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }] },
  moduleNameMapper: { '^@writeback/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts' },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};

/** @type {import('jest').Config} */
module.exports = {
  // Integration suites share the two Samba forests (and their domain-wide settings): one at a time.
  maxWorkers: 1,
  reporters: ['default', '<rootDir>/tools/harness/jest-closing-line.js'],
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,bench}/**/*.unit.test.ts'] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,libs}/**/*.{int,e2e}.test.ts'],
      globalSetup: '<rootDir>/libs/testing/src/jest/global-setup.ts',
      globalTeardown: '<rootDir>/libs/testing/src/jest/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/libs/testing/src/jest/integration-setup.ts'],
      slowTestThreshold: 60,
    },
    {
      ...shared,
      displayName: 'deploy',
      testMatch: ['<rootDir>/tools/deploy/**/*.deploy.test.ts'],
      globalSetup: '<rootDir>/tools/deploy/global-setup.ts',
    },
  ],
};
