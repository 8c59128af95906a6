/**
 * Object storage layout. Everything of a subject lives under one prefix, so deleting a subject deletes its
 * files with one prefix deletion:
 *   tenants/<tenant>/subjects/<subject>/photos/<photo>.<ext>
 *   tenants/<tenant>/subjects/<subject>/reconstructions/<reconstruction>/<file>
 *   tenants/<tenant>/subjects/<subject>/reconstructions/<reconstruction>/animations/<animation>/<file>
 */
export function subjectPrefix(tenantId: string, subjectId: string): string {
  return `tenants/${tenantId}/subjects/${subjectId}/`;
}

export function photoKey(tenantId: string, subjectId: string, photoId: string, extension: string): string {
  return `${subjectPrefix(tenantId, subjectId)}photos/${photoId}.${extension}`;
}

export function reconstructionKey(tenantId: string, subjectId: string, reconstructionId: string, file: string): string {
  return `${subjectPrefix(tenantId, subjectId)}reconstructions/${reconstructionId}/${file}`;
}
