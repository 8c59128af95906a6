/**
 * Public API. ExportMesh -> Wavefront OBJ + MTL (+ the texture as its own file). Morph targets and skin have no
 * place in OBJ and are left out. Extra meshes become their own `o` groups with their own material.
 * Positions are written with 6 decimals (micrometres in metres); UVs keep the OBJ convention (v up).
 */
import path from 'node:path';
import { writeFilesAtomic } from './atomic.js';
import { computeVertexNormals } from './geometry.js';
import type { ExportMaterial, ExportMesh } from './types.js';
import { validateExportMesh } from './validate.js';

export interface ObjFiles {
  obj: string;
  mtl: string;
  /** Texture files to write next to the OBJ (name -> bytes), referenced by `map_Kd`. */
  textures: Map<string, Uint8Array>;
}

export interface ObjOptions {
  /** File base name used for the .mtl and texture names; default 'mesh'. */
  baseName?: string;
  /** Write `vn` records (computed when the mesh has none). Default true. */
  normals?: boolean;
}

const fmt = (x: number) => (Math.abs(x) < 5e-7 ? '0' : x.toFixed(6));

export function encodeObj(mesh: ExportMesh, options: ObjOptions = {}): ObjFiles {
  validateExportMesh(mesh);
  const baseName = options.baseName ?? 'mesh';
  const writeNormals = options.normals ?? true;
  const lines: string[] = ['# @seif/flame OBJ export (metres, +y up)', `mtllib ${baseName}.mtl`];
  const mtl: string[] = ['# @seif/flame MTL export'];
  const textures = new Map<string, Uint8Array>();
  const textureNames = new Map<Uint8Array, string>();
  const materialNames = new Set<string>();
  let vertexOffset = 0;

  const addMaterial = (material: ExportMaterial | undefined, fallback: string): string => {
    let name = (material?.name ?? fallback).replace(/\s+/g, '_');
    while (materialNames.has(name)) name += '_';
    materialNames.add(name);
    const [r, g, b, a] = material?.baseColor ?? (material?.texture ? [1, 1, 1, 1] : [0.8, 0.62, 0.54, 1]);
    // Phong approximation of the PBR values: specular falls as roughness rises, Ns maps roughness to a shininess exponent.
    const roughness = material?.roughness ?? 0.55;
    const specular = 0.04 + (1 - roughness) * 0.2;
    mtl.push(
      '',
      `newmtl ${name}`,
      `Ka 0 0 0`,
      `Kd ${fmt(r)} ${fmt(g)} ${fmt(b)}`,
      `Ks ${fmt(specular)} ${fmt(specular)} ${fmt(specular)}`,
      `Ns ${fmt(Math.max(1, 2 / Math.max(roughness, 0.01) ** 4 - 2))}`,
      `d ${fmt(a)}`,
      'illum 2',
    );
    if (material?.texture) {
      let file = textureNames.get(material.texture.bytes);
      if (!file) {
        file = `${baseName}_${name}.${material.texture.mime === 'image/png' ? 'png' : 'jpg'}`;
        textureNames.set(material.texture.bytes, file);
        textures.set(file, material.texture.bytes);
      }
      mtl.push(`map_Kd ${file}`);
    }
    return name;
  };

  const addGeometry = (name: string, positions: Float32Array, indices: Uint32Array, normals: Float32Array | undefined, uvs: Float32Array | undefined, material: string) => {
    lines.push(`o ${name.replace(/\s+/g, '_')}`);
    const count = positions.length / 3;
    for (let v = 0; v < count; v++) lines.push(`v ${fmt(positions[v * 3] as number)} ${fmt(positions[v * 3 + 1] as number)} ${fmt(positions[v * 3 + 2] as number)}`);
    if (uvs) for (let v = 0; v < count; v++) lines.push(`vt ${fmt(uvs[v * 2] as number)} ${fmt(uvs[v * 2 + 1] as number)}`);
    const n = writeNormals ? (normals ?? computeVertexNormals(positions, indices)) : undefined;
    if (n) for (let v = 0; v < count; v++) lines.push(`vn ${fmt(n[v * 3] as number)} ${fmt(n[v * 3 + 1] as number)} ${fmt(n[v * 3 + 2] as number)}`);
    lines.push(`usemtl ${material}`, 's 1');
    const corner = (i: number) => {
      const k = i + 1 + vertexOffset;
      return uvs ? (n ? `${k}/${k}/${k}` : `${k}/${k}`) : n ? `${k}//${k}` : `${k}`;
    };
    for (let f = 0; f < indices.length; f += 3) {
      lines.push(`f ${corner(indices[f] as number)} ${corner(indices[f + 1] as number)} ${corner(indices[f + 2] as number)}`);
    }
    vertexOffset += count;
  };

  addGeometry(mesh.name ?? 'head', mesh.positions, mesh.indices, mesh.normals, mesh.uvs, addMaterial(mesh.material, 'skin'));
  for (const extra of mesh.extras ?? []) {
    addGeometry(extra.name, extra.positions, extra.indices, extra.normals, extra.uvs, addMaterial(extra.material, extra.name));
  }
  return { obj: `${lines.join('\n')}\n`, mtl: `${mtl.join('\n')}\n`, textures };
}

/** Writes `<file>` (.obj), the .mtl beside it and any textures; each file atomically. Returns the paths written. */
export async function writeObj(file: string, mesh: ExportMesh, options: Omit<ObjOptions, 'baseName'> = {}): Promise<string[]> {
  const dir = path.dirname(file);
  const baseName = path.basename(file, path.extname(file));
  const encoded = encodeObj(mesh, { ...options, baseName });
  const files: Array<[string, Uint8Array | string]> = [...encoded.textures].map(([name, bytes]) => [path.join(dir, name), bytes]);
  files.push([path.join(dir, `${baseName}.mtl`), encoded.mtl]);
  files.push([file, encoded.obj]); // last: the OBJ appears only once what it refers to exists
  await writeFilesAtomic(files);
  return files.map(([name]) => name);
}
