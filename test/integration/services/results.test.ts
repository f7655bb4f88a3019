/**
 * Issue 17, item 6: results analysis (none on 54b6730). Incidents placed by hand in known windows; every figure
 * below is worked out by hand in the comments, not by the code under test.
 */
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { createFixedClock } from '../../../services/clock.js';
import { addDays } from '../../../services/time.js';
import { BACKENDS } from '../../support/database.js';
import { createUnitFixture, operator, type UnitFixture } from '../../support/fixtures.js';
import { useServices } from '../../support/suite.js';

/** Matching (burglary) and other incidents per 7-day window, by the window's first date. */
const PLACED: ReadonlyArray<readonly [string, number, number]> = [
  // [first date, burglaries, other incidents]
  ['2026-01-19', 0, 0], // a gap: no incident at all (left out of the baseline)
  ['2026-01-26', 0, 4], // a quiet week: counted as 0
  ['2026-02-02', 11, 2],
  ['2026-02-09', 9, 1],
  ['2026-02-16', 12, 0],
  ['2026-02-23', 10, 3], // the window just before the point
  ['2026-03-02', 3, 5], // the window after (the priority started on 2 March)
  ['2026-03-09', 1, 0],
];

describe.each(BACKENDS)('results analysis (%s)', (backend) => {
  const clock = createFixedClock('2026-03-30T09:00:00Z');
  const ctx = useServices(backend, clock);
  let g: UnitFixture;
  let priorityId: number;

  beforeAll(async () => {
    g = await createUnitFixture(ctx.services);
    priorityId = (
      await ctx.services.priorities.create(operator, {
        unitId: g.unit.id,
        title: 'Residential burglary',
        startsOn: '2026-03-02',
        matchingRules: { typeCodes: ['BURGLARY'] },
      })
    ).id;
    let n = 0;
    for (const [first, burglaries, others] of PLACED) {
      for (let i = 0; i < burglaries + others; i += 1) {
        n += 1;
        // Spread over the window's seven days, at noon (GMT in January to March: local = UTC).
        const at = `${addDays(first, i % 7)}T12:00:00Z`;
        await sql`insert into incidents (unit_id, source, reference, opened_at, event_at, opening_type_code, raw, content_hash)
          values (${g.unit.id}, 'hand', ${`H-${n}`}, ${at}::timestamptz, ${at}::timestamptz,
                  ${i < burglaries ? 'BURGLARY' : 'THEFT'}, 'hand', 'h')`.execute(ctx.services.db);
      }
    }
  });

  it('counts a priority before and after its start, and calls a fall within the spread noise', async () => {
    const r = await ctx.services.results.ofPriority(g.chair, priorityId, { days: 7 });
    expect(r.pivot).toBe('2026-03-02');
    expect(r.before).toEqual({ from: '2026-02-23', to: '2026-03-01', count: 10, total: 13 });
    expect(r.after).toEqual({ from: '2026-03-02', to: '2026-03-08', count: 3, total: 8, complete: true });
    // Baseline: the six windows before, nearest first; 19 January is a gap and is left out.
    expect(r.baseline.map((w) => w.count)).toEqual([10, 12, 9, 11, 0, 0]);
    expect(r.gaps).toBe(1);
    // Usable counts 10, 12, 9, 11, 0: mean 42/5 = 8.4; squared deviations 2.56 + 12.96 + 0.36 + 6.76 + 70.56 =
    // 93.2, / 4 = 23.3, sd = 4.83. A fall of 8.4 - 3 = 5.4 is within 2 * max(4.83, sqrt(8.4)) = 9.65: noise.
    expect(r.mean).toBe(8.4);
    expect(r.sd).toBe(4.83);
    expect(r.verdict).toBe('noise');
  });

  it('calls a real fall a fall, and says when it is too early', async () => {
    // From 9 March: the window before is 2-8 March (3), the baseline 3, 10, 12, 9, 11, 0: mean 7.5, sd 4.59;
    // after (9-15 March) 1: 6.5 below the mean, within 2 * 4.59 = 9.18: still noise. Over 14 days from 9 March:
    // before 23 Feb-8 Mar = 13, earlier 9 Feb-22 Feb = 21, 26 Jan-8 Feb = 11, 12-25 Jan = 0 (gap),
    // and two more gaps: mean of 13, 21, 11 = 15, sd = sqrt((4 + 36 + 16) / 2) = 5.29; after (9-22 March) 1:
    // 14 below the mean, more than 2 * max(5.29, 3.87) = 10.58 and at least 3: a fall.
    const fell = await ctx.services.results.ofPriority(g.chair, priorityId, { from: '2026-03-09', days: 14 });
    expect(fell.baseline.map((w) => w.count)).toEqual([13, 21, 11, 0, 0, 0]);
    expect(fell.gaps).toBe(3);
    expect([fell.mean, fell.sd, fell.after.count, fell.verdict]).toEqual([15, 5.29, 1, 'fell']);
    // From 23 March, 14 days: the window after runs to 5 April, past today (30 March).
    const early = await ctx.services.results.ofPriority(g.chair, priorityId, {
      from: '2026-03-23',
      days: 14,
    });
    expect(early.after).toMatchObject({ complete: false, count: 0 });
    expect(early.verdict).toBe('too_early');
  });

  it('measures a closed action by its priority from the day after it closed, and says why it cannot otherwise', async () => {
    const open = await ctx.services.actions.create(g.chair, {
      unitId: g.unit.id,
      title: 'Target hardening on the estate',
      ownerPersonId: g.owner.personId,
      category: 'prevention',
    });
    await expect(ctx.services.results.ofAction(g.chair, open.id)).rejects.toThrow(
      /is open: results are measured/,
    );
    clock.set('2026-03-01T15:00:00Z');
    const closed = await ctx.services.actions.create(g.chair, {
      unitId: g.unit.id,
      title: 'Patrols on the estate',
      ownerPersonId: g.owner.personId,
      category: 'prevention',
    });
    await ctx.services.actions.changeStatus(g.owner, closed.id, {
      status: 'done',
      result: 'Patrolled nightly',
    });
    await expect(ctx.services.results.ofAction(g.chair, closed.id)).rejects.toThrow(/serves no priority/);
    const serving = await ctx.services.actions.create(g.chair, {
      unitId: g.unit.id,
      title: 'Patrols on the estate, for the priority',
      ownerPersonId: g.owner.personId,
      category: 'prevention',
      priorityId,
    });
    await ctx.services.actions.changeStatus(g.owner, serving.id, {
      status: 'done',
      result: 'Patrolled nightly',
    });
    clock.set('2026-03-30T09:00:00Z');
    const r = await ctx.services.results.ofAction(g.chair, serving.id, { days: 7 });
    // Closed on 1 March: the window after starts on 2 March, as the priority's did.
    expect(r.pivotLabel).toBe(`action #${serving.id} closed on 2026-03-01 (done)`);
    expect([r.before.count, r.after.count, r.verdict]).toEqual([10, 3, 'noise']);
  });
});
