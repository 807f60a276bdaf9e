import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/slurm/**', 'node_modules/**'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Two cores: run test files two at a time so end-to-end runs keep their time budget.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
