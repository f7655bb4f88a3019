/**
 * Messages the bot posted that show a record (an action card), per platform and conversation, so a change
 * made anywhere (Slack, Teams, the console) brings every copy up to date.
 */
import { type Kysely, sql } from 'kysely';

const statements: readonly string[] = [
  `
    create table posted_messages (
      id integer generated always as identity primary key,
      platform text not null check (platform in ('slack', 'teams')),
      tenant_id text not null,
      conversation_id text not null,
      message_id text not null,
      subject_type text not null check (subject_type in ('action')),
      subject_id integer not null,
      posted_at timestamptz not null,
      unique (platform, tenant_id, conversation_id, message_id)
    )
  `,
  `create index posted_messages_subject_idx on posted_messages (subject_type, subject_id)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists posted_messages`.execute(db);
}
