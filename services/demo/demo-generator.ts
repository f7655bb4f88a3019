/**
 * Generated incidents for the demo only: no public UK command-and-control extract exists in the shared data, so
 * the demo unit's incidents are drawn at random (seeded, so every demo is the same) from proportions measured in
 * the public files beside the project, and every brief built from them says "demo data" (source `dmm-demo`).
 * The real files stay the import examples and the test data.
 *
 * Where each proportion comes from:
 * - Call types, their NSIR chapters and qualifiers: the Initial Type Group of the 673 records of
 *   `seattle_spd_911_incident_response_2016-03.csv` (City of Seattle open data, public domain), counted and mapped
 *   through the shipped `seattle-spd-911` profile (test/unit/services/demo-generator.test.ts counts them again).
 * - Hour of day: the At Scene Time of the same 673 records (the nearest to a call time that file has).
 * - Grade mix: the priority (1-4) of the 45 incidents of `dallas_pd_active_calls_2018-01-09.csv` (Dallas
 *   OpenData, ODC Attribution), read as grades 1-4.
 * Illustrative, not measured (no public file gives them): 120 incidents a day; arrival after a median of
 * 9 minutes for G1 and 38 for G2 (log-normal); 2% of locations withheld ("Restricted Address"); 1% of times
 * given as 00:00; three addresses with repeat calls; a run of dwelling burglaries on one beat in the last day.
 */
import { createSystemActor } from '../access/actor.js';
import { DEMO_SOURCE } from '../briefs/brief.service.js';
import type { ImportSummary } from '../incidents/import.service.js';
import { loadProfile } from '../incidents/profile.js';
import type { Services } from '../index.js';
import { addDays, localDateOf, localDateTime } from '../time.js';

/** Initial Type Group counts of the Seattle file, with the chapter and qualifiers its profile maps them to. */
export const SEATTLE_TYPE_GROUPS: ReadonlyArray<readonly [string, number, string, readonly string[]]> = [
  ['TRAFFIC RELATED CALLS', 130, 'transport', ['road_traffic']],
  ['SUSPICIOUS CIRCUMSTANCES', 86, 'public_safety_welfare', []],
  ['THEFT', 75, 'crime', []],
  ['DISTURBANCES', 58, 'asb_nuisance', []],
  ['RESIDENTIAL BURGLARIES', 39, 'crime', []],
  ['AUTO RECOVERIES', 30, 'crime', []],
  ['THREATS, HARASSMENT', 25, 'crime', []],
  ['ASSAULTS', 23, 'crime', []],
  ['TRESPASS', 21, 'crime', []],
  ['MISCELLANEOUS MISDEMEANORS', 20, 'crime', []],
  ['CRISIS CALL', 17, 'public_safety_welfare', ['mental_health']],
  ['PROPERTY DAMAGE', 15, 'crime', []],
  ['NARCOTICS COMPLAINTS', 14, 'crime', ['drugs']],
  ['PROPERTY - MISSING, FOUND', 14, 'administration', []],
  ['COMMERCIAL BURGLARIES', 14, 'crime', []],
  ['FRAUD CALLS', 13, 'crime', []],
  ['PARKING VIOLATIONS', 11, 'transport', []],
  ['CASUALTIES', 11, 'public_safety_welfare', []],
  ['LIQUOR VIOLATIONS', 10, 'asb_nuisance', ['alcohol']],
  ['PERSONS - LOST, FOUND, MISSING', 8, 'public_safety_welfare', ['missing_person']],
  ['HAZARDS', 8, 'public_safety_welfare', []],
  ['ROBBERY', 7, 'crime', []],
  ['GUN CALLS', 6, 'crime', ['firearm', 'weapon']],
  ['TREES DOWN', 5, 'public_safety_welfare', []],
  ['PROWLER', 4, 'crime', []],
  ['WEAPONS CALLS', 4, 'crime', ['weapon']],
  ['PARKS EXCLUSIONS', 2, 'administration', []],
  ['ANIMAL COMPLAINTS', 1, 'public_safety_welfare', []],
  ['ROAD RAGE', 1, 'transport', []],
  ['NOISE DISTURBANCE', 1, 'asb_nuisance', []],
];

/** At Scene Time of the Seattle file, by hour of day (00-23). */
export const SEATTLE_HOURS: readonly number[] = [
  7, 6, 3, 6, 6, 10, 17, 27, 28, 26, 24, 28, 52, 43, 31, 46, 46, 62, 44, 31, 56, 36, 22, 16,
];

/** Priorities 1-4 of the Dallas snapshot's 45 incidents. */
export const DALLAS_PRIORITIES: Readonly<Record<'1' | '2' | '3' | '4', number>> = {
  1: 8,
  2: 16,
  3: 14,
  4: 7,
};

const ZONE = 'Europe/London';
const BRIEF_TIME = '07:00';
const PER_DAY = 120;
const DAYS = 35;
const BEATS = ['A1', 'A2', 'B1', 'B2', 'C1', 'C2', 'D1', 'D2'];
const BEAT_WEIGHTS = [18, 14, 12, 12, 10, 10, 8, 6];
const NEIGHBOURHOODS: Record<string, string> = {
  A1: 'Town Centre',
  A2: 'Station Quarter',
  B1: 'Northfield',
  B2: 'Riverside',
  C1: 'Hill Top',
  C2: 'Westgate',
  D1: 'Marsh Lane',
  D2: 'Airfield',
};
/** Fictional addresses on fictional streets. */
const REPEAT_ADDRESSES = ['14 Example Road', 'Unit 3, Sample Retail Park', '2 Specimen Court'];
const OUTCOMES = ['Advice given', 'Report taken', 'Arrest', 'No offence', 'Referred to partner agency'];

/** mulberry32: a small seeded generator, for a demo that is the same every time (not for anything secret). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly T[], weights: readonly number[]): T {
  const total = weights.reduce((a, b) => a + b, 0);
  let r = random() * total;
  for (let i = 0; i < items.length; i += 1) {
    r -= weights[i] ?? 0;
    if (r < 0) return items[i] as T;
  }
  return items[items.length - 1] as T;
}

/** Log-normal minutes with the given median (spread 0.6 on the log scale). */
function minutes(random: () => number, median: number): number {
  const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Math.max(1, Math.round(median * Math.exp(0.6 * normal)));
}

type DemoRecord = Record<string, string>;

/** The demo's records, from DAYS days before `now` up to `now`, in the generic command-and-control columns. */
export function generateDemoRecords(now: Date): DemoRecord[] {
  const random = seeded(20160302);
  const records: DemoRecord[] = [];
  const end = now.getTime();
  const start = end - DAYS * 86_400_000;
  const groupWeights = SEATTLE_TYPE_GROUPS.map((g) => g[1]);
  const grades = Object.keys(DALLAS_PRIORITIES) as Array<keyof typeof DALLAS_PRIORITIES>;
  const gradeWeights = grades.map((g) => DALLAS_PRIORITIES[g]);
  let n = 0;
  const add = (
    opened: Date,
    group: (typeof SEATTLE_TYPE_GROUPS)[number],
    extra: Partial<DemoRecord> = {},
  ) => {
    n += 1;
    const grade = pick(random, grades, gradeWeights);
    const beat = pick(random, BEATS, BEAT_WEIGHTS);
    const qualifiers = new Set(group[3]);
    if (['THREATS, HARASSMENT', 'ASSAULTS', 'DISTURBANCES'].includes(group[0]) && random() < 0.3)
      qualifiers.add('domestic');
    if (group[0] === 'THREATS, HARASSMENT' && random() < 0.1) qualifiers.add('hate');
    const withheld = random() < 0.02;
    const age = end - opened.getTime();
    const arrive = grade === '1' ? minutes(random, 9) : grade === '2' ? minutes(random, 38) : null;
    const closed = age > 2 * 3_600_000 && random() < 0.85;
    const arrivedAt = arrive === null ? null : new Date(opened.getTime() + arrive * 60_000);
    records.push({
      incident_ref: `DEMO-${opened.toISOString().slice(0, 10).replaceAll('-', '')}-${String(n).padStart(5, '0')}`,
      opened_at: opened.toISOString(),
      arrived_at: arrivedAt && arrivedAt.getTime() <= end ? arrivedAt.toISOString() : '',
      closed_at: closed
        ? new Date(opened.getTime() + Math.min(age, (1 + random() * 5) * 3_600_000)).toISOString()
        : '',
      closing_type: closed ? pick(random, OUTCOMES, [30, 30, 10, 20, 10]) : '',
      grade_initial: grade,
      opening_type: group[0],
      nsir_chapter: group[2],
      qualifiers: [...qualifiers].join(';'),
      thrive_risk: random() < 0.03 ? 'H' : random() < 0.2 ? 'M' : 'L',
      critical: 'N',
      area: withheld ? 'Restricted Address' : (NEIGHBOURHOODS[beat] ?? beat),
      beat: withheld ? '' : beat,
      ...extra,
    });
  };
  const hours = SEATTLE_HOURS;
  const today = localDateOf(now, ZONE);
  for (let day = DAYS; day >= 0; day -= 1) {
    const date = addDays(today, -day);
    const count = Math.round(PER_DAY * (0.85 + random() * 0.3));
    for (let i = 0; i < count; i += 1) {
      const hour = pick(
        random,
        hours.map((_, h) => h),
        hours,
      );
      // 1% given as 00:00 (a date without a time), as some exports do.
      const midnight = random() < 0.01;
      const time = midnight
        ? '00:00'
        : `${String(hour).padStart(2, '0')}:${String(Math.floor(random() * 60)).padStart(2, '0')}`;
      const opened = localDateTime(date, time, ZONE);
      if (opened.getTime() > end || opened.getTime() < start) continue;
      add(opened, pick(random, SEATTLE_TYPE_GROUPS, groupWeights));
    }
  }
  const burglary = SEATTLE_TYPE_GROUPS.find((g) => g[0] === 'RESIDENTIAL BURGLARIES');
  const disturbance = SEATTLE_TYPE_GROUPS.find((g) => g[0] === 'DISTURBANCES');
  const gun = SEATTLE_TYPE_GROUPS.find((g) => g[0] === 'GUN CALLS');
  if (!burglary || !disturbance || !gun) throw new Error('demo type groups are missing');
  // The patterns below fall in the latest brief's window: the 24 hours to the last 07:00 (the demo's brief time).
  const briefTime = localDateTime(today, BRIEF_TIME, ZONE).getTime();
  const windowEnd =
    briefTime <= end ? briefTime : localDateTime(addDays(today, -1), BRIEF_TIME, ZONE).getTime();
  const before = (hours: number) => new Date(windowEnd - hours * 3_600_000);
  // Repeat calls to three addresses over the last week, two of them twice in the last day.
  REPEAT_ADDRESSES.forEach((address, a) => {
    for (let i = 0; i < 4 - a; i += 1)
      add(before(i * 40 + 3 + a * 4), disturbance, { area: address, beat: '' });
  });
  // A run of dwelling burglaries on beat C2 overnight.
  for (let i = 0; i < 5; i += 1)
    add(before(8 - i), burglary, { beat: 'C2', area: NEIGHBOURHOODS.C2 as string });
  // A critical incident, still open.
  add(before(5), gun, { critical: 'Y', grade_initial: '1', closed_at: '', closing_type: '' });
  return records.sort((a, b) => String(a.opened_at).localeCompare(String(b.opened_at)));
}

/** Imports the generated incidents into the demo unit under the source `dmm-demo`. */
export async function importGeneratedDemoIncidents(
  services: Services,
  unitId: number,
): Promise<ImportSummary> {
  const generic = await loadProfile('generic-uk-cad');
  const records = generateDemoRecords(services.clock.now()).map((record) => ({
    record,
    raw: JSON.stringify(record),
  }));
  const { summary } = await services.incidentImports.importRecords(createSystemActor('demo-seed'), {
    unitId,
    profile: { ...generic, name: 'dmm-demo', source: DEMO_SOURCE },
    label: 'generated demo incidents',
    records,
  });
  return summary;
}
