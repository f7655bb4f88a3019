/** People, their platform identities and their roles on units (memberships). */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../db/database.js';
import { type Actor, type PersonActor, ROLES, type Role } from '../access/actor.js';
import { assertCan } from '../access/permissions.js';
import type { AuditService } from '../audit/audit.service.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.js';
import { id, isStorableId, parseInput, text } from '../validation.js';

export const PLATFORMS = ['slack', 'teams', 'console'] as const;
export type Platform = (typeof PLATFORMS)[number];

export interface Person {
  readonly id: number;
  readonly displayName: string;
}

export interface Membership {
  readonly unitId: number;
  readonly personId: number;
  readonly role: Role;
}

const identitySchema = z.object({
  personId: id,
  platform: z.enum(PLATFORMS, { error: `must be one of ${PLATFORMS.join(', ')}` }),
  /** Slack team id or Teams (AAD) tenant id; empty for the console. */
  tenantId: z.string().trim().max(100).default(''),
  externalId: text(200),
});

const membershipSchema = z.object({
  unitId: id,
  personId: id,
  role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }),
});

export interface PeopleService {
  create(actor: Actor, input: { displayName: string }): Promise<Person>;
  get(personId: number): Promise<Person>;
  linkIdentity(actor: Actor, input: z.input<typeof identitySchema>): Promise<void>;
  findByIdentity(platform: Platform, tenantId: string, externalId: string): Promise<Person | undefined>;
  /** The person's identities on a platform (a Slack user id per workspace, a Teams AAD id per tenant). */
  identitiesOf(
    personId: number,
    platform: Platform,
  ): Promise<Array<{ readonly tenantId: string; readonly externalId: string }>>;
  /** The units the person has a role on, by unit id. */
  unitsOf(personId: number): Promise<number[]>;
  /**
   * Keeps the platform's own address of a linked identity (Teams: the user's MRI), as seen on their activity; a
   * write only when it changed.
   */
  noteAddress(platform: Platform, tenantId: string, externalId: string, address: string): Promise<void>;
  /** The known platform addresses of these people (for a card's per-user refresh), in no particular order. */
  addressesOf(personIds: readonly number[], platform: Platform): Promise<string[]>;
  addMembership(actor: Actor, input: z.input<typeof membershipSchema>): Promise<Membership>;
  removeMembership(actor: Actor, input: z.input<typeof membershipSchema>): Promise<void>;
  rolesOn(personId: number, unitId: number): Promise<Role[]>;
  membersOf(unitId: number): Promise<Array<Person & { roles: Role[] }>>;
  /** Builds the `Actor` for a person on a unit from their memberships. */
  actorFor(personId: number, unitId: number): Promise<PersonActor>;
}

export function createPeopleService(deps: { db: Kysely<Database>; audit: AuditService }): PeopleService {
  const { db, audit } = deps;

  async function get(personId: number): Promise<Person> {
    if (!isStorableId(personId)) throw new NotFoundError('Person', personId);
    const row = await db.selectFrom('people').selectAll().where('id', '=', personId).executeTakeFirst();
    if (!row) throw new NotFoundError('Person', personId);
    return { id: row.id, displayName: row.display_name };
  }

  async function rolesOn(personId: number, unitId: number): Promise<Role[]> {
    const rows = await db
      .selectFrom('memberships')
      .select('role')
      .where('person_id', '=', personId)
      .where('unit_id', '=', unitId)
      .orderBy('role')
      .execute();
    return rows.map((r) => r.role as Role);
  }

  return {
    get,
    rolesOn,

    async create(actor, input) {
      if (actor.kind === 'person' && !actor.roles.includes('admin')) {
        throw new ForbiddenError('Only an admin may add people.', { permission: 'membership.manage' });
      }
      const data = parseInput(z.object({ displayName: text(200) }), input);
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('people')
          .values({ display_name: data.displayName })
          .returningAll()
          .executeTakeFirstOrThrow();
        const person = { id: row.id, displayName: row.display_name };
        await audit.append(trx, actor, {
          operation: 'collection',
          entityType: 'person',
          entityId: person.id,
          unitId: null,
          after: person,
        });
        return person;
      });
    },

    async linkIdentity(actor, input) {
      if (actor.kind === 'person' && !actor.roles.includes('admin')) {
        throw new ForbiddenError('Only an admin may link platform identities.', {
          permission: 'membership.manage',
        });
      }
      const data = parseInput(identitySchema, input);
      await get(data.personId);
      await db.transaction().execute(async (trx) => {
        const existing = await trx
          .selectFrom('identities')
          .select('person_id')
          .where('platform', '=', data.platform)
          .where('tenant_id', '=', data.tenantId)
          .where('external_id', '=', data.externalId)
          .executeTakeFirst();
        if (existing) {
          if (existing.person_id === data.personId) return;
          throw new ConflictError(`That ${data.platform} identity is already linked to another person`, {
            personId: existing.person_id,
          });
        }
        await trx
          .insertInto('identities')
          .values({
            person_id: data.personId,
            platform: data.platform,
            tenant_id: data.tenantId,
            external_id: data.externalId,
          })
          .execute();
        await audit.append(trx, actor, {
          operation: 'collection',
          entityType: 'identity',
          entityId: `${data.platform}:${data.tenantId}:${data.externalId}`,
          unitId: null,
          after: data,
        });
      });
    },

    async identitiesOf(personId, platform) {
      const rows = await db
        .selectFrom('identities')
        .select(['tenant_id', 'external_id'])
        .where('person_id', '=', personId)
        .where('platform', '=', platform)
        .orderBy('id')
        .execute();
      return rows.map((r) => ({ tenantId: r.tenant_id, externalId: r.external_id }));
    },

    async unitsOf(personId) {
      const rows = await db
        .selectFrom('memberships')
        .select('unit_id')
        .distinct()
        .where('person_id', '=', personId)
        .orderBy('unit_id')
        .execute();
      return rows.map((r) => r.unit_id);
    },

    async noteAddress(platform, tenantId, externalId, address) {
      if (!address || address === externalId || address.length > 500) return;
      await db
        .updateTable('identities')
        .set({ address })
        .where('platform', '=', platform)
        .where('tenant_id', '=', tenantId)
        .where('external_id', '=', externalId)
        .where((eb) => eb.or([eb('address', 'is', null), eb('address', '<>', address)]))
        .execute();
    },

    async addressesOf(personIds, platform) {
      if (personIds.length === 0) return [];
      const rows = await db
        .selectFrom('identities')
        .select('address')
        .where('platform', '=', platform)
        .where('person_id', 'in', [...personIds])
        .where('address', 'is not', null)
        .execute();
      return [...new Set(rows.map((r) => r.address as string))];
    },

    async findByIdentity(platform, tenantId, externalId) {
      const row = await db
        .selectFrom('identities')
        .innerJoin('people', 'people.id', 'identities.person_id')
        .select(['people.id', 'people.display_name'])
        .where('identities.platform', '=', platform)
        .where('identities.tenant_id', '=', tenantId)
        .where('identities.external_id', '=', externalId)
        .executeTakeFirst();
      return row ? { id: row.id, displayName: row.display_name } : undefined;
    },

    async addMembership(actor, input) {
      const data = parseInput(membershipSchema, input);
      assertCan(actor, 'membership.manage', data.unitId);
      await get(data.personId);
      return db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto('memberships')
          .values({ unit_id: data.unitId, person_id: data.personId, role: data.role })
          .onConflict((oc) => oc.doNothing())
          .returning('role')
          .executeTakeFirst();
        if (inserted) {
          await audit.append(trx, actor, {
            operation: 'collection',
            entityType: 'membership',
            entityId: `${data.unitId}:${data.personId}:${data.role}`,
            unitId: data.unitId,
            after: data,
          });
        }
        return { unitId: data.unitId, personId: data.personId, role: data.role };
      });
    },

    async removeMembership(actor, input) {
      const data = parseInput(membershipSchema, input);
      assertCan(actor, 'membership.manage', data.unitId);
      await db.transaction().execute(async (trx) => {
        const deleted = await trx
          .deleteFrom('memberships')
          .where('unit_id', '=', data.unitId)
          .where('person_id', '=', data.personId)
          .where('role', '=', data.role)
          .returning('role')
          .executeTakeFirst();
        if (!deleted) throw new NotFoundError('Membership', `${data.personId} as ${data.role}`);
        await audit.append(trx, actor, {
          operation: 'erasure',
          entityType: 'membership',
          entityId: `${data.unitId}:${data.personId}:${data.role}`,
          unitId: data.unitId,
          before: data,
        });
      });
    },

    async membersOf(unitId) {
      const rows = await db
        .selectFrom('memberships')
        .innerJoin('people', 'people.id', 'memberships.person_id')
        .select(['people.id', 'people.display_name', 'memberships.role'])
        .where('memberships.unit_id', '=', unitId)
        .orderBy('people.display_name')
        .orderBy('people.id')
        .execute();
      const byId = new Map<number, Person & { roles: Role[] }>();
      for (const r of rows) {
        const entry = byId.get(r.id) ?? { id: r.id, displayName: r.display_name, roles: [] };
        entry.roles.push(r.role as Role);
        byId.set(r.id, entry);
      }
      return [...byId.values()];
    },

    async actorFor(personId, unitId) {
      const person = await get(personId);
      if (!isStorableId(unitId)) throw new NotFoundError('Unit', unitId);
      const roles = await rolesOn(personId, unitId);
      if (roles.length === 0) {
        throw new ForbiddenError(`${person.displayName} has no role on this unit; ask an admin to add you.`, {
          personId,
          unitId,
        });
      }
      return Object.freeze({
        kind: 'person',
        personId,
        label: person.displayName,
        unitId,
        roles: Object.freeze(roles),
      });
    },
  };
}
