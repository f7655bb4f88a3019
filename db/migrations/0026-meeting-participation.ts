/**
 * Attendance from the meeting itself (a Teams meeting's participants joining and leaving): a member's attendance
 * row keeps when they first joined and when they last left (null while in the meeting, or when recorded by hand);
 * anyone who is not a linked member of the unit is kept as a guest by the name the meeting showed, under the
 * platform's own id for them (to match a leave with its join; never shown). Guests of an approved meeting are
 * final, as its attendance is (the trigger function of migration 0019).
 */
import { type Kysely, sql } from 'kysely';

const up_ = [
  `alter table attendance add column joined_at timestamptz, add column left_at timestamptz`,
  `create table meeting_guests (
     meeting_id integer not null references meetings(id),
     ref text not null check (length(ref) between 1 and 500),
     name text not null check (length(name) between 1 and 200),
     joined_at timestamptz not null,
     left_at timestamptz,
     recorded_at timestamptz not null default now(),
     primary key (meeting_id, ref)
   )`,
  `create trigger meeting_guests_approved_final before insert or update or delete on meeting_guests
     for each row execute function meeting_parts_approved_final()`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of up_) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`drop table meeting_guests`).execute(db);
  await sql.raw(`alter table attendance drop column joined_at, drop column left_at`).execute(db);
}
