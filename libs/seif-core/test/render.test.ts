import { describe, expect, it } from 'vitest';
import { lookAt, orthographicCamera, pinholeCamera, seifFrameCamera } from '../src/render/camera.js';
import { type Mesh, uvSphere } from '../src/render/mesh.js';
import { Rasterizer, visibleTriangles } from '../src/render/rasterizer.js';

const rasterizer = new Rasterizer();
/** Pixel-space orthographic camera: world (x, y) = pixel (u, height - v) so tests can think in pixels. */
const pixelCamera = (size: number) => orthographicCamera({ width: size, height: size, scaleX: 1, cx: 0, cy: size, translation: [0, 0, -10] });

function triangleMesh(points: number[][], z = 0): Mesh {
  return { positions: new Float32Array(points.flatMap(([x, y]) => [x!, y!, z])), indices: new Uint32Array(points.map((_, i) => i)) };
}

function covered(mesh: Mesh, size: number, twoSided = true): number {
  const out = rasterizer.render(mesh, pixelCamera(size), { twoSided, buffers: {} });
  let n = 0;
  for (const t of out.triangleId) if (t >= 0) n++;
  return n;
}

// Deterministic pseudo-random numbers (mulberry32) so failures reproduce.
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('coverage (top-left fill rule)', () => {
  it('covers a pixel-aligned square split in two triangles exactly once per pixel', () => {
    const quad: Mesh = {
      positions: new Float32Array([10, 10, 0, 50, 10, 0, 50, 40, 0, 10, 40, 0]),
      indices: new Uint32Array([0, 1, 2, 0, 2, 3]),
    };
    const out = rasterizer.render(quad, pixelCamera(64), { buffers: {} });
    const counts = visibleTriangles(out, 2);
    expect(counts[0]! + counts[1]!).toBe(40 * 30);
    // Each triangle alone: the diagonal pixels go to exactly one of them.
    const first = covered({ positions: quad.positions, indices: quad.indices.subarray(0, 3) }, 64);
    const second = covered({ positions: quad.positions, indices: quad.indices.subarray(3, 6) }, 64);
    expect(first + second).toBe(1200);
  });

  it('partitions a random fan with no gaps or double coverage, and coverage matches area', () => {
    const next = random(7);
    const size = 256;
    const centre = [128.3, 127.9];
    const rim: number[][] = [];
    for (let k = 0; k < 24; k++) {
      const angle = (k / 24) * 2 * Math.PI + next() * 0.1;
      const radius = 60 + next() * 60;
      rim.push([centre[0]! + radius * Math.cos(angle), centre[1]! + radius * Math.sin(angle)]);
    }
    let sum = 0;
    let area = 0;
    const all: number[][] = [];
    for (let k = 0; k < rim.length; k++) {
      const a = rim[k]!;
      const b = rim[(k + 1) % rim.length]!;
      const tri = [centre, a, b];
      all.push(...tri);
      sum += covered(triangleMesh(tri), size);
      area += Math.abs((a[0]! - centre[0]!) * (b[1]! - centre[1]!) - (a[1]! - centre[1]!) * (b[0]! - centre[0]!)) / 2;
    }
    const union = covered(triangleMesh(all), size);
    expect(sum).toBe(union);
    // Coverage of a polygon differs from its area by at most about half its perimeter in pixels.
    expect(Math.abs(union - area) / area).toBeLessThan(0.01);
  });

  it('matches the area of random triangles', () => {
    const next = random(11);
    for (let k = 0; k < 20; k++) {
      const tri = [0, 1, 2].map(() => [next() * 512, next() * 512]);
      const [a, b, c] = tri as [number[], number[], number[]];
      const area = Math.abs((b[0]! - a[0]!) * (c[1]! - a[1]!) - (b[1]! - a[1]!) * (c[0]! - a[0]!)) / 2;
      const perimeter = Math.hypot(b[0]! - a[0]!, b[1]! - a[1]!) + Math.hypot(c[0]! - b[0]!, c[1]! - b[1]!) + Math.hypot(a[0]! - c[0]!, a[1]! - c[1]!);
      expect(Math.abs(covered(triangleMesh(tri), 512) - area)).toBeLessThanOrEqual(perimeter / 2 + 2);
    }
  });

  it('culls back faces unless two-sided, and then turns their normals to the camera', () => {
    const ccw = triangleMesh([[10, 10], [50, 10], [10, 50]]);
    const cw = triangleMesh([[10, 10], [10, 50], [50, 10]]);
    expect(covered(ccw, 64, false)).toBeGreaterThan(0);
    expect(covered(cw, 64, false)).toBe(0);
    const out = rasterizer.render(cw, pixelCamera(64), { twoSided: true, buffers: { normal: true } });
    const p = 40 * 64 + 20; // world (20.5, 23.5), inside
    expect(out.normal![3 * p + 2]).toBeCloseTo(1, 6);
  });
});

describe('analytic scenes', () => {
  it('renders a sphere with exact depth and normals (orthographic, SeIF frame)', () => {
    const radius = 0.4;
    const sphere = uvSphere(radius, 128, 256);
    const camera = seifFrameCamera(256);
    const out = rasterizer.render(sphere, camera, { buffers: { normal: true, color: true } });
    let maxDepth = 0;
    let maxAngle = 0;
    let count = 0;
    for (let v = 0; v < 256; v++) {
      for (let u = 0; u < 256; u++) {
        const x = (u + 0.5) / 256 - 0.5;
        const y = 0.5 - (v + 0.5) / 256;
        const r2 = x * x + y * y;
        const p = v * 256 + u;
        if (r2 > (radius * 0.98) ** 2) continue; // rim pixels depend on tessellation
        count++;
        const z = Math.sqrt(radius * radius - r2);
        expect(out.triangleId[p]).toBeGreaterThanOrEqual(0);
        maxDepth = Math.max(maxDepth, Math.abs(out.depth[p]! - (10 - z)));
        const dot = (out.normal![3 * p]! * x + out.normal![3 * p + 1]! * y + out.normal![3 * p + 2]! * z) / radius;
        maxAngle = Math.max(maxAngle, Math.acos(Math.min(1, dot)));
      }
    }
    expect(count).toBeGreaterThan(30000);
    // Chord error of a 128 x 256 tessellation: r (1 - cos(pi / 256)) ~ 3e-5 r; allow 1e-3 of the radius.
    expect(maxDepth).toBeLessThan(1e-3 * radius);
    expect((maxAngle * 180) / Math.PI).toBeLessThan(0.5);
    expect(out.triangleId[0]).toBe(-1);
    expect(out.depth[0]).toBe(Infinity);
  });

  it('renders a sphere with exact depth through a pinhole camera', () => {
    const radius = 0.1;
    const sphere = uvSphere(radius, 128, 256, [0.02, -0.01, 0]);
    const pose = lookAt([0, 0, 0.6], [0, 0, 0]);
    const camera = pinholeCamera({ width: 256, height: 256, fovYDegrees: 30, ...pose });
    const out = rasterizer.render(sphere, camera, { buffers: { normal: true } });
    let maxError = 0;
    let count = 0;
    for (let v = 0; v < 256; v += 2) {
      for (let u = 0; u < 256; u += 2) {
        // Ray through the pixel centre, in camera space (camera at origin, looking along -z; sphere centre at z=-0.6).
        const dx = (u + 0.5 - camera.cx) / camera.fx;
        const dy = -(v + 0.5 - camera.cy) / camera.fy;
        const c = [0.02, -0.01, -0.6];
        // |t d - c|^2 = r^2 with d = (dx, dy, -1)
        const dd = dx * dx + dy * dy + 1;
        const dc = dx * c[0]! + dy * c[1]! - c[2]!;
        const cc = c[0]! ** 2 + c[1]! ** 2 + c[2]! ** 2;
        const disc = dc * dc - dd * (cc - radius * radius);
        if (disc <= 0.02 * dc * dc * 0) continue;
        const t = (dc - Math.sqrt(disc)) / dd;
        // Skip the rim where the tessellation silhouette differs.
        if (disc < 0.05 * dd * radius * radius) continue;
        count++;
        maxError = Math.max(maxError, Math.abs(out.depth[v * 256 + u]! - t));
      }
    }
    expect(count).toBeGreaterThan(1000);
    expect(maxError).toBeLessThan(1e-3 * radius);
  });

  it('interpolates texture coordinates perspective-correctly on a tilted plane', () => {
    // A quad in the plane z = -1 - y (tilted away from the camera toward the top), uv = (x, y) mapped to [0,1].
    const corners = [
      [-1, -1],
      [1, -1],
      [1, 1],
      [-1, 1],
    ];
    const mesh: Mesh = {
      positions: new Float32Array(corners.flatMap(([x, y]) => [x!, y!, -2 - y!])),
      indices: new Uint32Array([0, 1, 2, 0, 2, 3]),
      uvs: new Float32Array(corners.flatMap(([x, y]) => [(x! + 1) / 2, (y! + 1) / 2])),
    };
    const camera = pinholeCamera({ width: 128, height: 128, fovYDegrees: 60 });
    const out = rasterizer.render(mesh, camera, { buffers: { uv: true } });
    let maxError = 0;
    let count = 0;
    for (let p = 0; p < 128 * 128; p++) {
      if (out.triangleId[p]! < 0) continue;
      const u = (p % 128) + 0.5;
      const v = Math.floor(p / 128) + 0.5;
      const dx = (u - camera.cx) / camera.fx;
      const dy = -(v - camera.cy) / camera.fy;
      // Ray t (dx, dy, -1) meets z = -2 - y: -t = -2 - t dy  =>  t = 2 / (1 - dy)
      const t = 2 / (1 - dy);
      const x = t * dx;
      const y = t * dy;
      maxError = Math.max(maxError, Math.abs(out.uv![2 * p]! - (x + 1) / 2), Math.abs(out.uv![2 * p + 1]! - (y + 1) / 2));
      count++;
    }
    expect(count).toBeGreaterThan(2000);
    expect(maxError).toBeLessThan(1e-5);
  });

  it('renders a 10k-triangle mesh at 512^2 quickly', () => {
    const sphere = uvSphere(0.45, 71, 71);
    expect(sphere.indices.length / 3).toBeGreaterThan(9900);
    const camera = seifFrameCamera(512);
    const options = { buffers: { color: true, normal: true, uv: true } };
    const target = rasterizer.render(sphere, camera, options);
    const times: number[] = [];
    for (let k = 0; k < 5; k++) {
      const start = performance.now();
      rasterizer.render(sphere, camera, options, target);
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    console.log(`rasterizer: ${sphere.indices.length / 3} triangles at 512^2 (colour + normal + uv): median ${times[2]!.toFixed(1)} ms`);
    // Generous bound for a shared 2-core machine; the measured figure is printed above.
    expect(times[2]).toBeLessThan(250);
  });
});
