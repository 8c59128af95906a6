/**
 * Server-only. The demo-head GLB for GET /api/demo-head.
 *
 * @seif/flame is TypeScript source whose relative imports end in `.js` (NodeNext style, resolved to `.ts` by
 * tsc, tsx and vitest). Turbopack, Next 16's bundler, does not map `.js` to `.ts`
 * (https://github.com/vercel/next.js/issues/82945; the `resolveExtensionAlias` option is not in 16.4), so the
 * route cannot bundle the library, and externalising it would need the Next server itself to run under tsx.
 * Instead the GLB is produced the way every other app runs the libraries: a `node --import tsx` child
 * (scripts/demo-head.ts) that writes it to the model cache once per machine; this module runs that child
 * once per server process and keeps the bytes in memory.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** apps/web: `next start` and `next dev` run there (root `npm start` and `npm run -w` both set it). */
function webDir(): string {
  return process.env.SEIF_WEB_DIR ?? process.cwd();
}

let cached: Promise<Uint8Array> | undefined;

export function demoHeadGlb(): Promise<Uint8Array> {
  cached ??= (async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(webDir(), 'scripts/demo-head.ts')], {
      cwd: webDir(),
      env: process.env,
      // Building the default head model from the asset mirror takes a few seconds; building the GLB about two.
      timeout: 120_000,
      maxBuffer: 1 << 20,
    });
    const { file } = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { file?: string };
    if (!file) throw new Error(`scripts/demo-head.ts printed no file: ${stdout.slice(0, 200)}`);
    return new Uint8Array(await readFile(file));
  })().catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}
