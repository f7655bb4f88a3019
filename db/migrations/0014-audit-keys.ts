/**
 * Keyed audit events: each event names the key whose HMAC is its hash (null: an event written before keys,
 * hashed with plain SHA-256). See services/audit/audit-keys.ts.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`alter table audit_events add column key_id text`).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`alter table audit_events drop column key_id`).execute(db);
}
