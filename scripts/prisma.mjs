// Runs the Prisma CLI offline: `node scripts/prisma.mjs <command...>` (postinstall runs `generate`).
// The CLI insists on downloading its native schema engine before any command, from a host this project cannot
// reach; generate/validate/format do not use that engine, so we point the CLI at an existing file instead.
// Migrations go through the wasm engine instead (libs/platform/src/db/schema-engine.ts, scripts/db.ts).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
if (args.length === 0 || /^migrate|^db$/.test(args[0])) {
  console.error('usage: node scripts/prisma.mjs generate|validate|format [...]; for migrations use npm run db:migrate / db:new-migration');
  process.exit(2);
}
const prismaCli = createRequire(import.meta.url).resolve('prisma/build/index.js');
const result = spawnSync(process.execPath, [prismaCli, ...args], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
});
process.exit(result.status ?? 1);
