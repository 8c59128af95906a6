/**
 * Public API. The closest-point BVH moved to @seif/flame (libs/flame/src/geometry/bvh.ts) so that @seif/core's
 * semantic field shares it without a dependency cycle (@seif/eval depends on @seif/core); re-exported here so
 * existing imports keep working.
 */
export { type ClosestHit, TriangleBvh, closestPointOnTriangle } from '@seif/flame/geometry/bvh';
