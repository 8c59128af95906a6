/**
 * ARKit blendshape names grouped by face region for the viewer's sliders. The grouping is derived from the
 * name's prefix (ARKit names start with their region: browInnerUp, eyeBlinkLeft, cheekPuff, noseSneerLeft,
 * jawOpen, mouthSmileLeft), so any morph set with ARKit names groups itself; other names go to "other".
 * ICT spellings (eyeBlink_L) group the same way.
 */
export const REGIONS = Object.freeze(['brows', 'eyes', 'cheeks', 'nose', 'jaw', 'mouth', 'other'] as const);
export type Region = (typeof REGIONS)[number];

export const REGION_LABELS: Readonly<Record<Region, string>> = Object.freeze({
  brows: 'Brows', eyes: 'Eyes', cheeks: 'Cheeks', nose: 'Nose', jaw: 'Jaw', mouth: 'Mouth', other: 'Other',
});

const PREFIXES: readonly [string, Region][] = [
  ['brow', 'brows'], ['eye', 'eyes'], ['cheek', 'cheeks'], ['nose', 'nose'], ['jaw', 'jaw'], ['mouth', 'mouth'], ['tongue', 'mouth'],
];

export function regionOf(name: string): Region {
  const lower = name.toLowerCase();
  return PREFIXES.find(([prefix]) => lower.startsWith(prefix))?.[1] ?? 'other';
}

export interface RegionGroup {
  region: Region;
  label: string;
  names: string[];
}

/** Groups in REGIONS order, names in their original (model) order; empty regions are left out. */
export function groupByRegion(names: readonly string[]): RegionGroup[] {
  return REGIONS.map((region) => ({ region, label: REGION_LABELS[region], names: names.filter((name) => regionOf(name) === region) })).filter(
    (group) => group.names.length > 0,
  );
}

/** "mouthSmileLeft" -> "Smile left" within the mouth group: the region prefix is the group's legend already. */
export function shortLabel(name: string): string {
  const region = PREFIXES.find(([prefix]) => name.toLowerCase().startsWith(prefix));
  const rest = region && name.length > region[0].length ? name.slice(region[0].length) : name;
  const words = rest.replace(/_/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').trim().toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
