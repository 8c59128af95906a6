/**
 * Skinning weights for FLAME's five joints, derived from the FLAME masks and harmonic (steady-state heat)
 * diffusion over the template with cotangent weights:
 *
 *   h_neck: 0 on the neck's bottom boundary band, 1 on everything that is not neck, harmonic across the neck.
 *   h_jaw:  1 on the lower lip edge and the face below the mouth, 0 on the upper lip edge, nose, eyes,
 *           forehead, ears, scalp and the lower neck; harmonic over cheeks, mouth corners and the throat.
 *   global = 1 - h_neck, neck = h_neck (1 - h_jaw), jaw = h_neck h_jaw, eyeballs rigid to their eye joint.
 *
 * Rows sum to one by construction; the mouth's upper and lower lip edges are separated by the mouth hole, so
 * the jaw opens the lips without dragging the upper lip, and the harmonic blend keeps cheeks and corners smooth.
 */
import { FlameError } from '../errors.js';
import { boundaryLoops, cotangentWeights, solveHarmonic, vertexAdjacency } from './mesh.js';

export interface SkinningInputs {
  template: Float32Array;
  faces: Uint32Array;
  masks: Record<string, Uint32Array>;
  eyeballs: { left: readonly [number, number]; right: readonly [number, number] };
}

/** Vertical band around the mouth corners left free for the harmonic jaw blend (metres; ~ half lip height). */
const JAW_FREE_BAND = 0.02;
/** Lip-edge vertices this close (x, metres) to a mouth corner are left to the harmonic blend. */
const MOUTH_CORNER_FREE = 0.008;

export function deriveSkinWeights(input: SkinningInputs): { weights: Float32Array; jawField: Float64Array; neckField: Float64Array } {
  const { template, faces, masks } = input;
  const n = template.length / 3;
  const mask = (name: string) => {
    const m = masks[name];
    if (!m) throw new FlameError('MISSING_INPUT', `skinning needs the FLAME mask "${name}"`);
    return m;
  };
  const inEye = new Uint8Array(n);
  for (const [s, e] of [input.eyeballs.left, input.eyeballs.right]) for (let v = s; v < e; v++) inEye[v] = 1;
  const y = (v: number) => template[3 * v + 1] as number;

  // Only the head surface takes part; eyeballs are separate components with their own rigid weights.
  const adjacency = vertexAdjacency(n, faces);
  const cot = cotangentWeights(template, faces, adjacency);

  // Neck field.
  const neck = new Float64Array(n).fill(1);
  for (const v of mask('neck')) neck[v] = Number.NaN;
  for (const v of mask('boundary')) neck[v] = 0;
  for (let v = 0; v < n; v++) if (inEye[v]) neck[v] = 1;
  const neckField = solveHarmonic(adjacency, cot, neck, 1);

  // Mouth: the boundary loop that is not the neck opening (the neck's is lowest).
  const loops = boundaryLoops(faces).map((loop) => ({ loop, meanY: loop.reduce((s, v) => s + y(v), 0) / loop.length }));
  if (loops.length < 2) throw new FlameError('BAD_SHAPE', `skinning expects the FLAME mouth and neck openings; found ${loops.length} boundary loops`);
  loops.sort((a, b) => b.meanY - a.meanY);
  const mouth = loops[0]!.loop;
  let left = 0, right = 0;
  mouth.forEach((v, i) => {
    if ((template[3 * v] as number) > (template[3 * mouth[left]!] as number)) left = i;
    if ((template[3 * v] as number) < (template[3 * mouth[right]!] as number)) right = i;
  });
  const arc = (from: number, to: number) => {
    const out: number[] = [];
    for (let i = from; i !== to; i = (i + 1) % mouth.length) out.push(mouth[i]!);
    out.push(mouth[to]!);
    return out.slice(1, -1); // corners stay free
  };
  const arcA = arc(left, right);
  const arcB = arc(right, left);
  const meanY = (a: number[]) => a.reduce((s, v) => s + y(v), 0) / Math.max(1, a.length);
  const [upper, lower] = meanY(arcA) > meanY(arcB) ? [arcA, arcB] : [arcB, arcA];
  const cornerY = 0.5 * (y(mouth[left]!) + y(mouth[right]!));

  const jaw = new Float64Array(n).fill(Number.NaN);
  const zero = (name: string) => { for (const v of mask(name)) jaw[v] = 0; };
  for (const name of ['scalp', 'left_ear', 'right_ear', 'nose', 'eye_region', 'forehead', 'boundary']) zero(name);
  const isNeck = new Uint8Array(n);
  for (const v of mask('neck')) isNeck[v] = 1;
  for (const v of mask('face')) {
    if (y(v) > cornerY + JAW_FREE_BAND) jaw[v] = 0;
    else if (y(v) < cornerY - JAW_FREE_BAND) jaw[v] = 1;
  }
  // The lower half of the neck stays with the neck joint; the throat under the chin blends.
  const neckTop = Math.max(...[...mask('neck')].map(y));
  const neckBottom = Math.min(...[...mask('neck')].map(y));
  for (const v of mask('neck')) if (y(v) < 0.5 * (neckTop + neckBottom)) jaw[v] = 0;
  // Near the corners the lip edges stay free, so the blend turns around each corner over about a centimetre
  // instead of jumping from 0 to 1 across the sub-millimetre edges where the lips meet.
  const cornerX = [template[3 * mouth[left]!] as number, template[3 * mouth[right]!] as number];
  const nearCorner = (v: number) => cornerX.some((x) => Math.abs((template[3 * v] as number) - x) < MOUTH_CORNER_FREE);
  for (const v of upper) if (!nearCorner(v)) jaw[v] = 0;
  for (const v of lower) if (!nearCorner(v)) jaw[v] = 1;
  for (let v = 0; v < n; v++) if (inEye[v]) jaw[v] = 0;
  const jawField = solveHarmonic(adjacency, cot, jaw, 0);

  const weights = new Float32Array(5 * n);
  for (let v = 0; v < n; v++) {
    const h = Math.min(1, Math.max(0, neckField[v] as number));
    const j = Math.min(1, Math.max(0, jawField[v] as number));
    weights[5 * v] = 1 - h;
    weights[5 * v + 1] = h * (1 - j);
    weights[5 * v + 2] = h * j;
  }
  for (const [joint, [s, e]] of [[3, input.eyeballs.left], [4, input.eyeballs.right]] as const) {
    for (let v = s; v < e; v++) {
      weights.fill(0, 5 * v, 5 * v + 5);
      weights[5 * v + joint] = 1;
    }
  }
  return { weights, jawField, neckField };
}
