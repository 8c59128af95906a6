/**
 * Debian packages the project needs beyond npm, by purpose. `scripts/prepare.ts <purpose>` installs the missing
 * ones with apt-get when running as root (CI and fresh machines), or says exactly what to run otherwise.
 */
export const SYSTEM_PACKAGES: Record<'start' | 'test', readonly string[]> = {
  start: [],
  // Debian's python3 with numpy/scipy writes FLAME-format pickles for the official-file loader tests.
  // Debian's Chromium runs apps/web's browser tests (playwright-core, SwiftShader WebGL; test/e2e/harness.ts).
  // curl and jq run docs/api.md's examples (e2e/test/api-docs.test.ts).
  // Debian's python3-torch (CPU) runs the SeIF network smoke training + ONNX export + parity (models/training);
  // python3-onnx reads shipped graphs back into a checkpoint (models/training/import_onnx.py).
  test: ['python3-numpy', 'python3-scipy', 'chromium', 'python3-torch', 'python3-onnx', 'curl', 'jq'],
};
