/**
 * Public API. Reconstruction modes by name. `mean-template` works from assets alone; `flame` fits FLAME to the
 * landmarks the production front end detects; `seif` (the implicit surface with hair) is a placeholder until
 * the SeIF networks ship: it throws MODE_NOT_AVAILABLE. To plug one in, implement
 * `ReconstructionMode` (see `modes/pipeline-adapter.ts` for the expected pipeline contract) and call
 * `registerMode('seif', mode)` (or replace the entry below).
 */
import { EvalError } from '../errors.js';
import { flameMode } from './flame.js';
import { meanTemplateMode } from './mean-template.js';
import type { ReconstructionMode } from './types.js';

function notYet(name: string, what: string): ReconstructionMode {
  return {
    description: `${what} (not available yet)`,
    async create() {
      throw new EvalError('MODE_NOT_AVAILABLE', `mode '${name}' not available yet: ${what} has not landed. Use --mode mean-template, or register the mode (libs/eval/src/modes/registry.ts).`);
    },
  };
}

const MODES = new Map<string, ReconstructionMode>([
  ['mean-template', meanTemplateMode],
  ['flame', flameMode],
  ['seif', notYet('seif', 'the SeIF pipeline function of libs/seif-core')],
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
