import { defineConfig } from 'vitest/config';

// Under `npm run test:asan` the runner process itself starts without leak checking: it never loads
// uvkit, and its bundler's own native addon is not ours to check. ASan reads its options when a
// process starts, so setting them here reaches only the test workers forked from now on (and the
// children they spawn), which is where uvkit runs.
if (process.env.UVKIT_WORKER_ASAN_OPTIONS) process.env.ASAN_OPTIONS = process.env.UVKIT_WORKER_ASAN_OPTIONS;

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
