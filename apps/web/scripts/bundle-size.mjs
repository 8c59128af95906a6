#!/usr/bin/env node
/**
 * `npm run bundle-size -w @seif/web`: the JavaScript each route sends, from the production build in .next
 * (run `npm run build -w @seif/web` first). Per route: first-load JS (what the page needs before it is
 * interactive; Next's own .next/diagnostics/route-bundle-stats.json) and lazy JS (chunks that first-load chunks
 * import on demand, e.g. three.js behind the viewer's dynamic import), each raw and gzipped.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const webDir = path.resolve(import.meta.dirname, '..');
const nextDir = path.join(webDir, '.next');
const statsFile = path.join(nextDir, 'diagnostics/route-bundle-stats.json');
if (!existsSync(statsFile)) {
  console.error(`${path.relative(process.cwd(), statsFile)} is missing: run \`npm run build -w @seif/web\` first (Next 16 writes it on build).`);
  process.exit(1);
}

/** @type {{ route: string; firstLoadChunkPaths: string[] }[]} */
const stats = JSON.parse(readFileSync(statsFile, 'utf8'));
const sizes = new Map();
/** @param {string} chunk path relative to apps/web, e.g. .next/static/chunks/x.js */
function size(chunk) {
  if (!sizes.has(chunk)) {
    const bytes = readFileSync(path.join(webDir, chunk));
    sizes.set(chunk, { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, text: bytes.toString('utf8') });
  }
  return sizes.get(chunk);
}

/** Chunks reachable from `roots` through on-demand loads, excluding the roots themselves. */
function lazyChunks(roots) {
  const seen = new Set(roots);
  const lazy = [];
  const queue = [...roots];
  while (queue.length > 0) {
    const chunk = queue.shift();
    for (const match of size(chunk).text.matchAll(/static\/chunks\/[A-Za-z0-9_.-]+\.js/g)) {
      const found = `.next/${match[0]}`;
      if (seen.has(found) || !existsSync(path.join(webDir, found))) continue;
      seen.add(found);
      lazy.push(found);
      queue.push(found);
    }
  }
  return lazy;
}

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} kB`;
const total = (chunks, key) => chunks.reduce((sum, chunk) => sum + size(chunk)[key], 0);
const rows = stats
  .filter((s) => !s.route.startsWith('/_'))
  .sort((a, b) => a.route.localeCompare(b.route))
  .map((s) => {
    const first = s.firstLoadChunkPaths;
    const lazy = lazyChunks(first);
    return [s.route, kb(total(first, 'raw')), kb(total(first, 'gzip')), kb(total(lazy, 'raw')), kb(total(lazy, 'gzip'))];
  });
const header = ['route', 'first-load JS', 'gzip', 'lazy JS', 'gzip'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(line(header));
for (const row of rows) console.log(line(row));
const shared = stats.map((s) => new Set(s.firstLoadChunkPaths)).reduce((a, b) => new Set([...a].filter((c) => b.has(c))));
console.log(`shared by all routes: ${kb(total([...shared], 'raw'))} (gzip ${kb(total([...shared], 'gzip'))}); API routes send no JS.`);
