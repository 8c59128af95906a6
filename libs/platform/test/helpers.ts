/** Shared set-up for tests that need rows to point jobs and progress at. */
import { randomUUID } from 'node:crypto';
import type { Database } from '../src/db/client.js';

export interface Seeded {
  tenantId: string;
  subjectId: string;
  photoId: string;
  reconstructionId: string;
}

/** A tenant with one subject, photo and QUEUED reconstruction (not committed when `db` is a transaction). */
export async function seedReconstruction(db: Pick<Database, 'tenant' | 'subject' | 'photo' | 'reconstruction'>, tenantId?: string): Promise<Seeded> {
  const tenant = tenantId ? { id: tenantId } : await db.tenant.create({ data: { name: `t-${randomUUID().slice(0, 8)}` } });
  const subject = await db.subject.create({ data: { tenantId: tenant.id, displayName: 'S' } });
  const photo = await db.photo.create({
    data: { tenantId: tenant.id, subjectId: subject.id, storageKey: `k/${randomUUID()}`, sha256: 'a'.repeat(64), bytes: 1, width: 1, height: 1, mime: 'image/png' },
  });
  const reconstruction = await db.reconstruction.create({ data: { tenantId: tenant.id, subjectId: subject.id, photoId: photo.id } });
  return { tenantId: tenant.id, subjectId: subject.id, photoId: photo.id, reconstructionId: reconstruction.id };
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function uniqueSchema(prefix = 'pgboss_t'): string {
  return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
}
