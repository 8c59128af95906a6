/**
 * Defaults every project's vitest.config.ts starts from. Tests talk to real PostgreSQL, real ONNX sessions and
 * real files, so timeouts are generous; each project keeps its own config so `nx run <project>:test` works.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: files in parallel would fight over them and over embedded PostgreSQL start-up.
    fileParallelism: false,
    pool: 'forks',
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
