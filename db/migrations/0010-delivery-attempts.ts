/**
 * When a delivery's platform call last began without a definite answer since: a row with this set and no
 * message id may already be on the platform (its sender died mid-call, or the call timed out), so the next
 * attempt looks for it before posting. Rows leased but never tried are not in doubt.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table deliveries add column attempt_started_at timestamptz`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table deliveries drop column if exists attempt_started_at`.execute(db);
}
