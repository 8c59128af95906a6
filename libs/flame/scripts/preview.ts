/**
 * Dev tool: renders posed default-model meshes to a PNG (software z-buffer, orthographic, Lambert shading) so a
 * person can eyeball skinning and expressions without a browser. Usage:
 *   npx tsx scripts/preview.ts out.png [name=value ...]   e.g. jaw=0.4 eyeBlink_L=1 yaw=0.5 weights=jaw
 */
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { loadDefaultHeadModel } from '../src/build/default-model.js';
import { evaluate } from '../src/model/evaluate.js';
import { findShape } from '../src/animation/arkit.js';
import { preset, resolveFrame } from '../src/animation/presets.js';

function png(width: number, height: number, rgb: Uint8Array): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;
    Buffer.from(rgb.buffer, rgb.byteOffset + y * width * 3, width * 3).copy(raw, y * (width * 3 + 1) + 1);
  }
  const table = new Int32Array(256).map((_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c;
  });
  const crc = (buf: Buffer) => {
    let c = -1;
    for (const b of buf) c = table[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ -1) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 2;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

const [out = '/tmp/preview.png', ...args] = process.argv.slice(2);
const model = await loadDefaultHeadModel();
const pose = new Float64Array(15);
const expression = new Float64Array(model.expression.names.length);
let weightsJoint = -1;
for (const arg of args) {
  const [k, v] = arg.split('=') as [string, string];
  if (k === 'jaw') pose[6] = Number(v);
  else if (k === 'preset') { const p = resolveFrame(model, preset(v)); pose.set(p.pose as Float64Array); expression.set(p.expression as Float64Array); }
  else if (k === 'yaw') pose[1] = Number(v);
  else if (k === 'neck') pose[3] = Number(v);
  else if (k === 'gaze') { pose[10] = Number(v); pose[13] = Number(v); }
  else if (k === 'weights') weightsJoint = model.joints.names.indexOf(v);
  else expression[findShape(model.expression.names, k)] = Number(v);
}
const verts = evaluate(model, { pose, expression });
const size = 512;
const views: [string, (x: number, y: number, z: number) => [number, number, number]][] = [
  ['front', (x, y, z) => [x, y, z]],
  ['side', (x, y, z) => [-z, y, x]],
];
const rgb = new Uint8Array(size * 2 * size * 3).fill(40);
views.forEach(([, project], vi) => {
  const depth = new Float32Array(size * size).fill(-Infinity);
  const P = (i: number) => project(verts[3 * i]!, verts[3 * i + 1]!, verts[3 * i + 2]!);
  const scale = size / 0.36;
  for (let t = 0; t < model.faces.length; t += 3) {
    const a = P(model.faces[t]!), b = P(model.faces[t + 1]!), c = P(model.faces[t + 2]!);
    const ux = b[0] - a[0], uy = b[1] - a[1], uz = b[2] - a[2];
    const wx = c[0] - a[0], wy = c[1] - a[1], wz = c[2] - a[2];
    let nx = uy * wz - uz * wy, ny = uz * wx - ux * wz, nz = ux * wy - uy * wx;
    const nl = Math.hypot(nx, ny, nz) || 1;
    nx /= nl; ny /= nl; nz /= nl;
    const shade = Math.max(0.15, Math.abs(0.3 * nx + 0.4 * ny + 0.86 * nz));
    let color = [220, 190, 170];
    if (weightsJoint >= 0) {
      const w = model.skinWeights[model.faces[t]! * 5 + weightsJoint]!;
      color = [255 * w, 80, 255 * (1 - w)];
    }
    const sx = (p: number[]) => (p[0]! + 0.18) * scale;
    const sy = (p: number[]) => (0.16 - p[1]!) * scale;
    const xs = [sx(a), sx(b), sx(c)], ys = [sy(a), sy(b), sy(c)], zs = [a[2], b[2], c[2]];
    const minX = Math.max(0, Math.floor(Math.min(...xs))), maxX = Math.min(size - 1, Math.ceil(Math.max(...xs)));
    const minY = Math.max(0, Math.floor(Math.min(...ys))), maxY = Math.min(size - 1, Math.ceil(Math.max(...ys)));
    const area = (xs[1]! - xs[0]!) * (ys[2]! - ys[0]!) - (xs[2]! - xs[0]!) * (ys[1]! - ys[0]!);
    if (Math.abs(area) < 1e-12) continue;
    for (let py = minY; py <= maxY; py++) {
      for (let px = minX; px <= maxX; px++) {
        const w0 = ((xs[1]! - px) * (ys[2]! - py) - (xs[2]! - px) * (ys[1]! - py)) / area;
        const w1 = ((xs[2]! - px) * (ys[0]! - py) - (xs[0]! - px) * (ys[2]! - py)) / area;
        const w2 = 1 - w0 - w1;
        if (w0 < 0 || w1 < 0 || w2 < 0) continue;
        const z = w0 * zs[0]! + w1 * zs[1]! + w2 * zs[2]!;
        if (z <= depth[py * size + px]!) continue;
        depth[py * size + px] = z;
        const o = (py * size * 2 + px + vi * size) * 3;
        rgb[o] = color[0]! * shade; rgb[o + 1] = color[1]! * shade; rgb[o + 2] = color[2]! * shade;
      }
    }
  }
});
writeFileSync(out, png(size * 2, size, rgb));
console.log(`wrote ${out}`);
