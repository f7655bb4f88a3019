/** The daily brief: stored once per unit and day, marking ceilings, and the sanitised partner view. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBriefCard } from '../../../cards/daily-brief.card.js';
import { renderCardMarkdown } from '../../../cards/render/text.js';
import { type Brief, type BriefView, viewBrief } from '../../../services/briefs/brief.model.js';
import { createFixedClock } from '../../../services/clock.js';
import { BACKENDS } from '../../support/database.js';
import { createUnitFixture, type UnitFixture } from '../../support/fixtures.js';
import { useServices } from '../../support/suite.js';

const rationale = {
  information: 'Intelligence about a named suspect at 12 Example Street.',
  threatRisk: 'High',
  powersPolicy: 's.23 Misuse of Drugs Act',
  optionsConsidered: 'Warrant; observation',
  chosenOption: 'Apply for a warrant',
  reviewPoint: null,
};

const markdownOf = (view: BriefView) => renderCardMarkdown(buildBriefCard(view));

describe.each(BACKENDS)('the daily brief on %s', (backend) => {
  const clock = createFixedClock('2026-05-11T08:00:00Z'); // 09:00 BST on 11 May
  const ctx = useServices(backend, clock);
  let dir: string;
  let f: UnitFixture;
  let brief: Brief;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dmm-brief-'));
    f = await createUnitFixture(ctx.services);
    const s = ctx.services;
    // Yesterday (10 May): a meeting with one OFFICIAL and one OFFICIAL-SENSITIVE decision, and actions.
    clock.set('2026-05-10T08:00:00Z');
    await s.meetings.start(f.chair, f.unit.id);
    await s.decisions.record(f.chair, {
      unitId: f.unit.id,
      text: 'Patrols at the retail park',
      rationale: { ...rationale, information: 'Shoplifting series' },
    });
    await s.decisions.record(f.chair, {
      unitId: f.unit.id,
      text: 'Warrant for Suspect Alpha at 12 Example Street',
      rationale,
      marking: 'OFFICIAL-SENSITIVE',
    });
    await s.actions.create(f.chair, {
      unitId: f.unit.id,
      title: 'Visit victim Jane Example',
      ownerPersonId: f.owner.personId,
      dueOn: '2026-05-10',
      category: 'reassurance',
    });
    await s.actions.create(f.chair, {
      unitId: f.unit.id,
      title: 'Arrange CHIS debrief',
      ownerPersonId: f.owner.personId,
      dueOn: '2026-05-11',
      category: 'intelligence',
      marking: 'OFFICIAL-SENSITIVE',
    });
    const blocked = await s.actions.create(f.chair, {
      unitId: f.unit.id,
      title: 'Retrieve CCTV',
      ownerPost: 'Duty Inspector',
      dueOn: '2026-05-12',
      category: 'intelligence',
    });
    await s.actions.changeStatus(f.manager, blocked.id, { status: 'blocked', note: 'Site closed' });
    clock.set('2026-05-11T05:00:00Z');
    await s.forwardLook.create(f.analyst, {
      unitId: f.unit.id,
      kind: 'event',
      title: 'Football match, Example Stadium',
      startsAt: '2026-05-11T14:00:00Z',
    });
    await s.forwardLook.create(f.analyst, {
      unitId: f.unit.id,
      kind: 'warrant',
      title: 'Warrant at 12 Example Street',
      startsAt: '2026-05-11T09:00:00Z',
      marking: 'OFFICIAL-SENSITIVE',
    });
    const file = path.join(dir, 'incidents.csv');
    await fs.writeFile(
      file,
      [
        'incident_ref,opened_at,grade_initial,opening_type,nsir_chapter,qualifiers,thrive_risk,critical,area',
        'REF-0001,2026-05-10T20:00:00Z,1,ASSAULT,crime,domestic,H,N,Northside',
        'REF-0002,2026-05-10T21:00:00Z,3,THEFT,crime,,L,N,Centre',
      ].join('\n'),
    );
    await s.incidentImports.importFile(f.analyst, { unitId: f.unit.id, profile: 'generic-uk-cad', file });
    await s.priorities.create(f.analyst, {
      unitId: f.unit.id,
      title: 'Shoplifting',
      startsOn: '2026-01-01',
      matchingRules: { typeCodes: ['THEFT'] },
    });
    // The title of a sensitive priority names an operation and its target: it must not leave its marking.
    await s.priorities.create(f.analyst, {
      unitId: f.unit.id,
      title: 'Operation Nightjar: county lines at Example Court',
      startsOn: '2026-01-01',
      matchingRules: { typeCodes: ['ASSAULT'] },
      marking: 'OFFICIAL-SENSITIVE',
    });
    clock.set('2026-05-11T08:00:00Z');
    brief = await s.briefs.get(f.member, f.unit.id, '2026-05-11');
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('builds the brief for the window ending at 07:00 BST with every section', () => {
    expect(brief.window).toEqual({
      start: '2026-05-10T06:00:00.000Z',
      end: '2026-05-11T06:00:00.000Z',
      hours: 24,
    });
    expect(brief.incidents.total.count).toBe(2);
    expect(brief.exceptions.items.map((e) => [e.reference, e.reasons])).toEqual([
      ['REF-0001', ['Emergency response (G1)', 'Assessed high risk', 'Domestic abuse']],
    ]);
    expect(brief.actions.overdue.map((a) => a.title)).toEqual(['Visit victim Jane Example']);
    expect(brief.actions.dueToday.map((a) => a.title)).toEqual(['Arrange CHIS debrief']);
    expect(brief.actions.blocked.map((a) => [a.title, a.owner])).toEqual([
      ['Retrieve CCTV', 'Duty Inspector'],
    ]);
    expect(brief.actions.updated.map((a) => a.title)).toEqual(['Retrieve CCTV']);
    expect(brief.forwardLook.map((i) => i.kind)).toEqual(['warrant', 'event']);
    expect(brief.decisions.map((d) => d.text)).toEqual([
      'Patrols at the retail park',
      'Warrant for Suspect Alpha at 12 Example Street',
    ]);
  });

  it('is built once per unit and day: later calls return the stored brief, audited once as a combination', async () => {
    clock.set('2026-05-11T09:00:00Z');
    const again = await ctx.services.briefs.get(f.chair, f.unit.id, '2026-05-11');
    expect(again).toEqual(brief);
    const events = await ctx.services.audit.list({ entityType: 'brief' });
    expect(events.map((e) => e.operation)).toEqual(['combination']);
    clock.set('2026-05-11T08:00:00Z');
  });

  it('withholds items above an OFFICIAL ceiling with a count and a pointer, and shows them under OFFICIAL-SENSITIVE', () => {
    const official = viewBrief(brief, { audience: 'internal', ceiling: 'OFFICIAL' });
    expect(official.audience).toBe('internal');
    if (official.audience !== 'internal') return;
    expect(official.withheld.count).toBe(4);
    expect(official.withheld.pointer).toMatch(/^4 items withheld: above OFFICIAL/);
    expect(official.marking).toBe('OFFICIAL');
    const text = JSON.stringify(official) + markdownOf(official);
    for (const secret of ['Suspect Alpha', 'CHIS', 'Warrant at 12 Example Street', 'Nightjar'])
      expect(text).not.toContain(secret);
    expect(official.priorities.map((p) => [p.title, p.count])).toEqual([['Shoplifting', 1]]);
    const sensitive = viewBrief(brief, { audience: 'internal', ceiling: 'OFFICIAL-SENSITIVE' });
    expect(sensitive.marking).toBe('OFFICIAL-SENSITIVE');
    expect(markdownOf(sensitive)).toContain('Warrant for Suspect Alpha at 12 Example Street');
    expect(markdownOf(sensitive)).toContain('Operation Nightjar');
  });

  it('gives partners aggregates and themes only: no references, names, addresses or free text', () => {
    const partner = viewBrief(brief, { audience: 'partner', ceiling: 'OFFICIAL-SENSITIVE' });
    const serialised = JSON.stringify(partner) + markdownOf(partner);
    const forbidden = [
      'REF-0001',
      'REF-0002',
      'Jane Example',
      'Example Street',
      'Suspect Alpha',
      'CHIS',
      'Retrieve CCTV',
      'Football match',
      'Patrols at the retail park',
      f.owner.label,
      f.chair.label,
      'Duty Inspector',
      'A-',
      'D-',
      'Nightjar',
      'Example Court',
    ];
    for (const text of forbidden) expect(serialised).not.toContain(text);
    expect(partner).toMatchObject({
      audience: 'partner',
      marking: 'OFFICIAL',
      // One incident each: counts of 1 or 2 are never shown to partners.
      themes: [
        { label: 'Calls needing an emergency response', count: null },
        { label: 'Domestic abuse', count: null },
        { label: 'People assessed as at high risk', count: null },
      ],
      actions: { overdue: 1, dueToday: 0, blocked: 1, updated: 1 },
      forwardLook: { event: 1 },
      decisions: 1,
    });
    expect(serialised).toContain('Northside');
    expect(partner.audience === 'partner' && partner.priorities.map((p) => p.label)).toEqual(['Shoplifting']);
  });

  it('escapes user text in the Markdown so it shows literally', () => {
    const first = brief.actions.overdue[0];
    if (!first) throw new Error('fixture has an overdue action');
    const hostile: Brief = {
      ...brief,
      actions: {
        ...brief.actions,
        overdue: [{ ...first, title: '<script>alert(1)</script> *bold* [x](http://e)' }],
      },
    };
    const md = markdownOf(viewBrief(hostile, { audience: 'internal', ceiling: 'OFFICIAL' }));
    expect(md).toContain('\\<script\\>alert(1)\\</script\\> \\*bold\\* \\[x\\](http://e)');
    expect(md).not.toContain('<script>');
  });
});
