/** How a person is named on a record: their display name, read in the caller's transaction. */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/database.js';
import type { Actor } from '../access/actor.js';

type Q = Kysely<Database> | Transaction<Database>;

/** A person's display name; undefined for no person (null) or one not found. */
export async function personName(q: Q, personId: number | null): Promise<string | undefined> {
  if (personId === null) return undefined;
  const person = await q
    .selectFrom('people')
    .select('display_name')
    .where('id', '=', personId)
    .executeTakeFirst();
  return person?.display_name;
}

/** The name of whoever acts: the person's display name, else the actor's label (the CLI operator, a job). */
export async function actorName(q: Q, actor: Actor): Promise<string> {
  return (await personName(q, actor.personId)) ?? actor.label;
}
