import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // Several suites start real servers and SQLite files; forks isolate native handles cleanly.
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
