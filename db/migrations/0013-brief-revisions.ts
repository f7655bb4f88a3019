/**
 * Brief revisions: a stored brief knows its 24-hour window, and is marked stale when an import changes an
 * incident inside it (late data). A stale brief is built again when next read, says what arrived late, and a
 * posted copy is updated in place.
 */
import { type Kysely, sql } from 'kysely';

const statements: readonly string[] = [
  `alter table brief_runs add column window_start timestamptz, add column window_end timestamptz,
     add column stale_at timestamptz`,
  `update brief_runs set window_start = (content->'window'->>'start')::timestamptz,
     window_end = (content->'window'->>'end')::timestamptz`,
  `create index brief_runs_unit_window_idx on brief_runs (unit_id, window_end)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`alter table brief_runs drop column window_start, drop column window_end, drop column stale_at`)
    .execute(db);
}
