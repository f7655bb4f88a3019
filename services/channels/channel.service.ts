/**
 * Channel bindings: the conversations the bot is in (a Slack channel or DM, a Teams channel, group chat or
 * personal chat), the platform's conversation reference for proactive sends, and, once linked, the unit the
 * conversation serves with its audience and marking ceiling. Linking is an admin's act on the unit and is
 * audited with before and after; noticing a conversation (install, a message) only refreshes its reference.
 */
import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import type { ChannelBindingTable, Database } from '../../db/database.js';
import type { Actor } from '../access/actor.js';
import { assertCan } from '../access/permissions.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Audience } from '../briefs/brief.model.js';
import { canonicalJson } from '../canonical-json.js';
import type { Clock } from '../clock.js';
import { NotFoundError } from '../errors.js';
import { MARKINGS, type Marking, parseInput } from '../validation.js';

export const CHAT_PLATFORMS = ['slack', 'teams'] as const;
export type ChatPlatform = (typeof CHAT_PLATFORMS)[number];
export const CONVERSATION_KINDS = ['channel', 'group', 'personal'] as const;
export type ConversationKind = (typeof CONVERSATION_KINDS)[number];

/** A conversation on a platform: Slack team id or Teams tenant id, and the channel / conversation id. */
export interface ConversationKey {
  readonly platform: ChatPlatform;
  readonly tenantId: string;
  readonly conversationId: string;
}

export interface ChannelBinding extends ConversationKey {
  readonly id: number;
  readonly kind: ConversationKind;
  /** For a personal chat: whose it is. */
  readonly personId: number | null;
  /** The unit it serves; null until linked. */
  readonly unitId: number | null;
  readonly audience: Audience;
  readonly ceiling: Marking;
  /** The platform's conversation reference (Teams: serviceUrl, conversation, bot); null where none is needed. */
  readonly reference: unknown;
  readonly linkedBy: number | null;
  readonly linkedAt: Date | null;
}

const keySchema = z.object({
  platform: z.enum(CHAT_PLATFORMS, { error: `must be one of ${CHAT_PLATFORMS.join(', ')}` }),
  tenantId: z.string().trim().max(200),
  conversationId: z.string().trim().min(1, 'is required').max(500),
});

const linkSchema = z.object({
  unitId: z.number().int().positive(),
  audience: z.enum(['internal', 'partner'], { error: 'must be internal or partner' }).default('internal'),
  ceiling: z.enum(MARKINGS, { error: `must be one of ${MARKINGS.join(', ')}` }).default('OFFICIAL'),
  kind: z.enum(CONVERSATION_KINDS).default('channel'),
});

export interface SeenInput {
  readonly kind: ConversationKind;
  readonly personId?: number | null;
  readonly reference?: unknown;
}

export interface ChannelService {
  /**
   * Notes that the bot is in a conversation, refreshing its reference when it changed. Returns the binding.
   * `known` is the binding as the caller just read it (or null: none), which spares a second read.
   */
  seen(key: ConversationKey, input: SeenInput, known?: ChannelBinding | null): Promise<ChannelBinding>;
  find(key: ConversationKey): Promise<ChannelBinding | undefined>;
  get(id: number): Promise<ChannelBinding>;
  /** Binds the conversation to a unit (admin of that unit only); re-linking changes it, audited either way. */
  link(
    actor: Actor,
    key: ConversationKey,
    input: z.input<typeof linkSchema> & { reference?: unknown },
  ): Promise<ChannelBinding>;
  /** Removes the unit from a conversation (admin of its unit only); the bot then answers there with help only. */
  unlink(actor: Actor, key: ConversationKey): Promise<ChannelBinding>;
  /** Every conversation bound to the unit. */
  forUnit(unitId: number): Promise<ChannelBinding[]>;
  /** The person's personal chat with the bot on a platform, if the bot knows one. */
  personalChat(personId: number, platform: ChatPlatform): Promise<ChannelBinding | undefined>;
  /** The latest conversation reference the bot holds in a tenant (Teams: its service URL serves the tenant). */
  referenceIn(platform: ChatPlatform, tenantId: string): Promise<unknown | undefined>;
  /** Remembers that a message in a conversation shows a record, so later changes can update it. */
  recordPost(key: ConversationKey, messageId: string, subject: PostSubject): Promise<void>;
  /** Every message that shows the record, with its conversation's binding. */
  postsOf(subject: PostSubject): Promise<PostedMessage[]>;
}

export interface PostSubject {
  readonly type: 'action';
  readonly id: number;
}

export interface PostedMessage {
  readonly messageId: string;
  readonly binding: ChannelBinding;
}

function toBinding(row: Selectable<ChannelBindingTable>): ChannelBinding {
  return {
    id: row.id,
    platform: row.platform as ChatPlatform,
    tenantId: row.tenant_id,
    conversationId: row.conversation_id,
    kind: row.kind as ConversationKind,
    personId: row.person_id,
    unitId: row.unit_id,
    audience: row.audience as Audience,
    ceiling: row.ceiling as Marking,
    reference: row.reference ?? null,
    linkedBy: row.linked_by,
    linkedAt: row.linked_at,
  };
}

/** What the audit log keeps of a binding: everything but the platform's reference blob. */
function auditView(b: ChannelBinding | undefined) {
  if (!b) return null;
  const { reference: _reference, ...rest } = b;
  return rest;
}

export function createChannelService(deps: {
  db: Kysely<Database>;
  audit: AuditService;
  clock: Clock;
}): ChannelService {
  const { db, audit, clock } = deps;

  async function find(key: ConversationKey, executor: Kysely<Database> = db) {
    const row = await executor
      .selectFrom('channel_bindings')
      .selectAll()
      .where('platform', '=', key.platform)
      .where('tenant_id', '=', key.tenantId)
      .where('conversation_id', '=', key.conversationId)
      .executeTakeFirst();
    return row ? toBinding(row) : undefined;
  }

  const referenceJson = (reference: unknown) =>
    reference === undefined || reference === null ? null : (canonicalJson(reference) ?? null);
  const isRecord = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  /**
   * A newer reference refreshes the stored one field by field: what it does not carry is kept (a Teams install
   * event names the team's group, later messages may not).
   */
  const refreshed = (stored: unknown, incoming: unknown): unknown =>
    isRecord(stored) && isRecord(incoming) ? { ...stored, ...incoming } : incoming;

  return {
    find: (key) => find(parseInput(keySchema, key)),

    async get(id) {
      const row = await db.selectFrom('channel_bindings').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw new NotFoundError('Channel binding', id);
      return toBinding(row);
    },

    async seen(rawKey, input, known) {
      const key = parseInput(keySchema, rawKey);
      const existing = known === undefined ? await find(key) : (known ?? undefined);
      const reference = referenceJson(refreshed(existing?.reference, input.reference));
      // Most messages come from a conversation the bot already knows with the same reference: no write at all.
      if (
        existing &&
        (reference === null || referenceJson(existing.reference) === reference) &&
        (input.personId == null || existing.personId === input.personId)
      )
        return existing;
      const row = await db
        .insertInto('channel_bindings')
        .values({
          platform: key.platform,
          tenant_id: key.tenantId,
          conversation_id: key.conversationId,
          kind: input.kind,
          person_id: input.personId ?? null,
          reference,
          seen_at: clock.now(),
        })
        .onConflict((oc) =>
          oc.columns(['platform', 'tenant_id', 'conversation_id']).doUpdateSet((eb) => ({
            seen_at: eb.ref('excluded.seen_at'),
            reference:
              reference === null ? eb.ref('channel_bindings.reference') : eb.ref('excluded.reference'),
            person_id:
              input.personId == null ? eb.ref('channel_bindings.person_id') : eb.ref('excluded.person_id'),
          })),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      return toBinding(row);
    },

    async link(actor, rawKey, input) {
      const key = parseInput(keySchema, rawKey);
      const data = parseInput(linkSchema, input);
      assertCan(actor, 'unit.manage', data.unitId);
      return db.transaction().execute(async (trx) => {
        const before = await find(key, trx);
        if (before?.unitId && before.unitId !== data.unitId) assertCan(actor, 'unit.manage', before.unitId);
        const reference = referenceJson(refreshed(before?.reference, input.reference));
        // Linking again as it already is (a repeated command) changes nothing and is not another audit event.
        if (
          before &&
          before.unitId === data.unitId &&
          before.audience === data.audience &&
          before.ceiling === data.ceiling &&
          before.kind === data.kind &&
          (reference === null || referenceJson(before.reference) === reference)
        )
          return before;
        const row = await trx
          .insertInto('channel_bindings')
          .values({
            platform: key.platform,
            tenant_id: key.tenantId,
            conversation_id: key.conversationId,
            kind: data.kind,
            unit_id: data.unitId,
            audience: data.audience,
            ceiling: data.ceiling,
            reference,
            linked_by: actor.personId,
            linked_at: clock.now(),
            seen_at: clock.now(),
          })
          .onConflict((oc) =>
            oc.columns(['platform', 'tenant_id', 'conversation_id']).doUpdateSet((eb) => ({
              unit_id: eb.ref('excluded.unit_id'),
              audience: eb.ref('excluded.audience'),
              ceiling: eb.ref('excluded.ceiling'),
              linked_by: eb.ref('excluded.linked_by'),
              linked_at: eb.ref('excluded.linked_at'),
              seen_at: eb.ref('excluded.seen_at'),
              reference:
                reference === null ? eb.ref('channel_bindings.reference') : eb.ref('excluded.reference'),
            })),
          )
          .returningAll()
          .executeTakeFirstOrThrow();
        const binding = toBinding(row);
        await audit.append(trx, actor, {
          operation: before ? 'alteration' : 'collection',
          entityType: 'channel_binding',
          entityId: binding.id,
          unitId: data.unitId,
          before: auditView(before),
          after: auditView(binding),
        });
        return binding;
      });
    },

    async unlink(actor, rawKey) {
      const key = parseInput(keySchema, rawKey);
      return db.transaction().execute(async (trx) => {
        const before = await find(key, trx);
        if (!before?.unitId) throw new NotFoundError('Linked conversation', key.conversationId);
        assertCan(actor, 'unit.manage', before.unitId);
        const row = await trx
          .updateTable('channel_bindings')
          .set({ unit_id: null, linked_by: actor.personId, linked_at: clock.now() })
          .where('id', '=', before.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        const binding = toBinding(row);
        await audit.append(trx, actor, {
          operation: 'alteration',
          entityType: 'channel_binding',
          entityId: binding.id,
          unitId: before.unitId,
          before: auditView(before),
          after: auditView(binding),
        });
        return binding;
      });
    },

    async forUnit(unitId) {
      const rows = await db
        .selectFrom('channel_bindings')
        .selectAll()
        .where('unit_id', '=', unitId)
        .orderBy('id')
        .execute();
      return rows.map(toBinding);
    },

    async recordPost(rawKey, messageId, subject) {
      const key = parseInput(keySchema, rawKey);
      await db
        .insertInto('posted_messages')
        .values({
          platform: key.platform,
          tenant_id: key.tenantId,
          conversation_id: key.conversationId,
          message_id: messageId,
          subject_type: subject.type,
          subject_id: subject.id,
          posted_at: clock.now(),
        })
        .onConflict((oc) =>
          oc.columns(['platform', 'tenant_id', 'conversation_id', 'message_id']).doNothing(),
        )
        .execute();
    },

    async postsOf(subject) {
      const rows = await db
        .selectFrom('posted_messages as p')
        .innerJoin('channel_bindings as b', (join) =>
          join
            .onRef('b.platform', '=', 'p.platform')
            .onRef('b.tenant_id', '=', 'p.tenant_id')
            .onRef('b.conversation_id', '=', 'p.conversation_id'),
        )
        .selectAll('b')
        .select('p.message_id')
        .where('p.subject_type', '=', subject.type)
        .where('p.subject_id', '=', subject.id)
        .orderBy('p.id')
        .execute();
      return rows.map((r) => ({ messageId: r.message_id, binding: toBinding(r) }));
    },

    async referenceIn(platform, tenantId) {
      const row = await db
        .selectFrom('channel_bindings')
        .select('reference')
        .where('platform', '=', platform)
        .where('tenant_id', '=', tenantId)
        .where('reference', 'is not', null)
        .orderBy('seen_at', 'desc')
        .executeTakeFirst();
      return row?.reference ?? undefined;
    },

    async personalChat(personId, platform) {
      const row = await db
        .selectFrom('channel_bindings')
        .selectAll()
        .where('person_id', '=', personId)
        .where('platform', '=', platform)
        .where('kind', '=', 'personal')
        .orderBy('seen_at', 'desc')
        .executeTakeFirst();
      return row ? toBinding(row) : undefined;
    },
  };
}
