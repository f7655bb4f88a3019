/**
 * Apologies: a person not present may have sent apologies, with what they said ("On a course"). Recorded on the
 * attendance row (not present, with `apology`); not present without one is absent.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `alter table attendance
         add column apology text check (apology is null or (not present and length(apology) <= 500))`,
    )
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`alter table attendance drop column apology`).execute(db);
}
