import { defineConfig } from 'vitest/config';

/** `npm run test:slurm` (scripts/test-slurm.sh): the end-to-end run on a real single-node Slurm. */
export default defineConfig({
  test: {
    include: ['test/slurm/**/*.test.ts'],
    testTimeout: 170_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
