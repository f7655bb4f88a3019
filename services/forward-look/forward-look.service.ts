/**
 * Forward look: planned events, operations, warrants, releases and court dates in the next 24 hours. Items are
 * never deleted: a change is an audited update (optimistic by version) and a withdrawal is a cancellation.
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database, ForwardLookRow } from '../../db/database.js';
import type { Actor } from '../access/actor.js';
import { assertCan } from '../access/permissions.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { id, type Marking, marking, optionalText, parseInput, text } from '../validation.js';

export const FORWARD_LOOK_KINDS = ['event', 'operation', 'warrant', 'release', 'court', 'other'] as const;
export type ForwardLookKind = (typeof FORWARD_LOOK_KINDS)[number];

export interface ForwardLookItem {
  readonly id: number;
  readonly unitId: number;
  readonly kind: ForwardLookKind;
  readonly title: string;
  readonly startsAt: Date;
  readonly endsAt: Date | null;
  readonly location: string | null;
  readonly details: string | null;
  readonly marking: Marking;
  readonly status: 'planned' | 'cancelled';
  readonly version: number;
}

const instant = z.coerce.date({ error: 'must be a date and time, e.g. 2026-11-23T14:00:00Z' });

export const createForwardLookSchema = z.object({
  unitId: id,
  kind: z.enum(FORWARD_LOOK_KINDS, { error: `must be one of ${FORWARD_LOOK_KINDS.join(', ')}` }),
  title: text(200),
  startsAt: instant,
  endsAt: instant.nullish(),
  location: optionalText(200),
  details: optionalText(2000),
  marking: marking.default('OFFICIAL'),
});

const updateSchema = createForwardLookSchema
  .omit({ unitId: true })
  .partial()
  .extend({ expectedVersion: z.number().int().positive().optional() });

function toItem(r: ForwardLookRow): ForwardLookItem {
  return {
    id: r.id,
    unitId: r.unit_id,
    kind: r.kind as ForwardLookKind,
    title: r.title,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    location: r.location,
    details: r.details,
    marking: r.marking as Marking,
    status: r.status as ForwardLookItem['status'],
    version: r.version,
  };
}

export interface ForwardLookService {
  create(actor: Actor, input: z.input<typeof createForwardLookSchema>): Promise<ForwardLookItem>;
  update(actor: Actor, itemId: number, input: z.input<typeof updateSchema>): Promise<ForwardLookItem>;
  cancel(actor: Actor, itemId: number, reason: string): Promise<ForwardLookItem>;
  /** Planned items overlapping [from, to), earliest first. */
  listBetween(actor: Actor, unitId: number, from: Date, to: Date): Promise<ForwardLookItem[]>;
}

export function createForwardLookService(deps: {
  db: Kysely<Database>;
  audit: AuditService;
  clock: Clock;
}): ForwardLookService {
  const { db, audit, clock } = deps;

  async function change(
    actor: Actor,
    itemId: number,
    expectedVersion: number | undefined,
    set: Partial<ForwardLookRow>,
    note?: string,
  ) {
    return db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('forward_look_items')
        .selectAll()
        .where('id', '=', itemId)
        .forUpdate()
        .executeTakeFirst();
      if (!row) throw new NotFoundError('Forward-look item', itemId);
      assertCan(actor, 'priority.manage', row.unit_id);
      if (expectedVersion !== undefined && expectedVersion !== row.version) {
        throw new ConflictError(
          `Forward-look item ${itemId} was changed by someone else (now version ${row.version}); reload it.`,
          {
            currentVersion: row.version,
          },
        );
      }
      const after = await trx
        .updateTable('forward_look_items')
        .set({ ...set, version: row.version + 1, updated_at: clock.now() })
        .where('id', '=', itemId)
        .returningAll()
        .executeTakeFirstOrThrow();
      if (after.ends_at && after.ends_at < after.starts_at)
        throw ValidationError.field('endsAt', 'must be at or after startsAt');
      await audit.append(trx, actor, {
        operation: 'alteration',
        entityType: 'forward_look_item',
        entityId: itemId,
        unitId: row.unit_id,
        before: toItem(row),
        after: { ...toItem(after), ...(note ? { note } : {}) },
      });
      return toItem(after);
    });
  }

  return {
    async create(actor, input) {
      const data = parseInput(createForwardLookSchema, input);
      // The same people who keep the priorities keep the forward look: chair, analysts, admin.
      assertCan(actor, 'priority.manage', data.unitId);
      if (data.endsAt && data.endsAt < data.startsAt)
        throw ValidationError.field('endsAt', 'must be at or after startsAt');
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('forward_look_items')
          .values({
            unit_id: data.unitId,
            kind: data.kind,
            title: data.title,
            starts_at: data.startsAt,
            ends_at: data.endsAt ?? null,
            location: data.location,
            details: data.details,
            marking: data.marking,
            status: 'planned',
            created_by: actor.personId,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        const item = toItem(row);
        await audit.append(trx, actor, {
          operation: 'collection',
          entityType: 'forward_look_item',
          entityId: row.id,
          unitId: row.unit_id,
          after: item,
        });
        return item;
      });
    },

    async update(actor, itemId, input) {
      const data = parseInput(updateSchema, input);
      const set: Partial<ForwardLookRow> = {};
      if (data.kind) set.kind = data.kind;
      if (data.title) set.title = data.title;
      if (data.startsAt) set.starts_at = data.startsAt;
      if (data.endsAt !== undefined) set.ends_at = data.endsAt ?? null;
      if (data.location !== undefined) set.location = data.location;
      if (data.details !== undefined) set.details = data.details;
      if (data.marking) set.marking = data.marking;
      return change(actor, itemId, data.expectedVersion, set);
    },

    async cancel(actor, itemId, reason) {
      const note = parseInput(text(500), reason);
      return change(actor, itemId, undefined, { status: 'cancelled' }, note);
    },

    async listBetween(actor, unitId, from, to) {
      assertCan(actor, 'sanitised.read', unitId);
      const rows = await db
        .selectFrom('forward_look_items')
        .selectAll()
        .where('unit_id', '=', unitId)
        .where('status', '=', 'planned')
        .where('starts_at', '<', to)
        .where((eb) =>
          eb.or([
            eb('ends_at', '>=', from),
            eb.and([eb('ends_at', 'is', null), eb('starts_at', '>=', from)]),
          ]),
        )
        .orderBy('starts_at')
        .orderBy('id')
        .execute();
      return rows.map(toItem);
    },
  };
}
