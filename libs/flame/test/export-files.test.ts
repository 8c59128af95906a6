import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStl, edgeUseCounts, encodePly, encodeStl, exportMesh, makeWatertight, meshVolume } from '../src/export/index.js';
import { readObj } from '../src/io/obj.js';
import { flameExportMesh, icosphere, tinyPng } from './fixtures/meshes.js';

function expectClosed(indices: Uint32Array): void {
  const counts = edgeUseCounts(indices);
  const bad = [...counts.values()].filter((count) => count !== 2).length;
  expect(bad, 'edges not shared by exactly two triangles').toBe(0);
}

/** Every directed edge appears once and its reverse once: consistent orientation. */
function expectConsistent(indices: Uint32Array): void {
  const directed = new Set<string>();
  for (let f = 0; f < indices.length; f += 3) {
    for (let k = 0; k < 3; k++) {
      const key = `${indices[f + k]},${indices[f + ((k + 1) % 3)]}`;
      expect(directed.has(key)).toBe(false);
      directed.add(key);
    }
  }
}

describe('OBJ, PLY and STL export', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'seif-export-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes OBJ + MTL + texture that read back to the same mesh', async () => {
    const mesh = await flameExportMesh();
    mesh.material = { name: 'skin', texture: { bytes: tinyPng(), mime: 'image/png' } };
    const file = path.join(dir, 'head.obj');
    const written = await exportMesh(file, mesh);
    expect(written.map((f) => path.basename(f)).sort()).toEqual(['head.mtl', 'head.obj', 'head_skin.png']);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(await readFile(path.join(dir, 'head.mtl'), 'utf8')).toContain('map_Kd head_skin.png');
    const back = await readObj(file);
    expect(back.vertices.length).toBe(mesh.positions.length);
    expect(Array.from(back.faces)).toEqual(Array.from(mesh.indices));
    for (let i = 0; i < mesh.positions.length; i += 97) expect(back.vertices[i]).toBeCloseTo(mesh.positions[i] as number, 5);
    expect(back.uvFaces).toBeDefined();
    for (let i = 0; i < back.uvs.length; i += 31) expect(back.uvs[i]).toBeCloseTo(mesh.uvs?.[i] as number, 5);
  });

  it('writes binary PLY with vertex colours', async () => {
    const sphere = icosphere(0.1, 1);
    const colors = new Uint8Array(sphere.positions.length);
    for (let i = 0; i < colors.length; i++) colors[i] = i % 251;
    const bytes = encodePly({ positions: sphere.positions, indices: sphere.indices, colors });
    const text = new TextDecoder('latin1').decode(bytes.subarray(0, 400));
    const headerEnd = text.indexOf('end_header\n') + 'end_header\n'.length;
    expect(text).toContain('format binary_little_endian 1.0');
    expect(text).toContain('property uchar red');
    const vertexCount = sphere.positions.length / 3;
    expect(bytes.byteLength).toBe(headerEnd + vertexCount * 15 + (sphere.indices.length / 3) * 13);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(view.getFloat32(headerEnd + 15 * 5 + 4, true)).toBeCloseTo(sphere.positions[16] as number, 6);
    expect(bytes[headerEnd + 15 * 5 + 13]).toBe(colors[16]);
    const faceStart = headerEnd + vertexCount * 15;
    expect(bytes[faceStart]).toBe(3);
    expect(view.getUint32(faceStart + 5, true)).toBe(sphere.indices[1]);
  });

  it('writes binary STL in millimetres', async () => {
    const sphere = icosphere(0.1, 2);
    const result = encodeStl({ positions: sphere.positions, indices: sphere.indices });
    expect(result.bytes.byteLength).toBe(84 + 50 * (sphere.indices.length / 3));
    const soup = decodeStl(result.bytes);
    expect(soup[0]).toBeCloseTo((sphere.positions[(sphere.indices[0] as number) * 3] as number) * 1000, 3);
  });

  it('watertight: caps holes in an icosphere, fixes flipped faces, positive volume', () => {
    const sphere = icosphere(0.1, 3);
    // Cut two caps (top and bottom holes), flip a band of faces, then reverse everything: the result must
    // still come out closed and facing outward.
    const kept: number[] = [];
    for (let f = 0; f < sphere.indices.length; f += 3) {
      const tri = [sphere.indices[f], sphere.indices[f + 1], sphere.indices[f + 2]] as number[];
      const ys = tri.map((v) => sphere.positions[v * 3 + 1] as number);
      if (ys.some((y) => y > 0.08 || y < -0.09)) continue;
      if (ys.every((y) => Math.abs(y) < 0.02)) kept.push(tri[0] as number, tri[2] as number, tri[1] as number);
      else kept.push(...tri);
    }
    const indices = Uint32Array.from(kept);
    expect([...edgeUseCounts(indices).values()].some((c) => c === 1)).toBe(true);
    const closed = makeWatertight(sphere.positions, indices.reverse());
    expectClosed(closed.indices);
    expectConsistent(closed.indices);
    const volume = meshVolume(closed.positions, closed.indices);
    expect(volume).toBeGreaterThan(0);
    // Close to the sphere's volume (minus the flat caps): within 5 %.
    expect(volume).toBeGreaterThan(0.9 * (4 / 3) * Math.PI * 0.1 ** 3);
    expect(closed.report.cappedLoops).toBe(2);
  });

  it('watertight: the FLAME template (seam-split, with eyeballs) comes out closed and outward', async () => {
    const mesh = await flameExportMesh();
    const started = performance.now();
    const result = encodeStl(mesh, { watertight: true });
    const elapsed = performance.now() - started;
    const report = result.watertight!;
    console.info(`FLAME watertight STL in ${elapsed.toFixed(0)} ms: ${JSON.stringify(report)}`);
    expect(report.weldedVertices).toBe(5023);
    expect(report.nonManifoldEdges).toBe(0);
    // Re-index the triangle soup read back from the file and check closure there, in the written bytes.
    const soup = decodeStl(result.bytes);
    const ids = new Map<string, number>();
    const indices = new Uint32Array(soup.length / 3);
    const positions: number[] = [];
    for (let i = 0; i < soup.length / 3; i++) {
      const key = `${soup[i * 3]},${soup[i * 3 + 1]},${soup[i * 3 + 2]}`;
      let id = ids.get(key);
      if (id === undefined) {
        id = ids.size;
        ids.set(key, id);
        positions.push(soup[i * 3] as number, soup[i * 3 + 1] as number, soup[i * 3 + 2] as number);
      }
      indices[i] = id;
    }
    expectClosed(indices);
    expectConsistent(indices);
    expect(meshVolume(Float32Array.from(positions), indices)).toBeGreaterThan(0);
  });

  it('rejects unknown formats with a typed error', async () => {
    const sphere = icosphere(0.1, 0);
    await expect(exportMesh(path.join(dir, 'x.fbx'), { positions: sphere.positions, indices: sphere.indices })).rejects.toMatchObject({
      code: 'UNKNOWN_FORMAT',
    });
    expect(await readdir(dir)).not.toContain('x.fbx');
  });
});
