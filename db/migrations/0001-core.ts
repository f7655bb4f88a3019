/**
 * Frozen in time: this migration must never change once released. It uses raw SQL against `Kysely<unknown>`,
 * never the app's `Database` interface, so later schema changes cannot alter what it does.
 * It runs on PostgreSQL 15+ and on PGlite (PostgreSQL 18): use nothing newer than 15.
 */
import { type Kysely, sql } from 'kysely';

const statements: readonly string[] = [
  `
    create table units (
      id integer generated always as identity primary key,
      code text not null unique check (code ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
      name text not null check (length(name) between 1 and 200),
      time_zone text not null default 'Europe/London',
      brief_time text not null default '07:00' check (brief_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
      category_scheme text not null default 'PIER' check (category_scheme in ('PIER', '4P')),
      agenda_template jsonb not null,
      parent_id integer references units(id),
      created_at timestamptz not null default now()
    );
  `,
  `
    create table people (
      id integer generated always as identity primary key,
      display_name text not null check (length(display_name) between 1 and 200),
      created_at timestamptz not null default now()
    );
  `,
  `
    create table identities (
      id integer generated always as identity primary key,
      person_id integer not null references people(id),
      platform text not null check (platform in ('slack', 'teams', 'console')),
      tenant_id text not null default '',
      external_id text not null,
      created_at timestamptz not null default now(),
      unique (platform, tenant_id, external_id)
    );
  `,
  `
    create index identities_person_idx on identities (person_id);
  `,
  `
    create table memberships (
      unit_id integer not null references units(id),
      person_id integer not null references people(id),
      role text not null check (role in ('chair', 'action_manager', 'analyst', 'member', 'partner', 'admin')),
      created_at timestamptz not null default now(),
      primary key (unit_id, person_id, role)
    );
  `,
  `
    create index memberships_person_idx on memberships (person_id);
  `,
  `
    create table priorities (
      id integer generated always as identity primary key,
      unit_id integer not null references units(id),
      title text not null,
      description text,
      owner_person_id integer references people(id),
      starts_on date not null,
      ends_on date,
      morile_score integer,
      matching_rules jsonb not null default '{}',
      marking text not null default 'OFFICIAL' check (marking in ('OFFICIAL', 'OFFICIAL-SENSITIVE')),
      status text not null default 'active' check (status in ('active', 'retired')),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (ends_on is null or ends_on >= starts_on)
    );
  `,
  `
    create index priorities_unit_idx on priorities (unit_id, status);
  `,
  `
    create table meetings (
      id integer generated always as identity primary key,
      unit_id integer not null references units(id),
      local_date date not null,
      status text not null check (status in ('scheduled', 'open', 'closed')),
      chair_person_id integer references people(id),
      started_at timestamptz,
      closed_at timestamptz,
      minutes_md text,
      version integer not null default 1,
      created_at timestamptz not null default now(),
      unique (unit_id, local_date)
    );
  `,
  `
    create table agenda_items (
      id integer generated always as identity primary key,
      meeting_id integer not null references meetings(id),
      position integer not null check (position >= 1),
      section_key text not null,
      title text not null,
      feed text not null,
      status text not null check (status in ('pending', 'current', 'done', 'skipped')),
      started_at timestamptz,
      ended_at timestamptz,
      unique (meeting_id, position)
    );
  `,
  `
    create table meeting_notes (
      id integer generated always as identity primary key,
      meeting_id integer not null references meetings(id),
      agenda_item_id integer references agenda_items(id),
      author_person_id integer references people(id),
      text text not null,
      marking text not null default 'OFFICIAL' check (marking in ('OFFICIAL', 'OFFICIAL-SENSITIVE')),
      created_at timestamptz not null default now()
    );
  `,
  `
    create index meeting_notes_meeting_idx on meeting_notes (meeting_id);
  `,
  `
    create table attendance (
      meeting_id integer not null references meetings(id),
      person_id integer not null references people(id),
      present boolean not null,
      recorded_by integer references people(id),
      recorded_at timestamptz not null default now(),
      primary key (meeting_id, person_id)
    );
  `,
  `
    create table decisions (
      id integer generated always as identity primary key,
      unit_id integer not null references units(id),
      meeting_id integer references meetings(id),
      agenda_item_id integer references agenda_items(id),
      text text not null,
      decision_maker_id integer not null references people(id),
      decided_at timestamptz not null,
      information text not null,
      threat_risk text not null,
      powers_policy text not null,
      options_considered text not null,
      chosen_option text not null,
      review_point text,
      priority_id integer references priorities(id),
      incident_ref text,
      marking text not null default 'OFFICIAL' check (marking in ('OFFICIAL', 'OFFICIAL-SENSITIVE')),
      -- A correction is a new decision that supersedes the old one; at most one correction per decision.
      supersedes_id integer unique references decisions(id),
      correction_reason text,
      created_at timestamptz not null default now(),
      check ((supersedes_id is null) = (correction_reason is null))
    );
  `,
  `
    create index decisions_unit_time_idx on decisions (unit_id, decided_at);
  `,
  `
    create index decisions_meeting_idx on decisions (meeting_id);
  `,
  `
    create table actions (
      id integer generated always as identity primary key,
      unit_id integer not null references units(id),
      title text not null,
      description text,
      owner_person_id integer references people(id),
      owner_post text,
      action_manager_id integer references people(id),
      due_on date,
      category text not null,
      status text not null check (status in ('open', 'in_progress', 'blocked', 'done', 'no_further_action', 'escalated')),
      result text,
      meeting_id integer references meetings(id),
      decision_id integer references decisions(id),
      priority_id integer references priorities(id),
      incident_ref text,
      marking text not null default 'OFFICIAL' check (marking in ('OFFICIAL', 'OFFICIAL-SENSITIVE')),
      version integer not null default 1,
      created_by integer references people(id),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (owner_person_id is not null or owner_post is not null),
      check (status <> 'done' or result is not null)
    );
  `,
  `
    create index actions_unit_status_idx on actions (unit_id, status, due_on);
  `,
  `
    create index actions_owner_idx on actions (owner_person_id, status);
  `,
  `
    create index actions_meeting_idx on actions (meeting_id);
  `,
  `
    create table action_updates (
      id integer generated always as identity primary key,
      action_id integer not null references actions(id),
      version integer not null,
      actor_person_id integer references people(id),
      actor_label text not null,
      at timestamptz not null,
      kind text not null check (kind in ('created', 'status', 'due', 'owner', 'note')),
      from_status text,
      to_status text,
      note text,
      changes jsonb not null default '{}',
      unique (action_id, version)
    );
  `,
  `
    create table audit_events (
      seq bigint primary key check (seq >= 1),
      at timestamptz not null,
      actor_person_id integer,
      actor_label text not null,
      operation text not null check (operation in ('collection', 'alteration', 'consultation', 'disclosure', 'combination', 'erasure')),
      entity_type text not null,
      entity_id text not null,
      unit_id integer,
      before jsonb,
      after jsonb,
      recipients jsonb,
      channel text,
      prev_hash text not null,
      hash text not null
    );
  `,
  `
    create index audit_events_entity_idx on audit_events (entity_type, entity_id);
  `,
  `
    create index audit_events_at_idx on audit_events (at);
  `,
  `
    -- The chain's head: one row, locked FOR UPDATE by every append so appends from any replica are serialised.
    create table audit_head (
      id smallint primary key check (id = 1),
      seq bigint not null,
      hash text not null
    );
  `,
  `
    insert into audit_head (id, seq, hash) values (1, 0, repeat('0', 64));
  `,
  `
    -- Append-only: refuse UPDATE and DELETE on the audit log. Verification still detects tampering by anyone
    -- able to disable this trigger (a superuser), because every row is hash-chained to the one before.
    create function audit_events_append_only() returns trigger language plpgsql as $fn$
    begin
      raise exception 'audit_events is append-only (% refused)', tg_op using errcode = '42501';
    end;
    $fn$;
  `,
  `
    create trigger audit_events_no_update before update or delete on audit_events
      for each row execute function audit_events_append_only();
  `,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table if exists audit_head, audit_events, action_updates, actions, decisions, attendance, meeting_notes,
      agenda_items, meetings, priorities, memberships, identities, people, units cascade
  `.execute(db);
  await sql`drop function if exists audit_events_append_only()`.execute(db);
}
