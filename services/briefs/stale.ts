/**
 * Marking stored briefs stale, in the transaction of the change that made them so: the next read builds them
 * again (and says it was updated). Kept apart from the brief service so any service may call it without an
 * import cycle.
 */
import type { Transaction } from 'kysely';
import type { Database } from '../../db/database.js';

/** The unit's stored briefs from a local date on (a change that shows in every brief from today). */
export async function markBriefsStaleFrom(
  trx: Transaction<Database>,
  unitId: number,
  localDate: string,
  now: Date,
): Promise<void> {
  await trx
    .updateTable('brief_runs')
    .set({ stale_at: now })
    .where('unit_id', '=', unitId)
    .where('local_date', '>=', localDate)
    .where('stale_at', 'is', null)
    .execute();
}
