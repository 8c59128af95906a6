/** The progress module's SQL text (everything else goes through Prisma). */

/** Publishes inside the caller's transaction: PostgreSQL delivers it only if and when the transaction commits. */
export function notify(): string {
  return 'SELECT pg_notify($1, $2)';
}

/** Identifiers cannot be parameters; the channel is a constant checked against this pattern first. */
export function listen(channel: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`Invalid NOTIFY channel "${channel}"`);
  return `LISTEN ${channel}`;
}

export function backendPid(): string {
  return 'SELECT pg_backend_pid() AS pid';
}
