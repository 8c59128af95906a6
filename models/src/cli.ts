/**
 * `npm run assets [-- <id>...]`: fetches and verifies manifest assets into the cache and prints where they are.
 * With no ids it fetches all of them. Exit code 1 with the reason when any asset cannot be provided.
 */
import { AssetError } from './errors.js';
import { AssetFetcher } from './fetcher.js';

const fetcher = new AssetFetcher();
const ids = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const quiet = process.argv.includes('--quiet');
const started = performance.now();
try {
  const paths = await fetcher.resolveAll(ids.length > 0 ? ids : undefined);
  if (!quiet) for (const [id, file] of paths) console.log(`${id.padEnd(44)} ${file}`);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`assets: ${paths.size} verified in ${fetcher.options.cacheDir} (${seconds} s)`);
} catch (error) {
  if (error instanceof AssetError) {
    console.error(`assets: ${error.code}: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
