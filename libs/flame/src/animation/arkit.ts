/**
 * Public API. ARKit's 52 blendshape names (Apple, ARFaceAnchor.BlendShapeLocation) and the ICT-FaceKit
 * spelling (`eyeBlink_L`) the default model stores. Both spellings are accepted everywhere a name is taken.
 */
import { FlameError } from '../errors.js';

/** Apple's names, in Apple's documentation order. */
export const ARKIT_BLENDSHAPES = Object.freeze([
  'browDownLeft', 'browDownRight', 'browInnerUp', 'browOuterUpLeft', 'browOuterUpRight',
  'cheekPuff', 'cheekSquintLeft', 'cheekSquintRight',
  'eyeBlinkLeft', 'eyeBlinkRight', 'eyeLookDownLeft', 'eyeLookDownRight', 'eyeLookInLeft', 'eyeLookInRight',
  'eyeLookOutLeft', 'eyeLookOutRight', 'eyeLookUpLeft', 'eyeLookUpRight', 'eyeSquintLeft', 'eyeSquintRight',
  'eyeWideLeft', 'eyeWideRight',
  'jawForward', 'jawLeft', 'jawOpen', 'jawRight',
  'mouthClose', 'mouthDimpleLeft', 'mouthDimpleRight', 'mouthFrownLeft', 'mouthFrownRight', 'mouthFunnel',
  'mouthLeft', 'mouthLowerDownLeft', 'mouthLowerDownRight', 'mouthPressLeft', 'mouthPressRight', 'mouthPucker',
  'mouthRight', 'mouthRollLower', 'mouthRollUpper', 'mouthShrugLower', 'mouthShrugUpper', 'mouthSmileLeft',
  'mouthSmileRight', 'mouthStretchLeft', 'mouthStretchRight', 'mouthUpperUpLeft', 'mouthUpperUpRight',
  'noseSneerLeft', 'noseSneerRight', 'tongueOut',
] as const);

export type ArkitBlendshape = (typeof ARKIT_BLENDSHAPES)[number];

/** ICT-FaceKit spelling of an Apple name: eyeBlinkLeft -> eyeBlink_L. */
export function ictName(name: string): string {
  if (/^(jaw|mouth)(Left|Right)$/.test(name)) return name; // directions, not sides
  return name.replace(/Left$/, '_L').replace(/Right$/, '_R');
}

/** Apple spelling of either spelling: eyeBlink_L -> eyeBlinkLeft. */
export function appleName(name: string): string {
  return name.replace(/_L$/, 'Left').replace(/_R$/, 'Right');
}

/** ARKit names in the ICT spelling, Apple's order: the default model's expression names. */
export const ARKIT_ICT_NAMES: readonly string[] = Object.freeze(ARKIT_BLENDSHAPES.map(ictName));

/**
 * Index of shape `name` (either spelling) in `names`, or -1.
 */
export function findShape(names: readonly string[], name: string): number {
  const direct = names.indexOf(name);
  if (direct >= 0) return direct;
  const apple = appleName(name);
  for (let i = 0; i < names.length; i++) if (appleName(names[i] as string) === apple) return i;
  return -1;
}

/** Like findShape but throws UNKNOWN_NAME listing a few valid names. */
export function requireShape(names: readonly string[], name: string, modelName = 'the model'): number {
  const index = findShape(names, name);
  if (index < 0) {
    const known = ARKIT_BLENDSHAPES.includes(appleName(name) as ArkitBlendshape);
    throw new FlameError(
      'UNKNOWN_NAME',
      known
        ? `blendshape "${name}" is an ARKit name but ${modelName} does not have it (it has ${names.length} shapes${names.length ? `: ${names.slice(0, 6).join(', ')}...` : ''})`
        : `blendshape "${name}" is not an ARKit name and not in ${modelName}; valid ARKit names include ${ARKIT_BLENDSHAPES.slice(0, 6).join(', ')}...`,
    );
  }
  return index;
}
