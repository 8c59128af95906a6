/**
 * Public API. Poses a reconstructed GLB: sets the mesh's default morph weights and the joints' rotations to an
 * animation frame (a preset or ARKit weights), leaving the neutral rest geometry, the morph targets and the
 * skeleton as they are, so the file shows the expression and still animates. Morph targets are matched by name
 * (`extras.targetNames`), joints by node name (FLAME's global, neck, jaw, eye_l, eye_r).
 */
import { Document, NodeIO } from '@gltf-transform/core';
import { type AnimationFrame, type HeadModel, PRESET_NAMES, type PresetName, preset, resolveFrame } from '@seif/flame';
import { SeifError } from './errors.js';

/** Parses `jawOpen=0.5,mouthSmileLeft=0.3` into ARKit weights. */
export function parseArkitWeights(text: string): Record<string, number> {
  const weights: Record<string, number> = {};
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, value] = part.split('=');
    const number = Number(value);
    if (!name || value === undefined || !Number.isFinite(number)) {
      throw new SeifError('INVALID_ARGUMENT', `--arkit: "${part}" is not name=value (e.g. jawOpen=0.5,mouthSmileLeft=0.3).`);
    }
    weights[name.trim()] = number;
  }
  return weights;
}

/** An animation frame from a preset name or ARKit weights. */
export function animationFrame(options: { preset?: string; arkit?: Record<string, number> }): AnimationFrame {
  if (options.preset && options.arkit) throw new SeifError('INVALID_ARGUMENT', 'give either a preset or ARKit weights, not both.');
  if (options.preset) {
    if (!PRESET_NAMES.includes(options.preset as PresetName)) {
      throw new SeifError('INVALID_ARGUMENT', `unknown preset "${options.preset}"; presets: ${PRESET_NAMES.join(', ')}.`);
    }
    return preset(options.preset as PresetName);
  }
  if (options.arkit) return { weights: options.arkit };
  throw new SeifError('INVALID_ARGUMENT', 'give a preset (--preset smile) or ARKit weights (--arkit jawOpen=0.5).');
}

/** Returns a copy of `glb` with morph weights and joint rotations set to `frame`. */
export async function animateGlb(glb: Uint8Array, model: HeadModel, frame: AnimationFrame): Promise<Uint8Array> {
  let params;
  try {
    params = resolveFrame(model, frame, { missingShapes: 'ignore' });
  } catch (error) {
    throw new SeifError('INVALID_ARGUMENT', `animate: ${(error as Error).message}`, { cause: error });
  }
  const io = new NodeIO();
  let doc: Document;
  try {
    doc = await io.readBinary(glb);
  } catch (error) {
    throw new SeifError('INVALID_ARGUMENT', `animate: not a readable GLB (${(error as Error).message}).`, { cause: error });
  }
  const expression = params.expression ?? [];
  const pose = params.pose ?? [];
  let morphed = 0;
  for (const mesh of doc.getRoot().listMeshes()) {
    const names = (mesh.getExtras() as { targetNames?: string[] }).targetNames;
    if (!names) continue;
    mesh.setWeights(names.map((name) => {
      const k = model.expression.names.indexOf(name);
      return k >= 0 ? Number(expression[k] ?? 0) : 0;
    }));
    morphed++;
  }
  if (morphed === 0) throw new SeifError('INVALID_ARGUMENT', 'animate: the GLB has no named morph targets (is it a seif reconstruction?).');
  for (const node of doc.getRoot().listNodes()) {
    const j = model.joints.names.indexOf(node.getName());
    if (j < 0) continue;
    node.setRotation(quaternionFromAxisAngle(Number(pose[3 * j] ?? 0), Number(pose[3 * j + 1] ?? 0), Number(pose[3 * j + 2] ?? 0)));
  }
  return io.writeBinary(doc);
}

/** Axis-angle -> unit quaternion [x, y, z, w] (glTF order). */
export function quaternionFromAxisAngle(x: number, y: number, z: number): [number, number, number, number] {
  const angle = Math.hypot(x, y, z);
  if (angle < 1e-12) return [0, 0, 0, 1];
  const s = Math.sin(angle / 2) / angle;
  return [x * s, y * s, z * s, Math.cos(angle / 2)];
}
