import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

export default mergeConfig(shared, defineConfig({ esbuild: { jsx: 'automatic' }, test: { include: ['test/**/*.test.ts', 'test/**/*.test.tsx'] } }));
