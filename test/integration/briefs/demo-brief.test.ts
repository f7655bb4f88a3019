/**
 * The demo shows all the brief can do (issue 15): every section has content, the brief says "demo data", and the
 * generator's proportions are the ones counted in the public files it names.
 */
import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { buildBriefCard } from '../../../cards/daily-brief.card.js';
import { renderCardText } from '../../../cards/render/text.js';
import { createSystemActor } from '../../../services/access/actor.js';
import { viewBrief } from '../../../services/briefs/brief.model.js';
import { createFixedClock } from '../../../services/clock.js';
import { DEMO_UNIT_CODE, seedDemo } from '../../../services/demo/demo.seed.js';
import {
  DALLAS_PRIORITIES,
  generateDemoRecords,
  SEATTLE_HOURS,
  SEATTLE_TYPE_GROUPS,
} from '../../../services/demo/demo-generator.js';
import { loadProfile } from '../../../services/incidents/profile.js';
import { sharedFile } from '../../support/paths.js';
import { useServices } from '../../support/suite.js';

const operator = createSystemActor('test');
const SEATTLE = sharedFile('seattle_spd_911_incident_response_2016-03.csv');
const DALLAS = sharedFile('dallas_pd_active_calls_2018-01-09.csv');

describe('the demo brief', () => {
  const ctx = useServices('pglite', createFixedClock('2026-11-24T09:15:00Z'));

  it('has something in every section, says it is demo data, and shows no raw code', async () => {
    const seeded = await seedDemo(ctx.services);
    expect(seeded.incidents).toBeGreaterThan(3500);
    const unit = await ctx.services.units.getByCode(DEMO_UNIT_CODE);
    const brief = await ctx.services.briefs.get(operator, unit.id);
    expect(brief.dataQuality.demo).toBe(true);
    expect(brief.incidents.total.count).toBeGreaterThan(80);
    expect(brief.dataQuality.baseline.used).toBe(28);
    expect(brief.exceptions.items.some((e) => e.reasons.includes('Critical incident'))).toBe(true);
    expect(brief.exceptions.items.some((e) => e.reasons.includes('Domestic abuse'))).toBe(true);
    expect(brief.incidents.responseTimes.map((r) => r.grade)).toEqual(['G1_EMERGENCY', 'G2_PRIORITY']);
    expect(brief.incidents.responseBreaches.count).toBeGreaterThan(0);
    expect(brief.incidents.repeatLocations.map((r) => r.place)).toEqual(
      expect.arrayContaining(['14 Example Road', 'Unit 3, Sample Retail Park']),
    );
    expect(brief.incidents.emergingSeries).toContainEqual(
      expect.objectContaining({ type: 'Residential burglaries', place: 'Beat C2' }),
    );
    expect(brief.incidents.hotspots.length).toBeGreaterThan(3);
    expect(brief.priorities.some((p) => p.count > 0)).toBe(true);
    expect(brief.forwardLook.length).toBe(2);
    expect(brief.decisions.length).toBeGreaterThan(0);
    expect(brief.actions.overdue.length + brief.actions.dueToday.length).toBeGreaterThan(0);
    expect(brief.dataQuality.placeholderPlaces).toBeGreaterThan(0);

    const text = renderCardText(
      buildBriefCard(viewBrief(brief, { audience: 'internal', ceiling: 'OFFICIAL-SENSITIVE' })),
    );
    expect(text).toMatch(/^OFFICIAL-SENSITIVE\n\nDaily brief: .*\(demo data\)/);
    for (const raw of ['G1_EMERGENCY', 'G2_PRIORITY', 'public_safety_welfare', 'asb_nuisance', 'derived:'])
      expect(text).not.toContain(raw);
    const partner = renderCardText(
      buildBriefCard(viewBrief(brief, { audience: 'partner', ceiling: 'OFFICIAL' })),
    );
    expect(partner).toContain('(demo data)');
    expect(partner).not.toContain('Drugs warrant');
  }, 120_000);

  it('is the same every time for the same day, and every record maps through the generic profile', async () => {
    const now = new Date('2026-11-24T09:15:00Z');
    expect(generateDemoRecords(now)).toEqual(generateDemoRecords(now));
    const generic = await loadProfile('generic-uk-cad');
    const columns = new Set(Object.keys(generateDemoRecords(now)[0] ?? {}));
    for (const required of generic.requiredColumns) expect(columns).toContain(required);
  });

  it.runIf(fs.existsSync(SEATTLE) && fs.existsSync(DALLAS))(
    'uses the proportions counted in the public Seattle and Dallas files',
    async () => {
      const profile = await loadProfile('seattle-spd-911');
      const seattle = parse(fs.readFileSync(SEATTLE), { columns: true }) as Array<Record<string, string>>;
      const groups = new Map<string, number>();
      const hours = new Array<number>(24).fill(0);
      for (const r of seattle) {
        const group = r['Initial Type Group'] ?? '';
        groups.set(group, (groups.get(group) ?? 0) + 1);
        const m = /(\d\d):\d\d:\d\d (AM|PM)$/.exec(r['At Scene Time'] ?? '');
        const hour = m ? (Number(m[1]) % 12) + (m[2] === 'PM' ? 12 : 0) : -1;
        if (hour >= 0) hours[hour] = (hours[hour] ?? 0) + 1;
      }
      expect(SEATTLE_HOURS).toEqual(hours);
      expect(new Map(SEATTLE_TYPE_GROUPS.map(([g, n]) => [g, n]))).toEqual(groups);
      const chapters = (profile.nsirChapter as { map: Record<string, string> }).map;
      for (const [group, , chapter] of SEATTLE_TYPE_GROUPS) expect(chapters[group]).toBe(chapter);

      const dallas = parse(fs.readFileSync(DALLAS), { columns: true }) as Array<Record<string, string>>;
      const seen = new Map<string, string>();
      for (const r of dallas) seen.set(r.incident_number ?? '', r.priority ?? '');
      const priorities: Record<string, number> = {};
      for (const p of seen.values()) priorities[p] = (priorities[p] ?? 0) + 1;
      expect(DALLAS_PRIORITIES).toEqual(priorities);
    },
  );
});
