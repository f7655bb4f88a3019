/** Who may hold a record of a unit: an internal member (any role but partner). */
import type { Transaction } from 'kysely';
import type { Database } from '../../db/database.js';
import { ValidationError } from '../errors.js';

/** Throws a field error unless `personId` is a member of the unit with an internal role; `holds` says what for. */
export async function assertInternalMember(
  trx: Transaction<Database>,
  unitId: number,
  personId: number,
  field: string,
  holds: string,
): Promise<void> {
  const roles = await trx
    .selectFrom('memberships')
    .select('role')
    .where('unit_id', '=', unitId)
    .where('person_id', '=', personId)
    .execute();
  if (roles.length === 0)
    throw ValidationError.field(field, `person ${personId} is not a member of this unit`);
  if (roles.every((r) => r.role === 'partner'))
    throw ValidationError.field(field, `person ${personId} is a partner (read-only) and cannot ${holds}`);
}
