// Public API of @seif/core. Stages are added here as they land.
export * from './pipeline/stage.js';
export { DEVICES, type Device, type ExecutionProviderChoice, type ExecutionProviderOptions, executionProviders, isCudaAvailable } from './runtime/device.js';
export { DEFAULT_INTRA_OP_THREADS, OnnxSession, type SessionOptions } from './runtime/session.js';
export { MODEL_ASSETS, type ModelName, disposeModels, loadModel, loadedModels, resolveAsset } from './runtime/registry.js';
export * from './image/image.js';
export { laplacianVariance } from './image/quality.js';
export * from './stages/decode.js';
export * from './stages/detect.js';
export { type AnchorOptions, type RawDetection, decodeDetections, iou, ssdAnchors, weightedNms } from './stages/ssd.js';
export * from './stages/landmarks.js';
export * from './stages/segment.js';
export * from './stages/normalise.js';
export * from './render/camera.js';
export * from './render/mesh.js';
export * from './render/obj.js';
export * from './render/rasterizer.js';
