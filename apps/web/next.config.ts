import path from 'node:path';
import type { NextConfig } from 'next';

const root = path.resolve(import.meta.dirname, '../..');

const config: NextConfig = {
  // The monorepo root, so that Next traces workspace files and does not guess from lockfiles.
  outputFileTracingRoot: root,
  turbopack: { root },
  poweredByHeader: false,
  reactStrictMode: true,
  // No workspace library is bundled: their `.js`-suffixed relative imports of `.ts` files do not resolve under
  // Turbopack (lib/demo-head.ts explains; the demo-head route runs @seif/flame under tsx in a child process).
  // Native addons stay plain Node requires (Next lists both by default; said here so nobody bundles them).
  serverExternalPackages: ['sharp', 'onnxruntime-node', 'ws'],
};

export default config;
