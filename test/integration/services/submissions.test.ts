/**
 * One submission, one effect: the services claim a card's submission key in the transaction of the change, so
 * the same key sent again (after, or at the same moment) changes nothing and names what the first one did.
 */
import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../../services/clock.js';
import { BACKENDS } from '../../support/database.js';
import { createUnitFixture } from '../../support/fixtures.js';
import { useServices } from '../../support/suite.js';

const decision = (unitId: number, submissionKey?: string) => ({
  unitId,
  text: 'Close the footpath overnight',
  rationale: {
    information: 'Three robberies on the path this week.',
    threatRisk: 'Serious harm likely.',
    powersPolicy: 'Local authority order.',
    optionsConsidered: 'Patrol; lighting; closure.',
    chosenOption: 'Closure: removes the opportunity.',
    reviewPoint: null,
  },
  ...(submissionKey ? { submissionKey } : {}),
});

describe.each(BACKENDS)('submission keys on %s', (backend) => {
  const clock = createFixedClock('2026-06-15T08:00:00Z');
  const ctx = useServices(backend, clock);

  it('records a decision once for a key sent twice at once, and once more for a new key', async () => {
    const f = await createUnitFixture(ctx.services);
    const results = await Promise.allSettled([
      ctx.services.decisions.record(f.chair, decision(f.unit.id, 'form-aaaaaaaaaaaaaaaa')),
      ctx.services.decisions.record(f.chair, decision(f.unit.id, 'form-aaaaaaaaaaaaaaaa')),
    ]);
    const recorded = results.find((r) => r.status === 'fulfilled');
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({
      reason: {
        code: 'ALREADY_SUBMITTED',
        prior: {
          entityType: 'decision',
          entityId: (recorded as PromiseFulfilledResult<{ id: number }>).value.id,
        },
      },
    });
    await expect(
      ctx.services.decisions.record(f.chair, decision(f.unit.id, 'form-aaaaaaaaaaaaaaaa')),
    ).rejects.toMatchObject({ code: 'ALREADY_SUBMITTED' });
    await ctx.services.decisions.record(f.chair, decision(f.unit.id, 'form-bbbbbbbbbbbbbbbb'));
    expect(await ctx.services.decisions.list(f.chair, f.unit.id)).toHaveLength(2);
    const audited = await ctx.services.audit.list({ entityType: 'decision' });
    expect(audited.filter((e) => e.operation === 'collection' && e.unitId === f.unit.id)).toHaveLength(2);
    expect((await ctx.services.audit.verify()).ok).toBe(true);
  });

  it('leaves the key unused when the change is refused, so the corrected form goes through', async () => {
    const f = await createUnitFixture(ctx.services);
    const bad = { ...decision(f.unit.id, 'form-cccccccccccccccc'), text: '' };
    await expect(ctx.services.decisions.record(f.chair, bad)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(
      ctx.services.decisions.record(f.member, decision(f.unit.id, 'form-cccccccccccccccc')),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const ok = await ctx.services.decisions.record(f.chair, decision(f.unit.id, 'form-cccccccccccccccc'));
    expect(ok.text).toBe('Close the footpath overnight');
  });

  it('creates an action and moves its status once per key', async () => {
    const f = await createUnitFixture(ctx.services);
    const input = {
      unitId: f.unit.id,
      title: 'Speak to the school',
      ownerPersonId: f.owner.personId,
      category: 'prevention',
      submissionKey: 'form-dddddddddddddddd',
    };
    const action = await ctx.services.actions.create(f.member, input);
    await expect(ctx.services.actions.create(f.member, input)).rejects.toMatchObject({
      code: 'ALREADY_SUBMITTED',
      prior: { entityType: 'action', entityId: action.id, personId: f.member.personId },
    });
    const start = { status: 'in_progress' as const, submissionKey: 'press-eeeeeeeeeeeeeeee' };
    await Promise.allSettled([
      ctx.services.actions.changeStatus(f.owner, action.id, start),
      ctx.services.actions.changeStatus(f.owner, action.id, start),
    ]);
    const history = await ctx.services.actions.history(f.owner, action.id);
    expect(history.map((h) => h.kind)).toEqual(['created', 'status']);
    expect(
      (await ctx.services.actions.list(f.chair, f.unit.id, 'all')).filter((a) => a.title === input.title),
    ).toHaveLength(1);
  });

  it('refuses a key that is not a key, naming the field', async () => {
    const f = await createUnitFixture(ctx.services);
    await expect(ctx.services.decisions.record(f.chair, decision(f.unit.id, 'short'))).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      issues: [{ field: 'submissionKey' }],
    });
  });

  it('answers "not found" for ids past the database range, never a database error', async () => {
    const f = await createUnitFixture(ctx.services);
    for (const huge of [2_147_483_648, Number.MAX_SAFE_INTEGER]) {
      await expect(ctx.services.actions.get(f.chair, huge)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(ctx.services.decisions.get(f.chair, huge)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(ctx.services.meetings.get(f.chair, huge)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(ctx.services.units.get(huge)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(ctx.services.people.actorFor(f.chair.personId, huge)).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      await expect(
        ctx.services.actions.changeStatus(f.chair, huge, { status: 'in_progress' }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(ctx.services.meetings.next(f.chair, huge)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    }
  });
});
