/**
 * models/assets.json: every third-party data file the project uses, with its upstream address, hash and
 * licence. The upstream address `owner/repo@commit:path` fully determines both the download URL and the
 * file's place in an asset mirror (`<mirror>/<owner>/<repo>/<commit>/<path>`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { AssetError } from './errors.js';

const upstreamPattern = /^([\w.-]+)\/([\w.-]+)@([0-9a-f]{40}):(.+)$/;

export const assetEntrySchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/),
  upstream: z.string().regex(upstreamPattern, 'expected owner/repo@<40-hex commit>:path'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
  licence: z.string().min(1),
  attribution: z.string().min(1),
});
export type AssetEntry = z.infer<typeof assetEntrySchema>;

const manifestSchema = z.object({ assets: z.array(assetEntrySchema) });

export const MANIFEST_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../assets.json');

export interface Upstream {
  owner: string;
  repo: string;
  commit: string;
  path: string;
}

export function parseUpstream(upstream: string): Upstream {
  const match = upstreamPattern.exec(upstream);
  if (!match) throw new AssetError('MANIFEST_INVALID', undefined, `Bad upstream address "${upstream}"`);
  const [, owner, repo, commit, filePath] = match as unknown as [string, string, string, string, string];
  return { owner, repo, commit, path: filePath };
}

/** Path of the file inside a mirror laid out as <owner>/<repo>/<commit>/<path>. */
export function mirrorRelativePath(entry: AssetEntry): string {
  const { owner, repo, commit, path: filePath } = parseUpstream(entry.upstream);
  return path.join(owner, repo, commit, filePath);
}

/** Raw download address of the file at its pinned commit. */
export function upstreamUrl(entry: AssetEntry): string {
  const { owner, repo, commit, path: filePath } = parseUpstream(entry.upstream);
  return `https://raw.githubusercontent.com/${owner}/${repo}/${commit}/${filePath.split('/').map(encodeURIComponent).join('/')}`;
}

export class AssetManifest {
  readonly #byId: Map<string, AssetEntry>;

  constructor(readonly entries: readonly AssetEntry[]) {
    this.#byId = new Map();
    for (const entry of entries) {
      if (this.#byId.has(entry.id)) throw new AssetError('MANIFEST_INVALID', entry.id, `Duplicate asset id "${entry.id}"`);
      this.#byId.set(entry.id, entry);
    }
  }

  static load(manifestPath = MANIFEST_PATH): AssetManifest {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(manifestPath, 'utf8'));
    } catch (cause) {
      throw new AssetError('MANIFEST_INVALID', undefined, `Cannot read asset manifest ${manifestPath}`, { cause });
    }
    const parsed = manifestSchema.safeParse(raw);
    if (!parsed.success) {
      throw new AssetError('MANIFEST_INVALID', undefined, `Asset manifest ${manifestPath} is invalid: ${z.prettifyError(parsed.error)}`);
    }
    return new AssetManifest(parsed.data.assets);
  }

  get(id: string): AssetEntry {
    const entry = this.#byId.get(id);
    if (!entry) {
      throw new AssetError('UNKNOWN_ASSET', id, `No asset "${id}" in the manifest. Add it to models/assets.json (id, upstream, sha256, bytes, licence, attribution).`);
    }
    return entry;
  }
}
