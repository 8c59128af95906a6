/**
 * `npm run eval:synth -- [--count 12] [--seed 90001] [--resolution 128]`: SeIF vs the FLAME-only path on held-out
 * synthetic heads (heldout.ts). The default seed is far from the training data's (data:synth uses small seeds),
 * so these heads were never trained on. Prints one row per head and the means.
 */
import { loadDefaultHeadModel } from '@seif/flame';
import { Command } from 'commander';
import { ReconstructionPipeline } from '../pipeline/reconstruct.js';
import { disposeModels } from '../runtime/registry.js';
import { type HeldoutResult, evaluateHeldout } from './heldout.js';

const o = new Command()
  .option('--count <n>', 'heads', (v) => Number.parseInt(v, 10), 12)
  .option('--seed <s>', 'generator seed (held out: not a training seed)', (v) => Number.parseInt(v, 10), 90001)
  .option('--resolution <r>', 'SeIF grid', (v) => Number.parseInt(v, 10), 128)
  .parse()
  .opts<{ count: number; seed: number; resolution: number }>();

const model = await loadDefaultHeadModel();
const pipeline = new ReconstructionPipeline();
if (!pipeline.seifAvailable) throw new Error('eval:synth needs SeIF weights (models/weights or SEIF_WEIGHTS_DIR)');
await pipeline.warmUp();
const rows: HeldoutResult[] = [];
const cols = ['index', 'hair', 'yaw', 'fitFaceMm', 'seifFaceMm', 'fitFaceSurfaceMm', 'seifSurfaceFaceMm', 'seifFaceSurfaceMm', 'flameIou', 'seifIou', 'accuracyMm', 'completenessMm', 'flameOuterMm', 'animatableOuterMm', 'seifOuterMm', 'hairVertices', 'seifMs'] as const;
console.log(`SeIF weights: ${process.env.SEIF_WEIGHTS_DIR ?? 'models/weights (shipped)'}; seed ${o.seed}; grid ${o.resolution}^3`);
console.log(cols.join('\t'));
let failed = 0;
for (let i = 0; i < o.count; i++) {
  try {
    const r = await evaluateHeldout(model, pipeline, o.seed, i, { resolution: o.resolution });
    rows.push(r);
    const digits = (c: string) => (c.endsWith('Iou') ? 3 : c === 'index' || c === 'hairVertices' || c === 'seifMs' ? 0 : 2);
    console.log(cols.map((c) => (typeof r[c] === 'number' ? (r[c] as number).toFixed(digits(c)) : r[c])).join('\t'));
  } catch (error) {
    failed++;
    console.log(`${i}\tfailed: ${(error as Error).message}`);
  }
}
const mean = (k: keyof HeldoutResult) => rows.reduce((s, r) => s + (r[k] as number), 0) / Math.max(1, rows.length);
console.log(`mean over ${rows.length} heads (${failed} failed in the front end): face error FLAME fit ${mean('fitFaceMm').toFixed(2)} mm, SeIF ${mean('seifFaceMm').toFixed(2)} mm; face to surface (point to surface) FLAME fit ${mean('fitFaceSurfaceMm').toFixed(2)} mm, SeIF surface ${mean('seifSurfaceFaceMm').toFixed(2)} mm, uniformized ${mean('seifFaceSurfaceMm').toFixed(2)} mm; IoU FLAME ${mean('flameIou').toFixed(3)}, SeIF ${mean('seifIou').toFixed(3)}; SeIF surface accuracy ${mean('accuracyMm').toFixed(2)} mm, completeness ${mean('completenessMm').toFixed(2)} mm; whole head (true outer surface -> output) FLAME ${mean('flameOuterMm').toFixed(2)} mm, animatable SeIF ${mean('animatableOuterMm').toFixed(2)} mm, SeIF surface ${mean('seifOuterMm').toFixed(2)} mm; SeIF stage ${mean('seifMs').toFixed(0)} ms`);
await disposeModels();
