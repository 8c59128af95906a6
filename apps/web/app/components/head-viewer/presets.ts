/**
 * The viewer's expression presets: ARKit weights, "left" being the subject's left as in ARKit.
 *
 * A copy of part of @seif/flame's PRESETS (libs/flame/src/animation/presets.ts). Importing that module into the
 * client bundle does not work: its relative imports end in `.js`, which Turbopack does not resolve to `.ts`
 * (see lib/demo-head.ts). test/presets.test.ts fails when this table and the library's drift apart.
 */
export type ArkitWeights = Readonly<Record<string, number>>;

export interface ViewerPreset {
  id: string;
  label: string;
  weights: ArkitWeights;
}

export const VIEWER_PRESETS: readonly ViewerPreset[] = Object.freeze<ViewerPreset[]>([
  { id: 'smile', label: 'Smile', weights: { mouthSmileLeft: 0.9, mouthSmileRight: 0.9, cheekSquintLeft: 0.4, cheekSquintRight: 0.4, eyeSquintLeft: 0.2, eyeSquintRight: 0.2 } },
  { id: 'surprise', label: 'Surprise', weights: { browInnerUp: 0.9, browOuterUpLeft: 0.8, browOuterUpRight: 0.8, eyeWideLeft: 0.7, eyeWideRight: 0.7, jawOpen: 0.5 } },
  { id: 'blink', label: 'Blink', weights: { eyeBlinkLeft: 1, eyeBlinkRight: 1 } },
  { id: 'winkLeft', label: 'Wink left', weights: { eyeBlinkLeft: 1, cheekSquintLeft: 0.3 } },
  { id: 'winkRight', label: 'Wink right', weights: { eyeBlinkRight: 1, cheekSquintRight: 0.3 } },
  { id: 'jawOpen', label: 'Jaw open', weights: { jawOpen: 1 } },
  { id: 'lookLeft', label: 'Look left', weights: { eyeLookOutLeft: 1, eyeLookInRight: 1 } },
  { id: 'lookRight', label: 'Look right', weights: { eyeLookInLeft: 1, eyeLookOutRight: 1 } },
]);
