/**
 * A hand-checked incident fixture for brief tests (issue 15): see test/integration/briefs/brief-readable.test.ts
 * for what it holds and the figures it gives. Unit in Europe/London, brief at 07:00, brief date 15 June 2026.
 */
import { createSystemActor } from '../../services/access/actor.js';
import type { ImportSummary } from '../../services/incidents/import.service.js';
import { loadProfile } from '../../services/incidents/profile.js';
import type { Services } from '../../services/index.js';
import { addDays, localDateTime } from '../../services/time.js';

export const BRIEF_FIXTURE_DATE = '2026-06-15';
const DATE = BRIEF_FIXTURE_DATE;
const ZONE = 'Europe/London';
const operator = createSystemActor('test');

type Fields = Partial<Record<string, string>>;
const rec = (fields: Fields) => {
  const record = {
    incident_ref: '',
    opened_at: '',
    grade_initial: '3',
    opening_type: 'THEFT',
    nsir_chapter: 'crime',
    area: 'Centre',
    ...fields,
  };
  return { record, raw: JSON.stringify(record) };
};
const at = (iso: string) => new Date(iso).toISOString();
const minutesAfter = (iso: string, m: number) => new Date(Date.parse(iso) + m * 60_000).toISOString();

/** Imports the fixture into a unit; every record is stored (a reject fails the caller's test). */
export async function importBriefFixture(services: Services, unitId: number): Promise<ImportSummary> {
  const records = [];
  for (let k = 1; k <= 28; k += 1) {
    if (k === 5) continue;
    const day = addDays(DATE, -k - 1);
    for (let i = 0; i < 12; i += 1) {
      const time = k === 28 ? `15:${String(i).padStart(2, '0')}` : `12:${String(i).padStart(2, '0')}`;
      records.push(
        rec({ incident_ref: `B-${k}-${i}`, opened_at: at(localDateTime(day, time, ZONE).toISOString()) }),
      );
    }
  }
  const g1 = (ref: string, opened: string, minutes: number, extra: Fields = {}) =>
    rec({
      incident_ref: ref,
      opened_at: opened,
      arrived_at: minutesAfter(opened, minutes),
      grade_initial: '1',
      opening_type: 'ASSAULT',
      ...extra,
    });
  records.push(
    rec({
      incident_ref: 'CR-1',
      opened_at: '2026-06-14T10:00:00Z',
      closed_at: '2026-06-14T12:00:00Z',
      closing_type: 'ARREST',
      grade_initial: '2',
      critical: 'Y',
      opening_type: 'FIREARMS DISCHARGE',
    }),
    g1('', '2026-06-14T09:00:00Z', 5, { area: 'High Street', beat: 'K2' }),
    g1('R-1', '2026-06-14T11:00:00Z', 10),
    g1('R-2', '2026-06-14T13:00:00Z', 20),
    g1('R-3', '2026-06-14T14:00:00Z', 30),
    rec({
      incident_ref: 'MP-1',
      opened_at: '2026-06-14T15:00:00Z',
      thrive_risk: 'H',
      qualifiers: 'missing_person',
      opening_type: 'CONCERN FOR SAFETY',
      nsir_chapter: 'public_safety_welfare',
    }),
    rec({ incident_ref: 'DA-1', opened_at: '2026-06-14T16:00:00Z', qualifiers: 'domestic' }),
    rec({ incident_ref: 'RA-1', opened_at: '2026-06-14T17:00:00Z', area: 'Restricted Address' }),
    rec({ incident_ref: 'RA-2', opened_at: '2026-06-14T17:10:00Z', area: 'Restricted Address' }),
    rec({ incident_ref: 'RA-3', opened_at: '2026-06-14T17:20:00Z', area: 'RESTRICTED ADDRESS' }),
    rec({ incident_ref: 'MID-1', opened_at: '2026-06-14T23:00:00Z' }),
    // A repeat location: two calls to 14 Elm Road in the window and one three days before (2 in 24 h, 3 in 7 days).
    rec({
      incident_ref: 'EL-1',
      opened_at: '2026-06-14T18:00:00Z',
      opening_type: 'ASB',
      area: '14 Elm Road',
    }),
    rec({
      incident_ref: 'EL-2',
      opened_at: '2026-06-14T19:00:00Z',
      opening_type: 'ASB',
      area: '14 Elm Road',
    }),
    rec({
      incident_ref: 'EL-0',
      opened_at: localDateTime(addDays(DATE, -4), '09:00', ZONE).toISOString(),
      opening_type: 'ASB',
      area: '14 Elm Road',
    }),
    // A possible series: three burglaries on beat K7, none there before.
    ...['BU-1', 'BU-2', 'BU-3'].map((ref, i) =>
      rec({
        incident_ref: ref,
        opened_at: `2026-06-14T0${7 + i}:30:00Z`,
        opening_type: 'BURGLARY',
        beat: 'K7',
      }),
    ),
  );
  // The generic profile, deriving a reference for a record without one (as a source with no ids does).
  const generic = await loadProfile('generic-uk-cad');
  const { summary } = await services.incidentImports.importRecords(operator, {
    unitId,
    profile: { ...generic, reference: { ...generic.reference, deriveWhenMissing: true } },
    label: 'brief fixture',
    records,
  });
  return summary;
}
