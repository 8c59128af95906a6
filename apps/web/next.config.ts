import path from 'node:path';
import type { NextConfig } from 'next';

const config: NextConfig = {
  // The monorepo root, so that Next traces workspace files and does not guess from lockfiles.
  outputFileTracingRoot: path.resolve(import.meta.dirname, '../..'),
  turbopack: { root: path.resolve(import.meta.dirname, '../..') },
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
