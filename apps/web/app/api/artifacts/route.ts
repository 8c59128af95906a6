import { apiUrl } from '../../../lib/api';
import { isApiDownload } from '../../../lib/artifacts';
import { readKey } from '../../../lib/session';

/**
 * Streams a signed artefact download from the API to the browser (same origin, so the viewer's GLTFLoader and
 * download links work without CORS). Only the API's own /downloads/ URLs are forwarded, and only for a signed-in
 * visitor; the URL's signature is what authorises the file.
 */
export async function GET(request: Request): Promise<Response> {
  if (!(await readKey())) return new Response('Sign in first', { status: 401 });
  const params = new URL(request.url).searchParams;
  const target = params.get('u') ?? '';
  // The API signs links on API_PUBLIC_URL when set (behind a proxy), else on its own address (SEIF_API_URL's origin).
  const origins = [apiUrl(), process.env.API_PUBLIC_URL].filter((o): o is string => Boolean(o));
  if (!origins.some((origin) => isApiDownload(target, origin))) return new Response('Not an API download', { status: 400 });
  const upstream = await fetch(target, { cache: 'no-store' }).catch(() => null);
  if (!upstream) return new Response('API unreachable', { status: 502 });
  if (!upstream.ok || !upstream.body) return new Response(upstream.status === 410 ? 'Link expired: reload the page' : 'Download failed', { status: upstream.status });
  const headers = new Headers({ 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream', 'cache-control': 'private, max-age=600' });
  const length = upstream.headers.get('content-length');
  if (length) headers.set('content-length', length);
  const name = params.get('name');
  if (name && /^[A-Za-z0-9._-]{1,100}$/.test(name)) headers.set('content-disposition', `attachment; filename="${name}"`);
  return new Response(upstream.body, { status: 200, headers });
}
