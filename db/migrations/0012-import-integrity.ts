/**
 * Import integrity: a source's references are unique per unit (one export can feed two units, e.g. a force-wide
 * feed imported for two districts), and an import the process never finished is marked `interrupted` with the
 * counts of what its committed chunks stored.
 */
import { type Kysely, sql } from 'kysely';

const statements: readonly string[] = [
  `alter table incidents drop constraint incidents_source_reference_key`,
  `alter table incidents add constraint incidents_unit_source_reference_key unique (unit_id, source, reference)`,
  `alter table import_batches drop constraint import_batches_status_check`,
  `alter table import_batches add constraint import_batches_status_check
     check (status in ('running', 'completed', 'failed', 'interrupted'))`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`update import_batches set status = 'failed' where status = 'interrupted'`.execute(db);
  await sql.raw(`alter table import_batches drop constraint import_batches_status_check`).execute(db);
  await sql
    .raw(
      `alter table import_batches add constraint import_batches_status_check check (status in ('running', 'completed', 'failed'))`,
    )
    .execute(db);
  await sql.raw(`alter table incidents drop constraint incidents_unit_source_reference_key`).execute(db);
  await sql
    .raw(`alter table incidents add constraint incidents_source_reference_key unique (source, reference)`)
    .execute(db);
}
