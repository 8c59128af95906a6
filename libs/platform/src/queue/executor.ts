/**
 * Lets the API enqueue a job inside its own database transaction, so a Reconstruction row and its job are
 * created together or not at all. pg-boss accepts any `{ executeSql(text, values) }` as `db` on send().
 */

/** What pg-boss needs to run its INSERT on someone else's connection (pg-boss `Db`). */
export interface TransactionExecutor {
  executeSql(text: string, values: unknown[]): Promise<{ rows: any[] }>;
}

/** The part of a Prisma interactive-transaction client used here (structural, so Prisma is not loaded). */
export interface PrismaRawClient {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

/**
 * Adapts `prisma.$transaction(async (tx) => ...)`'s `tx` for `enqueue(..., { db })`.
 *
 * Value mapping, because pg-boss hands node-postgres-style values: `undefined` becomes NULL (Prisma rejects
 * undefined parameters) and plain objects are sent as JSON text (pg-boss casts the payload with `$3::jsonb`).
 */
export function prismaTransactionExecutor(tx: PrismaRawClient): TransactionExecutor {
  if (!tx || typeof tx.$queryRawUnsafe !== 'function') {
    throw new TypeError('prismaTransactionExecutor needs the client that prisma.$transaction(async (tx) => ...) passes to its callback');
  }
  return {
    async executeSql(text, values = []) {
      const mapped = values.map((value) => {
        if (value === undefined) return null;
        if (value !== null && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value)) return JSON.stringify(value);
        return value;
      });
      const rows = await tx.$queryRawUnsafe<unknown[]>(text, ...mapped);
      return { rows: Array.isArray(rows) ? rows : [] };
    },
  };
}
