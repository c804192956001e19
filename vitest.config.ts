import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each test file in its own child process: a native crash fails that file, not the run.
    pool: 'forks',
    poolOptions: { forks: { execArgv: ['--expose-gc'] } },
    setupFiles: ['test/helpers/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
