/**
 * Minutes a chair signs off. Closing stores the minutes as a structured record (`minutes`, JSON) beside the
 * Markdown written from it; the chair then approves them (closed -> approved), and the approval carries the
 * audit chain's head of that moment (`approval_checkpoint`). Approved minutes are immutable: the database
 * refuses any change to an approved meeting and to its agenda, notes and attendance. A correction is an addendum
 * (`minutes_addenda`), which is append-only like the audit log.
 */
import { type Kysely, sql } from 'kysely';

const up_ = [
  `alter table meetings drop constraint meetings_status_check`,
  `alter table meetings add constraint meetings_status_check
     check (status in ('scheduled', 'open', 'closed', 'approved'))`,
  `alter table meetings
     add column minutes jsonb,
     add column approved_at timestamptz,
     add column approved_by_person_id integer references people(id),
     add column approved_by_label text,
     add column approval_checkpoint jsonb,
     add constraint meetings_approved_check check ((status = 'approved') = (approved_at is not null))`,
  `create table minutes_addenda (
     id integer generated always as identity primary key,
     meeting_id integer not null references meetings(id),
     author_person_id integer references people(id),
     author_label text not null,
     text text not null check (length(text) between 1 and 4000),
     marking text not null default 'OFFICIAL' check (marking in ('OFFICIAL', 'OFFICIAL-SENSITIVE')),
     -- What the minutes were when it was added: an addendum to approved minutes is a correction after sign-off.
     minutes_status text not null check (minutes_status in ('closed', 'approved')),
     created_at timestamptz not null default now()
   )`,
  `create index minutes_addenda_meeting_idx on minutes_addenda (meeting_id, id)`,
  // An approved meeting's row is final.
  `create function meetings_approved_final() returns trigger language plpgsql as $fn$
   begin
     raise exception 'meeting % has approved minutes: they cannot change (% refused); add an addendum', old.id, tg_op
       using errcode = '42501';
   end;
   $fn$`,
  `create trigger meetings_approved_final before update or delete on meetings
     for each row when (old.status = 'approved') execute function meetings_approved_final()`,
  // Nor can what the minutes were written from: the agenda, the notes, the attendance of an approved meeting.
  `create function meeting_parts_approved_final() returns trigger language plpgsql as $fn$
   declare
     target integer := case when tg_op = 'INSERT' then new.meeting_id else old.meeting_id end;
   begin
     if exists (select 1 from meetings where id = target and status = 'approved') then
       raise exception 'meeting % has approved minutes: its % cannot change (% refused)', target, tg_table_name, tg_op
         using errcode = '42501';
     end if;
     return case when tg_op = 'DELETE' then old else new end;
   end;
   $fn$`,
  ...['agenda_items', 'meeting_notes', 'attendance'].map(
    (t) => `create trigger ${t}_approved_final before insert or update or delete on ${t}
       for each row execute function meeting_parts_approved_final()`,
  ),
  `create function minutes_addenda_append_only() returns trigger language plpgsql as $fn$
   begin
     raise exception 'minutes_addenda is append-only (% refused)', tg_op using errcode = '42501';
   end;
   $fn$`,
  `create trigger minutes_addenda_append_only before update or delete on minutes_addenda
     for each row execute function minutes_addenda_append_only()`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of up_) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const statement of [
    `drop table minutes_addenda`,
    `drop function minutes_addenda_append_only()`,
    ...['agenda_items', 'meeting_notes', 'attendance'].map((t) => `drop trigger ${t}_approved_final on ${t}`),
    `drop function meeting_parts_approved_final()`,
    `drop trigger meetings_approved_final on meetings`,
    `drop function meetings_approved_final()`,
    `alter table meetings drop constraint meetings_approved_check,
       drop column minutes, drop column approved_at, drop column approved_by_person_id, drop column approved_by_label,
       drop column approval_checkpoint`,
    `alter table meetings drop constraint meetings_status_check`,
    `alter table meetings add constraint meetings_status_check check (status in ('scheduled', 'open', 'closed'))`,
  ])
    await sql.raw(statement).execute(db);
}
