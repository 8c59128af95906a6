/**
 * Public API. Reconstruction modes by name. `mean-template` works from assets alone; `flame` fits FLAME to the
 * landmarks the production front end detects; `seif` runs the whole pipeline in SeIF mode and scores the
 * uniformized head (MODE_NOT_AVAILABLE without weights), `seif-surface` its implicit surface itself. Other modes implement `ReconstructionMode` (see
 * `modes/pipeline-adapter.ts` for the pipeline contract) and `registerMode(name, mode)`.
 */
import { EvalError } from '../errors.js';
import { flameMode } from './flame.js';
import { meanTemplateMode } from './mean-template.js';
import { seifMode, seifSurfaceMode } from './seif.js';
import type { ReconstructionMode } from './types.js';

const MODES = new Map<string, ReconstructionMode>([
  ['mean-template', meanTemplateMode],
  ['flame', flameMode],
  ['seif', seifMode],
  ['seif-surface', seifSurfaceMode],
]);

export function modeNames(): string[] {
  return [...MODES.keys()];
}

export function registerMode(name: string, mode: ReconstructionMode): void {
  MODES.set(name, mode);
}

export function getMode(name: string): ReconstructionMode {
  const mode = MODES.get(name);
  if (!mode) throw new EvalError('UNKNOWN_MODE', `unknown mode '${name}'; valid modes: ${modeNames().join(', ')}`);
  return mode;
}
