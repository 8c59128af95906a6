/**
 * Nothing half-written on disk: every file goes to a temp name in the same directory, then `rename` (atomic on
 * one filesystem) puts it in place. A failure removes the temp file.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID()}.tmp`);
  try {
    await writeFile(temp, data);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Writes several files, each atomically; if one fails, the ones already renamed into place are removed. */
export async function writeFilesAtomic(files: ReadonlyArray<readonly [string, Uint8Array | string]>): Promise<void> {
  const done: string[] = [];
  try {
    for (const [file, data] of files) {
      await writeFileAtomic(file, data);
      done.push(file);
    }
  } catch (error) {
    await Promise.all(done.map((file) => rm(file, { force: true })));
    throw error;
  }
}
