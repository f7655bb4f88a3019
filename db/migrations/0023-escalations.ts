/**
 * The escalation register: what the DMM escalates to the TT&CG because it is beyond its resources, why, what
 * resources are asked for, to which TT&CG, and the TT&CG's answer (outcome) when it comes.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `create table escalations (
         id integer generated always as identity primary key,
         unit_id integer not null references units(id),
         meeting_id integer references meetings(id),
         action_id integer references actions(id),
         what text not null check (length(what) between 1 and 500),
         why text not null check (length(why) between 1 and 2000),
         resources text check (resources is null or length(resources) <= 2000),
         tcg text not null check (length(tcg) between 1 and 200),
         marking text not null default 'OFFICIAL' check (marking in ('OFFICIAL', 'OFFICIAL-SENSITIVE')),
         raised_by_person_id integer references people(id),
         raised_by_label text not null,
         raised_at timestamptz not null,
         outcome text check (outcome is null or length(outcome) between 1 and 2000),
         answered_by_label text,
         answered_at timestamptz,
         check ((outcome is null) = (answered_at is null))
       )`,
    )
    .execute(db);
  await sql.raw(`create index escalations_unit_idx on escalations (unit_id, id)`).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`drop table escalations`).execute(db);
}
