/**
 * The brief a chair reads at 08:30 (issue 15), on a hand-checked fixture. Unit in Europe/London, brief at 07:00;
 * the brief of 15 June 2026 covers 14 Jun 07:00 BST (06:00Z) to 15 Jun 07:00 BST.
 *
 * Baseline: 12 thefts at noon local on each of the 28 previous days, except day 5 (none: a gap in the source)
 * and day 28, when the data begins at 15:00 (a partial window). So 26 days are used and the usual level is 12.
 *
 * The window (times UTC):
 * - CR-1  critical, grade 2, opened 10:00, closed 12:00 "ARREST"
 * - (no reference) G1 ASSAULT at High Street, beat K2, opened 09:00, arrived 09:05 (5 min)
 * - G1, arrived after 10, 20 and 30 minutes
 * - MP-1  high THRIVE risk, missing person, still open
 * - DA-1  domestic abuse, grade 3
 * - three thefts at "Restricted Address"; one theft opened at 00:00 local (23:00Z the day before)
 * - one public safety and welfare call
 * G1 response: 5, 10, 20, 30 minutes: median 15, 90th percentile 27 (linear interpolation: 20 + 0.7 x 10);
 * against 15 minutes two are late, against 25 one.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSystemActor } from '../../../services/access/actor.js';
import { BRIEF_VERSION, type Brief, viewBrief } from '../../../services/briefs/brief.model.js';
import { LabelsFileError, loadLabels, withRenames } from '../../../services/briefs/labels.js';
import { createFixedClock } from '../../../services/clock.js';
import { createServices } from '../../../services/index.js';
import { addDays } from '../../../services/time.js';
import { BRIEF_FIXTURE_DATE, importBriefFixture } from '../../support/brief-fixture.js';
import { partnerCounts, partnerMayShow, RAW_CODES, renderings } from '../../support/brief-views.js';
import { BACKENDS } from '../../support/database.js';
import { createUnitFixture, type UnitFixture } from '../../support/fixtures.js';
import { useServices } from '../../support/suite.js';

const operator = createSystemActor('test');
const DATE = BRIEF_FIXTURE_DATE;

describe.each(BACKENDS)('the readable brief on %s', (backend) => {
  const ctx = useServices(backend, createFixedClock(`${DATE}T07:30:00Z`));
  let f: UnitFixture;
  let brief: Brief;

  beforeAll(async () => {
    f = await createUnitFixture(ctx.services, { code: `readable-${backend}` });
    const summary = await importBriefFixture(ctx.services, f.unit.id);
    expect(summary.rejected).toBe(0);
    brief = await ctx.services.briefs.get(operator, f.unit.id, DATE);
  });

  it('lists exceptions highest risk first, with a reference a person can use, and whether each is open', () => {
    const items = brief.exceptions.items;
    expect(items.map((e) => e.sourceReference)).toEqual(['CR-1', null, 'R-1', 'R-2', 'R-3', 'MP-1', 'DA-1']);
    // No reference of its own: time, type and place instead of the import's digest.
    expect(items[1]?.reference).toBe('Sun 14 Jun 2026 10:00 · Assault · High Street (beat K2)');
    expect(JSON.stringify(brief)).not.toContain('derived:');
    expect(items[0]).toMatchObject({
      reasons: ['Critical incident'],
      state: 'closed',
      outcome: 'Arrest',
      type: 'Firearms discharge',
      grade: 'Priority (G2)',
    });
    expect(items.find((e) => e.sourceReference === 'MP-1')).toMatchObject({
      reasons: ['Assessed high risk', 'Missing person'],
      state: 'open',
      outcome: null,
    });
  });

  it('gives response times by grade against the unit targets, and lists the late ones', async () => {
    expect(brief.incidents.responseTimes).toEqual([
      {
        grade: 'G1_EMERGENCY',
        label: 'Emergency (G1)',
        targetMinutes: 15,
        attended: 4,
        medianMinutes: 15,
        p90Minutes: 27,
        breaches: 2,
      },
    ]);
    expect(brief.incidents.responseBreaches.items.map((b) => [b.reference, b.minutesToArrive])).toEqual([
      ['R-3', 30],
      ['R-2', 20],
    ]);
    const unit = await ctx.services.units.setResponseTargets(operator, f.unit.id, {
      G1_EMERGENCY: 25,
      G2_PRIORITY: 60,
    });
    expect(unit.responseTargets).toEqual({ G1_EMERGENCY: 25, G2_PRIORITY: 60 });
    const rebuilt = await ctx.services.briefs.get(operator, f.unit.id, DATE, { rebuild: true });
    expect(rebuilt.incidents.responseTimes[0]).toMatchObject({ targetMinutes: 25, breaches: 1 });
    expect(rebuilt.incidents.responseBreaches.count).toBe(1);
    const [event] = await ctx.services.audit.list({ entityType: 'unit', entityId: String(f.unit.id) });
    expect(event).toBeDefined();
    const events = await ctx.services.audit.list({ entityType: 'unit' });
    expect(
      events.find((e) => e.operation === 'alteration' && e.entityId === String(f.unit.id)),
    ).toMatchObject({
      before: { responseTargets: { G1_EMERGENCY: 15, G2_PRIORITY: 60 } },
      after: { responseTargets: { G1_EMERGENCY: 25, G2_PRIORITY: 60 } },
    });
    await expect(
      ctx.services.units.setResponseTargets(operator, f.unit.id, { G9: 10 } as Record<string, number>),
    ).rejects.toThrow(/G1_EMERGENCY/);
    await ctx.services.units.setResponseTargets(operator, f.unit.id, { G1_EMERGENCY: 15, G2_PRIORITY: 60 });
  });

  it('ranks places by beat where the source has one, and never ranks a placeholder as a place', () => {
    const hotspots = brief.incidents.hotspots;
    expect(hotspots.map((h) => h.label)).toContain('Beat K2');
    expect(hotspots.find((h) => h.label === 'Beat K2')?.key).toBe('beat:K2');
    expect(hotspots.some((h) => /restricted/i.test(h.label))).toBe(false);
    expect(brief.dataQuality.placeholderPlaces).toBe(3);
  });

  it('finds repeat locations and possible series, each with the incidents behind it', () => {
    expect(
      brief.incidents.repeatLocations.map((r) => [
        r.place,
        r.day,
        r.week,
        r.incidents.map((i) => i.reference),
      ]),
    ).toEqual([
      // Centre (12 a day as a rule) is busy every day, not a repeat location.
      ['Beat K7', 3, 3, ['BU-3', 'BU-2', 'BU-1']],
      ['14 Elm Road', 2, 3, ['EL-2', 'EL-1']],
    ]);
    expect(
      brief.incidents.emergingSeries.map((c) => [
        c.type,
        c.place,
        c.count,
        c.baselineMean,
        c.incidents.length,
      ]),
    ).toEqual([
      ['Assault', 'Centre', 3, 0, 3],
      ['Burglary', 'Beat K7', 3, 0, 3],
    ]);
    const text = renderings(viewBrief(brief, { audience: 'internal', ceiling: 'OFFICIAL' })).text;
    expect(text).toContain('Repeat locations and possible series');
    expect(text).toMatch(/14 Elm Road\s+2\s+3\s+EL-2 \(20:00\); EL-1 \(19:00\)/);
  });

  it('says what the baseline left out and counts placeholder times apart', () => {
    expect(brief.dataQuality.baseline).toEqual({
      windows: 28,
      used: 26,
      gaps: [addDays(DATE, -5)],
      partial: addDays(DATE, -28),
      beforeData: 0,
    });
    // 25 days of 12 and one of 13 (EL-0, three days before).
    expect(brief.incidents.total.baselineMean).toBe(12.04);
    expect(brief.dataQuality.placeholderTimes).toBe(1);
    const trend = brief.incidents.trend;
    expect(trend).toHaveLength(29);
    expect(trend.at(-1)).toEqual({ date: DATE, count: brief.incidents.total.count });
    expect(trend.find((p) => p.date === addDays(DATE, -5))?.count).toBeNull();
    const text = renderings(viewBrief(brief, { audience: 'internal', ceiling: 'OFFICIAL' })).text;
    expect(text).toContain(`left out: ${addDays(DATE, -28)}, when the data begins part-way`);
    expect(text).toContain(`1 day with no data at all, where a day usually has many`);
    expect(text).toContain('1 incident opened at exactly 00:00');
    expect(text).toContain('3 incidents with no real location');
  });

  it('shows no raw code, derived reference or Markdown escape on any surface, and the rule only in help', () => {
    for (const target of [
      { audience: 'internal', ceiling: 'OFFICIAL-SENSITIVE' },
      { audience: 'internal', ceiling: 'OFFICIAL' },
      { audience: 'partner', ceiling: 'OFFICIAL' },
    ] as const) {
      const shown = renderings(viewBrief(brief, target));
      for (const [surface, text] of Object.entries(shown)) {
        for (const code of RAW_CODES) expect(text, `${surface} shows ${code}`).not.toContain(code);
        expect(text).not.toContain('sqrt(mean)');
        if (surface !== 'markdown') expect(text, surface).not.toMatch(/\\[_)*[\]]/);
      }
      expect(shown.text).toContain('dmm help brief');
    }
    const internal = renderings(viewBrief(brief, { audience: 'internal', ceiling: 'OFFICIAL' })).text;
    for (const section of [
      'At a glance',
      'Exceptions (',
      'Control-strategy priorities',
      'Response times',
      'By grade',
      'By NSIR chapter',
      'Top types',
      'Hotspots',
      'Actions',
      'Next 24 hours',
      "Yesterday's decisions",
      'About these figures',
    ])
      expect(internal).toContain(section);
    expect(internal).toContain('Public safety and welfare');
    expect(internal).toContain('Emergency (G1)');
  });

  it('gives partners plain English in local time, a title that says what it is, and no count below 3', () => {
    const view = viewBrief(brief, { audience: 'partner', ceiling: 'OFFICIAL' });
    if (view.audience !== 'partner') throw new Error('a partner view');
    for (const n of partnerCounts(view)) expect(partnerMayShow(n), `count ${n}`).toBe(true);
    expect(view.themes.map((t) => t.label)).toContain('Calls needing an emergency response');
    const { text, slack } = renderings(view);
    expect(text).toContain('Partner brief: ');
    expect(text).toContain('Sun 14 Jun 2026 07:00 to Mon 15 Jun 2026 07:00');
    expect(text).toContain('fewer than 3');
    expect(text).toContain('Counts of 1 or 2 are shown as "fewer than 3"');
    for (const jargon of ['THRIVE', 'G1 emergency', 'Emergency (G1)']) expect(slack).not.toContain(jargon);
  });

  it('builds a brief stored in the earlier format again when it is read', async () => {
    await sql`update brief_runs set content = jsonb_set(content, '{version}', '1')
              where unit_id = ${f.unit.id}`.execute(ctx.services.db);
    const again = await ctx.services.briefs.get(operator, f.unit.id, DATE);
    expect(again.version).toBe(BRIEF_VERSION);
    expect(again.incidents.responseTimes).toHaveLength(1);
  });

  it("uses a force's own labels from labels.json beside its profiles, and refuses one it cannot use", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dmm-labels-'));
    try {
      await fs.writeFile(
        path.join(dir, 'labels.json'),
        JSON.stringify({ grade: { G1_EMERGENCY: 'Immediate' }, type: { ASSAULT: 'Assault (all kinds)' } }),
      );
      const labels = await loadLabels(dir);
      const services = createServices({ db: ctx.services.db, clock: ctx.services.clock, labels });
      const renamed = await services.briefs.get(operator, f.unit.id, DATE, { rebuild: true });
      expect(renamed.incidents.byGrade.map((g) => g.label)).toContain('Immediate');
      expect(renamed.exceptions.items[1]?.type).toBe('Assault (all kinds)');
      expect(() => withRenames({ grade: { G9: 'x' } })).toThrow(LabelsFileError);
      expect(() => withRenames({ grade: { G9: 'x' } })).toThrow(
        /grade\.G9: 'G9' is not a grade; allowed: G1_EMERGENCY/,
      );
      expect(() => withRenames({ grades: {} })).toThrow(/grades/);
      await fs.writeFile(path.join(dir, 'labels.json'), '{ not json');
      await expect(loadLabels(dir)).rejects.toThrow(/labels\.json is not valid JSON/);
      // labels.json is not a profile.
      const { listProfiles } = await import('../../../services/incidents/profile.js');
      expect(await listProfiles(dir)).not.toContain('labels');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
      await ctx.services.briefs.get(operator, f.unit.id, DATE, { rebuild: true });
    }
  });
});
