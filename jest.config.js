// Jest runs in ESM mode (client-node is ESM-only): NODE_OPTIONS=--experimental-vm-modules.
// Two projects: `unit` (pure code next to its source, no servers) and `integration`
// (test/, against the real control plane, PostgreSQL and S3 started by the global setup).
const tsJest = [
  'ts-jest',
  { useESM: true, tsconfig: '<rootDir>/tsconfig.jest.json', diagnostics: false },
];
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': tsJest },
  testEnvironment: 'node',
};

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      globalSetup: '<rootDir>/test/env/jest-global-setup.ts',
      globalTeardown: '<rootDir>/test/env/jest-global-teardown.ts',
      slowTestThreshold: 30,
    },
  ],
  // Read only at the top level (jest-circus ignores it inside projects).
  testTimeout: 120_000,
};
