/**
 * GET /api/demo-head: the default head model as GLB (52 ARKit morph targets, five-joint skin, meshopt), built
 * with @seif/flame on the first request and cached in memory and on disk (lib/demo-head.ts).
 */
import { createHash } from 'node:crypto';
import { demoHeadGlb } from '../../../lib/demo-head';

export const runtime = 'nodejs';
// Built on request, not at `next build`: the build must not depend on the asset mirror.
export const dynamic = 'force-dynamic';

let etag: { bytes: Uint8Array; value: string } | undefined;

export async function GET(request: Request): Promise<Response> {
  let bytes: Uint8Array;
  try {
    bytes = await demoHeadGlb();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return Response.json({ error: 'DEMO_HEAD_UNAVAILABLE', message: `could not build the demo head: ${message}` }, { status: 503 });
  }
  if (etag?.bytes !== bytes) etag = { bytes, value: `"${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}"` };
  const headers = { 'cache-control': 'public, max-age=3600', etag: etag.value };
  if (request.headers.get('if-none-match') === etag.value) return new Response(null, { status: 304, headers });
  return new Response(bytes.slice().buffer, {
    headers: { ...headers, 'content-type': 'model/gltf-binary', 'content-length': String(bytes.byteLength) },
  });
}
