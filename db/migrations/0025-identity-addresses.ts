/**
 * The platform's own address of a person where it differs from the id they are linked by: in Teams the user's
 * MRI (`29:…`), which a card's per-user refresh names (Universal Actions `refresh.userIds`), while people are
 * linked by their Entra object id. Learnt from the person's own activities; null until then.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table identities add column address text check (address is null or length(address) <= 500)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table identities drop column address`.execute(db);
}
