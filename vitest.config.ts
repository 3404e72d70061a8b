import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Generous: tests that start real processes (a first initdb, a server and its CLI) run on a
    // 2-core machine shared by two workers; a timeout is a failure to finish, not a speed check.
    testTimeout: 90_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores here: more workers than that only adds contention between PGlite instances.
    maxWorkers: 2,
  },
});
