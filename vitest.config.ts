import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // Compile tests spawn compilers; two workers match the two cores.
    maxWorkers: 2,
  },
});
