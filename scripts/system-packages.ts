/**
 * Debian packages the project needs beyond npm, by purpose. `scripts/prepare.ts <purpose>` installs the missing
 * ones with apt-get when running as root (CI and fresh machines), or says exactly what to run otherwise.
 */
export const SYSTEM_PACKAGES: Record<'start' | 'test', readonly string[]> = {
  start: [],
  // Debian's python3 with numpy/scipy writes FLAME-format pickles for the official-file loader tests.
  test: ['python3-numpy', 'python3-scipy'],
};
