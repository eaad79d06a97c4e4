import { defineConfig } from 'vitest/config';

// Integration and lab tests share one Docker engine and the machine's two cores, so files run
// one at a time there; unit and sim tests are pure and run in parallel.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: process.env.TEST_SERIAL === '1' ? false : true,
    maxWorkers: 2,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
