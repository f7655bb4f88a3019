import { describe, expect, it } from 'vitest';
import { ACTION_STATUSES, type ActionStatus, TRANSITIONS } from '../../../services/actions/transitions.js';
import { createFixedClock } from '../../../services/clock.js';
import { BACKENDS } from '../../support/database.js';
import { createUnitFixture, operator, type UnitFixture } from '../../support/fixtures.js';
import { useServices } from '../../support/suite.js';

/** Shortest path of allowed moves from `open` to each status, to put an action in any state. */
const PATH_TO: Record<ActionStatus, ActionStatus[]> = {
  open: [],
  in_progress: ['in_progress'],
  blocked: ['blocked'],
  escalated: ['escalated'],
  done: ['done'],
  no_further_action: ['no_further_action'],
};

const EXTRAS = { note: 'reason given', result: 'suspect arrested and charged' };

describe.each(BACKENDS)('actions on %s', (backend) => {
  const clock = createFixedClock('2026-03-10T09:00:00Z');
  const ctx = useServices(backend, clock);

  async function newAction(f: UnitFixture, overrides: Record<string, unknown> = {}) {
    return ctx.services.actions.create(f.chair, {
      unitId: f.unit.id,
      title: 'Visit repeat victim of burglary',
      ownerPersonId: f.owner.personId,
      dueOn: '2026-03-12',
      category: 'reassurance',
      ...overrides,
    });
  }

  async function actionIn(f: UnitFixture, status: ActionStatus) {
    let action = await newAction(f);
    for (const step of PATH_TO[status]) {
      action = await ctx.services.actions.changeStatus(f.chair, action.id, { status: step, ...EXTRAS });
    }
    expect(action.status).toBe(status);
    return action;
  }

  describe('status transitions', () => {
    const pairs = ACTION_STATUSES.flatMap((from) => ACTION_STATUSES.map((to) => [from, to] as const));
    const allowed = pairs.filter(([from, to]) => TRANSITIONS[from].includes(to));
    const refused = pairs.filter(([from, to]) => !TRANSITIONS[from].includes(to));

    it('has 17 allowed moves and refuses the other 19, including every move out of done and no further action', () => {
      expect(allowed).toHaveLength(17);
      expect(refused).toHaveLength(19);
      expect(refused.filter(([from]) => from === 'done' || from === 'no_further_action')).toHaveLength(12);
    });

    it.each(allowed)('allows %s -> %s, bumps the version and records history', async (from, to) => {
      const f = await createUnitFixture(ctx.services);
      const before = await actionIn(f, from);
      const after = await ctx.services.actions.changeStatus(f.chair, before.id, {
        status: to,
        ...EXTRAS,
        expectedVersion: before.version,
      });
      expect(after.status).toBe(to);
      expect(after.version).toBe(before.version + 1);
      expect(after.result).toBe(to === 'done' ? EXTRAS.result : before.result);
      const history = await ctx.services.actions.history(f.chair, before.id);
      expect(history.at(-1)).toMatchObject({
        kind: 'status',
        fromStatus: from,
        toStatus: to,
        version: after.version,
      });
    });

    it.each(refused)('refuses %s -> %s with INVALID_TRANSITION and changes nothing', async (from, to) => {
      const f = await createUnitFixture(ctx.services);
      const before = await actionIn(f, from);
      await expect(
        ctx.services.actions.changeStatus(f.chair, before.id, { status: to, ...EXTRAS }),
      ).rejects.toMatchObject({
        code: 'INVALID_TRANSITION',
      });
      const after = await ctx.services.actions.get(f.chair, before.id);
      expect(after).toEqual(before);
    });
  });

  describe('rules on a move', () => {
    it('requires a result to mark an action done, naming the field', async () => {
      const f = await createUnitFixture(ctx.services);
      const action = await newAction(f);
      await expect(
        ctx.services.actions.changeStatus(f.owner, action.id, { status: 'done' }),
      ).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        issues: [expect.objectContaining({ field: 'result' })],
      });
      await expect(
        ctx.services.actions.changeStatus(f.owner, action.id, { status: 'done', result: '   ' }),
      ).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      expect((await ctx.services.actions.get(f.owner, action.id)).status).toBe('open');
    });

    it.each(['blocked', 'escalated', 'no_further_action'] as const)(
      'requires a reason (note) to move to %s',
      async (status) => {
        const f = await createUnitFixture(ctx.services);
        const action = await newAction(f);
        await expect(ctx.services.actions.changeStatus(f.owner, action.id, { status })).rejects.toMatchObject(
          {
            code: 'VALIDATION_FAILED',
            issues: [expect.objectContaining({ field: 'note' })],
          },
        );
      },
    );

    it('lets the owner, the action manager and the chair change status, and nobody else', async () => {
      const f = await createUnitFixture(ctx.services);
      const action = await newAction(f);
      expect(action.actionManagerId).toBe(f.manager.personId);
      await expect(
        ctx.services.actions.changeStatus(f.member, action.id, { status: 'in_progress' }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(
        ctx.services.actions.changeStatus(f.analyst, action.id, { status: 'in_progress' }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(
        ctx.services.actions.changeStatus(f.partner, action.id, { status: 'in_progress' }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      const a1 = await ctx.services.actions.changeStatus(f.owner, action.id, { status: 'in_progress' });
      const a2 = await ctx.services.actions.changeStatus(f.manager, action.id, {
        status: 'blocked',
        note: 'awaiting CCTV',
      });
      const a3 = await ctx.services.actions.changeStatus(f.chair, action.id, { status: 'in_progress' });
      expect([a1.version, a2.version, a3.version]).toEqual([2, 3, 4]);
    });

    it('lets only the chair or action manager move an escalated action on', async () => {
      const f = await createUnitFixture(ctx.services);
      const action = await newAction(f);
      await ctx.services.actions.changeStatus(f.owner, action.id, {
        status: 'escalated',
        note: 'needs TT&CG resources',
      });
      await expect(
        ctx.services.actions.changeStatus(f.owner, action.id, { status: 'in_progress' }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      const resumed = await ctx.services.actions.changeStatus(f.chair, action.id, { status: 'in_progress' });
      expect(resumed.status).toBe('in_progress');
    });

    it('refuses an actor from another unit even if they are chair there', async () => {
      const f = await createUnitFixture(ctx.services);
      const other = await createUnitFixture(ctx.services);
      const action = await newAction(f);
      await expect(
        ctx.services.actions.changeStatus(other.chair, action.id, { status: 'in_progress' }),
      ).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      await expect(ctx.services.actions.get(other.chair, action.id)).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
    });
  });

  describe('optimistic concurrency', () => {
    it('gives the second of two updates on the same version a CONFLICT naming the current state', async () => {
      const f = await createUnitFixture(ctx.services);
      const action = await newAction(f);
      const [first, second] = await Promise.allSettled([
        ctx.services.actions.changeStatus(f.owner, action.id, {
          status: 'in_progress',
          expectedVersion: action.version,
        }),
        ctx.services.actions.changeStatus(f.manager, action.id, {
          status: 'blocked',
          note: 'no vehicle',
          expectedVersion: action.version,
        }),
      ]);
      const outcomes = [first, second].map((r) => r.status);
      expect(outcomes.sort()).toEqual(['fulfilled', 'rejected']);
      const rejected = [first, second].find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(rejected.reason).toMatchObject({
        code: 'CONFLICT',
        details: { expectedVersion: 1, currentVersion: 2 },
      });
      expect(rejected.reason.message).toMatch(/changed by someone else/);
      const current = await ctx.services.actions.get(f.chair, action.id);
      expect(current.version).toBe(2);
      expect(await ctx.services.actions.history(f.chair, action.id)).toHaveLength(2);
    });

    it('refuses a stale version on due-date change and reassignment too', async () => {
      const f = await createUnitFixture(ctx.services);
      const action = await newAction(f);
      await ctx.services.actions.changeStatus(f.owner, action.id, { status: 'in_progress' });
      await expect(
        ctx.services.actions.changeDue(f.owner, action.id, { dueOn: '2026-03-20', expectedVersion: 1 }),
      ).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(
        ctx.services.actions.reassign(f.manager, action.id, {
          ownerPost: 'Duty Inspector, Response',
          expectedVersion: 1,
        }),
      ).rejects.toMatchObject({ code: 'CONFLICT' });
    });
  });

  describe('create, assign and list', () => {
    it('validates category against the unit scheme and names the allowed values', async () => {
      const pier = await createUnitFixture(ctx.services);
      const fourP = await createUnitFixture(ctx.services, { categoryScheme: '4P' });
      await expect(newAction(pier, { category: 'pursue' })).rejects.toThrow(
        /category: must be one of prevention, intelligence, enforcement, reassurance/,
      );
      const a = await newAction(fourP, { category: 'Pursue' });
      expect(a.category).toBe('pursue');
    });

    it('assigns to a post and hands over by reassignment with history', async () => {
      const f = await createUnitFixture(ctx.services);
      const a = await newAction(f, { ownerPersonId: undefined, ownerPost: 'Duty Inspector, Response' });
      expect(a).toMatchObject({ ownerPersonId: null, ownerPost: 'Duty Inspector, Response' });
      await expect(
        ctx.services.actions.reassign(f.owner, a.id, { ownerPersonId: f.member.personId }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      const moved = await ctx.services.actions.reassign(f.manager, a.id, {
        ownerPersonId: f.member.personId,
        note: 'shift handover',
      });
      expect(moved).toMatchObject({ ownerPersonId: f.member.personId, ownerPost: null, version: 2 });
      const history = await ctx.services.actions.history(f.chair, a.id);
      expect(history.map((h) => h.kind)).toEqual(['created', 'owner']);
      expect(history[1]?.note).toBe('shift handover');
    });

    it('refuses bad input with the field and what is allowed', async () => {
      const f = await createUnitFixture(ctx.services);
      await expect(
        newAction(f, { ownerPersonId: f.owner.personId, ownerPost: 'Duty Inspector' }),
      ).rejects.toThrow(/owner: give either/);
      await expect(newAction(f, { dueOn: '2026-02-30' })).rejects.toThrow(
        /dueOn: must be a date written YYYY-MM-DD/,
      );
      await expect(newAction(f, { dueOn: '2026-03-09' })).rejects.toThrow(
        /dueOn: must be today \(2026-03-10\) or later/,
      );
      await expect(newAction(f, { title: 'x'.repeat(201) })).rejects.toThrow(
        /title: must be at most 200 characters/,
      );
      await expect(newAction(f, { title: 'nul\u0000byte' })).rejects.toThrow(
        /title: must not contain control characters/,
      );
      await expect(newAction(f, { ownerPersonId: f.partner.personId })).rejects.toThrow(
        /partner \(read-only\)/,
      );
      await expect(newAction(f, { marking: 'SECRET' })).rejects.toThrow(
        /marking: must be one of OFFICIAL, OFFICIAL-SENSITIVE/,
      );
    });

    it('refuses creation by a partner', async () => {
      const f = await createUnitFixture(ctx.services);
      await expect(
        ctx.services.actions.create(f.partner, {
          unitId: f.unit.id,
          title: 'x',
          ownerPersonId: f.owner.personId,
          category: 'prevention',
        }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    });

    it('lists mine, overdue and due today in the unit time zone', async () => {
      const f = await createUnitFixture(ctx.services);
      const dueToday = await newAction(f, { dueOn: '2026-03-10' });
      const later = await newAction(f, { dueOn: '2026-03-15', ownerPersonId: f.member.personId });
      const willBeOverdue = await newAction(f, { dueOn: '2026-03-11' });
      const closed = await newAction(f, { dueOn: '2026-03-10' });
      await ctx.services.actions.changeStatus(f.owner, closed.id, { status: 'done', result: 'completed' });
      clock.set('2026-03-12T09:00:00Z');
      try {
        const ids = async (filter: 'mine' | 'overdue' | 'due_today' | 'open' | 'all', actor = f.owner) =>
          (await ctx.services.actions.list(actor, f.unit.id, filter)).map((a) => a.id);
        expect(await ids('mine')).toEqual([dueToday.id, willBeOverdue.id]);
        expect(await ids('overdue')).toEqual([dueToday.id, willBeOverdue.id]);
        expect(await ids('due_today')).toEqual([]);
        expect(await ids('open')).toEqual([dueToday.id, willBeOverdue.id, later.id]);
        expect(await ids('all')).toEqual([dueToday.id, closed.id, willBeOverdue.id, later.id]);
        await expect(ctx.services.actions.list(f.partner, f.unit.id, 'all')).rejects.toMatchObject({
          code: 'FORBIDDEN',
        });
        const summary = await ctx.services.actions.summarise(f.partner, f.unit.id);
        expect(summary).toEqual({
          total: 4,
          byStatus: { open: 3, done: 1 },
          byCategory: { reassurance: 4 },
          overdue: 2,
        });
        expect(JSON.stringify(summary)).not.toContain('burglary');
      } finally {
        clock.set('2026-03-10T09:00:00Z');
      }
    });

    it('counts "due today" by the London date, not the UTC date, after midnight in summer', async () => {
      const f = await createUnitFixture(ctx.services);
      clock.set('2026-07-01T08:00:00Z');
      try {
        const a = await newAction(f, { dueOn: '2026-07-02' });
        clock.set('2026-07-01T23:30:00Z'); // 00:30 on 2 July in London (BST)
        expect((await ctx.services.actions.list(f.chair, f.unit.id, 'due_today')).map((x) => x.id)).toEqual([
          a.id,
        ]);
      } finally {
        clock.set('2026-03-10T09:00:00Z');
      }
    });

    it('audits create and every update with before and after', async () => {
      const f = await createUnitFixture(ctx.services);
      const a = await newAction(f);
      await ctx.services.actions.changeStatus(f.owner, a.id, {
        status: 'done',
        result: 'visited; crime prevention advice given',
      });
      const events = await ctx.services.audit.list({ entityType: 'action', entityId: String(a.id) });
      expect(events.map((e) => e.operation)).toEqual(['collection', 'alteration']);
      expect(events[1]?.before).toMatchObject({ status: 'open', version: 1 });
      expect(events[1]?.after).toMatchObject({
        status: 'done',
        version: 2,
        result: 'visited; crime prevention advice given',
      });
      expect(events[1]?.actorPersonId).toBe(f.owner.personId);
      expect(operator.kind).toBe('system');
    });
  });
});
