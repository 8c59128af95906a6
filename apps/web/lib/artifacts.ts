/**
 * Artefact links. The API signs download URLs on its own origin (`/downloads/<id>?expires&signature`) without
 * CORS headers and possibly on a loopback address, so the browser fetches them through this app's
 * `/api/artifacts` route, which only forwards URLs on the API's origin (no open proxy). Pure helpers.
 */
export const ARTIFACT_EXTENSION: Record<string, string> = {
  GLB: 'glb',
  OBJ: 'obj',
  MTL: 'mtl',
  PLY: 'ply',
  STL: 'stl',
  TEXTURE: 'png',
  THUMBNAIL: 'png',
  PARAMS: 'json',
};

export const ARTIFACT_LABEL: Record<string, string> = {
  GLB: 'GLB (animatable)',
  OBJ: 'OBJ',
  MTL: 'MTL (OBJ material)',
  PLY: 'PLY',
  STL: 'STL (3D printing)',
  TEXTURE: 'Texture',
  THUMBNAIL: 'Thumbnail',
  PARAMS: 'FLAME parameters',
};

/** A file name for the download: `<subject>-<kind>.<ext>`, limited to safe characters. */
export function artifactFileName(subjectName: string, kind: string): string {
  const base = subjectName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'head';
  return `${base}-${kind.toLowerCase()}.${ARTIFACT_EXTENSION[kind] ?? 'bin'}`;
}

/** The same-origin link for a signed artefact URL; `download` adds a Content-Disposition attachment name. */
export function artifactHref(signedUrl: string, download?: string): string {
  const params = new URLSearchParams({ u: signedUrl });
  if (download) params.set('name', download);
  return `/api/artifacts?${params}`;
}

/** Whether `candidate` is a download on the API's own origin (the only URLs the proxy forwards). */
export function isApiDownload(candidate: string, api: string): boolean {
  try {
    const url = new URL(candidate);
    return url.origin === new URL(api).origin && url.pathname.startsWith('/downloads/');
  } catch {
    return false;
  }
}
