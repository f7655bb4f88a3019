/**
 * Reminders with a fake clock: at the reminder time each owner gets their due and overdue actions once (not the
 * snoozed ones), the action manager a digest, the chair the actions overdue past the threshold; each to the
 * person directly, once per day however often the tick repeats. A snooze is audited.
 */
import { describe, expect, it } from 'vitest';
import { runDailyJob } from '../../../jobs/daily.js';
import { DEFAULT_OUTBOX_OPTIONS, drainOutboxOnce } from '../../../jobs/outbox.js';
import { remindersJob } from '../../../jobs/reminders.job.js';
import { createFixedClock } from '../../../services/clock.js';
import { createLogger } from '../../../services/logger.js';
import { BACKENDS } from '../../support/database.js';
import { createUnitFixture } from '../../support/fixtures.js';
import { createMemoryPort } from '../../support/memory-port.js';
import { useServices } from '../../support/suite.js';

const OPTIONS = { catchUpMs: 2 * 3_600_000, lateAfterMs: 300_000, worker: 'w1' };
const text = (value: unknown) => JSON.stringify(value);

describe.each(BACKENDS)('reminders on %s', (backend) => {
  const clock = createFixedClock('2026-03-02T09:00:00Z');
  const ctx = useServices(backend, clock);

  it('reminds owners, digests for the action manager, escalates to the chair; snoozed actions are left out', async () => {
    const f = await createUnitFixture(ctx.services, { code: 'remind' });
    const create = (title: string, ownerPersonId: number, dueOn: string) =>
      ctx.services.actions.create(f.chair, {
        unitId: f.unit.id,
        title,
        ownerPersonId,
        dueOn,
        category: 'prevention',
      });
    // Created on 2 March; the reminders run on 6 March.
    const today = await create('Check the CCTV request', f.owner.personId, '2026-03-06');
    const late = await create('Visit the victim', f.owner.personId, '2026-03-02');
    const snoozed = await create('Update the problem profile', f.owner.personId, '2026-03-05');
    await create('Patrol plan for the weekend', f.member.personId, '2026-03-09');
    clock.set('2026-03-05T10:00:00Z');
    expect(await ctx.services.reminders.snooze(f.owner, snoozed.id, { days: 2 })).toEqual({
      actionId: snoozed.id,
      untilDate: '2026-03-07',
    });
    const audit = (await ctx.services.audit.list({ entityType: 'action', entityId: String(snoozed.id) })).at(
      -1,
    );
    expect(audit?.after).toMatchObject({ reminderSnoozedUntil: '2026-03-07', personId: f.owner.personId });
    await expect(ctx.services.reminders.snooze(f.member, late.id, { days: 1 })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(ctx.services.reminders.snooze(f.owner, late.id, { days: 30 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });

    const job = remindersJob(ctx.services, { time: '08:00', escalateAfterDays: 3 });
    clock.set('2026-03-06T07:59:00Z');
    expect(
      (await runDailyJob(ctx.services, clock, job, OPTIONS)).find((o) => o.unitId === f.unit.id)?.outcome,
    ).toBe('not_due');
    clock.set('2026-03-06T08:00:00Z');
    const [claimed] = (await runDailyJob(ctx.services, clock, job, OPTIONS)).filter(
      (o) => o.unitId === f.unit.id,
    );
    expect(claimed?.outcome).toBe('claimed');
    clock.set('2026-03-06T08:10:00Z');
    expect(
      (await runDailyJob(ctx.services, clock, job, OPTIONS)).find((o) => o.unitId === f.unit.id)?.outcome,
    ).toBe('already_claimed');

    const port = createMemoryPort('teams');
    port.reach(f.owner.personId, f.manager.personId, f.chair.personId);
    const logger = createLogger('silent');
    const result = await drainOutboxOnce(
      { services: ctx.services, ports: { teams: port }, clock, logger },
      { ...DEFAULT_OUTBOX_OPTIONS, worker: 'w1' },
    );
    expect(result).toMatchObject({ sent: 3, failed: 0 });
    const to = (personId: number) => port.directs.filter((d) => d.personId === personId);

    const [ownerReminder] = to(f.owner.personId);
    expect(text(ownerReminder?.card)).toContain('Check the CCTV request (due today');
    expect(text(ownerReminder?.card)).toContain('Visit the victim (4 days overdue');
    expect(text(ownerReminder?.card)).not.toContain('Update the problem profile');
    expect(text(ownerReminder?.card)).toContain('Snooze 1 day');
    expect(to(f.member.personId)).toHaveLength(0);
    expect(text(to(f.manager.personId)[0]?.card)).toContain('Action digest');
    expect(text(to(f.manager.personId)[0]?.card)).toContain('Update the problem profile');
    const escalation = to(f.chair.personId)[0];
    expect(text(escalation?.card)).toContain('Escalation: 1 action(s) overdue by 3 days or more');
    expect(text(escalation?.card)).toContain('Visit the victim');
    expect(text(escalation?.card)).not.toContain('Check the CCTV request');
    expect(today.id).toBeGreaterThan(0);
  });

  it('ends a reminder nobody can reach as failed, naming what to do', async () => {
    const f = await createUnitFixture(ctx.services, { code: 'unreachable' });
    await ctx.services.actions.create(f.chair, {
      unitId: f.unit.id,
      title: 'Nobody will hear of this',
      ownerPersonId: f.owner.personId,
      dueOn: '2026-03-10',
      category: 'prevention',
    });
    clock.set('2026-03-10T08:00:00Z');
    const job = remindersJob(ctx.services, { time: '08:00', escalateAfterDays: 3 });
    await runDailyJob(ctx.services, clock, job, OPTIONS);
    const port = createMemoryPort('slack');
    const deps = { services: ctx.services, ports: { slack: port }, clock, logger: createLogger('silent') };
    await drainOutboxOnce(deps, { ...DEFAULT_OUTBOX_OPTIONS, worker: 'w1', maxAttempts: 1 });
    const failed = await ctx.services.deliveries.list({ status: 'failed' });
    expect(
      failed.some(
        (d) =>
          d.personId === f.owner.personId && /link their Slack or Teams identity/.test(d.lastError ?? ''),
      ),
    ).toBe(true);
  });

  it('reminds an owner once, a set number of days before an action is due, unless snoozed; managers and chairs are not told early (issue 17, item 8: only due and overdue on 54b6730)', async () => {
    const f = await createUnitFixture(ctx.services, { code: 'ahead' });
    clock.set('2026-04-01T09:00:00Z');
    const create = (title: string, ownerPersonId: number, dueOn: string) =>
      ctx.services.actions.create(f.chair, {
        unitId: f.unit.id,
        title,
        ownerPersonId,
        dueOn,
        category: 'prevention',
      });
    const soon = await create('Prepare the dispersal order', f.owner.personId, '2026-04-06');
    const snoozed = await create('Book the community meeting', f.member.personId, '2026-04-06');
    await create('Later still', f.owner.personId, '2026-04-08');
    await ctx.services.reminders.snooze(f.member, snoozed.id, { days: 5 });
    const ids = (plan: {
      owners: ReadonlyArray<{ personId: number; actions: ReadonlyArray<{ id: number }> }>;
    }) => plan.owners.map((o) => [o.personId, o.actions.map((a) => a.id)]);
    // Two days before: the owner is told (due in 2 days); the snoozed one and the one due later are not.
    const ahead = await ctx.services.reminders.plan(f.unit.id, '2026-04-04', 3, 2);
    expect(ids(ahead)).toEqual([[f.owner.personId, [soon.id]]]);
    expect(ahead.owners[0]?.actions[0]?.daysOverdue).toBe(-2);
    expect(ahead.due).toEqual([]);
    expect(ahead.managers).toEqual([]);
    expect(ahead.escalated).toEqual([]);
    // Once: the day after, nothing (until it is due); with no days before set, nothing ahead at all.
    expect(ids(await ctx.services.reminders.plan(f.unit.id, '2026-04-05', 3, 2))).toEqual([]);
    expect(ids(await ctx.services.reminders.plan(f.unit.id, '2026-04-04', 3, 0))).toEqual([]);
    // Through the job and the outbox: the reminder says when it is due.
    const job = remindersJob(ctx.services, { time: '08:00', escalateAfterDays: 3, daysBefore: 2 });
    clock.set('2026-04-04T07:00:00Z');
    await runDailyJob(ctx.services, clock, job, OPTIONS);
    const port = createMemoryPort('teams');
    port.reach(f.owner.personId, f.member.personId, f.manager.personId, f.chair.personId);
    await drainOutboxOnce(
      { services: ctx.services, ports: { teams: port }, clock, logger: createLogger('silent') },
      { ...DEFAULT_OUTBOX_OPTIONS, worker: 'w1' },
    );
    const mine = port.directs.filter((d) => d.personId === f.owner.personId);
    expect(mine).toHaveLength(1);
    expect(text(mine[0]?.card)).toContain('1 due soon');
    expect(text(mine[0]?.card)).toContain('Prepare the dispersal order (due in 2 days, due 2026-04-06');
    expect(port.directs.filter((d) => d.personId !== f.owner.personId)).toEqual([]);
  });
});
