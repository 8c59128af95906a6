// Public API of @seif/flame. Modules are added here as they land.
export { FLAME_ERROR_CODES, FlameError, type FlameErrorCode } from './errors.js';
// Readers: .npy/.npz, Python pickles (numpy, scipy.sparse, chumpy), official FLAME files.
export { type NdArray, type NumericArray, isNdArray, toFloat32, toFloat64, toUint32 } from './io/ndarray.js';
export { npyItem, npzGet, parseNpy, parseNpz } from './io/npy.js';
export { PickledObject, type SparseMatrix, isSparseMatrix, sparseToDense, unpickle } from './io/pickle.js';
export { loadFlameOfficial, loadFlameOfficialFromEnv, parseFlameOfficial } from './io/flame-official.js';
// The head model, its file format and the forward model.
export {
  type Blendshapes, type DynamicContour, FLAME_JOINT_NAMES, FLAME_JOINT_PARENTS, type HeadModel, type LandmarkEmbedding,
  ROTATION_CONVENTION, expressionShape, validateHeadModel,
} from './model/head-model.js';
export { HEAD_MODEL_FORMAT_VERSION, decodeHeadModel, encodeHeadModel, readHeadModelFile, writeHeadModelFile } from './model/model-file.js';
export { type FlameParams, HeadEvaluator, checkParams, evaluate, evaluatorFor, sampleLandmarks } from './model/evaluate.js';
export { axisAngleFromMatrix, rodrigues } from './model/rotation.js';
// The default open model (flame2023-open-arkit).
export {
  DEFAULT_MODEL_ATTRIBUTION, DEFAULT_MODEL_BUILDER_VERSION, DEFAULT_MODEL_NAME, buildDefaultHeadModel, defaultModelPath, loadDefaultHeadModel, modelCacheDir,
} from './build/default-model.js';
// Fitting.
export { type LeastSquaresProblem, levenbergMarquardt } from './fit/lm.js';
export {
  type Camera, type FitGroups, type FitLandmarksInput, type FitLandmarksResult, type FitPriors, fitLandmarks, ibug68Embedding,
} from './fit/fit-landmarks.js';
// Animation.
export { appleName, findShape, ictName, requireShape } from './animation/arkit.js';
export {
  type AnimationFrame, AnimationSequence, type ArkitWeights, EYE_LOOK_RADIANS, JAW_OPEN_RADIANS, type Keyframe, PRESETS, PRESET_NAMES,
  type PresetName, flameParameterSet, preset, resolveFrame,
} from './animation/presets.js';
// Exporters (GLB, OBJ+MTL, PLY, STL) and the ICT-FaceKit expression transfer.
export * from './export/index.js';
export { ARKIT_BLENDSHAPES, ARKIT_FROM_ICT, type ArkitBlendshape } from './ict/arkit.js';
export { type ObjMesh, ObjParseError, parseObj, readObj } from './io/obj.js';
export { type JawFit, type TransferReport, type TransferResult, transferIctExpressions } from './ict/transfer.js';
