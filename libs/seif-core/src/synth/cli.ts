/**
 * `npm run data:synth -- --count N --seed S --out <dir> [--start I] [--size 256] [--points 5000] [--shard-size 16] [--val 0.1]`
 * Synthetic SeIF training shards (sample.ts, shard.ts). Samples are reproducible from (seed, index); the last
 * ~10 % (at least one shard when there are two or more) go to shards marked `split: "val"`.
 */
import { mkdir } from 'node:fs/promises';
import { loadDefaultHeadModel } from '@seif/flame';
import { Command } from 'commander';
import { ProductionPrior, groundTruthPrior } from './prior.js';
import { type SynthSample, generateSample } from './sample.js';
import { writeShard } from './shard.js';

const program = new Command()
  .name('data:synth')
  .requiredOption('--count <n>', 'number of samples', (v) => Number.parseInt(v, 10))
  .option('--seed <s>', 'random seed', (v) => Number.parseInt(v, 10), 0)
  .option('--start <i>', 'first sample index (split one run over processes: same seed, disjoint ranges)', (v) => Number.parseInt(v, 10), 0)
  .requiredOption('--out <dir>', 'output directory')
  .option('--size <px>', 'image size', (v) => Number.parseInt(v, 10), 256)
  .option('--points <n>', 'occupancy samples per head', (v) => Number.parseInt(v, 10), 5000)
  .option('--shard-size <n>', 'samples per shard', (v) => Number.parseInt(v, 10), 16)
  .option('--val <fraction>', 'fraction held out for validation', Number.parseFloat, 0.1)
  .option('--prior <kind>', 'FLAME prior: production (the real front end on each render; default) | ground-truth (perfect fit, for experiments)', 'production');
program.parse();
const o = program.opts<{ count: number; seed: number; start: number; out: string; size: number; points: number; shardSize: number; val: number; prior: string }>();
if (!(o.count > 0) || !(o.shardSize > 0)) throw new Error('--count and --shard-size must be positive integers');
if (o.prior !== 'ground-truth' && o.prior !== 'production') throw new Error(`--prior must be ground-truth or production, got ${o.prior}`);
const prior = o.prior === 'production' ? new ProductionPrior() : groundTruthPrior;

const model = await loadDefaultHeadModel();
await mkdir(o.out, { recursive: true });
const shards = Math.ceil(o.count / o.shardSize);
// --val 0 means no validation shards (extra training data for an existing set).
const valShards = shards >= 2 && o.val > 0 ? Math.max(1, Math.round(shards * o.val)) : 0;
const started = performance.now();
let dropped = 0;
let done = 0;
for (let sh = 0; sh < shards; sh++) {
  const samples: SynthSample[] = [];
  const first = o.start + sh * o.shardSize;
  for (let i = first; i < o.start + Math.min(o.count, (sh + 1) * o.shardSize); i++) {
    try {
      samples.push(await generateSample(model, o.seed, i, { size: o.size, points: o.points, prior }));
    } catch (error) {
      dropped++;
      console.error(`sample ${i} dropped: ${(error as Error).message}`);
    }
    done++;
  }
  if (samples.length === 0) continue;
  const split = sh >= shards - valShards ? 'val' : 'train';
  // Named by the first sample index, so processes with disjoint --start ranges can share one directory.
  const file = await writeShard(o.out, `shard-${String(first).padStart(6, '0')}`, samples, {
    split, flamePrior: prior.name,
    generator: { seed: o.seed, size: o.size, points: o.points, model: model.name, version: 1, recipe: 'libs/seif-core/src/synth' },
  });
  const rate = done / ((performance.now() - started) / 1000);
  const why = prior instanceof ProductionPrior && prior.failures.size ? ` (${[...prior.failures].map(([c, n]) => `${c} ${n}`).join(', ')})` : '';
  console.log(`${file}: ${samples.length} samples (${split}); ${done}/${o.count} done, ${rate.toFixed(2)} samples/s, ${dropped} dropped${why}`);
}
