/**
 * The silhouette bound of an orthographic photo: a point whose projection falls outside the person mask cannot be
 * part of the person, whatever the network says. The network has no such rule built in; far from its training
 * distribution (hair piled high, hands, busy backgrounds) it predicts thin sheets of occupancy beside the head,
 * which marching cubes turns into fins. Carving the occupancy with the (dilated) mask removes them.
 *
 * The mask comes from a segmentation network, whose edge can miss a few pixels of fine hair: it is dilated by
 * `radius` pixels first, so the bound only removes what is clearly off the person. Where the crop reaches past the
 * photo (the photo cut the hair or the shoulders), the mask is extended by clamping to the photo's edge: the person
 * continues straight on beyond it. That is where the fins grow most (the network never saw a crop past its render's
 * edge: zeros in every channel there), and the clamped silhouette keeps the cut-off hair without them. Only for
 * SILHOUETTE_EXTENSION pixels, though: a column of clamped mask reaching far up still holds fins in depth, and
 * the hair that far past a photo's edge is a guess anyway; beyond it the surface is capped.
 */

/** How far the mask continues past the photo's edge, pixels of the network's input (256 px: ~5 % of the crop). */
export const SILHOUETTE_EXTENSION = 12;

/** Default dilation, pixels of the network input (256 px: ~4 % of the crop, about 1 cm of head; 5 px cut real curls on a held-out render, eval:synth head 5: IoU 0.618 uncarved, 0.584 at 5 px, 0.600 at 10 px). */
export const SILHOUETTE_DILATION = 10;

/**
 * 1 where occupancy is allowed: the mask (>= 128; size x size, row 0 at the top, the crop's v axis, clamped to the
 * photo's edge beyond it) dilated by `radius` pixels (a square window).
 */
export function silhouetteBound(mask: Uint8Array, size: number, radius = SILHOUETTE_DILATION): Uint8Array {
  if (mask.length !== size * size) throw new RangeError(`silhouetteBound: mask must hold ${size} x ${size} values, got ${mask.length}`);
  // Separable max filter: rows, then columns.
  const rows = new Uint8Array(size * size);
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      if (mask[v * size + u]! < 128) continue;
      const a = Math.max(0, u - radius), b = Math.min(size - 1, u + radius);
      rows.fill(1, v * size + a, v * size + b + 1);
    }
  }
  const out = new Uint8Array(size * size);
  for (let u = 0; u < size; u++) {
    for (let v = 0; v < size; v++) {
      if (!rows[v * size + u]) continue;
      const a = Math.max(0, v - radius), b = Math.min(size - 1, v + radius);
      for (let w = a; w <= b; w++) out[w * size + u] = 1;
    }
  }
  return out;
}

/**
 * Sets the occupancy of points (SeIF frame, n x 3) that project onto a 0 of `bound` (size x size over the crop
 * [-0.5, 0.5]^2: column (X + 0.5) * size, row (0.5 - Y) * size) to 0. Returns how many non-zero values it zeroed.
 */
export function carveOutsideSilhouette(occupancy: Float32Array, points: Float32Array, bound: Uint8Array, size: number): number {
  let carved = 0;
  for (let i = 0; i < occupancy.length; i++) {
    const u = Math.floor((points[3 * i]! + 0.5) * size), v = Math.floor((0.5 - points[3 * i + 1]!) * size);
    // Outside the crop: the box's own faces (closeAtBox) handle it.
    if (u < 0 || v < 0 || u >= size || v >= size) continue;
    if (!bound[v * size + u] && occupancy[i] !== 0) { occupancy[i] = 0; carved++; }
  }
  return carved;
}
