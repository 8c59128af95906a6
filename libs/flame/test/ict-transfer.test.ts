/**
 * ICT-FaceKit -> FLAME expression transfer on FLAME's template (SMIRK head_template.obj). One data load and
 * one transfer are shared by the checks; a second transfer checks determinism.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FlameError } from '../src/errors.js';
import { ARKIT_BLENDSHAPES } from '../src/ict/arkit.js';
import { type FlameAuxData, type IctData, loadFlameAuxData, loadIctData } from '../src/ict/assets.js';
import { type TransferResult, transferIctExpressions } from '../src/ict/transfer.js';
import { flameTemplate } from './fixtures/meshes.js';

let ict: IctData;
let aux: FlameAuxData;
let target: { vertices: Float32Array; faces: Uint32Array };
let result: TransferResult;

/** Delta of a static-embedding landmark (index into RingNet's 51 = iBUG index - 17) as a barycentric blend. */
function landmarkDelta(delta: Float32Array, landmark: number): [number, number, number] {
  const out: [number, number, number] = [0, 0, 0];
  const face = aux.landmarkFaces[landmark] as number;
  for (let c = 0; c < 3; c++) {
    const v = target.faces[face * 3 + c] as number;
    for (let k = 0; k < 3; k++) out[k] = (out[k] as number) + (aux.landmarkBary[landmark * 3 + c] as number) * (delta[v * 3 + k] as number);
  }
  return out;
}
const landmarkX = (landmark: number) => landmarkDelta(target.vertices, landmark)[0];
/** iBUG 68 (0-based) -> static embedding index. */
const ibug = (index: number) => index - 17;

function maxNorm(delta: Float32Array, vertices: Iterable<number>): number {
  let max = 0;
  for (const v of vertices) max = Math.max(max, Math.hypot(delta[v * 3] as number, delta[v * 3 + 1] as number, delta[v * 3 + 2] as number));
  return max;
}

function argmax(delta: Float32Array): number {
  let best = 0;
  let index = -1;
  for (let v = 0; v < delta.length / 3; v++) {
    const d = Math.hypot(delta[v * 3] as number, delta[v * 3 + 1] as number, delta[v * 3 + 2] as number);
    if (d > best) {
      best = d;
      index = v;
    }
  }
  return index;
}

/** Scalp mask plus the back third of the head (by z). */
function stillVertices(): number[] {
  const n = target.vertices.length / 3;
  let zmin = Infinity;
  let zmax = -Infinity;
  for (let v = 0; v < n; v++) {
    zmin = Math.min(zmin, target.vertices[v * 3 + 2] as number);
    zmax = Math.max(zmax, target.vertices[v * 3 + 2] as number);
  }
  const still = new Set<number>(aux.masks.get('scalp'));
  for (let v = 0; v < n; v++) if ((target.vertices[v * 3 + 2] as number) < zmin + 0.35 * (zmax - zmin)) still.add(v);
  return [...still];
}

const shape = (name: string) => {
  const index = result.names.indexOf(name);
  expect(index, `${name} is among the names`).toBeGreaterThanOrEqual(0);
  return result.deltas[index] as Float32Array;
};

describe('ICT-FaceKit expression transfer onto FLAME', () => {
  beforeAll(async () => {
    const template = await flameTemplate();
    target = { vertices: template.vertices, faces: template.faces };
    [ict, aux] = await Promise.all([loadIctData(), loadFlameAuxData()]);
    result = await transferIctExpressions(target, { ict, aux });
    const r = result.report.registration;
    console.info(
      `ICT->FLAME registration: residual mean ${r.residualMm.mean.toFixed(3)} mm, rms ${r.residualMm.rms.toFixed(3)}, ` +
        `p95 ${r.residualMm.p95.toFixed(3)}, max ${r.residualMm.max.toFixed(2)} mm over ${r.faceRegionVertices} face-region vertices; ` +
        `landmarks rms ${r.landmarkSimilarityMm.rms.toFixed(2)} mm (similarity) -> ${r.landmarkNicpMm.rms.toFixed(2)} mm (NICP); ` +
        `shape difference before NICP mean ${r.shapeDifferenceMm.mean.toFixed(2)} mm; transfer ${result.report.elapsedMs.toFixed(0)} ms`,
    );
  }, 120_000);

  it('registers ICT onto FLAME with a sub-millimetre residual', () => {
    const r = result.report.registration;
    expect(r.residualMm.mean).toBeLessThan(0.3);
    expect(r.residualMm.p95).toBeLessThan(1);
    expect(r.landmarkNicpMm.rms).toBeLessThan(1);
    expect(r.landmarkNicpMm.rms).toBeLessThan(r.landmarkSimilarityMm.rms);
    expect(r.unmatchedVertices).toBe(0);
    // cm -> m with ICT's face a few percent larger than FLAME's template.
    expect(r.similarityScale).toBeGreaterThan(0.008);
    expect(r.similarityScale).toBeLessThan(0.012);
  });

  it("names the 52 ARKit shapes and lists what is missing", () => {
    expect(result.names).toEqual([...ARKIT_BLENDSHAPES]);
    expect(result.deltas).toHaveLength(52);
    for (const delta of result.deltas) expect(delta).toHaveLength(target.vertices.length);
    expect(result.report.missing.map((m) => m.name)).toEqual(['tongueOut']);
    expect(maxNorm(shape('tongueOut'), Array.from({ length: 5023 }, (_, v) => v))).toBe(0);
    for (const name of result.names.filter((name) => name !== 'tongueOut')) expect(result.report.maxDeltaMm[name], name).toBeGreaterThan(1);
  });

  it('mouthSmileLeft lifts the left mouth corner up and out, much more than the right one', () => {
    const smile = shape('mouthSmileLeft');
    // iBUG 54 and 48 (0-based) are the mouth corners; the subject's left is +x in FLAME.
    const [left, right] = landmarkX(ibug(54)) > 0 ? [ibug(54), ibug(48)] : [ibug(48), ibug(54)];
    const dl = landmarkDelta(smile, left);
    const dr = landmarkDelta(smile, right);
    expect(dl[1]).toBeGreaterThan(0.003); // up, metres
    expect(dl[0]).toBeGreaterThan(0.001); // out (+x on the left)
    expect(Math.hypot(...dr)).toBeLessThan(0.3 * Math.hypot(...dl));
    const peak = argmax(smile);
    expect(target.vertices[peak * 3] as number).toBeGreaterThan(0);
  });

  it('eyeBlinkLeft closes the left upper eyelid and leaves the mouth alone', () => {
    const blink = shape('eyeBlinkLeft');
    // iBUG 37, 38 upper lid of one eye, 43, 44 of the other; pick the +x (left) one.
    const upper = landmarkX(ibug(43)) > 0 ? [ibug(43), ibug(44)] : [ibug(37), ibug(38)];
    for (const landmark of upper) expect(landmarkDelta(blink, landmark)[1]).toBeLessThan(-0.003);
    const peak = argmax(blink);
    expect(aux.masks.get('left_eye_region')?.includes(peak) || aux.masks.get('eye_region')?.includes(peak)).toBe(true);
    expect(target.vertices[peak * 3] as number).toBeGreaterThan(0);
    expect(maxNorm(blink, aux.masks.get('lips') ?? [])).toBeLessThan(1e-4);
  });

  it('jawOpen: the full shape drops the lower lip and chin; the jaw rotation explains most of it', () => {
    const jaw = result.report.jaw;
    const full = jaw.fullDelta;
    const lowerLip = landmarkDelta(full, ibug(57));
    const upperLip = landmarkDelta(full, ibug(51));
    expect(lowerLip[1]).toBeLessThan(-0.01);
    expect(Math.hypot(...upperLip)).toBeLessThan(0.25 * Math.hypot(...lowerLip));
    const peak = argmax(full);
    const mouthY = landmarkDelta(target.vertices, ibug(57))[1];
    expect(target.vertices[peak * 3 + 1] as number).toBeLessThan(mouthY);
    // A hinge about (nearly) the x axis, opening by a positive angle, as FLAME's jaw pose does.
    expect(Math.abs(jaw.axis[0])).toBeGreaterThan(0.95);
    expect(jaw.angle * Math.sign(jaw.axis[0])).toBeGreaterThan((5 * Math.PI) / 180);
    expect(jaw.angle).toBeLessThan((40 * Math.PI) / 180);
    expect(jaw.fitRmsMm).toBeLessThan(0.5);
    // The corrective (what the joint does not do) is much smaller than the full shape at the lower lip.
    const corrective = result.jawOpenCorrective as Float32Array;
    expect(corrective).toEqual(shape('jawOpen'));
    expect(Math.hypot(...landmarkDelta(corrective, ibug(57)))).toBeLessThan(0.5 * Math.hypot(...lowerLip));
  });

  it('keeps the scalp and back of the head still (< 0.1 mm) for smile, blink and jawOpen', () => {
    const still = stillVertices();
    expect(still.length).toBeGreaterThan(500);
    for (const name of ['mouthSmileLeft', 'mouthSmileRight', 'eyeBlinkLeft', 'eyeBlinkRight', 'jawOpen']) {
      expect(maxNorm(shape(name), still), name).toBeLessThan(1e-4);
    }
    expect(maxNorm(result.report.jaw.fullDelta, still)).toBeLessThan(1e-4);
  });

  it('is deterministic', async () => {
    const again = await transferIctExpressions(target, { ict, aux });
    expect(again.names).toEqual(result.names);
    for (const [i, delta] of again.deltas.entries()) expect(Buffer.from(delta.buffer).equals(Buffer.from((result.deltas[i] as Float32Array).buffer))).toBe(true);
  }, 60_000);

  it('rejects a target without FLAME topology', async () => {
    await expect(transferIctExpressions({ vertices: new Float32Array(9), faces: Uint32Array.from([0, 1, 2]) }, { ict, aux })).rejects.toBeInstanceOf(FlameError);
  });
});
