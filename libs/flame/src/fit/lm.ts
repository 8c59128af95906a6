/**
 * Public API. A small dense Levenberg-Marquardt solver (Marquardt's diagonal scaling, box constraints by
 * projection) for problems of up to a few hundred parameters. The problem writes residuals and, on request,
 * the row-major Jacobian into buffers the solver owns, so iterations do not allocate.
 */

export interface LeastSquaresProblem {
  readonly parameterCount: number;
  readonly residualCount: number;
  /**
   * Residuals at x, and the Jacobian when `jacobian` is given, stored column-major (parameterCount columns of
   * residualCount values: column i is d(residuals)/d(x_i)), so J^T J is dot products of contiguous columns.
   * Columns of parameters whose bounds are equal (frozen) may be left zero.
   */
  evaluate(x: Float64Array, residuals: Float64Array, jacobian: Float64Array | null): void;
  /** Called at the start of each iteration (e.g. to refresh robust IRLS weights and the dynamic contour). */
  beginIteration?(x: Float64Array): void;
  readonly lower?: Float64Array;
  readonly upper?: Float64Array;
}

export interface LmOptions {
  maxIterations?: number;
  /** Stop when the relative cost decrease of an accepted step falls below this. */
  tolerance?: number;
  initialDamping?: number;
}

export interface LmResult {
  x: Float64Array;
  cost: number;
  initialCost: number;
  iterations: number;
  evaluations: number;
}

/** In-place Cholesky solve of the SPD system A x = b (A n x n row-major, overwritten). Returns false if not SPD. */
export function choleskySolve(a: Float64Array, b: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!;
    for (let k = 0; k < j; k++) d -= a[j * n + k]! ** 2;
    if (!(d > 0)) return false;
    d = Math.sqrt(d);
    a[j * n + j] = d;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= a[i * n + k]! * a[j * n + k]!;
      a[i * n + j] = s / d;
    }
  }
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= a[i * n + k]! * b[k]!;
    b[i] = s / a[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= a[k * n + i]! * b[k]!;
    b[i] = s / a[i * n + i]!;
  }
  return true;
}

function sumSquares(r: Float64Array): number {
  let s = 0;
  for (let i = 0; i < r.length; i++) s += r[i]! * r[i]!;
  return s;
}

export function levenbergMarquardt(problem: LeastSquaresProblem, x0: ArrayLike<number>, options: LmOptions = {}): LmResult {
  const n = problem.parameterCount;
  const m = problem.residualCount;
  const maxIterations = options.maxIterations ?? 50;
  const tolerance = options.tolerance ?? 1e-6;
  const x = Float64Array.from(x0);
  const project = (v: Float64Array) => {
    if (problem.lower) for (let i = 0; i < n; i++) if (v[i]! < problem.lower[i]!) v[i] = problem.lower[i]!;
    if (problem.upper) for (let i = 0; i < n; i++) if (v[i]! > problem.upper[i]!) v[i] = problem.upper[i]!;
  };
  project(x);
  const r = new Float64Array(m);
  const rTrial = new Float64Array(m);
  const jac = new Float64Array(m * n);
  const jtj = new Float64Array(n * n);
  const jtr = new Float64Array(n);
  const system = new Float64Array(n * n);
  const step = new Float64Array(n);
  const trial = new Float64Array(n);
  const active = new Uint8Array(n);
  const live = new Uint8Array(n);
  let lambda = options.initialDamping ?? 1e-3;
  let evaluations = 0;
  problem.beginIteration?.(x);
  problem.evaluate(x, r, null);
  evaluations++;
  let cost = sumSquares(r);
  const initialCost = cost;
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    if (iterations > 0) {
      problem.beginIteration?.(x);
      problem.evaluate(x, r, null);
      evaluations++;
      cost = sumSquares(r);
    }
    problem.evaluate(x, r, jac);
    evaluations++;
    // J^T J (upper triangle, mirrored) and J^T r as dot products of contiguous columns.
    for (let i = 0; i < n; i++) {
      let nonzero = false;
      const base = i * m;
      for (let row = 0; row < m; row++) if (jac[base + row] !== 0) { nonzero = true; break; }
      live[i] = nonzero ? 1 : 0;
    }
    for (let i = 0; i < n; i++) {
      const bi = i * m;
      if (!live[i]) {
        jtr[i] = 0;
        for (let k = i; k < n; k++) jtj[i * n + k] = 0;
        continue;
      }
      let g = 0;
      for (let row = 0; row < m; row++) g += jac[bi + row]! * r[row]!;
      jtr[i] = g;
      for (let k = i; k < n; k++) {
        if (!live[k]) { jtj[i * n + k] = 0; continue; }
        const bk = k * m;
        let s = 0;
        for (let row = 0; row < m; row++) s += jac[bi + row]! * jac[bk + row]!;
        jtj[i * n + k] = s;
      }
    }
    for (let i = 0; i < n; i++) for (let k = 0; k < i; k++) jtj[i * n + k] = jtj[k * n + i]!;
    // Active set: a parameter on its bound whose gradient pushes it further out stays put this iteration.
    // Projecting such steps instead would make the Gauss-Newton model wrong and stall the damping.
    for (let i = 0; i < n; i++) {
      const atLower = problem.lower !== undefined && x[i]! <= problem.lower[i]! && jtr[i]! > 0;
      const atUpper = problem.upper !== undefined && x[i]! >= problem.upper[i]! && jtr[i]! < 0;
      const fixed = (problem.lower !== undefined && problem.upper !== undefined && problem.lower[i] === problem.upper[i]) || atLower || atUpper;
      active[i] = fixed ? 1 : 0;
    }
    let accepted = false;
    for (let attempt = 0; attempt < 10; attempt++) {
      system.set(jtj);
      for (let i = 0; i < n; i++) {
        system[i * n + i] = jtj[i * n + i]! * (1 + lambda) + 1e-12;
        step[i] = -jtr[i]!;
        if (active[i]) {
          for (let k = 0; k < n; k++) { system[i * n + k] = 0; system[k * n + i] = 0; }
          system[i * n + i] = 1;
          step[i] = 0;
        }
      }
      if (!choleskySolve(system, step, n)) {
        lambda *= 10;
        continue;
      }
      for (let i = 0; i < n; i++) trial[i] = x[i]! + step[i]!;
      project(trial);
      problem.evaluate(trial, rTrial, null);
      evaluations++;
      const trialCost = sumSquares(rTrial);
      if (trialCost < cost) {
        const decrease = (cost - trialCost) / Math.max(cost, 1e-300);
        x.set(trial);
        cost = trialCost;
        lambda = Math.max(lambda / 3, 1e-9);
        accepted = true;
        if (decrease < tolerance) return { x, cost, initialCost, iterations: iterations + 1, evaluations };
        break;
      }
      lambda *= 4;
    }
    if (!accepted) return { x, cost, initialCost, iterations: iterations + 1, evaluations };
  }
  return { x, cost, initialCost, iterations, evaluations };
}
