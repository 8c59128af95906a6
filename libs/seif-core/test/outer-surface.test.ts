/**
 * Whole-head scoring against the true outer surface (synth/outer-surface.ts) on an analytic scene: a "skull"
 * sphere (the closed head mesh) with a "bun" sphere (a hair implicit) half sunk into its top. The outer surface is
 * the skull outside the bun plus the bun outside the skull, so a skull-only output must be farther from it than an
 * output that also has the bun.
 */
import { describe, expect, it } from 'vitest';
import { marchingCubesDense } from '../src/implicit/marching-cubes.js';
import { type ImplicitPart, PlacedImplicit } from '../src/synth/implicit.js';
import { outerCompleteness, outerSurfacePoints } from '../src/synth/outer-surface.js';

const SKULL_R = 0.25;
const BUN_R = 0.12;
const BUN_Y = 0.27;

/** Sphere mesh by marching cubes of (1 - distance / radius) at 0, over the [-0.5, 0.5]^3 box. */
function sphereMesh(cx: number, cy: number, cz: number, r: number, n = 96) {
  const values = new Float32Array(n * n * n);
  for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) {
    const x = -0.5 + i / (n - 1), y = -0.5 + j / (n - 1), z = -0.5 + k / (n - 1);
    values[i + n * (j + n * k)] = r - Math.hypot(x - cx, y - cy, z - cz);
  }
  return marchingCubesDense(values, [n, n, n], { level: 0 });
}

const bun: ImplicitPart = { kind: 'hair', albedo: [0.1, 0.05, 0.02], sdf: (x, y, z) => Math.hypot(x, y - BUN_Y, z) - BUN_R };
const skull = sphereMesh(0, 0, 0, SKULL_R);
const scene = { closed: skull, implicit: new PlacedImplicit([bun], [1, 0, 0, 0, 1, 0, 0, 0, 1], 1, [0, 0, 0]) };

describe('outer surface of a generated head', () => {
  const points = outerSurfacePoints(scene, 3000, 7);

  it('samples the skin outside the hair and the hair outside the skin, nothing else', () => {
    expect(points.length / 3).toBeGreaterThan(2500);
    let onBun = 0, onSkull = 0;
    for (let i = 0; i < points.length; i += 3) {
      const x = points[i]!, y = points[i + 1]!, z = points[i + 2]!;
      const toSkull = Math.abs(Math.hypot(x, y, z) - SKULL_R), toBun = Math.hypot(x, y - BUN_Y, z) - BUN_R;
      // Either on the skull (to the mesh's accuracy at 96^3) and not inside the bun, or on the bun outside the skull.
      if (toSkull < 0.003 && toBun >= -1e-3) onSkull++;
      else if (Math.abs(toBun) < 1e-3 && Math.hypot(x, y, z) >= SKULL_R - 0.003) onBun++;
      else throw new Error(`point (${x}, ${y}, ${z}) is on neither outer part`);
    }
    expect(onSkull).toBeGreaterThan(onBun);
    expect(onBun).toBeGreaterThan(100);
  });

  it('finds a skull-only head farther from it than a head with its bun', () => {
    const completeSkull = outerCompleteness(points, [skull]);
    const completeBoth = outerCompleteness(points, [skull, sphereMesh(0, BUN_Y, 0, BUN_R)]);
    // With the bun meshed too, only the marching-cubes error is left (measured 2.5e-5: the samples lie on the same
    // spheres the meshes approximate to a small fraction of a 1/95 cell).
    expect(completeBoth).toBeLessThan(5e-4);
    // The bun's points are up to BUN_Y + BUN_R - SKULL_R = 0.14 above the skull (measured mean 0.012 over all).
    expect(completeSkull).toBeGreaterThan(0.005);
    // A wrong skull (smaller, lower) is farther still.
    expect(outerCompleteness(points, [sphereMesh(0, -0.1, 0, 0.2)])).toBeGreaterThan(completeSkull);
  });
});
