/** Image quality measures used for warnings (not errors): sharpness and exposure. */

/**
 * Variance of the 4-neighbour Laplacian of a grey image given in [0, 1], reported on the 0..255 scale that blur
 * thresholds in the literature use (Pech-Pacheco et al. 2000). Only interior pixels count.
 */
export function laplacianVariance(gray: Float32Array, width: number, height: number): number {
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const lap =
        255 * ((gray[i - 1] as number) + (gray[i + 1] as number) + (gray[i - width] as number) + (gray[i + width] as number) - 4 * (gray[i] as number));
      sum += lap;
      sumSq += lap * lap;
      n++;
    }
  }
  if (n === 0) return 0;
  const mean = sum / n;
  return sumSq / n - mean * mean;
}

/** Grey values (Rec. 601 luma, [0,1]) of an NHWC RGB tensor whose values are in [lo, hi]. */
export function tensorLuma(tensor: Float32Array, lo = 0, hi = 1): Float32Array {
  const n = tensor.length / 3;
  const out = new Float32Array(n);
  const k = 1 / (hi - lo);
  for (let i = 0; i < n; i++) {
    out[i] = (0.299 * (tensor[3 * i] as number) + 0.587 * (tensor[3 * i + 1] as number) + 0.114 * (tensor[3 * i + 2] as number) - lo) * k;
  }
  return out;
}

export function mean(values: Float32Array): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] as number;
  return values.length ? s / values.length : 0;
}
