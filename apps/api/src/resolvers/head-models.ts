/**
 * Head models results can be expressed in. Today the default open model; user-supplied official FLAME files
 * (SEIF_FLAME_MODEL) join this list when the worker reports them.
 */
import { ARKIT_BLENDSHAPES, DEFAULT_MODEL_ATTRIBUTION, DEFAULT_MODEL_BUILDER_VERSION, DEFAULT_MODEL_NAME } from '@seif/flame';

const DEFAULT_MODEL_LICENCE =
  'CC BY 4.0 (FLAME 2023 Open template, identity basis and joint regressor); MIT (SMIRK, RingNet, ICT-FaceKit data)';

export const headModelResolvers = {
  Query: {
    headModels: () => [
      {
        name: DEFAULT_MODEL_NAME,
        version: String(DEFAULT_MODEL_BUILDER_VERSION),
        licence: DEFAULT_MODEL_LICENCE,
        attribution: DEFAULT_MODEL_ATTRIBUTION.join('; '),
        expressionNames: [...ARKIT_BLENDSHAPES],
      },
    ],
  },
};
