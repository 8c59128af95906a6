/**
 * Public API. ARKit's 52 blendshape names (Apple ARFaceAnchor.BlendShapeLocation, documentation order) and how
 * each is made from ICT-FaceKit Light's 53 shapes. ICT names sides `_L`/`_R` for the subject's left/right, as
 * ARKit's `Left`/`Right` do (checked: ICT eyeBlink_L moves the +x eyelid, FLAME's left eyeball is at +x).
 */
import type { IctExpression } from './assets.js';

export const ARKIT_BLENDSHAPES = Object.freeze([
  'eyeBlinkLeft', 'eyeLookDownLeft', 'eyeLookInLeft', 'eyeLookOutLeft', 'eyeLookUpLeft', 'eyeSquintLeft', 'eyeWideLeft',
  'eyeBlinkRight', 'eyeLookDownRight', 'eyeLookInRight', 'eyeLookOutRight', 'eyeLookUpRight', 'eyeSquintRight', 'eyeWideRight',
  'jawForward', 'jawLeft', 'jawRight', 'jawOpen', 'mouthClose', 'mouthFunnel', 'mouthPucker', 'mouthLeft', 'mouthRight',
  'mouthSmileLeft', 'mouthSmileRight', 'mouthFrownLeft', 'mouthFrownRight', 'mouthDimpleLeft', 'mouthDimpleRight',
  'mouthStretchLeft', 'mouthStretchRight', 'mouthRollLower', 'mouthRollUpper', 'mouthShrugLower', 'mouthShrugUpper',
  'mouthPressLeft', 'mouthPressRight', 'mouthLowerDownLeft', 'mouthLowerDownRight', 'mouthUpperUpLeft', 'mouthUpperUpRight',
  'browDownLeft', 'browDownRight', 'browInnerUp', 'browOuterUpLeft', 'browOuterUpRight', 'cheekPuff', 'cheekSquintLeft',
  'cheekSquintRight', 'noseSneerLeft', 'noseSneerRight', 'tongueOut',
] as const);
export type ArkitBlendshape = (typeof ARKIT_BLENDSHAPES)[number];

export interface ArkitSource {
  /** ICT shapes summed to make the ARKit shape (empty: no ICT source). */
  ict: IctExpression[];
  /** How a shape without a single ICT source is filled. */
  note?: string;
}

function fromIct(name: ArkitBlendshape): IctExpression[] {
  // jawLeft/jawRight and mouthLeft/mouthRight are directions, not sides.
  if (/^(jaw|mouth)(Left|Right)$/.test(name)) return [name as IctExpression];
  const side = name.endsWith('Left') ? '_L' : name.endsWith('Right') ? '_R' : '';
  const base = side ? name.slice(0, name.length - (side === '_L' ? 4 : 5)) : name;
  return [`${base}${side}` as IctExpression];
}

/** ARKit name -> ICT sources. */
export const ARKIT_FROM_ICT: Readonly<Record<ArkitBlendshape, ArkitSource>> = Object.freeze(
  Object.fromEntries(
    ARKIT_BLENDSHAPES.map((name): [ArkitBlendshape, ArkitSource] => {
      switch (name) {
        case 'browInnerUp':
          return [name, { ict: ['browInnerUp_L', 'browInnerUp_R'], note: 'ICT splits it by side; the sum is ARKit\'s single shape' }];
        case 'cheekPuff':
          return [name, { ict: ['cheekPuff_L', 'cheekPuff_R'], note: 'ICT splits it by side; the sum is ARKit\'s single shape' }];
        case 'tongueOut':
          return [name, { ict: [], note: 'missing: ICT has no tongue shape and FLAME no tongue; filled with zero deltas' }];
        default:
          return [name, { ict: fromIct(name) }];
      }
    }),
  ) as Record<ArkitBlendshape, ArkitSource>,
);
