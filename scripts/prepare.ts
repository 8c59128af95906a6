/**
 * Runs before `npm start` and `npm test`: makes sure what npm cannot install is there.
 * - Debian packages for the purpose (scripts/system-packages.ts), via apt-get when root.
 * - Every asset of models/assets.json, fetched and hash-checked into the cache.
 * - The generated Prisma Client (normally written by postinstall).
 * Usage: node --import tsx scripts/prepare.ts start|test
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { AssetError, AssetFetcher } from '@seif/models';
import { REPO_ROOT } from '@seif/platform';
import { SYSTEM_PACKAGES } from './system-packages.ts';

const purpose = process.argv[2] as keyof typeof SYSTEM_PACKAGES;
if (!(purpose in SYSTEM_PACKAGES)) {
  console.error(`usage: prepare.ts ${Object.keys(SYSTEM_PACKAGES).join('|')}`);
  process.exit(2);
}

function fail(message: string): never {
  console.error(`[prepare] ${message}`);
  process.exit(1);
}

function isInstalled(pkg: string): boolean {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.includes('install ok installed');
}

function ensureSystemPackages(packages: readonly string[]) {
  if (packages.length === 0) return;
  if (spawnSync('dpkg-query', ['--version']).status !== 0) {
    console.warn(`[prepare] not a Debian system: make sure these are installed: ${packages.join(' ')}`);
    return;
  }
  const missing = packages.filter((pkg) => !isInstalled(pkg));
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    fail(`missing Debian packages: ${missing.join(' ')}\n  run: sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}`);
  }
  console.log(`[prepare] installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  } catch (error) {
    fail(`apt-get could not install ${missing.join(' ')}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function ensureAssets() {
  const fetcher = new AssetFetcher();
  try {
    const paths = await fetcher.resolveAll();
    console.log(`[prepare] ${paths.size} assets verified in ${fetcher.options.cacheDir}`);
  } catch (error) {
    if (error instanceof AssetError) fail(`${error.code}: ${error.message}`);
    throw error;
  }
}

function ensurePrismaClient() {
  if (existsSync(path.join(REPO_ROOT, 'libs/platform/src/db/generated/client.ts'))) return;
  execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts/prisma.mjs'), 'generate'], { stdio: 'inherit' });
}

ensureSystemPackages(SYSTEM_PACKAGES[purpose]);
ensurePrismaClient();
await ensureAssets();
