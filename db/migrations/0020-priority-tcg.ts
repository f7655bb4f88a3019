/**
 * Priorities as the TT&CG sets them: besides the owner responsible for the delivery plan (owner_person_id) and
 * the marking (an operation name can be OFFICIAL-SENSITIVE), the TT&CG objective a priority serves and the date
 * the TT&CG reviews it.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `alter table priorities
         add column objective text check (objective is null or length(objective) between 1 and 500),
         add column review_on date`,
    )
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`alter table priorities drop column objective, drop column review_on`).execute(db);
}
