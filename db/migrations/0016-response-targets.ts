/**
 * Each unit's response targets: minutes from opening to arrival per grade, which the brief's response times and
 * breaches are measured against. Units made before keep the targets that were fixed in code (G1 15, G2 60).
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `alter table units
         add column response_targets jsonb not null default '{"G1_EMERGENCY": 15, "G2_PRIORITY": 60}'
           check (jsonb_typeof(response_targets) = 'object')`,
    )
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`alter table units drop column response_targets`).execute(db);
}
