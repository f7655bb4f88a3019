/**
 * The intelligence requirements register: the questions the DMM needs answered (each serving a priority, with an
 * owner, an expiry and a marking), drafted by anyone of the unit, approved by the chair (then communicated to the
 * unit's channels), answered by analysts and members, and closed when answered or no longer needed. Answers are
 * added, never changed (append-only).
 */
import { type Kysely, sql } from 'kysely';

const up_ = [
  `create table intelligence_requirements (
     id integer generated always as identity primary key,
     unit_id integer not null references units(id),
     question text not null check (length(question) between 1 and 1000),
     priority_id integer references priorities(id),
     owner_person_id integer references people(id),
     expires_on date,
     marking text not null default 'OFFICIAL' check (marking in ('OFFICIAL', 'OFFICIAL-SENSITIVE')),
     status text not null default 'draft' check (status in ('draft', 'approved', 'closed')),
     created_by_person_id integer references people(id),
     created_by_label text not null,
     created_at timestamptz not null,
     approved_by_label text,
     approved_at timestamptz,
     closed_by_label text,
     closed_at timestamptz,
     close_note text check (close_note is null or length(close_note) <= 2000),
     version integer not null default 1,
     check ((approved_at is null) = (approved_by_label is null)),
     check (status = 'draft' or approved_at is not null or closed_at is not null),
     check ((status = 'closed') = (closed_at is not null))
   )`,
  `create index intelligence_requirements_unit_idx on intelligence_requirements (unit_id, status, id)`,
  `create table intelligence_answers (
     id integer generated always as identity primary key,
     requirement_id integer not null references intelligence_requirements(id),
     answer text not null check (length(answer) between 1 and 4000),
     marking text not null default 'OFFICIAL' check (marking in ('OFFICIAL', 'OFFICIAL-SENSITIVE')),
     by_person_id integer references people(id),
     by_label text not null,
     meeting_id integer references meetings(id),
     at timestamptz not null
   )`,
  `create index intelligence_answers_requirement_idx on intelligence_answers (requirement_id, id)`,
  `create function intelligence_answers_append_only() returns trigger language plpgsql as $fn$
   begin
     raise exception 'intelligence_answers is append-only (% refused)', tg_op using errcode = '42501';
   end;
   $fn$`,
  `create trigger intelligence_answers_append_only before update or delete on intelligence_answers
     for each row execute function intelligence_answers_append_only()`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of up_) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const statement of [
    `drop table intelligence_answers`,
    `drop function intelligence_answers_append_only()`,
    `drop table intelligence_requirements`,
  ])
    await sql.raw(statement).execute(db);
}
