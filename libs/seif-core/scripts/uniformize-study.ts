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
import type { SeifReconstruction } from '../src/seif/stage.js';
import { SEMANTIC_SIGMA_SQ, SemanticField, semanticFieldForHead, templateBounds } from '../src/semantic/semantic-field.js';
import { HELDOUT_SIZE, type HeldoutHead, alignDepth, mapper, prepareHeldout, scoreHeldout } from '../src/synth/heldout.js';
import type { UniformizeOptions } from '../src/uniform/uniformize.js';

interface Variant {
  name: string;
  options: UniformizeOptions;
  /** Replaces the network's refined codes (e.g. with the fit's own field: pure geometric projection). */
  codes?: (head: HeldoutHead) => Float32Array;
  /**
   * Keeps only this fraction of the uniformization's move (fit + blend * (uniformized - fit)): two estimates of the
   * face whose errors are partly independent average to a better one. Default 1.
   */
  blend?: number;
}

/** fit + t * (moved - fit), per coordinate. */
function blendTowards(fit: Float32Array, moved: Float32Array, t: number): Float32Array {
  const out = new Float32Array(fit.length);
  for (let i = 0; i < fit.length; i++) out[i] = fit[i]! + t * (moved[i]! - fit[i]!);
  return out;
}

/** The fit's semantic field at the surface vertices: what matching gives if the network refined nothing. */
function fitCodes(head: HeldoutHead): Float32Array {
  const { inputs, surface } = head.reconstruction;
  const field = semanticFieldForHead(head.input.fit.model, inputs.prior);
  try { return field.query(surface.positions); } finally { field.dispose(); }
}

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

/**
 * Unfaded template coordinate of the closest point of the fit, anywhere on the head (no fade, no region): matching
 * these inverts the closest-point map, i.e. moves each fitted vertex along its normal onto the surface.
 */
function priorCodes(head: HeldoutHead): Float32Array {
  const { inputs, surface } = head.reconstruction;
  const model = head.input.fit.model;
  const field = new SemanticField({ positions: inputs.prior, indices: model.faces, template: model.template, bounds: templateBounds(model.template) }, { sigmaSq: Infinity, cutoff: 0.05 });
  try { return field.query(surface.positions); } finally { field.dispose(); }
}

/** priorCodes, dropped (0) where the network's code is under half the fit field's: the network says "not face". */
function gatedPriorCodes(head: HeldoutHead): Float32Array {
  const prior = priorCodes(head);
  const fit = fitCodes(head);
  const net = head.reconstruction.codes;
  for (let i = 0; i < prior.length; i += 3) {
    const n = Math.hypot(net[i]!, net[i + 1]!, net[i + 2]!), f = Math.hypot(fit[i]!, fit[i + 1]!, fit[i + 2]!);
    if (n < 0.5 * f) { prior[i] = 0; prior[i + 1] = 0; prior[i + 2] = 0; }
  }
  return prior;
}

const VARIANTS: Variant[] = [
  { name: 'production', options: {} },
  { name: 'code<=0.10', options: { minMatchedFraction: 0, maxCodeDistance: 0.1 } },
  { name: 'fit codes', options: { minMatchedFraction: 0 }, codes: fitCodes },
  { name: 'fit unfaded', options: { minMatchedFraction: 0 }, codes: (h) => unfadeByFit(h, fitCodes(h)) },
  { name: 'prior', options: { minMatchedFraction: 0 }, codes: priorCodes },
  { name: 'prior gated', options: { minMatchedFraction: 0 }, codes: gatedPriorCodes },
  { name: 'net unfaded', options: { minMatchedFraction: 0 }, codes: (h) => unfadeByFit(h, h.reconstruction.codes) },
  { name: 'prior x0.25', options: { minMatchedFraction: 0 }, codes: priorCodes, blend: 0.25 },
  { name: 'prior x0.5', options: { minMatchedFraction: 0 }, codes: priorCodes, blend: 0.5 },
  { name: 'prior x0.75', options: { minMatchedFraction: 0 }, codes: priorCodes, blend: 0.75 },
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
    const completed = await head.stage.complete(head.input, reconstruction, undefined, variant.options);
    const seif = variant.blend === undefined ? completed : { ...completed, uniformized: blendTowards(head.input.fit.frameVertices, completed.uniformized, variant.blend) };
    const r = scoreHeldout(model, head, seif, 0, { surfacePoints: 4000, points: 500 });
    const rep = seif.uniformizeReport;
    console.log(`  ${variant.name.padEnd(12)} matched ${String(rep.matched).padStart(4)}/${rep.eligible} targeted ${String(rep.targeted).padStart(4)} ${seif.uniformizeSkipped ? 'SKIPPED' : '       '} face vertex ${r.seifFaceMm.toFixed(2)} (fit ${r.fitFaceMm.toFixed(2)}) surface ${r.seifFaceSurfaceMm.toFixed(2)} (fit ${r.fitFaceSurfaceMm.toFixed(2)}, raw SeIF ${r.seifSurfaceFaceMm.toFixed(2)}) mm`);
    const s = sums.get(variant.name) ?? { vertex: 0, surface: 0, matched: 0, heads: 0 };
    s.vertex += r.seifFaceMm; s.surface += r.seifFaceSurfaceMm; s.matched += rep.matched / rep.eligible; s.heads++;
    sums.set(variant.name, s);
    if (variant === VARIANTS[0]) { fitVertex += r.fitFaceMm; fitSurface += r.fitFaceSurfaceMm; rawSurface += r.seifSurfaceFaceMm; }
  }
}
console.log(`\nmeans over ${heads} heads: fit face vertex ${(fitVertex / heads).toFixed(2)} mm, point to surface ${(fitSurface / heads).toFixed(2)} mm; raw SeIF surface ${(rawSurface / heads).toFixed(2)} mm`);
for (const [name, s] of sums) console.log(`  ${name.padEnd(12)} matched ${(100 * s.matched / s.heads).toFixed(1)} %  face vertex ${(s.vertex / s.heads).toFixed(2)} mm  point to surface ${(s.surface / s.heads).toFixed(2)} mm`);
await disposeModels();
