/**
 * The one-machine set-up's first credentials: when the database has no tenant yet, create tenant "Local"
 * with an admin API key and keep the key in the data directory (mode 0600) so that `npm start` can print it
 * every time. Servers with real tenants never reach this: it only runs on an empty database.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateApiKey } from '../auth/api-keys.js';
import type { Database } from './client.js';

export async function ensureLocalTenant(db: Database, dataDir: string): Promise<string | undefined> {
  const file = path.join(dataDir, 'local-api-key');
  if ((await db.tenant.count()) === 0) {
    const generated = await generateApiKey();
    await db.tenant.create({
      data: { name: 'Local', apiKeys: { create: { name: 'local admin', prefix: generated.prefix, hash: generated.hash, scopes: ['READ', 'WRITE', 'ADMIN'] } } },
    });
    await writeFile(file, `${generated.key}\n`, { mode: 0o600 });
    return generated.key;
  }
  return existsSync(file) ? (await readFile(file, 'utf8')).trim() : undefined;
}
