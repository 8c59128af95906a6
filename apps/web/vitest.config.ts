import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

/**
 * Two projects: `unit` (components rendered to markup, pure viewer logic) and `e2e` (Debian's Chromium against
 * `next start` on the production build; test/e2e/harness.ts). `npx vitest run` runs both; `--project unit` or
 * `--project e2e` picks one.
 */
export default mergeConfig(
  shared,
  defineConfig({
    esbuild: { jsx: 'automatic' },
    test: {
      projects: [
        { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts', 'test/**/*.test.tsx'], exclude: ['test/e2e/**'] } },
        {
          extends: true,
          test: {
            name: 'e2e',
            include: ['test/e2e/**/*.test.ts'],
            // `extends: true` concatenates the shared include (test/**/*.test.ts), so keep the unit files out.
            exclude: ['test/*.test.ts', 'test/*.test.tsx'],
            // SwiftShader renders on the CPU of a shared 2-core machine, and a stale build is rebuilt first (~60 s).
            testTimeout: 120_000,
            hookTimeout: 300_000,
          },
        },
      ],
    },
  }),
);
