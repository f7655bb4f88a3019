/**
 * Scheduled jobs and their deliveries. A job run is claimed once per (job, unit, local date) by a unique
 * constraint, whichever replica gets there first; its messages go to an outbox (`deliveries`) that every
 * replica drains with `FOR UPDATE SKIP LOCKED`, each row leased while it is being sent. The platform's message
 * id is kept as soon as it is known, so a retry after a crash updates the message instead of posting again.
 */
import { type Kysely, sql } from 'kysely';

const statements: readonly string[] = [
  `
    create table job_runs (
      id integer generated always as identity primary key,
      job text not null,
      unit_id integer not null references units(id),
      local_date date not null,
      due_at timestamptz not null,
      claimed_at timestamptz not null,
      claimed_by text not null,
      late boolean not null default false,
      deliveries integer not null default 0,
      unique (job, unit_id, local_date)
    )
  `,
  `
    create table deliveries (
      id integer generated always as identity primary key,
      job_run_id integer references job_runs(id),
      unit_id integer not null references units(id),
      binding_id integer references channel_bindings(id),
      person_id integer references people(id),
      kind text not null,
      payload jsonb not null,
      marking text not null check (marking in ('OFFICIAL', 'OFFICIAL-SENSITIVE')),
      status text not null default 'pending' check (status in ('pending', 'sending', 'sent', 'failed')),
      attempts integer not null default 0,
      next_attempt_at timestamptz not null,
      locked_until timestamptz,
      locked_by text,
      last_error text,
      message_id text,
      created_at timestamptz not null,
      sent_at timestamptz,
      check (binding_id is not null or person_id is not null)
    )
  `,
  `create unique index deliveries_run_binding_idx on deliveries (job_run_id, binding_id) where binding_id is not null`,
  `create unique index deliveries_run_person_idx on deliveries (job_run_id, person_id) where binding_id is null`,
  `create index deliveries_due_idx on deliveries (next_attempt_at) where status in ('pending', 'sending')`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists deliveries, job_runs cascade`.execute(db);
}
