import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // e2e files share one control plane per file and run one file at a time: two cores.
    fileParallelism: true,
    testTimeout: 20_000,
    hookTimeout: 240_000,
    reporters: ['default', './test/harness/summary-reporter.ts'],
  },
});
