/** Control-strategy priorities set by the strategic T&CG, with optional MoRiLE score and matching rules. */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database, PriorityRow } from '../../db/database.js';
import type { Actor } from '../access/actor.js';
import { assertCan } from '../access/permissions.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import { NotFoundError, ValidationError } from '../errors.js';
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
  };
}

export interface PriorityService {
  create(actor: Actor, input: z.input<typeof createPrioritySchema>): Promise<Priority>;
  retire(actor: Actor, priorityId: number): Promise<Priority>;
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
  return {
    async create(actor, input) {
      const data = parseInput(createPrioritySchema, input);
      assertCan(actor, 'priority.manage', data.unitId);
      const unit = await units.get(data.unitId);
      const startsOn = data.startsOn ?? localDateOf(clock.now(), unit.timeZone);
      if (data.endsOn && data.endsOn < startsOn)
        throw ValidationError.field('endsOn', `must be on or after ${startsOn}`);
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
        const row = await trx
          .selectFrom('priorities')
          .selectAll()
          .where('id', '=', priorityId)
          .forUpdate()
          .executeTakeFirst();
        if (!row) throw new NotFoundError('Priority', priorityId);
        assertCan(actor, 'priority.manage', row.unit_id);
        const updated = await trx
          .updateTable('priorities')
          .set({ status: 'retired', updated_at: clock.now() })
          .where('id', '=', priorityId)
          .returningAll()
          .executeTakeFirstOrThrow();
        await audit.append(trx, actor, {
          operation: 'alteration',
          entityType: 'priority',
          entityId: priorityId,
          unitId: row.unit_id,
          before: toPriority(row),
          after: toPriority(updated),
        });
        return toPriority(updated);
      });
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
