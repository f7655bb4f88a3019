/** Which meeting a record made now belongs to: the unit's meeting of the day, while it is open. */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/database.js';

/** The id of the unit's open meeting of `localDate`, if there is one. */
export async function openMeetingId(
  q: Kysely<Database> | Transaction<Database>,
  unitId: number,
  localDate: string,
): Promise<number | null> {
  const meeting = await q
    .selectFrom('meetings')
    .select('id')
    .where('unit_id', '=', unitId)
    .where('local_date', '=', localDate)
    .where('status', '=', 'open')
    .executeTakeFirst();
  return meeting?.id ?? null;
}
