import { defineConfig } from 'vitest/config';

/**
 * Two projects (conventions.md §13): `unit` tests sit next to the source; `integration`
 * tests in `test/` run real sockets, real clients and the built CLI.
 */
export default defineConfig({
  test: {
    setupFiles: ['./test/setup.ts'],
    testTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'phones/**/*.test.ts', 'tftp-sim/**/*.test.ts', 'tvs-sim/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
        },
      },
    ],
  },
});
