/**
 * Public API of the exporters: one entry point per format plus `exportMesh`, which picks the writer from a
 * format name and throws ExportError('UNKNOWN_FORMAT') listing the valid ones.
 */
import { ExportError } from './errors.js';
import { type GlbOptions, writeGlb } from './glb.js';
import { type ObjOptions, writeObj } from './obj.js';
import { type PlyOptions, writePly } from './ply.js';
import { type StlOptions, writeStl } from './stl.js';
import { EXPORT_FORMATS, type ExportFormat, type ExportMesh } from './types.js';

export { EXPORT_ERROR_CODES, ExportError, type ExportErrorCode } from './errors.js';
export { computeInverseBindMatrices, computeVertexNormals } from './geometry.js';
export { encodeGlb, type GlbOptions, writeGlb } from './glb.js';
export { encodeObj, type ObjFiles, type ObjOptions, writeObj } from './obj.js';
export { encodePly, type PlyOptions, writePly } from './ply.js';
export { decodeStl, encodeStl, type StlOptions, type StlResult, writeStl } from './stl.js';
export * from './types.js';
export { remapAttribute, type SeamSplit, splitUvSeams } from './uv-seams.js';
export { validateExportMesh } from './validate.js';
export { edgeUseCounts, makeWatertight, meshVolume, type WatertightMesh, type WatertightOptions, type WatertightReport } from './watertight.js';

export type AnyExportOptions = GlbOptions & ObjOptions & PlyOptions & StlOptions;

/** Writes `mesh` to `file` in `format` (default: from the file extension). Returns the paths written. */
export async function exportMesh(file: string, mesh: ExportMesh, format?: string, options: AnyExportOptions = {}): Promise<string[]> {
  const chosen = (format ?? file.split('.').pop() ?? '').toLowerCase();
  if (!EXPORT_FORMATS.includes(chosen as ExportFormat)) {
    throw new ExportError('UNKNOWN_FORMAT', `unknown export format "${chosen}"; valid formats: ${EXPORT_FORMATS.join(', ')}`);
  }
  switch (chosen as ExportFormat) {
    case 'glb':
      await writeGlb(file, mesh, options);
      return [file];
    case 'obj':
      return writeObj(file, mesh, options);
    case 'ply':
      await writePly(file, mesh, options);
      return [file];
    case 'stl':
      await writeStl(file, mesh, options);
      return [file];
    default:
      throw new ExportError('UNKNOWN_FORMAT', `unknown export format "${chosen}"`);
  }
}
