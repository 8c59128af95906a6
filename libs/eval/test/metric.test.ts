import { uvSphere } from '@seif/core';
import { describe, expect, it } from 'vitest';
import { TriangleBvh } from '../src/bvh.js';
import { faceRegion, summarize, surfaceDistances } from '../src/metric.js';
import { identityTransform } from '../src/transform.js';

describe('surfaceDistances', () => {
  it('gives 1 mm from a sphere of radius 51 mm to a finely tessellated sphere of radius 50 mm', () => {
    const inner = uvSphere(50, 128, 256);
    const outer = uvSphere(51, 37, 71); // a different tessellation: GT points fall inside recon triangles
    const bvh = new TriangleBvh(inner.positions, inner.indices);
    const stats = summarize(surfaceDistances(outer.positions, bvh, identityTransform()));
    // Sag of the 50 mm sphere's facets (steps of pi/128 in both angles) is at most about
    // 50 (1 - cos(sqrt(2) pi / 256)) ~ 0.0075 mm at a quad's centre, so distances lie in [1, 1.008].
    expect(stats.median).toBeGreaterThan(0.999);
    expect(stats.median).toBeLessThan(1.005);
    expect(stats.max).toBeLessThan(1.008);
    expect(stats.std).toBeLessThan(0.003);
  });

  it('scales distances back to the GT frame when the reconstruction is scaled', () => {
    const inner = uvSphere(0.05, 64, 128); // metres, scaled by 1000 into mm
    const outer = uvSphere(52, 20, 40);
    const bvh = new TriangleBvh(inner.positions, inner.indices);
    const t = identityTransform();
    t.scale = 1000;
    const stats = summarize(surfaceDistances(outer.positions, bvh, t));
    expect(stats.median).toBeGreaterThan(1.99);
    expect(stats.median).toBeLessThan(2.03);
  });
});

describe('faceRegion and summarize', () => {
  it('keeps the vertices within the radius of iBUG 30', () => {
    const positions = new Float64Array([0, 0, 0, 94, 0, 0, 96, 0, 0, 0, 0, -95]);
    const landmarks = new Float64Array(204);
    expect([...faceRegion(positions, landmarks)]).toEqual([0, 1, 3]);
  });

  it('computes median, mean, population std and ignores NaN', () => {
    const s = summarize([1, 2, 3, 4, NaN]);
    expect(s.median).toBe(2.5);
    expect(s.mean).toBe(2.5);
    expect(s.std).toBeCloseTo(Math.sqrt(1.25), 12);
    expect(s.count).toBe(4);
  });
});
