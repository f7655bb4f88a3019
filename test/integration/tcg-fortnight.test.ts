/**
 * Issue 17, "done when": a scripted fortnight on the demo unit, with an injected clock. The demo is seeded on
 * Monday 1 June 2026; the unit then meets on ten days (2-5, 8-12 and 15 June), with priorities that have owners,
 * decisions with review dates, actions tied to them, an escalation answered and an intelligence requirement
 * approved and answered. The TT&CG pack of 2-15 June is checked figure by figure against the fixture below,
 * worked out by hand from what the script does and the incidents it places (catalytic converter thefts, type
 * CATCON, which the demo's generated incidents never use). The demo priorities' counts before the period come
 * from the generated incidents: they are held to a count made here independently of the product's queries.
 * Every day the partner brief (and an OFFICIAL channel's brief) is checked never to show the OFFICIAL-SENSITIVE
 * priority.
 */
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { tcgPackMarkdown, tcgPackPdf } from '../../cards/tcg-pack.card.js';
import type { PersonActor } from '../../services/access/actor.js';
import { viewBrief } from '../../services/briefs/brief.model.js';
import { createFixedClock } from '../../services/clock.js';
import { DEMO_UNIT_CODE, seedDemo } from '../../services/demo/demo.seed.js';
import type { TcgPack } from '../../services/tcg/pack.service.js';
import { addDays } from '../../services/time.js';
import { BACKENDS } from '../support/database.js';
import { operator } from '../support/fixtures.js';
import { HAVE_POPPLER, renderPdf } from '../support/pdf.js';
import { useServices } from '../support/suite.js';

/** Catalytic converter thefts placed by hand: [first local date, how many] (one a day from that date, 10:00). */
const CATCON: ReadonlyArray<readonly [string, number]> = [
  // The six fortnights before the period, oldest first: 11, 13, 9, 11, 10, 12.
  ['2026-03-10', 11], // 10-23 March
  ['2026-03-24', 13], // 24 March - 6 April
  ['2026-04-07', 9], // 7-20 April
  ['2026-04-21', 11], // 21 April - 4 May
  ['2026-05-05', 10], // 5-18 May
  ['2026-05-19', 12], // 19 May - 1 June (the fortnight before the period): 19-30 May
  // The period, 2-15 June: 3.
  ['2026-06-02', 1],
  ['2026-06-04', 1],
  ['2026-06-10', 1],
];

/** Burglaries placed in the period (the demo's burglary priority matches the word "burglar"). */
const BURGLARIES = ['2026-06-03', '2026-06-11'];

const MEETING_DAYS = [
  '2026-06-02',
  '2026-06-03',
  '2026-06-04',
  '2026-06-05',
  '2026-06-08',
  '2026-06-09',
  '2026-06-10',
  '2026-06-11',
  '2026-06-12',
  '2026-06-15',
];

/**
 * The fixture, by hand.
 * Catalytic converter theft, period 2-15 June (14 days): daily 1,0,1,0,0,0,0,0,1,0,0,0,0,0 = 3; the fortnight
 * before, 12. Baseline (the six fortnights before, nearest first): 12, 10, 11, 9, 13, 11: mean 66 / 6 = 11;
 * squared deviations 1 + 1 + 0 + 4 + 4 + 0 = 10, / 5 = 2, sd = 1.41; 11 - 3 = 8 is more than
 * 2 * max(1.41, sqrt(11) = 3.32) = 6.63 and at least 3: fell. Change 3 - 12 = -9, -75%.
 * Action 1 closed 9 June: after = 10-23 June, counted to 16 June (the day the pack is made): 10 June = 1;
 * before = 27 May - 9 June: 27-30 May (4) + 2 and 4 June (2) = 6. Too early.
 * Action 2 closed 15 June: after = 16-29 June, so far 0; before = 2-15 June = 3. Too early.
 */
const FIXTURE = {
  catcon: {
    daily: [1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0],
    before: 12,
    after: 3,
    baseline: [12, 10, 11, 9, 13, 11],
    mean: 11,
    sd: 1.41,
    verdict: 'fell',
  },
  a1: [6, 1, false, 'too_early'],
  a2: [3, 0, false, 'too_early'],
};

/** A local date in Europe/London, worked out with Intl (not the product's luxon helpers). */
const londonDate = (at: Date) =>
  new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/London',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);

describe.each(BACKENDS)('a scripted fortnight to the TT&CG pack (%s)', (backend) => {
  // 07:00 BST on the seed day.
  const clock = createFixedClock('2026-06-01T06:00:00Z');
  const ctx = useServices(backend, clock);
  const people = {} as Record<'chair' | 'response' | 'sergeant' | 'analyst', PersonActor>;
  const ids = {} as Record<
    'cat' | 'op' | 'burglary' | 'd1' | 'd2' | 'a1' | 'a2' | 'a3' | 'e1' | 'ir1',
    number
  >;
  let unitId: number;
  let pack: TcgPack;
  const partnerBriefs: string[] = [];
  const officialBriefs: string[] = [];
  const sensitiveBriefs: string[] = [];

  /** A UTC time on a day: 08:00 UTC is 09:00 BST. */
  const on = (date: string, time = '08:00') => clock.set(`${date}T${time}:00Z`);

  beforeAll(async () => {
    const s = ctx.services;
    await seedDemo(s);
    const unit = await s.units.getByCode(DEMO_UNIT_CODE);
    unitId = unit.id;
    const members = await s.people.membersOf(unitId);
    const actor = async (name: string) => {
      const m = members.find((p) => p.displayName === name);
      if (!m) throw new Error(`no demo persona ${name}`);
      return s.people.actorFor(m.id, unitId);
    };
    people.chair = await actor('Supt Demo Chair');
    people.response = await actor('Insp Demo Response');
    people.sergeant = await actor('PS Demo Neighbourhood');
    people.analyst = await actor('Demo Analyst');
    ids.burglary = (await s.priorities.listActive(operator, unitId)).find(
      (p) => p.title === 'Residential burglary',
    )?.id as number;

    let n = 0;
    const place = async (date: string, type: string) => {
      n += 1;
      // 10:00 BST = 09:00 UTC (every date placed is in British Summer Time but the March ones: 10 to 28 March
      // are GMT, 09:00 UTC is 09:00 there, the same day either way).
      const at = `${date}T09:00:00Z`;
      await sql`insert into incidents (unit_id, source, reference, opened_at, event_at, opening_type_code, raw, content_hash)
        values (${unitId}, 'fortnight', ${`F-${n}`}, ${at}::timestamptz, ${at}::timestamptz, ${type}, 'fortnight', 'f')`.execute(
        s.db,
      );
    };
    for (const [first, count] of CATCON)
      for (let i = 0; i < count; i += 1) await place(addDays(first, i), 'CATCON');
    for (const date of BURGLARIES) await place(date, 'BURGLARY_DWELLING');

    const meet = async (date: string, business: () => Promise<void>) => {
      on(date);
      const meeting = await s.meetings.start(people.chair, unitId);
      await business();
      on(date, '08:45');
      await s.meetings.close(people.chair, meeting.id);
      const brief = await s.briefs.get(operator, unitId, date);
      partnerBriefs.push(JSON.stringify(viewBrief(brief, { audience: 'partner', ceiling: 'OFFICIAL' })));
      officialBriefs.push(JSON.stringify(viewBrief(brief, { audience: 'internal', ceiling: 'OFFICIAL' })));
      sensitiveBriefs.push(
        JSON.stringify(viewBrief(brief, { audience: 'internal', ceiling: 'OFFICIAL-SENSITIVE' })),
      );
    };
    const day = (i: number) => MEETING_DAYS[i] as string;
    const rationale = (information: string) => ({
      information,
      threatRisk: 'Continuing loss; vehicles unusable.',
      powersPolicy: 'Crime prevention policy; Scrap Metal Dealers Act 2013.',
      optionsConsidered: 'Patrols; property marking; a visit.',
      chosenOption: 'As decided.',
      reviewPoint: null,
    });

    await meet(day(0), async () => {
      ids.cat = (
        await s.priorities.create(people.analyst, {
          unitId,
          title: 'Catalytic converter theft',
          startsOn: '2026-06-02',
          matchingRules: { typeCodes: ['CATCON'] },
          ownerPersonId: people.sergeant.personId,
          objective: 'Halve catalytic converter thefts by July',
          reviewOn: '2026-06-16',
          morileScore: 300,
        })
      ).id;
      ids.d1 = (
        await s.decisions.record(people.chair, {
          unitId,
          text: 'Target-harden the three station car parks',
          rationale: rationale('Twelve thefts in a fortnight, most at the station car parks.'),
          priorityId: ids.cat,
          reviewOn: '2026-06-05',
        })
      ).id;
      ids.a1 = (
        await s.actions.create(people.chair, {
          unitId,
          title: 'Marking kits at the three car parks',
          ownerPersonId: people.sergeant.personId,
          dueOn: '2026-06-09',
          category: 'prevention',
          decisionId: ids.d1,
        })
      ).id;
    });
    await meet(day(1), async () => {
      await s.actions.changeStatus(people.sergeant, ids.a1, { status: 'in_progress' });
      ids.e1 = (
        await s.escalations.raise(people.chair, {
          unitId,
          what: 'No budget for marking kits',
          why: 'The crime prevention budget is spent for the quarter',
          resources: '£2,000 for 150 kits',
          tcg: 'BCU TT&CG, 10 June',
          actionId: ids.a1,
        })
      ).id;
    });
    await meet(day(2), async () => {
      ids.ir1 = (
        await s.intelligence.draft(people.analyst, {
          unitId,
          question: 'Where are the stolen converters being sold?',
          priorityId: ids.cat,
          ownerPersonId: people.analyst.personId,
          expiresOn: '2026-06-30',
        })
      ).id;
      await s.intelligence.approve(people.chair, ids.ir1, {});
    });
    await meet(day(3), async () => {
      await s.decisions.review(people.chair, ids.d1, {
        outcome: 'confirmed',
        nextReviewOn: '2026-06-12',
        note: 'Kits arriving',
      });
    });
    await meet(day(4), async () => {
      await s.intelligence.answer(people.response, ids.ir1, {
        answer: 'A scrap dealer on Mill Lane buys without asking for ID',
      });
    });
    await meet(day(5), async () => {
      await s.actions.changeStatus(people.sergeant, ids.a1, { status: 'done', result: '120 kits fitted' });
      ids.d2 = (
        await s.decisions.record(people.chair, {
          unitId,
          text: 'Joint visit to the Mill Lane scrap dealer with trading standards',
          rationale: rationale('The answer to IR: the dealer buys without ID.'),
          priorityId: ids.cat,
        })
      ).id;
      ids.a2 = (
        await s.actions.create(people.chair, {
          unitId,
          title: 'Visit the Mill Lane scrap dealer',
          ownerPersonId: people.response.personId,
          dueOn: '2026-06-12',
          category: 'enforcement',
          decisionId: ids.d2,
        })
      ).id;
    });
    await meet(day(6), async () => {
      await s.escalations.answer(people.chair, ids.e1, { outcome: 'Budget of £2,000 released' });
    });
    await meet(day(7), async () => {
      ids.op = (
        await s.priorities.create(people.analyst, {
          unitId,
          title: 'Operation Nightjar: county lines target',
          startsOn: '2026-06-11',
          matchingRules: { qualifiers: ['drugs'] },
          ownerPersonId: people.analyst.personId,
          marking: 'OFFICIAL-SENSITIVE',
        })
      ).id;
      ids.a3 = (
        await s.actions.create(people.chair, {
          unitId,
          title: 'Nightjar: observations at the Westgate address',
          ownerPersonId: people.response.personId,
          dueOn: '2026-06-19',
          category: 'intelligence',
          priorityId: ids.op,
          marking: 'OFFICIAL-SENSITIVE',
        })
      ).id;
    });
    await meet(day(8), async () => {
      await s.decisions.review(people.chair, ids.d1, { outcome: 'closed', note: 'All three car parks done' });
      await s.actions.changeStatus(people.response, ids.a2, {
        status: 'blocked',
        note: 'Dealer closed until Monday',
      });
    });
    await meet(day(9), async () => {
      await s.actions.changeStatus(people.response, ids.a2, {
        status: 'done',
        result: 'Dealer cautioned; records seized',
      });
    });
    on('2026-06-16', '06:30');
    pack = await s.tcgPacks.build(people.chair, {
      unitId,
      from: '2026-06-02',
      to: '2026-06-15',
      recipients: ['BCU TT&CG'],
      justification: 'Fortnightly TT&CG, 16 June',
      destination: 'test',
    });
  }, 240_000);

  it('holds ten meetings in the fortnight', async () => {
    const meetings = await ctx.services.db
      .selectFrom('meetings')
      .select('local_date')
      .where('unit_id', '=', unitId)
      .where('status', '=', 'closed')
      .where('local_date', '>=', '2026-06-02')
      .orderBy('local_date')
      .execute();
    expect(meetings.map((m) => m.local_date)).toEqual(MEETING_DAYS);
  });

  it('gives the catalytic converter priority its owner, objective, trend and results as worked out by hand', () => {
    const p = pack.priorities.find((x) => x.priority.id === ids.cat);
    expect(p?.owner).toBe('PS Demo Neighbourhood');
    expect(p?.priority).toMatchObject({
      objective: 'Halve catalytic converter thefts by July',
      reviewOn: '2026-06-16',
    });
    expect(p?.daily?.map((d) => d.count)).toEqual(FIXTURE.catcon.daily);
    expect(p?.daily?.[0]?.date).toBe('2026-06-02');
    expect(p?.results).toMatchObject({
      before: { from: '2026-05-19', to: '2026-06-01', count: FIXTURE.catcon.before },
      after: { from: '2026-06-02', to: '2026-06-15', count: FIXTURE.catcon.after, complete: true },
      mean: FIXTURE.catcon.mean,
      sd: FIXTURE.catcon.sd,
      gaps: 0,
      verdict: FIXTURE.catcon.verdict,
    });
    expect(p?.results?.baseline.map((w) => w.count)).toEqual(FIXTURE.catcon.baseline);
    // Its actions (the car parks through D-1, Mill Lane through D-2) with their results, and its decisions.
    expect(p?.actions.map((a) => [a.action.id, a.action.status, a.closedOn, a.action.result])).toEqual([
      [ids.a1, 'done', '2026-06-09', '120 kits fitted'],
      [ids.a2, 'done', '2026-06-15', 'Dealer cautioned; records seized'],
    ]);
    const measured = (i: number) => {
      const r = p?.actions[i]?.results;
      return [r?.before.count, r?.after.count, r?.after.complete, r?.verdict];
    };
    expect(measured(0)).toEqual(FIXTURE.a1);
    expect(measured(1)).toEqual(FIXTURE.a2);
    expect(p?.decisions.map((d) => d.id)).toEqual([ids.d1, ids.d2]);
  });

  it('counts the demo burglary priority in the period by hand, and before it as an independent count does', async () => {
    // Every incident of the unit, bucketed by its London date with Intl.
    const rows = await ctx.services.db
      .selectFrom('incidents')
      .select(['event_at', 'opening_type_code', 'closing_type_code'])
      .where('unit_id', '=', unitId)
      .execute();
    const burglaries = (from: string, to: string) =>
      rows.filter((r) => {
        const day = r.event_at ? londonDate(r.event_at) : '';
        const burglar =
          /burglar/i.test(r.opening_type_code ?? '') || /burglar/i.test(r.closing_type_code ?? '');
        return burglar && day >= from && day <= to;
      }).length;
    const b = pack.priorities.find((x) => x.priority.id === ids.burglary);
    expect(b?.owner).toBe('Insp Demo Response');
    // In the period: the two burglaries placed by the script (the generated incidents end on 1 June).
    expect(b?.results?.after.count).toBe(BURGLARIES.length);
    expect(b?.daily?.reduce((a, d) => a + d.count, 0)).toBe(BURGLARIES.length);
    expect(b?.results?.before.count).toBeGreaterThan(0);
    for (const [k, w] of (b?.results?.baseline ?? []).entries()) {
      const from = addDays('2026-05-19', -14 * k);
      expect([w.from, w.count]).toEqual([from, burglaries(from, addDays(from, 13))]);
    }
    // The demo's own actions for it: raised before the period, still open in it.
    expect(b?.actions.map((a) => a.action.title)).toEqual([
      'Crime prevention visits to the 12 addresses around the Elm Road burglaries',
      'Patrol plan for Elm Road, 22:00 to 04:00, three nights',
    ]);
  });

  it('lists the decisions with their reviews, the escalation answered, the requirement approved and answered', () => {
    expect(
      pack.decisions.map((d) => [d.decision.id, d.decision.reviewOn, d.reviews.map((r) => r.outcome)]),
    ).toEqual([
      [ids.d1, '2026-06-05', ['confirmed', 'closed']],
      [ids.d2, null, []],
    ]);
    expect(pack.escalations.map((e) => [e.id, e.what, e.outcome])).toEqual([
      [ids.e1, 'No budget for marking kits', 'Budget of £2,000 released'],
    ]);
    expect(pack.intelligence.map((r) => [r.id, r.status, r.answers.map((a) => a.answer)])).toEqual([
      [ids.ir1, 'approved', ['A scrap dealer on Mill Lane buys without asking for ID']],
    ]);
    // The demo's CCTV action serves no priority.
    expect(pack.otherActions.map((a) => a.action.title)).toEqual([
      'Retrieve CCTV from the retail park for the weekend robbery',
    ]);
  });

  it('is marked by what it holds, logged as a disclosure, and leaves the sensitive priority out below its marking', async () => {
    expect(pack.marking).toBe('OFFICIAL-SENSITIVE');
    const op = pack.priorities.find((p) => p.priority.id === ids.op);
    expect(op?.actions.map((a) => a.action.id)).toEqual([ids.a3]);
    const disclosures = await ctx.services.audit.list({ entityType: 'tcg_pack' });
    expect(disclosures.at(-1)).toMatchObject({
      operation: 'disclosure',
      entityId: 'demo:2026-06-02..2026-06-15',
      recipients: ['BCU TT&CG'],
    });
    const official = await ctx.services.tcgPacks.build(people.chair, {
      unitId,
      from: '2026-06-02',
      to: '2026-06-15',
      ceiling: 'OFFICIAL',
      recipients: ['Partnership meeting'],
      justification: 'Shared version',
      destination: 'test',
    });
    expect(official.marking).toBe('OFFICIAL');
    // The priority and its action.
    expect(official.withheld).toBe(2);
    const text = tcgPackMarkdown(official);
    expect(text).not.toContain('Nightjar');
    expect(text.split('\n')[0]).toContain('OFFICIAL');
    // The Markdown carries the figures above.
    expect(tcgPackMarkdown(pack)).toContain(
      'Results: 3 in the period against 12 in the 14 days before (−9 (−75%)); fell: below the usual range (mean 11 per 14 days).',
    );
    const pdf = await tcgPackPdf(pack);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    if (HAVE_POPPLER) {
      const rendered = renderPdf(pdf);
      const all = Array.from({ length: rendered.pageCount }, (_, i) => rendered.text(i + 1)).join('\n');
      expect(all).toContain('Catalytic converter theft');
      // Table cells wrap: the words, not the line.
      expect(all.replace(/\s+/g, ' ')).toContain('Escalations to the TT&CG (1)');
      expect(all).toContain('No budget for');
      for (let n = 1; n <= rendered.pageCount; n += 1) {
        expect(rendered.bandText(n, 0, 50)).toContain('OFFICIAL-SENSITIVE');
        expect(rendered.bandText(n, rendered.pageHeight - 50, rendered.pageHeight)).toContain(
          'OFFICIAL-SENSITIVE',
        );
      }
    }
  });

  it('never shows the OFFICIAL-SENSITIVE priority in a partner brief or an OFFICIAL channel, though the brief holds it', () => {
    expect(partnerBriefs).toHaveLength(10);
    for (const text of [...partnerBriefs, ...officialBriefs]) expect(text).not.toContain('Nightjar');
    // Where it may be shown, it is: from 11 June, the day it was set (the eighth meeting and after).
    expect(sensitiveBriefs.slice(7).every((t) => t.includes('Nightjar'))).toBe(true);
  });
});
