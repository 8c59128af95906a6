/**
 * The project's own trained networks (models/weights/, committed, unlike third-party assets). The manifest
 * (models/weights/manifest.json) says for each set of weights where its files are, their sha256, how it was trained
 * and what it scored; the directory's `seif-net.json` (written by models/training/export.py) says how to feed it.
 *
 * `seifWeights()` answers "are SeIF weights shipped?" (undefined when not), so callers can fall back to the
 * FLAME-only path; `loadSeifWeights()` is for callers that need them and want a typed error when absent or altered.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { AssetError } from './errors.js';

export const WEIGHTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../weights');
export const WEIGHTS_MANIFEST_PATH = path.join(WEIGHTS_DIR, 'manifest.json');
/** The weights the pipeline uses when none are named. */
export const DEFAULT_SEIF_WEIGHTS = 'seif-lite';

const graph = z.object({
  file: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().positive(),
  inputs: z.record(z.string(), z.array(z.number().nullable())),
  outputs: z.record(z.string(), z.array(z.number().nullable())),
});

/** models/training/export.py's seif-net.json. */
export const SeifNetSpecSchema = z.object({
  config: z.object({
    name: z.string(),
    image_size: z.number().int().positive(),
    channels: z.array(z.enum(['rgb', 'flame_normal', 'flame_depth', 'mask'])),
    encoder: z.string(),
    feature_channels: z.number().int().positive(),
    use_z: z.boolean(),
    use_code: z.boolean(),
  }).passthrough(),
  opset: z.number().int(),
  encoder: graph,
  decoder: graph,
  channels: z.array(z.object({ name: z.string(), encoding: z.string() })),
  projection: z.string(),
  /** Occupancy level of the surface, chosen on the val split by models/training/calibrate.py (absent: 0.5). */
  surface_level: z.number().gt(0).lt(1).optional(),
});
export type SeifNetSpec = z.infer<typeof SeifNetSpecSchema>;

const EntrySchema = z.object({
  id: z.string(),
  /** Directory relative to models/weights. */
  dir: z.string(),
  version: z.string(),
  description: z.string(),
  license: z.string(),
  files: z.record(z.string(), z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().positive() })),
  training: z.record(z.string(), z.unknown()),
  metrics: z.record(z.string(), z.unknown()),
});
export type WeightsEntry = z.infer<typeof EntrySchema>;
const ManifestSchema = z.object({ about: z.string().optional(), weights: z.array(EntrySchema) });

export interface SeifWeights {
  entry: WeightsEntry;
  dir: string;
  encoderPath: string;
  decoderPath: string;
  spec: SeifNetSpec;
}

export function readWeightsManifest(manifestPath = WEIGHTS_MANIFEST_PATH): WeightsEntry[] {
  const parsed = ManifestSchema.safeParse(JSON.parse(readFileSync(manifestPath, 'utf8')));
  if (!parsed.success) throw new AssetError('MANIFEST_INVALID', undefined, `${manifestPath}: ${parsed.error.message}`);
  return parsed.data.weights;
}

/** Reads a weights directory as export.py wrote it (any directory: a training run's output works too). */
export function readSeifNetDir(dir: string, entry?: WeightsEntry): SeifWeights {
  const specPath = path.join(dir, 'seif-net.json');
  if (!existsSync(specPath)) throw new AssetError('ASSET_UNAVAILABLE', entry?.id, `SeIF weights: ${specPath} is missing.`);
  const parsed = SeifNetSpecSchema.safeParse(JSON.parse(readFileSync(specPath, 'utf8')));
  if (!parsed.success) throw new AssetError('MANIFEST_INVALID', entry?.id, `${specPath}: ${parsed.error.message}`);
  const spec = parsed.data;
  return {
    entry: entry ?? { id: path.basename(dir), dir, version: 'unversioned', description: 'a weights directory outside the manifest', license: 'unknown', files: {}, training: {}, metrics: {} },
    dir, spec,
    encoderPath: path.join(dir, spec.encoder.file),
    decoderPath: path.join(dir, spec.decoder.file),
  };
}

/** The shipped weights named `id`, or undefined when the manifest has no such entry or its files are absent. */
export function seifWeights(id = DEFAULT_SEIF_WEIGHTS, manifestPath = WEIGHTS_MANIFEST_PATH): SeifWeights | undefined {
  const entry = readWeightsManifest(manifestPath).find((e) => e.id === id);
  if (!entry) return undefined;
  const dir = path.resolve(path.dirname(manifestPath), entry.dir);
  if (!Object.keys(entry.files).every((f) => existsSync(path.join(dir, f)))) return undefined;
  return readSeifNetDir(dir, entry);
}

/** Like seifWeights, but throws a typed AssetError when absent, and checks every file's sha256. */
export function loadSeifWeights(id = DEFAULT_SEIF_WEIGHTS, manifestPath = WEIGHTS_MANIFEST_PATH): SeifWeights {
  const entry = readWeightsManifest(manifestPath).find((e) => e.id === id);
  if (!entry) throw new AssetError('UNKNOWN_ASSET', id, `No trained weights named "${id}" in ${manifestPath}.`);
  const dir = path.resolve(path.dirname(manifestPath), entry.dir);
  for (const [file, { sha256 }] of Object.entries(entry.files)) {
    const full = path.join(dir, file);
    if (!existsSync(full)) throw new AssetError('ASSET_UNAVAILABLE', id, `Weights "${id}": ${full} is missing.`);
    const actual = createHash('sha256').update(readFileSync(full)).digest('hex');
    if (actual !== sha256) throw new AssetError('ASSET_HASH_MISMATCH', id, `Weights "${id}": ${file} has sha256 ${actual}, the manifest says ${sha256}.`);
  }
  return readSeifNetDir(dir, entry);
}
