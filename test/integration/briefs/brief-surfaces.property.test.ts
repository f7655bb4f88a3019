/**
 * Rendered briefs — Adaptive Card, Block Kit, terminal text, Markdown; internal and partner — built from random
 * incidents and from the shared real files show no raw canonical code, no derived reference and no Markdown escape
 * as text, and the partner view no count below the suppression threshold (issue 15).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Brief, viewBrief } from '../../../services/briefs/brief.model.js';
import { createFixedClock } from '../../../services/clock.js';
import { NSIR_CHAPTERS, QUALIFIERS } from '../../../services/incidents/incident.model.js';
import { loadProfile } from '../../../services/incidents/profile.js';
import { partnerCounts, partnerMayShow, RAW_CODES, renderings } from '../../support/brief-views.js';
import { createUnitFixture, operator } from '../../support/fixtures.js';
import { sharedFile } from '../../support/paths.js';
import { useServices } from '../../support/suite.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 12);
function checkSurfaces(brief: Brief) {
  for (const target of [
    { audience: 'internal', ceiling: 'OFFICIAL-SENSITIVE' },
    { audience: 'internal', ceiling: 'OFFICIAL' },
    { audience: 'partner', ceiling: 'OFFICIAL' },
  ] as const) {
    const view = viewBrief(brief, target);
    for (const [surface, shown] of Object.entries(renderings(view))) {
      for (const raw of RAW_CODES)
        expect(shown, `${surface} (${target.audience}) shows ${raw}`).not.toContain(raw);
      if (surface === 'text')
        expect(shown, 'a Markdown escape in the terminal text').not.toMatch(/\\[_*)[\]#]/);
    }
    if (view.audience === 'partner')
      for (const n of partnerCounts(view)) expect(partnerMayShow(n), `partner count ${n}`).toBe(true);
  }
}

const code = <T extends string>(values: readonly T[]) => fc.constantFrom(...values, '', 'unmapped-code');
const GRADE_CODES = {
  G1_EMERGENCY: '1',
  G2_PRIORITY: '2',
  G3_SCHEDULED: '3',
  G4_RESOLVED_WITHOUT_DEPLOYMENT: '4',
};

const incident = fc.record({
  hour: fc.integer({ min: 0, max: 24 * 30 - 1 }),
  grade: code(Object.values(GRADE_CODES)),
  chapter: code(NSIR_CHAPTERS),
  qualifiers: fc.subarray([...QUALIFIERS], { maxLength: 3 }),
  type: fc.constantFrom('THEFT', 'ASB_YOUTHS', 'suspicious_person', 'RTC', 'Firearms discharge', 'x_y_z'),
  // Free text is shown as written (a place named like a code would be too), so none here is named like one.
  area: fc.constantFrom('High Street', 'Restricted Address', 'UNKNOWN', '', 'Elm Road (1)', 'A*B_C #2'),
  beat: fc.constantFrom('', 'K2', 'Beat_7'),
  thrive: fc.constantFrom('H', 'M', 'L', ''),
  critical: fc.constantFrom('Y', 'N'),
  arrive: fc.option(fc.integer({ min: 0, max: 300 })),
  marking: fc.constantFrom('', '', 'OFFICIAL-SENSITIVE'),
  ownReference: fc.boolean(),
});

describe('brief surfaces on pglite', () => {
  const ctx = useServices('pglite', createFixedClock('2026-03-02T08:00:00Z'));

  it('never show a raw code, a derived reference, an escape, or a small partner count, for random incidents', async () => {
    const generic = await loadProfile('generic-uk-cad');
    const profile = { ...generic, reference: { ...generic.reference, deriveWhenMissing: true } };
    const end = Date.parse('2026-03-02T07:00:00Z');
    await fc.assert(
      fc.asyncProperty(fc.array(incident, { minLength: 1, maxLength: 60 }), async (incidents) => {
        const f = await createUnitFixture(ctx.services);
        const records = incidents.map((i, n) => {
          const opened = new Date(end - (i.hour + 1) * 3_600_000 + n * 1000);
          const record: Record<string, string> = {
            incident_ref: i.ownReference ? `R-${n}` : '',
            opened_at: opened.toISOString(),
            arrived_at: i.arrive === null ? '' : new Date(opened.getTime() + i.arrive * 60_000).toISOString(),
            grade_initial: i.grade,
            opening_type: i.type,
            nsir_chapter: i.chapter,
            qualifiers: i.qualifiers.join(';'),
            thrive_risk: i.thrive,
            critical: i.critical,
            area: i.area,
            beat: i.beat,
            marking: i.marking,
          };
          return { record, raw: JSON.stringify(record) };
        });
        await ctx.services.incidentImports.importRecords(operator, {
          unitId: f.unit.id,
          profile,
          label: 'random',
          records,
        });
        checkSurfaces(await ctx.services.briefs.get(operator, f.unit.id, '2026-03-02'));
      }),
      { numRuns: RUNS },
    );
  }, 180_000);

  it.each([
    ['seattle_spd_911_incident_response_2016-03.csv', 'seattle-spd-911', 'America/Los_Angeles', '2016-03-03'],
    ['dallas_pd_active_calls_2018-01-09.csv', 'dallas-active-calls', 'America/Chicago', '2018-01-10'],
    ['uk_met_stop_and_search_2016-06.csv', 'police-uk-stop-search', 'Europe/London', '2016-06-30'],
  ])(
    'never show a raw code, a derived reference or an escape for %s',
    async (file, profile, timeZone, date) => {
      const f = await createUnitFixture(ctx.services, { timeZone });
      const summary = await ctx.services.incidentImports.importFile(operator, {
        unitId: f.unit.id,
        profile,
        file: sharedFile(file),
      });
      expect(summary.inserted).toBeGreaterThan(0);
      const brief = await ctx.services.briefs.get(operator, f.unit.id, date);
      expect(brief.incidents.total.count).toBeGreaterThan(0);
      checkSurfaces(brief);
    },
    120_000,
  );
});
