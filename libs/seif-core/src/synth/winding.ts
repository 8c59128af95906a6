/**
 * Inside/outside of a closed triangle mesh by the generalized winding number (Jacobson et al., SIGGRAPH 2013):
 * w(p) = sum over triangles of the signed solid angle / 4 pi (Van Oosterom & Strackee 1983). For a watertight,
 * outward-oriented mesh w is 1 inside and 0 outside (2 where closed components overlap, e.g. eyeballs in their
 * sockets), so inside = w > 0.5; for small holes it degrades gracefully instead of flipping whole rays, which is
 * why it is used here rather than ray parity (the tests use ray parity as the independent check).
 * Cost: O(points x triangles); points outside the mesh's bounding box are answered without the sum.
 */

export function windingNumbers(positions: ArrayLike<number>, indices: ArrayLike<number>, points: ArrayLike<number>, out = new Float32Array(points.length / 3)): Float32Array {
  const m = indices.length / 3;
  const tri = new Float64Array(9 * m);
  let x0 = Infinity, y0 = Infinity, z0 = Infinity, x1 = -Infinity, y1 = -Infinity, z1 = -Infinity;
  for (let f = 0; f < m; f++) {
    for (let c = 0; c < 3; c++) {
      const v = indices[3 * f + c]!;
      const x = positions[3 * v]!, y = positions[3 * v + 1]!, z = positions[3 * v + 2]!;
      tri[9 * f + 3 * c] = x; tri[9 * f + 3 * c + 1] = y; tri[9 * f + 3 * c + 2] = z;
      if (x < x0) x0 = x; if (x > x1) x1 = x;
      if (y < y0) y0 = y; if (y > y1) y1 = y;
      if (z < z0) z0 = z; if (z > z1) z1 = z;
    }
  }
  const k = points.length / 3;
  for (let i = 0; i < k; i++) {
    const px = points[3 * i]!, py = points[3 * i + 1]!, pz = points[3 * i + 2]!;
    if (px < x0 || px > x1 || py < y0 || py > y1 || pz < z0 || pz > z1) { out[i] = 0; continue; }
    let sum = 0;
    for (let o = 0; o < 9 * m; o += 9) {
      const ax = tri[o]! - px, ay = tri[o + 1]! - py, az = tri[o + 2]! - pz;
      const bx = tri[o + 3]! - px, by = tri[o + 4]! - py, bz = tri[o + 5]! - pz;
      const cx = tri[o + 6]! - px, cy = tri[o + 7]! - py, cz = tri[o + 8]! - pz;
      const la = Math.sqrt(ax * ax + ay * ay + az * az);
      const lb = Math.sqrt(bx * bx + by * by + bz * bz);
      const lc = Math.sqrt(cx * cx + cy * cy + cz * cz);
      const det = ax * (by * cz - bz * cy) - ay * (bx * cz - bz * cx) + az * (bx * cy - by * cx);
      const div = la * lb * lc + (ax * bx + ay * by + az * bz) * lc + (bx * cx + by * cy + bz * cz) * la + (cx * ax + cy * ay + cz * az) * lb;
      sum += Math.atan2(det, div);
    }
    out[i] = sum / (2 * Math.PI);
  }
  return out;
}
