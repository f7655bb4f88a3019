/**
 * Frozen in time: incident counts per picture window, so a picture reads its 28 baseline windows instead of
 * counting them again every day. Rows are dropped by the imports that change incidents in their window.
 */
import { type Kysely, sql } from 'kysely';

const statements: readonly string[] = [
  `
    create table picture_window_counts (
      unit_id integer not null references units(id),
      window_start timestamptz not null,
      window_end timestamptz not null,
      counts jsonb not null,
      computed_at timestamptz not null,
      primary key (unit_id, window_start, window_end)
    )
  `,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists picture_window_counts`.execute(db);
}
