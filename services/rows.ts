/**
 * A record's row by its id, as every service reads one: an id that cannot be stored is not found (never a database
 * error), a missing row is not found under the record's own name, and a row read to be changed is locked.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import { NotFoundError } from './errors.js';
import { isStorableId } from './validation.js';

/** The tables whose rows have a numeric `id`. */
type TableWithId = {
  [T in keyof Database]: Database[T] extends { id: unknown } ? T : never;
}[keyof Database];

export async function rowById<T extends TableWithId>(
  q: Kysely<Database> | Transaction<Database>,
  table: T,
  id: number,
  /** The record's name in the not-found message, e.g. 'Action'. */
  what: string,
  options: { readonly forUpdate?: boolean } = {},
): Promise<Selectable<Database[T]>> {
  if (!isStorableId(id)) throw new NotFoundError(what, id);
  // One query for every table: the table's own typing is given back by the return type.
  const base = (q as unknown as Kysely<{ t: { id: number } }>)
    .selectFrom(table as unknown as 't')
    .selectAll()
    .where('id', '=', id);
  const row = await (options.forUpdate ? base.forUpdate() : base).executeTakeFirst();
  if (!row) throw new NotFoundError(what, id);
  return row as Selectable<Database[T]>;
}
