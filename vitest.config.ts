import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // Compile tests spawn compilers; two workers match the two cores.
    maxWorkers: 2,
    // Every VM the tests start checks its device locks' ranks (a violation ends the VM with an error).
    env: { PVRT_CHECK_LOCKS: '1' },
  },
});
