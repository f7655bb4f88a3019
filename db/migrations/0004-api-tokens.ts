/** Frozen in time: bearer tokens for the ingest API, stored as SHA-256 hashes and scoped to units. */
import { type Kysely, sql } from 'kysely';

const statements: readonly string[] = [
  `
    create table api_tokens (
      id integer generated always as identity primary key,
      name text not null,
      token_prefix text not null,
      token_hash text not null unique,
      unit_ids integer[] not null,
      expires_at timestamptz not null,
      revoked_at timestamptz,
      created_by text not null,
      created_at timestamptz not null default now(),
      last_used_at timestamptz
    )
  `,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists api_tokens`.execute(db);
}
