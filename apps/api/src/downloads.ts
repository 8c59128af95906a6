/**
 * Signed, expiring download links for stored artefacts. With S3 storage the link is the bucket's presigned URL;
 * with local storage the API serves the file at /downloads/<artifactId>?expires=<unix s>&signature=<hmac>,
 * signed with a secret every API instance shares (SEIF_SIGNING_SECRET), so any instance can serve any link.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const DOWNLOAD_TTL_SECONDS = 15 * 60;

export interface SignedLink {
  url: string;
  expiresAt: Date;
}

export class DownloadSigner {
  constructor(
    private readonly secret: string,
    private readonly publicBaseUrl: string,
  ) {}

  #signature(artifactId: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${artifactId}.${expires}`).digest('base64url');
  }

  sign(artifactId: string, now = Date.now()): SignedLink {
    const expires = Math.floor(now / 1000) + DOWNLOAD_TTL_SECONDS;
    const url = new URL(`/downloads/${artifactId}`, this.publicBaseUrl);
    url.searchParams.set('expires', String(expires));
    url.searchParams.set('signature', this.#signature(artifactId, expires));
    return { url: url.toString(), expiresAt: new Date(expires * 1000) };
  }

  /** 'ok', or why the link is refused. */
  check(artifactId: string, expires: string | undefined, signature: string | undefined, now = Date.now()): 'ok' | 'expired' | 'invalid' {
    const seconds = Number(expires);
    if (!signature || !Number.isInteger(seconds)) return 'invalid';
    const expected = Buffer.from(this.#signature(artifactId, seconds));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'invalid';
    return seconds * 1000 < now ? 'expired' : 'ok';
  }
}
