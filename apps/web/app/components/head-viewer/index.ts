export { HeadViewer, type HeadViewerProps } from './head-viewer';
export { REGIONS, type Region, groupByRegion, regionOf, shortLabel } from './regions';
export { VIEWER_PRESETS, type ViewerPreset } from './presets';
export { CLIP_DURATION, EXPRESSION_CLIP, sampleClip } from './clip';
