/**
 * The parts of a head GLB that the viewer can show or hide, found by glTF node name. The convention (docs/api.md,
 * "Download the results"; libs/flame/src/export/glb.ts names each mesh node after ExportMesh.name and each
 * ExportExtraMesh.name, and seif-core's export stage calls the main mesh `head`):
 *
 * - `head`: the head on FLAME's topology, skinned, with the ARKit morph targets. Today's eyeballs are part of it
 *   (they are FLAME vertices). Always shown.
 * - `eye*` (e.g. `eye_left`, `eye_right`): eyeballs exported as separate meshes; part of FLAME, always shown.
 * - `hair*` (e.g. `hair`, `hair_back`): hair that SeIF reconstructs beyond FLAME. The "Hair" toggle.
 * - any other mesh node: other geometry beyond FLAME (SeIF's full head outside the FLAME surface). "FLAME only"
 *   hides it together with the hair.
 *
 * Names match case-insensitively, on the mesh's own glTF node or any node above it (GLTFLoader puts the
 * primitives of a multi-primitive mesh under a group that carries the node's name), so `hair/mesh_0` is hair.
 * Bones (FLAME's `neck`, `jaw`, `eye_l`, ...) are skipped: they carry no geometry of their own.
 * Pure three.js, no renderer: unit tests run it in Node.
 */
import type * as THREE from 'three';

export type HeadPart = 'flame' | 'hair' | 'other';

const HAIR = /^hair/i;
const FLAME = /^(head|eye)/i;

/** The part a node name declares, or undefined when the name says nothing (empty). */
export function partOfName(name: string): HeadPart | undefined {
  if (!name) return undefined;
  if (HAIR.test(name)) return 'hair';
  if (FLAME.test(name)) return 'flame';
  return 'other';
}

/** The glTF node name GLTFLoader kept (userData.name is the original; `name` may be sanitised or made unique). */
function nodeName(object: THREE.Object3D): string {
  const original = object.userData?.name;
  return typeof original === 'string' ? original : object.name;
}

/** Hair anywhere on the path wins, then FLAME anywhere, else other. */
export function partOf(mesh: THREE.Object3D, root: THREE.Object3D): HeadPart {
  let found: HeadPart = 'other';
  for (let object: THREE.Object3D | null = mesh; object && object !== root; object = object.parent) {
    if ((object as THREE.Bone).isBone) continue;
    const part = partOfName(nodeName(object));
    if (part === 'hair') return 'hair';
    if (part === 'flame') found = 'flame';
  }
  return found;
}

export interface HeadParts {
  flame: THREE.Object3D[];
  hair: THREE.Object3D[];
  other: THREE.Object3D[];
}

/** Every mesh under `root`, sorted into the three parts. */
export function findParts(root: THREE.Object3D): HeadParts {
  const parts: HeadParts = { flame: [], hair: [], other: [] };
  root.traverse((object) => {
    if ((object as THREE.Mesh).isMesh) parts[partOf(object, root)].push(object);
  });
  return parts;
}

export interface PartVisibility {
  /** Show hair meshes (ignored while flameOnly is on). */
  hair: boolean;
  /** Show only FLAME's head: hair and every other non-FLAME mesh hidden. */
  flameOnly: boolean;
}

/** What the toggles offer for this model: each only when the model has something it would hide. */
export function partToggles(parts: HeadParts): { hair: boolean; flameOnly: boolean } {
  return { hair: parts.hair.length > 0, flameOnly: parts.flame.length > 0 && parts.hair.length + parts.other.length > 0 };
}

export function applyPartVisibility(parts: HeadParts, { hair, flameOnly }: PartVisibility): void {
  for (const mesh of parts.flame) mesh.visible = true;
  for (const mesh of parts.hair) mesh.visible = hair && !flameOnly;
  for (const mesh of parts.other) mesh.visible = !flameOnly;
}
