import { defineConfig } from 'vitest/config';

/**
 * `npm run test:citus` (design §9): the acceptance flows against a local Citus cluster (a
 * coordinator and two workers, built and started by test-citus/helpers/cluster-setup.ts). Never part
 * of `npm test`: it needs root and apt for the first build and several minutes.
 */
export default defineConfig({
  test: {
    include: ['test-citus/**/*.test.ts'],
    globalSetup: ['test-citus/helpers/cluster-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 900_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
