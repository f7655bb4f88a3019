/** Units (force / BCU / sector): time zone, brief time, agenda template and category scheme. */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database, UnitRow } from '../../db/database.js';
import type { Actor } from '../access/actor.js';
import type { AuditService } from '../audit/audit.service.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.js';
import { GRADES, type Grade } from '../incidents/incident.model.js';
import { type AgendaSection, agendaTemplateSchema, DEFAULT_AGENDA } from '../meetings/default-agenda.js';
import { isValidTimeZone } from '../time.js';
import { isStorableId, onlyKeys, parseInput, text } from '../validation.js';

export const CATEGORY_SCHEMES = {
  PIER: ['prevention', 'intelligence', 'enforcement', 'reassurance'],
  '4P': ['pursue', 'prevent', 'protect', 'prepare'],
} as const;
export type CategoryScheme = keyof typeof CATEGORY_SCHEMES;

export interface Unit {
  readonly id: number;
  readonly code: string;
  readonly name: string;
  readonly timeZone: string;
  readonly briefTime: string;
  readonly categoryScheme: CategoryScheme;
  readonly agenda: readonly AgendaSection[];
  readonly parentId: number | null;
  /** Minutes from opening to arrival, per grade: what the brief's response times are measured against. */
  readonly responseTargets: Readonly<Partial<Record<Grade, number>>>;
}

/** Targets a unit starts with (a common English urban standard), until it sets its own. */
export const DEFAULT_RESPONSE_TARGETS: Readonly<Partial<Record<Grade, number>>> = {
  G1_EMERGENCY: 15,
  G2_PRIORITY: 60,
};

export const responseTargetsSchema = z
  .record(
    z.string(),
    z
      .number({ error: 'must be a number of minutes' })
      .int('must be whole minutes')
      .min(1, 'must be at least 1 minute')
      .max(7 * 24 * 60, 'must be at most a week (10080 minutes)'),
  )
  .superRefine(onlyKeys(GRADES, 'grade'))
  .refine((targets) => Object.keys(targets).length > 0, 'name at least one grade')
  .transform((targets) => targets as Partial<Record<Grade, number>>);

export const createUnitSchema = z.object({
  code: z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be 1-40 lower-case letters, digits or dashes'),
  name: text(200),
  timeZone: z
    .string()
    .trim()
    .default('Europe/London')
    .refine(isValidTimeZone, 'must be an IANA time zone such as Europe/London'),
  briefTime: z
    .string()
    .trim()
    .regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, 'must be a 24-hour time HH:MM')
    .default('07:00'),
  categoryScheme: z.enum(['PIER', '4P'], { error: 'must be PIER or 4P' }).default('PIER'),
  agenda: agendaTemplateSchema.optional(),
  parentId: z.number().int().positive().nullish(),
});

export function toUnit(row: UnitRow): Unit {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    timeZone: row.time_zone,
    briefTime: row.brief_time,
    categoryScheme: row.category_scheme as CategoryScheme,
    agenda: row.agenda_template as AgendaSection[],
    parentId: row.parent_id,
    responseTargets: row.response_targets ?? DEFAULT_RESPONSE_TARGETS,
  };
}

export interface UnitService {
  create(actor: Actor, input: z.input<typeof createUnitSchema>): Promise<Unit>;
  /**
   * Reads a unit. Inside a transaction pass the transaction as `executor`: PGlite has one connection, so a read
   * through the pool while a transaction holds it would wait for ever.
   */
  get(id: number, executor?: Kysely<Database>): Promise<Unit>;
  getByCode(code: string): Promise<Unit>;
  list(): Promise<Unit[]>;
  /** Replaces the unit's response targets (audited, before and after). */
  setResponseTargets(actor: Actor, unitId: number, targets: Record<string, number>): Promise<Unit>;
}

export function createUnitService(deps: { db: Kysely<Database>; audit: AuditService }): UnitService {
  const { db, audit } = deps;

  return {
    async create(actor, input) {
      // Creating a unit is an administrator's job (an admin of any unit); a system actor (CLI) may always do it.
      if (actor.kind === 'person' && !actor.roles.includes('admin')) {
        throw new ForbiddenError('Only an admin may create units.', { permission: 'unit.manage' });
      }
      const data = parseInput(createUnitSchema, input);
      return db.transaction().execute(async (trx) => {
        const existing = await trx
          .selectFrom('units')
          .select('id')
          .where('code', '=', data.code)
          .executeTakeFirst();
        if (existing)
          throw new ConflictError(`A unit with code '${data.code}' already exists`, { code: data.code });
        const row = await trx
          .insertInto('units')
          .values({
            code: data.code,
            name: data.name,
            time_zone: data.timeZone,
            brief_time: data.briefTime,
            category_scheme: data.categoryScheme,
            agenda_template: JSON.stringify(data.agenda ?? DEFAULT_AGENDA),
            parent_id: data.parentId ?? null,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        const unit = toUnit(row);
        await audit.append(trx, actor, {
          operation: 'collection',
          entityType: 'unit',
          entityId: unit.id,
          unitId: unit.id,
          after: unit,
        });
        return unit;
      });
    },

    async get(id, executor = db) {
      if (!isStorableId(id)) throw new NotFoundError('Unit', id);
      const row = await executor.selectFrom('units').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw new NotFoundError('Unit', id);
      return toUnit(row);
    },

    async getByCode(code) {
      const row = await db.selectFrom('units').selectAll().where('code', '=', code).executeTakeFirst();
      if (!row) throw new NotFoundError('Unit', code);
      return toUnit(row);
    },

    async list() {
      return (await db.selectFrom('units').selectAll().orderBy('code').execute()).map(toUnit);
    },

    async setResponseTargets(actor, unitId, input) {
      if (actor.kind === 'person' && !actor.roles.includes('admin')) {
        throw new ForbiddenError('Only an admin may set response targets.', { permission: 'unit.manage' });
      }
      const targets = parseInput(responseTargetsSchema, input);
      return db.transaction().execute(async (trx) => {
        const before = await trx
          .selectFrom('units')
          .select('response_targets')
          .where('id', '=', unitId)
          .forUpdate()
          .executeTakeFirst();
        if (!before) throw new NotFoundError('Unit', unitId);
        const row = await trx
          .updateTable('units')
          .set({ response_targets: JSON.stringify(targets) })
          .where('id', '=', unitId)
          .returningAll()
          .executeTakeFirstOrThrow();
        await audit.append(trx, actor, {
          operation: 'alteration',
          entityType: 'unit',
          entityId: unitId,
          unitId,
          before: { responseTargets: before.response_targets },
          after: { responseTargets: targets },
        });
        return toUnit(row);
      });
    },
  };
}
