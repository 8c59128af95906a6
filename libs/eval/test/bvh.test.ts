import { describe, expect, it } from 'vitest';
import { TriangleBvh, closestPointOnTriangle } from '../src/bvh.js';
import { random } from './helpers.js';

const out = new Float64Array(3);

describe('closestPointOnTriangle', () => {
  it('matches a dense barycentric search (never farther, within the grid step)', () => {
    const rand = random(7);
    for (let trial = 0; trial < 300; trial++) {
      const t = Array.from({ length: 9 }, () => 10 * rand() - 5);
      const q = Array.from({ length: 3 }, () => 16 * rand() - 8);
      const d = closestPointOnTriangle(q[0]!, q[1]!, q[2]!, t[0]!, t[1]!, t[2]!, t[3]!, t[4]!, t[5]!, t[6]!, t[7]!, t[8]!, out);
      // The point returned lies on the triangle and its distance is the one returned.
      expect(Math.hypot(q[0]! - out[0]!, q[1]! - out[1]!, q[2]! - out[2]!) ** 2).toBeCloseTo(d, 9);
      let best = Infinity;
      const N = 120;
      for (let i = 0; i <= N; i++) {
        for (let j = 0; i + j <= N; j++) {
          const b1 = i / N, b2 = j / N, b0 = 1 - b1 - b2;
          const x = b0 * t[0]! + b1 * t[3]! + b2 * t[6]!;
          const y = b0 * t[1]! + b1 * t[4]! + b2 * t[7]!;
          const z = b0 * t[2]! + b1 * t[5]! + b2 * t[8]!;
          best = Math.min(best, Math.hypot(q[0]! - x, q[1]! - y, q[2]! - z));
        }
      }
      expect(Math.sqrt(d)).toBeLessThanOrEqual(best + 1e-9);
      expect(best - Math.sqrt(d)).toBeLessThan(0.2); // grid step ~ 10 / 120 * sqrt(2)
    }
  });

  it('handles degenerate triangles (segment, point)', () => {
    expect(closestPointOnTriangle(0, 1, 0, -1, 0, 0, 1, 0, 0, 0, 0, 0, out)).toBeCloseTo(1, 12);
    expect(closestPointOnTriangle(0, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, out)).toBeCloseTo(25, 12);
  });
});

describe('TriangleBvh', () => {
  it('finds the same nearest distance as brute force over all triangles', () => {
    const rand = random(11);
    const m = 2000;
    const positions = new Float64Array(9 * m);
    for (let f = 0; f < m; f++) {
      const c = [100 * rand(), 100 * rand(), 100 * rand()];
      for (let k = 0; k < 9; k++) positions[9 * f + k] = c[k % 3]! + 6 * rand() - 3;
    }
    const indices = Uint32Array.from({ length: 3 * m }, (_, i) => i);
    const bvh = new TriangleBvh(positions, indices);
    for (let q = 0; q < 300; q++) {
      const x = 140 * rand() - 20, y = 140 * rand() - 20, z = 140 * rand() - 20;
      let brute = Infinity;
      for (let f = 0; f < m; f++) {
        const o = 9 * f;
        brute = Math.min(brute, closestPointOnTriangle(x, y, z, positions[o]!, positions[o + 1]!, positions[o + 2]!, positions[o + 3]!, positions[o + 4]!, positions[o + 5]!, positions[o + 6]!, positions[o + 7]!, positions[o + 8]!, out));
      }
      const hit = bvh.closestPoint(x, y, z);
      expect(hit.distanceSq).toBeCloseTo(brute, 9);
      expect(hit.triangle).toBeGreaterThanOrEqual(0);
    }
  });
});
