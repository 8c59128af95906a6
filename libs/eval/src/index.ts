// Public API of @seif/eval: the accuracy evaluator (../shared/eval/README.md protocol) with pluggable reconstruction.
export * from './errors.js';
export * from './set.js';
export * from './transform.js';
export * from './bvh.js';
export * from './metric.js';
export * from './align.js';
export * from './render-case.js';
export * from './evaluate.js';
export * from './report.js';
export * from './modes/types.js';
export { getMode, modeNames, registerMode } from './modes/registry.js';
export { embedLandmarks, loadMeanTemplate, meanTemplateMode, readStaticEmbedding } from './modes/mean-template.js';
export { type PipelineFn, type PipelineHeadResult, landmarksFromFlameTopology, pipelineMode } from './modes/pipeline-adapter.js';
