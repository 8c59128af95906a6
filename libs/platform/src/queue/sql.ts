/**
 * Every SQL statement the queue runs itself, as pure functions returning query text (pg-boss runs the rest from
 * its own plans). The schema name is checked once by the attorney before it reaches these strings.
 *
 * Job states follow pg-boss 10's ordered enum: created < retry < active < completed < cancelled < failed, so
 * `state < 'active'` means "waiting to be fetched" in both pg-boss's fetch and here.
 */

/** Name of the queue holding a job, for `cancel(jobId)` without the caller repeating the queue name. */
export function findJobQueue(schema: string): string {
  return `SELECT name FROM ${schema}.job WHERE id = $1::uuid LIMIT 1`;
}

/**
 * How many waiting jobs will be fetched before this one, in pg-boss's fetch order
 * (`ORDER BY priority desc, created_on, id`, src/plans.ts `fetchNextJob`). NULL when the job is not waiting.
 */
export function queuePosition(schema: string): string {
  return `
    SELECT (
      SELECT count(*)::int FROM ${schema}.job other
      WHERE other.name = me.name
        AND other.state < 'active'
        AND (other.priority > me.priority
          OR (other.priority = me.priority AND (other.created_on, other.id) < (me.created_on, me.id)))
    ) AS ahead
    FROM ${schema}.job me
    WHERE me.name = $1 AND me.id = $2::uuid AND me.state < 'active'`;
}

/**
 * Fails an active job for good: no retry and no dead letter. Used when the payload does not match the queue's
 * schema, which no retry can fix and which a dead-letter consumer could not read either.
 */
export function failPermanently(schema: string): string {
  return `
    UPDATE ${schema}.job
    SET state = 'failed', completed_on = now(), output = $3::jsonb
    WHERE name = $1 AND id = $2::uuid AND state = 'active'
    RETURNING id`;
}

/**
 * Hands an active job back to the queue at once without spending a retry (graceful shutdown that could not
 * finish the job): `started_on = NULL` is what keeps pg-boss's fetch from counting the next start as a retry.
 */
export function releaseJob(schema: string): string {
  return `
    UPDATE ${schema}.job
    SET state = 'retry', started_on = NULL, start_after = now()
    WHERE name = $1 AND id = $2::uuid AND state = 'active'
    RETURNING id`;
}
