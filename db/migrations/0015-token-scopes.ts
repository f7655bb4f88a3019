/**
 * API tokens carry what they may do (`read`, `write`) and a marking ceiling for what they may read. Tokens made
 * before could both read and write; they keep that, with the ceiling OFFICIAL.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `alter table api_tokens
         add column scopes text[] not null default '{read,write}' check (scopes <@ '{read,write}' and cardinality(scopes) > 0),
         add column ceiling text not null default 'OFFICIAL' check (ceiling in ('OFFICIAL', 'OFFICIAL-SENSITIVE'))`,
    )
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`alter table api_tokens drop column scopes, drop column ceiling`).execute(db);
}
