/**
 * Decisions come back: a decision carries the date it is to be reviewed (`review_on`), and each review is
 * recorded (`decision_reviews`): confirmed (with the next review date, if any) or closed. A decision changed by a
 * new one is superseded, which ends its reviews. Reviews are added, never changed (append-only).
 */
import { type Kysely, sql } from 'kysely';

const up_ = [
  `alter table decisions add column review_on date`,
  `create table decision_reviews (
     id integer generated always as identity primary key,
     decision_id integer not null references decisions(id),
     outcome text not null check (outcome in ('confirmed', 'closed')),
     next_review_on date,
     note text check (note is null or length(note) <= 2000),
     reviewer_person_id integer references people(id),
     reviewer_label text not null,
     meeting_id integer references meetings(id),
     reviewed_at timestamptz not null default now(),
     check (outcome = 'confirmed' or next_review_on is null)
   )`,
  `create index decision_reviews_decision_idx on decision_reviews (decision_id, id)`,
  `create index decisions_review_idx on decisions (unit_id, review_on) where review_on is not null`,
  `create function decision_reviews_append_only() returns trigger language plpgsql as $fn$
   begin
     raise exception 'decision_reviews is append-only (% refused)', tg_op using errcode = '42501';
   end;
   $fn$`,
  `create trigger decision_reviews_append_only before update or delete on decision_reviews
     for each row execute function decision_reviews_append_only()`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of up_) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const statement of [
    `drop table decision_reviews`,
    `drop function decision_reviews_append_only()`,
    `drop index decisions_review_idx`,
    `alter table decisions drop column review_on`,
  ])
    await sql.raw(statement).execute(db);
}
