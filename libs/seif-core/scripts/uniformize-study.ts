/**
 * Uniformization study on held-out synthetic heads (the truth is known there):
 *
 *   node --import tsx libs/seif-core/scripts/uniformize-study.ts [--count 6] [--seed 90001] [--resolution 128]
 *
 * Each head is reconstructed once (front end + SeifStage.reconstruct); then every variant of the uniformization
 * runs on that same surface and is scored like eval:synth (face vertices against the ground-truth FLAME part, vertex
 * to vertex and point to surface). It also prints how far the network's refined codes at the surface are from the
 * ground-truth codes, against the codes of the fit's own semantic field, which is what decides whether code
 * matching can work at all. Variants are listed in VARIANTS below.
 */
import { loadDefaultHeadModel } from '@seif/flame';
import { Command } from 'commander';
import { ReconstructionPipeline } from '../src/pipeline/reconstruct.js';
import { disposeModels } from '../src/runtime/registry.js';
import { toFitFrame } from '../src/seif/inputs.js';
import { SEIF_DEFAULT_UNIFORMIZATION, type SeifReconstruction, SeifStage, type SeifUniformization } from '../src/seif/stage.js';
import { SEMANTIC_SIGMA_SQ, semanticFieldForHead } from '../src/semantic/semantic-field.js';
import { projectionCodes } from '../src/uniform/projection-codes.js';
import { HELDOUT_SIZE, type HeldoutHead, alignDepth, mapper, prepareHeldout, scoreHeldout } from '../src/synth/heldout.js';
import type { UniformizeOptions } from '../src/uniform/uniformize.js';

interface Variant {
  name: string;
  /** The stage's rule (default: matching by the network's codes, SeIF's own). */
  uniformization?: SeifUniformization;
  options?: UniformizeOptions;
  /** Replaces the codes that 'codes' matching reads (e.g. the fit's own field: a purely geometric variant). */
  codes?: (head: HeldoutHead) => Float32Array;
}

/** The fit's semantic field at the surface vertices: what matching gives if the network refined nothing. */
const fitCodes = (head: HeldoutHead): Float32Array => head.reconstruction.fieldCodes;

/** Divides codes by the fit field's fade at each vertex (exp(-d^2 / sigma^2), d = distance to the fit). */
function unfadeByFit(head: HeldoutHead, codes: Float32Array): Float32Array {
  const { inputs, surface } = head.reconstruction;
  const field = semanticFieldForHead(head.input.fit.model, inputs.prior);
  const distance = new Float32Array(surface.positions.length / 3);
  try { field.query(surface.positions, undefined, distance); } finally { field.dispose(); }
  const out = new Float32Array(codes.length);
  for (let i = 0; i < distance.length; i++) {
    const fade = Math.exp(-(distance[i]! ** 2) / SEMANTIC_SIGMA_SQ);
    for (let k = 0; k < 3; k++) out[3 * i + k] = Math.min(1, codes[3 * i + k]! / fade);
  }
  return out;
}

/** Projection codes without the network's "not face" gate (uniform/projection-codes.ts). */
const ungatedProjection = (head: HeldoutHead): Float32Array => projectionCodes(head.input.fit.model, head.reconstruction.inputs.prior, head.reconstruction.surface.positions);

const CODES: SeifUniformization = { matching: 'codes' };
const all = { minMatchedFraction: 0 };
const VARIANTS: Variant[] = [
  { name: 'production', uniformization: SEIF_DEFAULT_UNIFORMIZATION },
  { name: 'codes', uniformization: CODES },
  { name: 'code<=0.10', uniformization: CODES, options: { ...all, maxCodeDistance: 0.1 } },
  { name: 'fit codes', uniformization: CODES, options: all, codes: fitCodes },
  { name: 'fit unfaded', uniformization: CODES, options: all, codes: (h) => unfadeByFit(h, fitCodes(h)) },
  { name: 'net unfaded', uniformization: CODES, options: all, codes: (h) => unfadeByFit(h, h.reconstruction.codes) },
  { name: 'proj ungated', uniformization: CODES, options: all, codes: ungatedProjection },
  ...[1, 0.75, 0.5, 0.25].map((t): Variant => ({ name: `proj x${t}`, uniformization: { matching: 'projection', moveFraction: t }, options: all })),
];

/** Median and 90th percentile of |a - b| per 3-vector over `rows`. */
function codeGap(a: Float32Array, b: Float32Array, rows: number[]): { p50: number; p90: number } {
  const d = rows.map((i) => Math.hypot(a[3 * i]! - b[3 * i]!, a[3 * i + 1]! - b[3 * i + 1]!, a[3 * i + 2]! - b[3 * i + 2]!)).sort((x, y) => x - y);
  return { p50: d[Math.floor(0.5 * d.length)] ?? NaN, p90: d[Math.floor(0.9 * d.length)] ?? NaN };
}

/**
 * Code error at the surface vertices near the true face: the network's refined codes and the fit's field against
 * the ground-truth field, evaluated at the same points mapped into the sample's frame.
 */
function codeDiagnostics(head: HeldoutHead): string {
  const model = head.input.fit.model;
  const { inputs } = head.reconstruction;
  const scene = head.sample.scene!;
  const toSample = mapper(inputs.fitFrameToImage, HELDOUT_SIZE);
  const S = toFitFrame(inputs, Float32Array.from(head.reconstruction.surface.positions));
  const inSample = toSample(S);
  // Depth: align the surface by the fit's mean face offset (as scoreHeldout does).
  alignDepth(toSample(head.input.fit.frameVertices), scene.gtFlame, model.masks.face!, inSample);
  const truthField = semanticFieldForHead(model, scene.gtFlame);
  const distance = new Float32Array(S.length / 3);
  const truth = truthField.query(inSample, undefined, distance);
  truthField.dispose();
  const fit = fitCodes(head);
  const near: number[] = [];
  for (let i = 0; i < distance.length; i++) {
    const n = Math.hypot(truth[3 * i]!, truth[3 * i + 1]!, truth[3 * i + 2]!);
    if (n > 0.3 && distance[i]! < 0.01) near.push(i);
  }
  const net = codeGap(head.reconstruction.codes, truth, near);
  const prior = codeGap(fit, truth, near);
  return `${near.length} surface vertices within 0.01 of the true face: |code - truth| p50/p90 network ${net.p50.toFixed(3)}/${net.p90.toFixed(3)}, fit field ${prior.p50.toFixed(3)}/${prior.p90.toFixed(3)}`;
}

const o = new Command()
  .option('--count <n>', 'heads', (v) => Number.parseInt(v, 10), 6)
  .option('--seed <s>', 'generator seed (held out)', (v) => Number.parseInt(v, 10), 90001)
  .option('--resolution <r>', 'SeIF grid', (v) => Number.parseInt(v, 10), 128)
  .parse()
  .opts<{ count: number; seed: number; resolution: number }>();

const model = await loadDefaultHeadModel();
const pipeline = new ReconstructionPipeline();
await pipeline.warmUp();
const sums = new Map<string, { vertex: number; surface: number; matched: number; heads: number }>();
let fitVertex = 0, fitSurface = 0, rawSurface = 0, heads = 0;
for (let i = 0; i < o.count; i++) {
  let head: HeldoutHead;
  try {
    head = await prepareHeldout(model, pipeline, o.seed, i, { resolution: o.resolution });
  } catch (error) {
    console.log(`head ${i}: front end failed: ${(error as Error).message}`);
    continue;
  }
  console.log(`head ${i}: ${codeDiagnostics(head)}`);
  heads++;
  for (const variant of VARIANTS) {
    const reconstruction: SeifReconstruction = variant.codes ? { ...head.reconstruction, codes: variant.codes(head) } : head.reconstruction;
    const stage = new SeifStage({ ...head.stage.options, uniformization: variant.uniformization ?? CODES });
    const seif = await stage.complete(head.input, reconstruction, undefined, variant.options);
    const r = scoreHeldout(model, head, seif, 0, { surfacePoints: 4000, points: 500 });
    const rep = seif.uniformizeReport;
    console.log(`  ${variant.name.padEnd(13)} matched ${String(rep.matched).padStart(4)}/${rep.eligible} targeted ${String(rep.targeted).padStart(4)} ${seif.uniformizeSkipped ? 'SKIPPED' : '       '} face vertex ${r.seifFaceMm.toFixed(2)} (fit ${r.fitFaceMm.toFixed(2)}) surface ${r.seifFaceSurfaceMm.toFixed(2)} (fit ${r.fitFaceSurfaceMm.toFixed(2)}, raw SeIF ${r.seifSurfaceFaceMm.toFixed(2)}) mm`);
    const s = sums.get(variant.name) ?? { vertex: 0, surface: 0, matched: 0, heads: 0 };
    s.vertex += r.seifFaceMm; s.surface += r.seifFaceSurfaceMm; s.matched += rep.matched / rep.eligible; s.heads++;
    sums.set(variant.name, s);
    if (variant === VARIANTS[0]) { fitVertex += r.fitFaceMm; fitSurface += r.fitFaceSurfaceMm; rawSurface += r.seifSurfaceFaceMm; }
  }
}
console.log(`\nmeans over ${heads} heads: fit face vertex ${(fitVertex / heads).toFixed(2)} mm, point to surface ${(fitSurface / heads).toFixed(2)} mm; raw SeIF surface ${(rawSurface / heads).toFixed(2)} mm`);
for (const [name, s] of sums) console.log(`  ${name.padEnd(13)} matched ${(100 * s.matched / s.heads).toFixed(1)} %  face vertex ${(s.vertex / s.heads).toFixed(2)} mm  point to surface ${(s.surface / s.heads).toFixed(2)} mm`);
await disposeModels();
