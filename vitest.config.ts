import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // e2e tests spawn the built CLI; two cores are shared by everything.
    pool: 'forks',
    benchmark: {
      include: ['test/**/*.bench.ts'],
    },
  },
})
