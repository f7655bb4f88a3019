/**
 * The morning brief job with a fake clock (no sleeps): on time in winter and summer, once on the DST-change
 * days, caught up late after downtime within the window, never twice however often the tick repeats or however
 * many replicas tick; one delivery per bound conversation with that binding's view.
 */
import { describe, expect, it } from 'vitest';
import { BRIEF_JOB, briefDueAt, runBriefJob } from '../../../jobs/brief.job.js';
import { createFixedClock } from '../../../services/clock.js';
import type { Services } from '../../../services/index.js';
import { BACKENDS } from '../../support/database.js';
import { operator } from '../../support/fixtures.js';
import { useServices } from '../../support/suite.js';

const HOUR = 3_600_000;
const OPTIONS = { catchUpMs: 2 * HOUR, lateAfterMs: 5 * 60_000, worker: 'replica-a' };

async function unitWithBindings(services: Services, code: string, briefTime = '07:00') {
  const unit = await services.units.create(operator, { code, name: `Jobs ${code}`, briefTime });
  const link = (
    conversationId: string,
    audience: 'internal' | 'partner',
    ceiling: 'OFFICIAL' | 'OFFICIAL-SENSITIVE',
  ) =>
    services.channels.link(
      operator,
      { platform: 'slack', tenantId: 'T1', conversationId },
      { unitId: unit.id, audience, ceiling },
    );
  await link(`C-${code}-internal`, 'internal', 'OFFICIAL-SENSITIVE');
  await link(`C-${code}-partner`, 'partner', 'OFFICIAL');
  return unit;
}

describe.each(BACKENDS)('the brief job on %s', (backend) => {
  const clock = createFixedClock('2026-01-15T00:00:00Z');
  const ctx = useServices(backend, clock);
  const outcomeFor = (outcomes: Awaited<ReturnType<typeof runBriefJob>>, unitId: number) =>
    outcomes.find((o) => o.unitId === unitId)?.outcome;

  it('fires at 07:00 London in winter (07:00Z) and summer (06:00Z)', () => {
    const unit = { briefTime: '07:00', timeZone: 'Europe/London' };
    expect(briefDueAt(unit, '2026-01-15').toISOString()).toBe('2026-01-15T07:00:00.000Z');
    expect(briefDueAt(unit, '2026-07-15').toISOString()).toBe('2026-07-15T06:00:00.000Z');
  });

  it('claims once at the brief time, with one delivery per binding in its own view, and never again that day', async () => {
    const unit = await unitWithBindings(ctx.services, 'winter');
    clock.set('2026-01-15T06:59:00Z');
    expect(outcomeFor(await runBriefJob(ctx.services, clock, OPTIONS), unit.id)).toBe('not_due');
    clock.set('2026-01-15T07:00:00Z');
    expect(outcomeFor(await runBriefJob(ctx.services, clock, OPTIONS), unit.id)).toBe('claimed');
    for (const minute of [0, 1, 2, 30]) {
      clock.set(new Date(Date.parse('2026-01-15T07:00:00Z') + minute * 60_000));
      expect(outcomeFor(await runBriefJob(ctx.services, clock, OPTIONS), unit.id)).toBe('already_claimed');
    }
    const runs = await ctx.services.deliveries.runs({ job: BRIEF_JOB, localDate: '2026-01-15' });
    const run = runs.find((r) => r.unitId === unit.id);
    expect(run).toMatchObject({ late: false, deliveries: 2, claimedBy: 'replica-a' });
    const rows = (await ctx.services.deliveries.list()).filter((d) => d.jobRunId === run?.id);
    const titles = rows.map((d) => (d.payload as { title: string }).title).sort();
    expect(titles).toEqual(['Daily brief 2026-01-15', 'Partner brief 2026-01-15']);
    expect(rows.every((d) => d.status === 'pending')).toBe(true);
  });

  it('fires once in summer at 06:00Z', async () => {
    const unit = await unitWithBindings(ctx.services, 'summer');
    clock.set('2026-07-15T05:59:59Z');
    expect(outcomeFor(await runBriefJob(ctx.services, clock, OPTIONS), unit.id)).toBe('not_due');
    clock.set('2026-07-15T06:00:00Z');
    expect(outcomeFor(await runBriefJob(ctx.services, clock, OPTIONS), unit.id)).toBe('claimed');
  });

  it.each([
    ['spring forward: 01:30 does not exist on 29 March', '2026-03-29', '01:30'],
    ['fall back: 01:30 happens twice on 25 October', '2026-10-25', '01:30'],
    ['an ordinary time on the spring-forward day', '2026-03-29', '07:00'],
    ['an ordinary time on the fall-back day', '2026-10-25', '07:00'],
  ])('fires exactly once on a DST-change day (%s)', async (_label, day, time) => {
    const unit = await unitWithBindings(ctx.services, `dst-${day}-${time.replace(':', '')}`, time);
    const claims: string[] = [];
    // A tick every minute from 22:00Z the evening before to 02:00Z the day after.
    for (
      let t = Date.parse(`${day}T00:00:00Z`) - 2 * HOUR;
      t < Date.parse(`${day}T00:00:00Z`) + 26 * HOUR;
      t += 60_000
    ) {
      clock.set(new Date(t));
      const outcome = (await runBriefJob(ctx.services, clock, OPTIONS)).find((o) => o.unitId === unit.id);
      if (outcome?.outcome === 'claimed')
        claims.push(`${outcome.run.localDate}@${new Date(t).toISOString()}`);
    }
    expect(claims.filter((c) => c.startsWith(day))).toHaveLength(1);
    const due = briefDueAt(unit, day);
    expect(claims.find((c) => c.startsWith(day))).toBe(`${day}@${due.toISOString()}`);
  });

  it('catches up a missed brief after downtime, marked late, but not once the window has passed', async () => {
    const unit = await unitWithBindings(ctx.services, 'downtime');
    clock.set('2026-02-10T07:40:00Z');
    const [late] = (await runBriefJob(ctx.services, clock, OPTIONS)).filter((o) => o.unitId === unit.id);
    expect(late?.outcome).toBe('claimed');
    if (late?.outcome !== 'claimed') throw new Error('not claimed');
    expect(late.run.late).toBe(true);
    const rows = (await ctx.services.deliveries.list()).filter((d) => d.jobRunId === late.run.id);
    expect(JSON.stringify(rows[0]?.payload)).toContain('Sent late: due at');
    clock.set('2026-02-11T09:01:00Z');
    expect(outcomeFor(await runBriefJob(ctx.services, clock, OPTIONS), unit.id)).toBe('missed');
    expect(await ctx.services.deliveries.hasRun(BRIEF_JOB, unit.id, '2026-02-11')).toBe(false);
  });

  it('lets exactly one of several replicas ticking at once claim the run', async () => {
    const unit = await unitWithBindings(ctx.services, 'replicas');
    clock.set('2026-02-12T07:00:30Z');
    const all = await Promise.all(
      ['r1', 'r2', 'r3', 'r4'].map((worker) => runBriefJob(ctx.services, clock, { ...OPTIONS, worker })),
    );
    const claimed = all.flat().filter((o) => o.unitId === unit.id && o.outcome === 'claimed');
    expect(claimed).toHaveLength(1);
    const run = (await ctx.services.deliveries.runs({ localDate: '2026-02-12' })).filter(
      (r) => r.unitId === unit.id,
    );
    expect(run).toHaveLength(1);
    const rows = (await ctx.services.deliveries.list()).filter((d) => d.jobRunId === run[0]?.id);
    expect(rows).toHaveLength(2);
  });
});
