import { describe, expect, it } from 'vitest';
import { alignToGroundTruth } from '../src/align.js';
import { TriangleBvh } from '../src/bvh.js';
import { faceRegion, gatherPoints, summarize, surfaceDistances } from '../src/metric.js';
import { applyTransform } from '../src/transform.js';
import { random, randomSimilarity, syntheticHead } from './helpers.js';

describe('alignToGroundTruth', () => {
  const { mesh, landmarks } = syntheticHead();
  const face = gatherPoints(mesh.positions, faceRegion(mesh.positions, landmarks));

  it('aligns a randomly similarity-transformed copy of a mesh back to ~0 error', () => {
    const rand = random(21);
    for (let trial = 0; trial < 3; trial++) {
      const t = randomSimilarity(rand);
      const recon = applyTransform(t, mesh.positions);
      const reconLandmarks = applyTransform(t, landmarks);
      const bvh = new TriangleBvh(recon, mesh.indices);
      const result = alignToGroundTruth({ reconLandmarks68: reconLandmarks, gtLandmarks68: landmarks, reconBvh: bvh, gtFacePoints: face });
      expect(result.landmarkRms).toBeLessThan(1e-6);
      const stats = summarize(surfaceDistances(face, bvh, result.transform));
      expect(stats.max).toBeLessThan(1e-4);
    }
  });

  it('lets ICP undo noisy landmarks (2 mm noise) down to near zero', () => {
    const rand = random(22);
    const t = randomSimilarity(rand);
    const recon = applyTransform(t, mesh.positions);
    const reconLandmarks = applyTransform(t, landmarks.map((v) => v + 4 * rand() - 2));
    const bvh = new TriangleBvh(recon, mesh.indices);
    const result = alignToGroundTruth({ reconLandmarks68: reconLandmarks, gtLandmarks68: landmarks, reconBvh: bvh, gtFacePoints: face, icp: { maxIterations: 200, tolerance: 1e-7 } });
    expect(result.rmsBefore).toBeGreaterThan(0.2);
    // Scale comes from the noisy landmarks and ICP is rigid, so a small residual of the scale error remains.
    expect(result.rmsAfter).toBeLessThan(result.rmsBefore);
    expect(summarize(surfaceDistances(face, bvh, result.transform)).median).toBeLessThan(0.5);
  });
});
