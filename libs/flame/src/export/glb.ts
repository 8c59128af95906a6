/**
 * Public API. ExportMesh -> binary glTF 2.0 (GLB) through @gltf-transform/core.
 *
 * Layout (https://registry.khronos.org/glTF/specs/2.0/glTF-2.0.html):
 * - one scene; the skinned head mesh node and the skeleton's root joint(s) sit at the scene root (the spec
 *   ignores a skinned mesh node's own transform; glTF-validator warns when it is not a root);
 * - morph targets hold POSITION deltas; their ARKit names go in `mesh.extras.targetNames`, the de-facto
 *   convention three.js's GLTFLoader and Blender read;
 * - joints are unrotated at rest, so inverse bind matrices are pure translations (geometry.ts);
 * - extra meshes (eyes, hair) get their own material; with `joint` set they share the skin, bound rigidly;
 * - `meshopt: true` reorders, quantises (KHR_mesh_quantization) and compresses (EXT_meshopt_compression).
 */
import { Document, Logger, type Material, type Mesh, type Node as GltfNode, NodeIO, type Skin } from '@gltf-transform/core';
import { EXTMeshoptCompression, KHRMeshQuantization } from '@gltf-transform/extensions';
import { meshopt } from '@gltf-transform/functions';
import { MeshoptEncoder } from 'meshoptimizer';
import { writeFileAtomic } from './atomic.js';
import { computeInverseBindMatrices, computeVertexNormals, normalizeSkinRows, normalizeVectors } from './geometry.js';
import type { ExportMaterial, ExportMesh, ExportTexture } from './types.js';
import { validateExportMesh } from './validate.js';

export interface GlbOptions {
  /** EXT_meshopt_compression (needs a decoder in the viewer; three.js: `loader.setMeshoptDecoder`). Default false. */
  meshopt?: boolean;
  /** `asset.generator`; default '@seif/flame'. */
  generator?: string;
  /** Free-form metadata stored in `asset.extras` (e.g. head-model name and version, pose convention). */
  metadata?: Record<string, unknown>;
}

const GLB_DEFAULTS = Object.freeze({ meshopt: false, generator: '@seif/flame' });

/** Skin-like defaults: a rough dielectric. 0.55 sits between oily (0.4) and dry (0.7) skin in common PBR charts. */
const SKIN_MATERIAL = Object.freeze({
  baseColor: [0.8, 0.62, 0.54, 1] as [number, number, number, number],
  roughness: 0.55,
  metalness: 0,
});

/** Encodes the mesh as GLB bytes. Throws ExportError on bad input. */
export async function encodeGlb(mesh: ExportMesh, options: GlbOptions = {}): Promise<Uint8Array> {
  const settings = { ...GLB_DEFAULTS, ...options };
  validateExportMesh(mesh);
  const doc = new Document().setLogger(new Logger(Logger.Verbosity.WARN));
  doc.getRoot().getAsset().generator = settings.generator;
  if (settings.metadata) doc.getRoot().getAsset().extras = { ...settings.metadata };
  const buffer = doc.createBuffer();
  const scene = doc.createScene('Scene');
  doc.getRoot().setDefaultScene(scene);
  // Per-document cache so a texture shared by several materials is embedded once.
  const textureCache = new Map<ExportTexture, ReturnType<Document['createTexture']>>();

  const accessor = (name: string, type: 'SCALAR' | 'VEC2' | 'VEC3' | 'VEC4' | 'MAT4', array: Float32Array | Uint8Array | Uint16Array | Uint32Array) =>
    doc.createAccessor(name).setType(type).setArray(array).setBuffer(buffer);

  const makeMaterial = (material: ExportMaterial | undefined, fallbackName: string): Material => {
    const texture = material?.texture;
    const baseColor = material?.baseColor ?? (texture ? [1, 1, 1, 1] : SKIN_MATERIAL.baseColor);
    const result = doc
      .createMaterial(material?.name ?? fallbackName)
      .setBaseColorFactor(baseColor)
      .setRoughnessFactor(material?.roughness ?? SKIN_MATERIAL.roughness)
      .setMetallicFactor(material?.metalness ?? SKIN_MATERIAL.metalness)
      .setDoubleSided(material?.doubleSided ?? false);
    if (texture) {
      let gltfTexture = textureCache.get(texture);
      if (!gltfTexture) {
        gltfTexture = doc
          .createTexture(`${material?.name ?? fallbackName}_baseColor`)
          .setImage(texture.bytes)
          .setMimeType(texture.mime);
        textureCache.set(texture, gltfTexture);
      }
      result.setBaseColorTexture(gltfTexture);
    }
    return result;
  };

  const makePrimitive = (
    name: string,
    positions: Float32Array,
    indices: Uint32Array,
    normals: Float32Array | undefined,
    uvs: Float32Array | undefined,
    material: Material,
  ) => {
    const vertexCount = positions.length / 3;
    const normalArray = normals ? normalizeVectors(Float32Array.from(normals)) : computeVertexNormals(positions, indices);
    const primitive = doc
      .createPrimitive()
      .setAttribute('POSITION', accessor(`${name}_position`, 'VEC3', positions))
      .setAttribute('NORMAL', accessor(`${name}_normal`, 'VEC3', normalArray))
      .setIndices(accessor(`${name}_indices`, 'SCALAR', vertexCount <= 0xffff ? Uint16Array.from(indices) : indices))
      .setMaterial(material);
    if (uvs) {
      // glTF's uv origin is the top-left corner: v' = 1 - v.
      const flipped = new Float32Array(uvs.length);
      for (let i = 0; i < uvs.length; i += 2) {
        flipped[i] = uvs[i] as number;
        flipped[i + 1] = 1 - (uvs[i + 1] as number);
      }
      primitive.setAttribute('TEXCOORD_0', accessor(`${name}_uv`, 'VEC2', flipped));
    }
    return primitive;
  };

  // Skeleton.
  let skin: Skin | undefined;
  if (mesh.skin) {
    const { jointNames, parents, restJoints } = mesh.skin;
    const jointNodes: GltfNode[] = [];
    for (let j = 0; j < jointNames.length; j++) {
      const parent = parents[j] as number;
      const local: [number, number, number] = [0, 1, 2].map(
        (k) => (restJoints[j * 3 + k] as number) - (parent >= 0 ? (restJoints[parent * 3 + k] as number) : 0),
      ) as [number, number, number];
      const node = doc.createNode(jointNames[j] as string).setTranslation(local);
      jointNodes.push(node);
      if (parent >= 0) (jointNodes[parent] as GltfNode).addChild(node);
      else scene.addChild(node);
    }
    skin = doc.createSkin('skeleton').setInverseBindMatrices(accessor('inverseBindMatrices', 'MAT4', computeInverseBindMatrices(restJoints)));
    const root = jointNodes[parents.findIndex((p) => p < 0)];
    if (root) skin.setSkeleton(root);
    for (const node of jointNodes) skin.addJoint(node);
  }

  // Head mesh.
  const name = mesh.name ?? 'head';
  const primitive = makePrimitive(name, mesh.positions, mesh.indices, mesh.normals, mesh.uvs, makeMaterial(mesh.material, 'skin'));
  const setColors = (target: typeof primitive, label: string, colors: Uint8Array, itemSize: 3 | 4) => {
    target.setAttribute('COLOR_0', accessor(`${label}_color`, itemSize === 4 ? 'VEC4' : 'VEC3', Uint8Array.from(colors)).setNormalized(true));
  };
  const setSkinRows = (target: typeof primitive, label: string, jointRows: ArrayLike<number>, weightRows: Float32Array) => {
    const rows = normalizeSkinRows(jointRows as Uint16Array, weightRows);
    const joints = mesh.skin!.jointNames.length <= 256 ? Uint8Array.from(rows.joints) : rows.joints;
    target.setAttribute('JOINTS_0', accessor(`${label}_joints`, 'VEC4', joints));
    target.setAttribute('WEIGHTS_0', accessor(`${label}_weights`, 'VEC4', rows.weights));
  };
  if (mesh.colors) setColors(primitive, name, mesh.colors, mesh.colorItemSize ?? 3);
  if (mesh.skin) setSkinRows(primitive, name, mesh.skin.joints, mesh.skin.weights);
  const targets = mesh.morphTargets ?? [];
  for (const target of targets) {
    const morph = doc.createPrimitiveTarget(target.name).setAttribute('POSITION', accessor(`${target.name}_delta`, 'VEC3', target.deltas));
    primitive.addTarget(morph);
  }
  const gltfMesh: Mesh = doc.createMesh(name).addPrimitive(primitive);
  if (targets.length > 0) {
    gltfMesh.setWeights(targets.map(() => 0));
    gltfMesh.setExtras({ targetNames: targets.map((target) => target.name) });
  }
  const meshNode = doc.createNode(name).setMesh(gltfMesh);
  if (skin) meshNode.setSkin(skin);
  scene.addChild(meshNode);

  // Extra meshes (eyes, hair, ...).
  for (const extra of mesh.extras ?? []) {
    const extraPrimitive = makePrimitive(extra.name, extra.positions, extra.indices, extra.normals, extra.uvs, makeMaterial(extra.material, extra.name));
    const node = doc.createNode(extra.name).setMesh(doc.createMesh(extra.name).addPrimitive(extraPrimitive));
    if (extra.colors) setColors(extraPrimitive, extra.name, extra.colors, 3);
    if (skin && extra.joint === undefined && extra.skinJoints && extra.skinWeights) {
      setSkinRows(extraPrimitive, extra.name, extra.skinJoints, extra.skinWeights);
      node.setSkin(skin);
    } else if (skin && extra.joint !== undefined) {
      const count = extra.positions.length / 3;
      const joints = new Uint8Array(count * 4);
      const weights = new Float32Array(count * 4);
      for (let v = 0; v < count; v++) {
        joints[v * 4] = extra.joint;
        weights[v * 4] = 1;
      }
      extraPrimitive.setAttribute('JOINTS_0', accessor(`${extra.name}_joints`, 'VEC4', joints));
      extraPrimitive.setAttribute('WEIGHTS_0', accessor(`${extra.name}_weights`, 'VEC4', weights));
      node.setSkin(skin);
    }
    scene.addChild(node);
  }

  const io = new NodeIO();
  if (settings.meshopt) {
    await MeshoptEncoder.ready;
    io.registerExtensions([EXTMeshoptCompression, KHRMeshQuantization]).registerDependencies({ 'meshopt.encoder': MeshoptEncoder });
    await doc.transform(meshopt({ encoder: MeshoptEncoder, level: 'medium' }));
  }
  return io.writeBinary(doc);
}

/** Encodes and writes a .glb file (temp file + rename). Returns the byte count. */
export async function writeGlb(file: string, mesh: ExportMesh, options: GlbOptions = {}): Promise<number> {
  const bytes = await encodeGlb(mesh, options);
  await writeFileAtomic(file, bytes);
  return bytes.byteLength;
}
