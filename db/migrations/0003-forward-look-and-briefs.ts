/** Frozen in time: forward-look items (next 24 h) and the daily brief, built once per unit per local day. */
import { type Kysely, sql } from 'kysely';

const statements: readonly string[] = [
  `
    create table forward_look_items (
      id integer generated always as identity primary key,
      unit_id integer not null references units(id),
      kind text not null check (kind in ('event', 'operation', 'warrant', 'release', 'court', 'other')),
      title text not null,
      starts_at timestamptz not null,
      ends_at timestamptz,
      location text,
      details text,
      marking text not null default 'OFFICIAL' check (marking in ('OFFICIAL', 'OFFICIAL-SENSITIVE')),
      status text not null default 'planned' check (status in ('planned', 'cancelled')),
      version integer not null default 1,
      created_by integer references people(id),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (ends_at is null or ends_at >= starts_at)
    )
  `,
  `create index forward_look_unit_time_idx on forward_look_items (unit_id, starts_at)`,
  `
    create table brief_runs (
      id integer generated always as identity primary key,
      unit_id integer not null references units(id),
      local_date date not null,
      content jsonb not null,
      built_at timestamptz not null,
      unique (unit_id, local_date)
    )
  `,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists brief_runs, forward_look_items cascade`.execute(db);
}
