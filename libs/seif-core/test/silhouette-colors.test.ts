/**
 * The two photo-driven clean-ups of the SeIF surface: the silhouette bound (seif/silhouette.ts: occupancy off the
 * person is carved) and the hair colours (seif/vertex-colors.ts: only facing, on-person vertices count as seen;
 * the rest fade from the nearest seen colour to the median), and the hair evidence for extractHair
 * (seif/hair-in-photo.ts: seen vertices in the hair's colour).
 */
import { describe, expect, it } from 'vitest';
import { uvSphere } from '../src/render/mesh.js';
import { carveOutsideSilhouette, silhouetteBound } from '../src/seif/silhouette.js';
import { hairShownInPhoto } from '../src/seif/hair-in-photo.js';
import { projectedVertexColors } from '../src/seif/vertex-colors.js';
import type { ColourModel } from '../src/stages/segment.js';

/**
 * A sphere of radius 0.3 in the SeIF frame in front of a 128 x 128 photo that covers the crop exactly; the person is
 * the disc of the sphere's silhouette shrunk by 10 % (the segmenter leaves out the silhouette's rim); colourAt gives
 * each pixel's colour from its frame position and whether it is on the person.
 */
function sphereScene(colourAt: (X: number, Y: number, on: boolean) => [number, number, number]) {
  const size = 128;
  const mesh = uvSphere(0.3, 24, 32, [0, 0, 0]);
  const sphere = { positions: Float32Array.from(mesh.positions), indices: Uint32Array.from(mesh.indices) };
  const photo = { data: new Uint8Array(size * size * 3), width: size, height: size };
  const person = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const X = (x + 0.5) / size - 0.5, Y = 0.5 - (y + 0.5) / size;
    const on = Math.hypot(X, Y) < 0.27;
    person[y * size + x] = on ? 255 : 0;
    photo.data.set(colourAt(X, Y, on), 3 * (y * size + x));
  }
  // Frame (X, Y) -> photo pixels.
  const frameToImage: [number, number, number, number, number, number] = [size, 0, size / 2, 0, -size, size / 2];
  return { sphere, photo, person, frameToImage };
}

describe('silhouette bound', () => {
  it('dilates the mask by a square window and rejects a wrong size', () => {
    const size = 32;
    const mask = new Uint8Array(size * size);
    mask[10 * size + 20] = 255;
    mask[0] = 100; // below 128: not the person
    const bound = silhouetteBound(mask, size, 3);
    let count = 0;
    for (let v = 0; v < size; v++) for (let u = 0; u < size; u++) {
      const inside = Math.abs(u - 20) <= 3 && Math.abs(v - 10) <= 3;
      expect(bound[v * size + u], `${u},${v}`).toBe(inside ? 1 : 0);
      count += bound[v * size + u]!;
    }
    expect(count).toBe(49);
    expect(() => silhouetteBound(mask, 31)).toThrow(/31 x 31/);
  });

  it('carves points projecting off the person, leaves the rest and points outside the crop alone', () => {
    const size = 4;
    // Person in the left half of the crop (columns 0-1): X < 0.
    const bound = new Uint8Array(size * size);
    for (let v = 0; v < size; v++) { bound[v * size] = 1; bound[v * size + 1] = 1; }
    const points = new Float32Array([-0.3, 0.2, 0.1, 0.3, 0.2, 0.1, 0.3, -0.4, -0.2, 0.7, 0, 0]);
    const occupancy = new Float32Array([0.9, 0.9, 0.2, 0.9]);
    expect(carveOutsideSilhouette(occupancy, points, bound, size)).toBe(2);
    expect(Array.from(occupancy)).toEqual([Math.fround(0.9), 0, 0, Math.fround(0.9)]);
  });
});

describe('projected hair colours', () => {
  // The sphere scene, red on the person and blue elsewhere.
  const { sphere, photo, person, frameToImage } = sphereScene((_X, _Y, on) => (on ? [200, 30, 30] : [20, 40, 220]));

  it('never takes the background at the silhouette, and fills the back with the seen colour', () => {
    const { colors, seen } = projectedVertexColors({ positions: sphere.positions, indices: sphere.indices, occluder: sphere, photo, person, frameToImage: [...frameToImage] });
    const n = sphere.positions.length / 3;
    let blue = 0;
    for (let i = 0; i < n; i++) if (colors[3 * i + 2]! > colors[3 * i]!) blue++;
    expect(seen).toBeGreaterThan(0.2 * n);
    expect(seen).toBeLessThan(0.5 * n);
    expect(blue).toBe(0);
    // The far back: the median seen colour.
    let back = 0;
    for (let i = 0; i < n; i++) {
      if (sphere.positions[3 * i + 2]! > -0.28) continue;
      back++;
      expect(Array.from(colors.subarray(3 * i, 3 * i + 3))).toEqual([200, 30, 30]);
    }
    expect(back).toBeGreaterThan(0);
  });

  it('without the facing and on-person rules the rim picks up the background (what the rules are for)', () => {
    const { colors } = projectedVertexColors({ positions: sphere.positions, occluder: sphere, photo, frameToImage: [...frameToImage] });
    let blue = 0;
    for (let i = 0; i < sphere.positions.length / 3; i++) if (colors[3 * i + 2]! > colors[3 * i]!) blue++;
    expect(blue).toBeGreaterThan(0);
  });
});

describe('hair shown in the photo', () => {
  // The same sphere; the photo is dark brown (hair) on the person's upper half, skin-coloured on the lower half.
  const { sphere, photo, person, frameToImage } = sphereScene((_X, Y) => (Y > 0 ? [50, 35, 25] : [205, 150, 125]));
  // Colour models with a 10-level standard deviation per channel.
  const model = (mean: [number, number, number]): ColourModel => ({ mean, inv: [0.01, 0, 0, 0, 0.01, 0, 0, 0, 0.01], n: 1000 });
  const hairColour = model([50, 35, 25]), skinColour = model([205, 150, 125]);

  it('marks the seen vertices in the hair colour, not the skin-coloured ones, the hidden back or the rim', () => {
    const hair = hairShownInPhoto({ surface: sphere, photo, person, frameToImage, hairColour, skinColour });
    const n = sphere.positions.length / 3;
    let marked = 0;
    for (let i = 0; i < n; i++) {
      const Y = sphere.positions[3 * i + 1]!, Z = sphere.positions[3 * i + 2]!;
      if (hair[i]) {
        marked++;
        expect(Y, `vertex ${i}`).toBeGreaterThan(0);
        expect(Z, `vertex ${i}`).toBeGreaterThan(0);
      }
      // Clearly on the upper front (facing, on the person): must be marked.
      if (Y > 0.05 && Z > 0.2) expect(hair[i], `vertex ${i}`).toBe(1);
    }
    expect(marked).toBeGreaterThan(0.1 * n);
  });

  it('marks nothing without a hair colour model (bald, or hair the colour of skin)', () => {
    const hair = hairShownInPhoto({ surface: sphere, photo, person, frameToImage, skinColour });
    expect(hair.every((h) => h === 0)).toBe(true);
  });
});
