import { describe, expect, it } from 'vitest';
import { viewBrief } from '../../../services/briefs/brief.model.js';
import { createFixedClock } from '../../../services/clock.js';
import { DEFAULT_AGENDA } from '../../../services/meetings/default-agenda.js';
import { BACKENDS } from '../../support/database.js';
import { createUnitFixture, operator } from '../../support/fixtures.js';
import { useServices } from '../../support/suite.js';

describe.each(BACKENDS)('units, people and priorities on %s', (backend) => {
  const clock = createFixedClock('2026-04-01T08:00:00Z');
  const ctx = useServices(backend, clock);

  describe('units', () => {
    it('creates a unit with defaults: Europe/London, 07:00, PIER, the default agenda', async () => {
      const unit = await ctx.services.units.create(operator, { code: 'north-bcu', name: 'North BCU' });
      expect(unit).toMatchObject({
        timeZone: 'Europe/London',
        briefTime: '07:00',
        categoryScheme: 'PIER',
        parentId: null,
      });
      expect(unit.agenda).toEqual(DEFAULT_AGENDA);
      expect(await ctx.services.units.getByCode('north-bcu')).toEqual(unit);
    });

    it('refuses a duplicate code, a bad zone, a bad brief time and a bad agenda, naming the field', async () => {
      await ctx.services.units.create(operator, { code: 'dup', name: 'A' });
      await expect(ctx.services.units.create(operator, { code: 'dup', name: 'B' })).rejects.toMatchObject({
        code: 'CONFLICT',
      });
      await expect(
        ctx.services.units.create(operator, { code: 'z', name: 'Z', timeZone: 'Europe/Londn' }),
      ).rejects.toThrow(/timeZone: must be an IANA time zone/);
      await expect(
        ctx.services.units.create(operator, { code: 'z', name: 'Z', briefTime: '7am' }),
      ).rejects.toThrow(/briefTime: must be a 24-hour time HH:MM/);
      await expect(ctx.services.units.create(operator, { code: 'Bad Code', name: 'Z' })).rejects.toThrow(
        /code: must be 1-40 lower-case/,
      );
      await expect(
        ctx.services.units.create(operator, {
          code: 'z',
          name: 'Z',
          agenda: [
            { key: 'a', title: 'A', feed: 'actions' },
            { key: 'a', title: 'B', feed: 'manual' },
          ],
        }),
      ).rejects.toThrow(/agenda: section keys must be unique/);
      await expect(ctx.services.units.getByCode('z')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('lets only an admin person create units', async () => {
      const f = await createUnitFixture(ctx.services);
      await expect(ctx.services.units.create(f.chair, { code: 'x1', name: 'X' })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      const created = await ctx.services.units.create(f.admin, { code: 'x2', name: 'X' });
      expect(created.code).toBe('x2');
    });
  });

  describe('people, identities and memberships', () => {
    it('links platform identities to one person and finds them by identity', async () => {
      const person = await ctx.services.people.create(operator, { displayName: 'Duty Inspector A' });
      await ctx.services.people.linkIdentity(operator, {
        personId: person.id,
        platform: 'slack',
        tenantId: 'T001',
        externalId: 'U001',
      });
      await ctx.services.people.linkIdentity(operator, {
        personId: person.id,
        platform: 'teams',
        tenantId: 'tenant-1',
        externalId: 'aad-1',
      });
      await ctx.services.people.linkIdentity(operator, {
        personId: person.id,
        platform: 'slack',
        tenantId: 'T001',
        externalId: 'U001',
      });
      expect(await ctx.services.people.findByIdentity('slack', 'T001', 'U001')).toEqual(person);
      expect(await ctx.services.people.findByIdentity('teams', 'tenant-1', 'aad-1')).toEqual(person);
      expect(await ctx.services.people.findByIdentity('slack', 'T002', 'U001')).toBeUndefined();
      const other = await ctx.services.people.create(operator, { displayName: 'Someone else' });
      await expect(
        ctx.services.people.linkIdentity(operator, {
          personId: other.id,
          platform: 'slack',
          tenantId: 'T001',
          externalId: 'U001',
        }),
      ).rejects.toMatchObject({ code: 'CONFLICT', details: { personId: person.id } });
      await expect(
        ctx.services.people.linkIdentity(operator, {
          personId: other.id,
          platform: 'email' as 'slack',
          externalId: 'x',
        }),
      ).rejects.toThrow(/platform: must be one of slack, teams, console/);
    });

    it('builds an actor from memberships, and refuses a person with no role on the unit', async () => {
      const f = await createUnitFixture(ctx.services);
      await ctx.services.people.addMembership(operator, {
        unitId: f.unit.id,
        personId: f.manager.personId,
        role: 'analyst',
      });
      const actor = await ctx.services.people.actorFor(f.manager.personId, f.unit.id);
      expect(actor).toMatchObject({
        kind: 'person',
        unitId: f.unit.id,
        roles: ['action_manager', 'analyst'],
      });
      const stranger = await ctx.services.people.create(operator, { displayName: 'Stranger' });
      await expect(ctx.services.people.actorFor(stranger.id, f.unit.id)).rejects.toThrow(
        /has no role on this unit; ask an admin/,
      );
    });

    it('lets a unit admin manage memberships there and audits removal as erasure', async () => {
      const f = await createUnitFixture(ctx.services);
      await expect(
        ctx.services.people.addMembership(f.chair, {
          unitId: f.unit.id,
          personId: f.member.personId,
          role: 'chair',
        }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await ctx.services.people.addMembership(f.admin, {
        unitId: f.unit.id,
        personId: f.member.personId,
        role: 'action_manager',
      });
      await ctx.services.people.removeMembership(f.admin, {
        unitId: f.unit.id,
        personId: f.member.personId,
        role: 'action_manager',
      });
      await expect(
        ctx.services.people.removeMembership(f.admin, {
          unitId: f.unit.id,
          personId: f.member.personId,
          role: 'action_manager',
        }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const events = await ctx.services.audit.list({
        entityType: 'membership',
        entityId: `${f.unit.id}:${f.member.personId}:action_manager`,
      });
      expect(events.map((e) => e.operation)).toEqual(['collection', 'erasure']);
      expect(events[1]?.actorPersonId).toBe(f.admin.personId);
      const members = await ctx.services.people.membersOf(f.unit.id);
      expect(members.find((m) => m.id === f.member.personId)?.roles).toEqual(['member']);
    });
  });

  describe('priorities', () => {
    it('lists priorities active on a date, highest MoRiLE score first, and retires them', async () => {
      const f = await createUnitFixture(ctx.services);
      const low = await ctx.services.priorities.create(f.analyst, {
        unitId: f.unit.id,
        title: 'ASB hotspots',
        morileScore: 100,
      });
      const high = await ctx.services.priorities.create(f.chair, {
        unitId: f.unit.id,
        title: 'Knife crime',
        morileScore: 600,
        matchingRules: { keywords: ['knife'] },
      });
      const unscored = await ctx.services.priorities.create(f.analyst, {
        unitId: f.unit.id,
        title: 'Retail crime',
      });
      const ended = await ctx.services.priorities.create(f.analyst, {
        unitId: f.unit.id,
        title: 'Old',
        startsOn: '2026-01-01',
        endsOn: '2026-03-31',
      });
      const ids = async (on?: string) =>
        (await ctx.services.priorities.listActive(f.member, f.unit.id, on)).map((p) => p.id);
      expect(await ids()).toEqual([high.id, low.id, unscored.id]);
      expect(await ids('2026-03-31')).toEqual([ended.id]);
      await ctx.services.priorities.retire(f.chair, low.id);
      expect(await ids()).toEqual([high.id, unscored.id]);
      expect((await ctx.services.priorities.listActive(f.partner, f.unit.id)).map((p) => p.title)).toEqual([
        'Knife crime',
        'Retail crime',
      ]);
    });

    it('carries an owner, a marking, the TT&CG objective and a review date, set and changed (audited), shown in the brief and withheld from partners when sensitive (issue 17, item 1: none settable on 54b6730)', async () => {
      const f = await createUnitFixture(ctx.services);
      const knife = await ctx.services.priorities.create(f.analyst, {
        unitId: f.unit.id,
        title: 'Knife crime',
        ownerPersonId: f.manager.personId,
        objective: 'Reduce knife-enabled robbery in the town centre',
        reviewOn: '2026-04-14',
      });
      expect(knife).toMatchObject({
        ownerPersonId: f.manager.personId,
        marking: 'OFFICIAL',
        objective: 'Reduce knife-enabled robbery in the town centre',
        reviewOn: '2026-04-14',
      });
      const nightjar = await ctx.services.priorities.create(f.chair, {
        unitId: f.unit.id,
        title: 'Operation Nightjar: county lines target',
      });
      // The owner must be someone of the unit (not a partner); only the chair, an analyst or an admin sets it.
      await expect(
        ctx.services.priorities.update(f.analyst, nightjar.id, { ownerPersonId: f.partner.personId }),
      ).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        message: expect.stringContaining('ownerPersonId'),
      });
      await expect(
        ctx.services.priorities.update(f.member, nightjar.id, { marking: 'OFFICIAL-SENSITIVE' }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(ctx.services.priorities.update(f.analyst, nightjar.id, {})).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      await expect(
        ctx.services.priorities.update(f.analyst, 2 ** 40, { marking: 'OFFICIAL' }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });

      // Today's brief is built before the change, then shows it: the change makes the stored brief stale.
      const before = await ctx.services.briefs.get(f.chair, f.unit.id);
      expect(before.priorities.map((p) => p.title)).toContain('Operation Nightjar: county lines target');
      const marked = await ctx.services.priorities.update(f.analyst, nightjar.id, {
        marking: 'OFFICIAL-SENSITIVE',
        ownerPersonId: f.chair.personId,
      });
      expect(marked).toMatchObject({ marking: 'OFFICIAL-SENSITIVE', ownerPersonId: f.chair.personId });
      // A field left out stays as it was; an empty objective and a null review date clear them.
      const cleared = await ctx.services.priorities.update(f.chair, knife.id, {
        objective: '',
        reviewOn: null,
      });
      expect(cleared).toMatchObject({ ownerPersonId: f.manager.personId, objective: null, reviewOn: null });
      const events = await ctx.services.audit.list({ entityType: 'priority', entityId: String(nightjar.id) });
      expect(events.at(-1)).toMatchObject({
        operation: 'alteration',
        actorPersonId: f.analyst.personId,
        before: { marking: 'OFFICIAL', ownerPersonId: null },
        after: { marking: 'OFFICIAL-SENSITIVE', ownerPersonId: f.chair.personId },
      });

      const brief = await ctx.services.briefs.get(f.chair, f.unit.id);
      expect(brief.revision).toBeDefined();
      const byTitle = new Map(brief.priorities.map((p) => [p.title, p]));
      expect(byTitle.get('Knife crime')).toMatchObject({
        owner: f.manager.label,
        objective: null,
        reviewOn: null,
      });
      expect(byTitle.get('Operation Nightjar: county lines target')).toMatchObject({
        owner: f.chair.label,
        marking: 'OFFICIAL-SENSITIVE',
      });
      const partner = JSON.stringify(viewBrief(brief, { audience: 'partner', ceiling: 'OFFICIAL' }));
      expect(partner).not.toContain('Nightjar');
      expect(partner).not.toContain(f.manager.label);
      const official = JSON.stringify(viewBrief(brief, { audience: 'internal', ceiling: 'OFFICIAL' }));
      expect(official).not.toContain('Nightjar');
      expect(official).toContain('Knife crime');
    });

    it('refuses members, unknown matching-rule keys and an end before the start', async () => {
      const f = await createUnitFixture(ctx.services);
      await expect(
        ctx.services.priorities.create(f.member, { unitId: f.unit.id, title: 'X' }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(
        ctx.services.priorities.create(f.analyst, {
          unitId: f.unit.id,
          title: 'X',
          matchingRules: { colour: ['red'] } as never,
        }),
      ).rejects.toThrow(/matchingRules/);
      await expect(
        ctx.services.priorities.create(f.analyst, {
          unitId: f.unit.id,
          title: 'X',
          startsOn: '2026-05-01',
          endsOn: '2026-04-01',
        }),
      ).rejects.toThrow(/endsOn: must be on or after 2026-05-01/);
    });
  });
});
