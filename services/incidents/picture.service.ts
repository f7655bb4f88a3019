/**
 * The 24-hour picture of a unit: counts in a local window against the same window on each of the previous 28
 * days, exceptions, control-strategy priority matches, hotspots and response-target breaches.
 *
 * The window ends at the unit's brief time on the given local date and starts at the brief time the day
 * before, both in the unit's time zone, so it is 23 hours long on the spring clock change and 25 on the autumn
 * one. Baseline windows are built the same way for each earlier day.
 *
 * Unusual-count rule (stated in every picture): with m the mean of the 28 baseline windows and s their sample
 * standard deviation, a count x is `high` when x - m > 2 * max(s, sqrt(m)) and x - m >= 3, and `low` when
 * m - x > 2 * max(s, sqrt(m)) and m - x >= 3. The sqrt(m) floor treats counts as at least Poisson-variable, so a
 * very steady baseline does not flag tiny changes; the ">= 3" keeps single incidents from flagging.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import type { Actor } from '../access/actor.js';
import { assertCan } from '../access/permissions.js';
import type { Clock } from '../clock.js';
import type { Priority, PriorityService } from '../priorities/priority.service.js';
import { addDays, localDateOf, localDateTime } from '../time.js';
import type { UnitService } from '../units/unit.service.js';
import { isoDate, parseInput } from '../validation.js';

export const BASELINE_DAYS = 28;
export const UNUSUAL_RULE =
  'high when x - mean > 2 * max(sd, sqrt(mean)) and x - mean >= 3; low when mean - x > 2 * max(sd, sqrt(mean)) and mean - x >= 3 (28 previous same windows)';
/** Response targets in minutes from opening to arrival (a common English urban standard; configurable later). */
export const RESPONSE_TARGET_MINUTES: Readonly<Record<string, number>> = {
  G1_EMERGENCY: 15,
  G2_PRIORITY: 60,
};
/** Qualifiers that make an incident an exception for the DMM (threat to life and vulnerability). */
export const EXCEPTION_QUALIFIERS = [
  'missing_person',
  'domestic',
  'mental_health',
  'child_protection',
  'hate',
  'firearm',
] as const;
const MAX_LISTED = 200;

export type Flag = 'high' | 'low' | null;

export interface CountWithBaseline {
  readonly key: string;
  readonly count: number;
  readonly baselineMean: number;
  readonly baselineSd: number;
  readonly flag: Flag;
}

export interface PictureIncident {
  readonly id: number;
  readonly reference: string;
  readonly eventAt: Date;
  readonly grade: string | null;
  readonly type: string | null;
  readonly nsirChapter: string | null;
  readonly area: string | null;
  readonly qualifiers: readonly string[];
  readonly thriveRisk: string | null;
  readonly critical: boolean;
  readonly marking: string;
}

export interface Picture {
  readonly unitId: number;
  readonly localDate: string;
  readonly timeZone: string;
  readonly windowStart: Date;
  readonly windowEnd: Date;
  readonly windowHours: number;
  readonly rule: string;
  readonly total: CountWithBaseline;
  readonly byGrade: readonly CountWithBaseline[];
  readonly byChapter: readonly CountWithBaseline[];
  readonly byType: readonly CountWithBaseline[];
  readonly exceptions: {
    readonly count: number;
    readonly items: ReadonlyArray<PictureIncident & { reasons: string[] }>;
  };
  readonly priorities: ReadonlyArray<
    { priority: Pick<Priority, 'id' | 'title' | 'morileScore'> } & Omit<CountWithBaseline, 'key'>
  >;
  readonly hotspots: readonly CountWithBaseline[];
  readonly responseBreaches: {
    readonly count: number;
    readonly items: ReadonlyArray<PictureIncident & { minutesToArrive: number; targetMinutes: number }>;
  };
}

export interface PictureService {
  /** The picture for the window ending at the unit's brief time on `localDate` (default: today). */
  build(actor: Actor, unitId: number, localDate?: string): Promise<Picture>;
}

export function classify(
  count: number,
  baseline: readonly number[],
): { mean: number; sd: number; flag: Flag } {
  const n = baseline.length;
  const mean = n === 0 ? 0 : baseline.reduce((a, b) => a + b, 0) / n;
  const sd = n < 2 ? 0 : Math.sqrt(baseline.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const spread = 2 * Math.max(sd, Math.sqrt(mean));
  let flag: Flag = null;
  if (count - mean > spread && count - mean >= 3) flag = 'high';
  else if (mean - count > spread && mean - count >= 3) flag = 'low';
  return { mean: round(mean), sd: round(sd), flag };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

interface Window {
  readonly k: number;
  readonly start: Date;
  readonly end: Date;
}

/** Window 0 ends at the brief time on `date`; window k is the same local window k days earlier. */
export function pictureWindows(
  date: string,
  briefTime: string,
  zone: string,
  days = BASELINE_DAYS,
): Window[] {
  return Array.from({ length: days + 1 }, (_, k) => ({
    k,
    start: localDateTime(addDays(date, -k - 1), briefTime, zone),
    end: localDateTime(addDays(date, -k), briefTime, zone),
  }));
}

export function createPictureService(deps: {
  db: Kysely<Database>;
  clock: Clock;
  units: UnitService;
  priorities: PriorityService;
}): PictureService {
  const { db, clock, units, priorities } = deps;

  /** Counts per window for each value of a dimension, in one scan of the 29 windows. */
  async function countsByWindow(unitId: number, windows: readonly Window[]) {
    const values = sql.join(
      windows.map((w) => sql`(${w.k}::int, ${w.start}::timestamptz, ${w.end}::timestamptz)`),
    );
    const first = windows[windows.length - 1] as Window;
    const last = windows[0] as Window;
    const rows = await sql<{ k: number; dim: string; key: string | null; n: number }>`
      with w(k, s, e) as (values ${values})
      select w.k,
             case when grouping(i.grade_initial) = 0 then 'grade'
                  when grouping(i.nsir_chapter) = 0 then 'chapter'
                  when grouping(i.opening_type_code) = 0 then 'type'
                  when grouping(i.area) = 0 then 'area'
                  else 'total' end as dim,
             coalesce(i.grade_initial, i.nsir_chapter, i.opening_type_code, i.area) as key,
             count(*)::int as n
      from incidents i
      join w on i.event_at >= w.s and i.event_at < w.e
      where i.unit_id = ${unitId} and i.event_at >= ${first.start} and i.event_at < ${last.end}
      group by grouping sets ((w.k), (w.k, i.grade_initial), (w.k, i.nsir_chapter), (w.k, i.opening_type_code), (w.k, i.area))
    `.execute(db);
    return rows.rows;
  }

  function withBaseline(
    rows: ReadonlyArray<{ k: number; dim: string; key: string | null; n: number }>,
    dim: string,
    days: number,
  ): CountWithBaseline[] {
    const byKey = new Map<string, number[]>();
    for (const r of rows) {
      if (r.dim !== dim) continue;
      const key = r.key ?? 'not recorded';
      const counts = byKey.get(key) ?? new Array<number>(days + 1).fill(0);
      counts[r.k] = r.n;
      byKey.set(key, counts);
    }
    return [...byKey.entries()]
      .map(([key, counts]) => {
        const { mean, sd, flag } = classify(counts[0] ?? 0, counts.slice(1));
        return { key, count: counts[0] ?? 0, baselineMean: mean, baselineSd: sd, flag };
      })
      .filter((c) => c.count > 0 || c.baselineMean > 0)
      .sort((a, b) => b.count - a.count || b.baselineMean - a.baselineMean || a.key.localeCompare(b.key));
  }

  function toIncident(r: {
    id: number;
    reference: string;
    event_at: Date | null;
    grade_initial: string | null;
    opening_type_code: string | null;
    nsir_chapter: string | null;
    area: string | null;
    qualifiers: string[];
    thrive_risk: string | null;
    critical: boolean;
    marking: string;
  }): PictureIncident {
    return {
      id: r.id,
      reference: r.reference,
      eventAt: r.event_at as Date,
      grade: r.grade_initial,
      type: r.opening_type_code,
      nsirChapter: r.nsir_chapter,
      area: r.area,
      qualifiers: r.qualifiers,
      thriveRisk: r.thrive_risk,
      critical: r.critical,
      marking: r.marking,
    };
  }

  async function priorityCounts(unitId: number, windows: readonly Window[], list: readonly Priority[]) {
    const first = windows[windows.length - 1] as Window;
    const last = windows[0] as Window;
    const values = sql.join(
      windows.map((w) => sql`(${w.k}::int, ${w.start}::timestamptz, ${w.end}::timestamptz)`),
    );
    const results = [];
    for (const p of list) {
      const rules = p.matchingRules as {
        typeCodes?: string[];
        nsirChapters?: string[];
        qualifiers?: string[];
        areas?: string[];
        keywords?: string[];
      };
      const conditions = [];
      if (rules.typeCodes?.length)
        conditions.push(sql`i.opening_type_code = any(${rules.typeCodes}::text[])`);
      if (rules.nsirChapters?.length)
        conditions.push(sql`i.nsir_chapter = any(${rules.nsirChapters}::text[])`);
      if (rules.qualifiers?.length) conditions.push(sql`i.qualifiers && ${rules.qualifiers}::text[]`);
      if (rules.areas?.length) conditions.push(sql`i.area = any(${rules.areas}::text[])`);
      if (rules.keywords?.length) {
        const words = rules.keywords.map((word) => {
          const like = `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
          return sql`i.opening_type_code ilike ${like} or i.closing_type_code ilike ${like}`;
        });
        conditions.push(sql`(${sql.join(words, sql` or `)})`);
      }
      const counts = new Array<number>(windows.length).fill(0);
      if (conditions.length > 0) {
        const rows = await sql<{ k: number; n: number }>`
          with w(k, s, e) as (values ${values})
          select w.k, count(*)::int as n from incidents i join w on i.event_at >= w.s and i.event_at < w.e
          where i.unit_id = ${unitId} and i.event_at >= ${first.start} and i.event_at < ${last.end}
            and ${sql.join(conditions, sql` and `)}
          group by w.k`.execute(db);
        for (const r of rows.rows) counts[r.k] = r.n;
      }
      const { mean, sd, flag } = classify(counts[0] ?? 0, counts.slice(1));
      results.push({
        priority: { id: p.id, title: p.title, morileScore: p.morileScore },
        count: counts[0] ?? 0,
        baselineMean: mean,
        baselineSd: sd,
        flag,
      });
    }
    return results;
  }

  return {
    async build(actor, unitId, localDate) {
      assertCan(actor, 'sanitised.read', unitId);
      const unit = await units.get(unitId);
      const date = localDate ? parseInput(isoDate, localDate) : localDateOf(clock.now(), unit.timeZone);
      const windows = pictureWindows(date, unit.briefTime, unit.timeZone);
      const current = windows[0] as Window;
      const rows = await countsByWindow(unit.id, windows);
      const totalCounts = new Array<number>(windows.length).fill(0);
      for (const r of rows) if (r.dim === 'total') totalCounts[r.k] = r.n;
      const total = classify(totalCounts[0] ?? 0, totalCounts.slice(1));

      const columns = [
        'id',
        'reference',
        'event_at',
        'grade_initial',
        'opening_type_code',
        'nsir_chapter',
        'area',
        'qualifiers',
        'thrive_risk',
        'critical',
        'marking',
      ] as const;
      const exceptionWhere = sql<boolean>`(grade_initial = 'G1_EMERGENCY' or critical or thrive_risk = 'high' or qualifiers && ${[...EXCEPTION_QUALIFIERS]}::text[])`;
      const exceptionRows = await db
        .selectFrom('incidents')
        .select(columns)
        .select(sql<number>`count(*) over ()`.as('total_count'))
        .where('unit_id', '=', unit.id)
        .where('event_at', '>=', current.start)
        .where('event_at', '<', current.end)
        .where(exceptionWhere)
        .orderBy('event_at')
        .orderBy('id')
        .limit(MAX_LISTED)
        .execute();
      const exceptionItems = exceptionRows.map((r) => {
        const reasons: string[] = [];
        if (r.grade_initial === 'G1_EMERGENCY') reasons.push('G1 emergency');
        if (r.critical) reasons.push('critical incident');
        if (r.thrive_risk === 'high') reasons.push('high THRIVE risk');
        for (const q of r.qualifiers)
          if ((EXCEPTION_QUALIFIERS as readonly string[]).includes(q)) reasons.push(q.replace('_', ' '));
        return { ...toIncident(r), reasons };
      });

      const breachRows = await db
        .selectFrom('incidents')
        .select(columns)
        .select(sql<number>`round(extract(epoch from (arrived_at - opened_at)) / 60)::int`.as('minutes'))
        .select(sql<number>`count(*) over ()`.as('total_count'))
        .where('unit_id', '=', unit.id)
        .where('event_at', '>=', current.start)
        .where('event_at', '<', current.end)
        .where('arrived_at', 'is not', null)
        .where('opened_at', 'is not', null)
        .where((eb) =>
          eb.or(
            Object.entries(RESPONSE_TARGET_MINUTES).map(([grade, minutes]) =>
              eb.and([
                eb('grade_initial', '=', grade),
                sql<boolean>`arrived_at - opened_at > make_interval(mins => ${minutes})`,
              ]),
            ),
          ),
        )
        .orderBy('event_at')
        .limit(MAX_LISTED)
        .execute();

      const active = await priorities.listActive(actor, unit.id, date);
      return {
        unitId: unit.id,
        localDate: date,
        timeZone: unit.timeZone,
        windowStart: current.start,
        windowEnd: current.end,
        windowHours: (current.end.getTime() - current.start.getTime()) / 3_600_000,
        rule: UNUSUAL_RULE,
        total: {
          key: 'total',
          count: totalCounts[0] ?? 0,
          baselineMean: total.mean,
          baselineSd: total.sd,
          flag: total.flag,
        },
        byGrade: withBaseline(rows, 'grade', BASELINE_DAYS),
        byChapter: withBaseline(rows, 'chapter', BASELINE_DAYS),
        byType: withBaseline(rows, 'type', BASELINE_DAYS),
        exceptions: { count: exceptionRows[0]?.total_count ?? 0, items: exceptionItems },
        priorities: await priorityCounts(unit.id, windows, active),
        hotspots: withBaseline(rows, 'area', BASELINE_DAYS)
          .filter((h) => h.key !== 'not recorded')
          .slice(0, 5),
        responseBreaches: {
          count: breachRows[0]?.total_count ?? 0,
          items: breachRows.map((r) => ({
            ...toIncident(r),
            minutesToArrive: r.minutes,
            targetMinutes: RESPONSE_TARGET_MINUTES[r.grade_initial ?? ''] ?? 0,
          })),
        },
      };
    },
  };
}
