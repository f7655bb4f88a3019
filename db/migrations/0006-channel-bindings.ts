/**
 * Conversations the bot is in (Slack channels and DMs, Teams channels, chats and personal chats) with the
 * platform's conversation reference for proactive sends, and, once an admin links one, the unit it is bound to
 * with that binding's audience and marking ceiling.
 */
import { type Kysely, sql } from 'kysely';

const statements: readonly string[] = [
  `
    create table channel_bindings (
      id integer generated always as identity primary key,
      platform text not null check (platform in ('slack', 'teams')),
      tenant_id text not null,
      conversation_id text not null,
      kind text not null check (kind in ('channel', 'group', 'personal')),
      person_id integer references people(id),
      unit_id integer references units(id),
      audience text not null default 'internal' check (audience in ('internal', 'partner')),
      ceiling text not null default 'OFFICIAL' check (ceiling in ('OFFICIAL', 'OFFICIAL-SENSITIVE')),
      reference jsonb,
      linked_by integer references people(id),
      linked_at timestamptz,
      seen_at timestamptz not null,
      unique (platform, tenant_id, conversation_id)
    )
  `,
  `create index channel_bindings_unit_idx on channel_bindings (unit_id) where unit_id is not null`,
  `create index channel_bindings_person_idx on channel_bindings (person_id, platform) where kind = 'personal'`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists channel_bindings`.execute(db);
}
