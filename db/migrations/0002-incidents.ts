/**
 * Frozen in time: incidents from command-and-control and open-data sources, import batches and their rejects.
 * Raw SQL only, PostgreSQL 15 compatible.
 */
import { type Kysely, sql } from 'kysely';

const statements: readonly string[] = [
  `
    create table import_batches (
      id integer generated always as identity primary key,
      unit_id integer not null references units(id),
      source text not null,
      profile text not null,
      file_name text not null,
      actor_label text not null,
      status text not null check (status in ('running', 'completed', 'failed')),
      failure text,
      read_count integer not null default 0,
      inserted_count integer not null default 0,
      updated_count integer not null default 0,
      unchanged_count integer not null default 0,
      merged_count integer not null default 0,
      rejected_count integer not null default 0,
      unmapped jsonb not null default '{}',
      started_at timestamptz not null,
      finished_at timestamptz
    )
  `,
  `
    create table import_rejects (
      id bigint generated always as identity primary key,
      batch_id integer not null references import_batches(id),
      row_number integer not null,
      line_number integer not null,
      field text,
      reason text not null,
      raw text not null
    )
  `,
  `create index import_rejects_batch_idx on import_rejects (batch_id, row_number)`,
  `
    create table incidents (
      id bigint generated always as identity primary key,
      unit_id integer not null references units(id),
      source text not null,
      reference text not null,
      opened_at timestamptz,
      first_deployed_at timestamptz,
      arrived_at timestamptz,
      closed_at timestamptz,
      -- The best-known time of the incident (opened, else deployed, else arrived, else closed): windows use it.
      event_at timestamptz,
      -- Month-only sources have no event time; they count towards monthly baselines and priorities only.
      period_month date,
      how_reported text,
      grade_initial text,
      grade_final text,
      force_grade_initial text,
      force_grade_final text,
      opening_type_code text,
      closing_type_code text,
      nsir_chapter text,
      qualifiers text[] not null default '{}',
      area text,
      beat text,
      ward text,
      latitude double precision,
      longitude double precision,
      thrive_risk text,
      critical boolean not null default false,
      units text[] not null default '{}',
      priority_id integer references priorities(id),
      marking text not null default 'OFFICIAL' check (marking in ('OFFICIAL', 'OFFICIAL-SENSITIVE')),
      raw text not null,
      content_hash text not null,
      import_batch_id integer references import_batches(id),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (source, reference),
      check (event_at is not null or period_month is not null)
    )
  `,
  `create index incidents_unit_event_idx on incidents (unit_id, event_at)`,
  `create index incidents_unit_month_idx on incidents (unit_id, period_month) where period_month is not null`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists incidents, import_rejects, import_batches cascade`.execute(db);
}
