/**
 * Control-strategy priorities set by the T&CG, with optional MoRiLE score and matching rules; each has an owner
 * responsible for its delivery plan, a marking (an operation's name can be OFFICIAL-SENSITIVE: it is then
 * withheld from OFFICIAL places and partners), the TT&CG objective it serves and the date the TT&CG reviews it.
 */

import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import type { Database, PriorityRow } from '../../db/database.js';
import type { Actor } from '../access/actor.js';
import { assertCan } from '../access/permissions.js';
import type { AuditService } from '../audit/audit.service.js';
import { markBriefsStaleFrom } from '../briefs/stale.js';
import type { Clock } from '../clock.js';
import { ValidationError } from '../errors.js';
import { rowById } from '../rows.js';
import { localDateOf } from '../time.js';
import type { UnitService } from '../units/unit.service.js';
import { id, isoDate, type Marking, marking, optionalText, parseInput, text } from '../validation.js';

export interface Priority {
  readonly id: number;
  readonly unitId: number;
  readonly title: string;
  readonly description: string | null;
  readonly ownerPersonId: number | null;
  readonly startsOn: string;
  readonly endsOn: string | null;
  readonly morileScore: number | null;
  /**
   * Rules that tie incidents to this priority (used by the incident picture): an incident matches when it meets
   * every kind of rule given (type codes, chapters, qualifiers, areas, keywords), any value within a kind.
   */
  readonly matchingRules: Readonly<Record<string, unknown>>;
  readonly marking: Marking;
  readonly status: 'active' | 'retired';
  /** The TT&CG objective the priority serves. */
  readonly objective: string | null;
  /** When the TT&CG reviews it. */
  readonly reviewOn: string | null;
}

export const matchingRulesSchema = z
  .object({
    typeCodes: z.array(z.string().trim().min(1).max(64)).max(200).optional(),
    nsirChapters: z.array(z.string().trim().min(1).max(64)).max(20).optional(),
    qualifiers: z.array(z.string().trim().min(1).max(64)).max(50).optional(),
    areas: z.array(z.string().trim().min(1).max(64)).max(200).optional(),
    keywords: z.array(z.string().trim().min(1).max(64)).max(50).optional(),
  })
  .strict();

export const createPrioritySchema = z.object({
  unitId: id,
  title: text(200),
  description: optionalText(2000),
  ownerPersonId: id.nullish(),
  startsOn: isoDate.optional(),
  endsOn: isoDate.nullish(),
  morileScore: z.number().int().min(0).max(10_000).nullish(),
  matchingRules: matchingRulesSchema.default({}),
  marking: marking.default('OFFICIAL'),
  objective: optionalText(500),
  reviewOn: isoDate.nullish(),
});

/** What can be changed of a priority after the TT&CG set it; a field left out stays as it is. */
export const updatePrioritySchema = z
  .object({
    ownerPersonId: id.nullable().optional(),
    marking: marking.optional(),
    // Left out: unchanged; empty: cleared.
    objective: z.union([z.undefined(), optionalText(500)]),
    reviewOn: isoDate.nullable().optional(),
  })
  .refine((d) => Object.values(d).some((v) => v !== undefined), {
    message: 'give at least one of owner, marking, objective or review date',
  });

function toPriority(row: PriorityRow): Priority {
  return {
    id: row.id,
    unitId: row.unit_id,
    title: row.title,
    description: row.description,
    ownerPersonId: row.owner_person_id,
    startsOn: row.starts_on,
    endsOn: row.ends_on,
    morileScore: row.morile_score,
    matchingRules: row.matching_rules as Record<string, unknown>,
    marking: row.marking as Marking,
    status: row.status as Priority['status'],
    objective: row.objective,
    reviewOn: row.review_on,
  };
}

export interface PriorityService {
  create(actor: Actor, input: z.input<typeof createPrioritySchema>): Promise<Priority>;
  retire(actor: Actor, priorityId: number): Promise<Priority>;
  /** Sets a priority's owner, marking, objective or review date (audited, before and after). */
  update(actor: Actor, priorityId: number, input: z.input<typeof updatePrioritySchema>): Promise<Priority>;
  get(actor: Actor, priorityId: number): Promise<Priority>;
  /** Priorities active on a local date (default today), highest MoRiLE score first. */
  listActive(actor: Actor, unitId: number, onDate?: string): Promise<Priority[]>;
}

export function createPriorityService(deps: {
  db: Kysely<Database>;
  audit: AuditService;
  clock: Clock;
  units: UnitService;
}): PriorityService {
  const { db, audit, clock, units } = deps;

  /** An owner is someone with a role on the unit other than partner. */
  async function assertOwner(q: Kysely<Database>, unitId: number, personId: number) {
    const roles = await q
      .selectFrom('memberships')
      .select('role')
      .where('unit_id', '=', unitId)
      .where('person_id', '=', personId)
      .execute();
    if (roles.length === 0 || roles.every((r) => r.role === 'partner'))
      throw ValidationError.field('ownerPersonId', `person ${personId} is not a member of this unit`);
  }

  /** Changes a priority and logs the change (before and after). */
  async function alter(
    trx: Transaction<Database>,
    actor: Actor,
    row: PriorityRow,
    set: Partial<Pick<PriorityRow, 'status' | 'owner_person_id' | 'marking' | 'objective' | 'review_on'>>,
  ): Promise<Priority> {
    const updated = await trx
      .updateTable('priorities')
      .set({ ...set, updated_at: clock.now() })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit.append(trx, actor, {
      operation: 'alteration',
      entityType: 'priority',
      entityId: row.id,
      unitId: row.unit_id,
      before: toPriority(row),
      after: toPriority(updated),
    });
    return toPriority(updated);
  }

  return {
    async create(actor, input) {
      const data = parseInput(createPrioritySchema, input);
      assertCan(actor, 'priority.manage', data.unitId);
      const unit = await units.get(data.unitId);
      const startsOn = data.startsOn ?? localDateOf(clock.now(), unit.timeZone);
      if (data.endsOn && data.endsOn < startsOn)
        throw ValidationError.field('endsOn', `must be on or after ${startsOn}`);
      if (data.ownerPersonId) await assertOwner(db, unit.id, data.ownerPersonId);
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('priorities')
          .values({
            unit_id: unit.id,
            title: data.title,
            description: data.description,
            owner_person_id: data.ownerPersonId ?? null,
            starts_on: startsOn,
            ends_on: data.endsOn ?? null,
            morile_score: data.morileScore ?? null,
            matching_rules: JSON.stringify(data.matchingRules),
            marking: data.marking,
            status: 'active',
            objective: data.objective,
            review_on: data.reviewOn ?? null,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        const priority = toPriority(row);
        await audit.append(trx, actor, {
          operation: 'collection',
          entityType: 'priority',
          entityId: row.id,
          unitId: unit.id,
          after: priority,
        });
        return priority;
      });
    },

    async retire(actor, priorityId) {
      return db.transaction().execute(async (trx) => {
        const row = await rowById(trx, 'priorities', priorityId, 'Priority', { forUpdate: true });
        assertCan(actor, 'priority.manage', row.unit_id);
        return alter(trx, actor, row, { status: 'retired' });
      });
    },

    async update(actor, priorityId, input) {
      const data = parseInput(updatePrioritySchema, input);
      return db.transaction().execute(async (trx) => {
        const row = await rowById(trx, 'priorities', priorityId, 'Priority', { forUpdate: true });
        assertCan(actor, 'priority.manage', row.unit_id);
        if (data.ownerPersonId) await assertOwner(trx, row.unit_id, data.ownerPersonId);
        const updated = await alter(trx, actor, row, {
          ...(data.ownerPersonId !== undefined ? { owner_person_id: data.ownerPersonId } : {}),
          ...(data.marking !== undefined ? { marking: data.marking } : {}),
          ...(data.objective !== undefined ? { objective: data.objective } : {}),
          ...(data.reviewOn !== undefined ? { review_on: data.reviewOn } : {}),
        });
        // Briefs already built for today or later show the priority as it was: built again when next read.
        const unit = await units.get(row.unit_id, trx);
        await markBriefsStaleFrom(trx, row.unit_id, localDateOf(clock.now(), unit.timeZone), clock.now());
        return updated;
      });
    },

    async get(actor, priorityId) {
      const row = await rowById(db, 'priorities', priorityId, 'Priority');
      assertCan(actor, 'records.read', row.unit_id);
      return toPriority(row);
    },

    async listActive(actor, unitId, onDate) {
      assertCan(actor, 'sanitised.read', unitId);
      // The unit is read only for its time zone, when no date is given.
      const day = onDate
        ? parseInput(isoDate, onDate)
        : localDateOf(clock.now(), (await units.get(unitId)).timeZone);
      const rows = await db
        .selectFrom('priorities')
        .selectAll()
        .where('unit_id', '=', unitId)
        .where('status', '=', 'active')
        .where('starts_on', '<=', day)
        .where((eb) => eb.or([eb('ends_on', 'is', null), eb('ends_on', '>=', day)]))
        .orderBy('morile_score', (ob) => ob.desc().nullsLast())
        .orderBy('id')
        .execute();
      return rows.map(toPriority);
    },
  };
}
