/**
 * Submissions: one row per card submission (a button press or a form) that changed something, keyed by the
 * submission key the card carried. A repeat of the same key finds the row and changes nothing (a double
 * click, Slack or Teams delivering twice, a stale copy of a pressed card). Written in the transaction of the
 * change itself, so a change and its key commit or roll back together.
 */
import { type Kysely, sql } from 'kysely';

const statements: readonly string[] = [
  `
    create table submissions (
      key text primary key,
      verb text not null,
      person_id integer references people(id),
      actor_label text not null,
      entity_type text,
      entity_id integer,
      created_at timestamptz not null
    )
  `,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists submissions`.execute(db);
}
