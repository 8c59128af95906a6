/**
 * Signed, expiring download links for stored artefacts and uploaded photos. The API serves the file at
 * /downloads/<artifactId>?expires=<unix s>&signature=<hmac> (photos: /downloads/photos/<photoId>?...), signed
 * with a secret every API instance shares (SEIF_SIGNING_SECRET), so any instance can serve any link. A photo's
 * signature covers a `photo/` prefix, so a link for one kind of file never opens the other kind.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const DOWNLOAD_TTL_SECONDS = 15 * 60;

/** What a link opens: an artefact row or a photo row (the id alone does not say which table). */
export type DownloadKind = 'artifact' | 'photo';

const PATH_PREFIX: Record<DownloadKind, string> = { artifact: '/downloads/', photo: '/downloads/photos/' };
const SIGNED_PREFIX: Record<DownloadKind, string> = { artifact: '', photo: 'photo/' };

export interface SignedLink {
  url: string;
  expiresAt: Date;
}

export class DownloadSigner {
  constructor(
    private readonly secret: string,
    private readonly publicBaseUrl: string,
  ) {}

  #signature(kind: DownloadKind, id: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${SIGNED_PREFIX[kind]}${id}.${expires}`).digest('base64url');
  }

  sign(id: string, now = Date.now(), kind: DownloadKind = 'artifact'): SignedLink {
    const expires = Math.floor(now / 1000) + DOWNLOAD_TTL_SECONDS;
    const url = new URL(`${PATH_PREFIX[kind]}${id}`, this.publicBaseUrl);
    url.searchParams.set('expires', String(expires));
    url.searchParams.set('signature', this.#signature(kind, id, expires));
    return { url: url.toString(), expiresAt: new Date(expires * 1000) };
  }

  /** 'ok', or why the link is refused. */
  check(id: string, expires: string | undefined, signature: string | undefined, now = Date.now(), kind: DownloadKind = 'artifact'): 'ok' | 'expired' | 'invalid' {
    const seconds = Number(expires);
    if (!signature || !Number.isInteger(seconds)) return 'invalid';
    const expected = Buffer.from(this.#signature(kind, id, seconds));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'invalid';
    return seconds * 1000 < now ? 'expired' : 'ok';
  }
}
