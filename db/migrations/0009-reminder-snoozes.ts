/**
 * Reminder snoozes: an action's owner (or manager) asks not to be reminded of it until a local date. And a run
 * may send one person several kinds of message (an owner's reminder and a chair's escalation): one per kind.
 */
import { type Kysely, sql } from 'kysely';

const statements: readonly string[] = [
  `
    create table reminder_snoozes (
      action_id integer not null references actions(id),
      person_id integer not null references people(id),
      until_date date not null,
      created_at timestamptz not null,
      primary key (action_id, person_id)
    )
  `,
  `drop index deliveries_run_person_idx`,
  `create unique index deliveries_run_person_kind_idx on deliveries (job_run_id, person_id, kind) where binding_id is null`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists deliveries_run_person_kind_idx`.execute(db);
  await sql`create unique index if not exists deliveries_run_person_idx on deliveries (job_run_id, person_id) where binding_id is null`.execute(
    db,
  );
  await sql`drop table if exists reminder_snoozes`.execute(db);
}
