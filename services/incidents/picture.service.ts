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
import { hash } from 'node:crypto';
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import type { Database } from '../../db/database.js';
import type { Actor } from '../access/actor.js';
import { assertCan } from '../access/permissions.js';
import { canonicalJson } from '../canonical-json.js';
import type { Clock } from '../clock.js';
import type { Priority, PriorityService } from '../priorities/priority.service.js';
import { addDays, localDateOf, localDateTime } from '../time.js';
import type { UnitService } from '../units/unit.service.js';
import { isoDate, parseInput } from '../validation.js';
import {
  emptyWindowCounts,
  findWindow,
  lockWindowsForCounting,
  readWindowCounts,
  storeWindowCounts,
  WINDOW_COUNTS_VERSION,
  type WindowCounts,
} from './window-counts.js';

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
const NOT_RECORDED = 'not recorded';

const DIMENSIONS = ['grade', 'chapter', 'type', 'area'] as const;
type Dimension = (typeof DIMENSIONS)[number];

/** An exception for the DMM: G1, a critical incident, high THRIVE risk, or a threat-to-life qualifier. */
const EXCEPTION_CONDITION = sql<boolean>`(i.grade_initial = 'G1_EMERGENCY' or i.critical or i.thrive_risk = 'high' or i.qualifiers && ${[...EXCEPTION_QUALIFIERS]}::text[])`;

/** Attended later than the grade's response target. */
const BREACH_CONDITION = sql<boolean>`(i.arrived_at is not null and i.opened_at is not null and (${sql.join(
  Object.entries(RESPONSE_TARGET_MINUTES).map(
    ([grade, minutes]) =>
      sql`(i.grade_initial = ${grade} and i.arrived_at - i.opened_at > make_interval(mins => ${minutes}))`,
  ),
  sql` or `,
)}))`;

interface PrioritySpec {
  readonly priority: Priority;
  /** The priority id and a digest of its matching rules: counts stored under it stay right until the rules change. */
  readonly key: string;
  /** Its matching rules as one condition (kinds ANDed, values within a kind ORed); null when it has none. */
  readonly condition: RawBuilder<boolean> | null;
}

function prioritySpec(p: Priority): PrioritySpec {
  const rules = p.matchingRules as {
    typeCodes?: string[];
    nsirChapters?: string[];
    qualifiers?: string[];
    areas?: string[];
    keywords?: string[];
  };
  const conditions: RawBuilder<boolean>[] = [];
  if (rules.typeCodes?.length) conditions.push(sql`i.opening_type_code = any(${rules.typeCodes}::text[])`);
  if (rules.nsirChapters?.length) conditions.push(sql`i.nsir_chapter = any(${rules.nsirChapters}::text[])`);
  if (rules.qualifiers?.length) conditions.push(sql`i.qualifiers && ${rules.qualifiers}::text[]`);
  if (rules.areas?.length) conditions.push(sql`i.area = any(${rules.areas}::text[])`);
  if (rules.keywords?.length) {
    const words = rules.keywords.map((word) => {
      const like = `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      return sql`i.opening_type_code ilike ${like} or i.closing_type_code ilike ${like}`;
    });
    conditions.push(sql`(${sql.join(words, sql` or `)})`);
  }
  return {
    priority: p,
    key: `${p.id}:${hash('sha256', canonicalJson(rules) ?? '').slice(0, 16)}`,
    condition: conditions.length > 0 ? sql<boolean>`(${sql.join(conditions, sql` and `)})` : null,
  };
}

export type Flag = 'high' | 'low' | null;

/**
 * Marks a type or area key counted from incidents marked above OFFICIAL: their free text is kept apart so that
 * a view below their marking can leave it out (the totals still count them).
 */
export const SENSITIVE_KEY = '\u241eOFFICIAL-SENSITIVE\u241e';

export interface CountWithBaseline {
  readonly key: string;
  /** Present when the key is free text of incidents marked above OFFICIAL (see viewBrief). */
  readonly marking?: 'OFFICIAL-SENSITIVE';
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
    { priority: Pick<Priority, 'id' | 'title' | 'morileScore' | 'marking'> } & Omit<CountWithBaseline, 'key'>
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
  // Windows are contiguous: window k ends where window k - 1 starts, so each boundary is computed once.
  const boundaries = Array.from({ length: days + 2 }, (_, j) =>
    localDateTime(addDays(date, -j), briefTime, zone),
  );
  return Array.from({ length: days + 1 }, (_, k) => ({
    k,
    start: boundaries[k + 1] as Date,
    end: boundaries[k] as Date,
  }));
}

export function createPictureService(deps: {
  db: Kysely<Database>;
  clock: Clock;
  units: UnitService;
  priorities: PriorityService;
}): PictureService {
  const { db, clock, units, priorities } = deps;

  /**
   * Counts incidents in each of `windows` in one scan: the total, per grade, chapter, type and area, the
   * exceptions, the response-target breaches and each priority's matches.
   */
  async function countWindows(
    executor: Transaction<Database>,
    unitId: number,
    windows: readonly Window[],
    specs: readonly PrioritySpec[],
  ): Promise<Map<number, WindowCounts>> {
    const result = new Map<number, WindowCounts>(windows.map((w) => [w.k, emptyWindowCounts()]));
    if (windows.length === 0) return result;
    // One index range scan per window (a lateral join): a plain join of the windows with the incidents compared
    // every incident with every window, five times slower. JIT compilation cost more than it saved on a day's
    // window (113 ms with it, 88 ms without, for 100,000 incidents).
    await sql`set local jit = off`.execute(executor);
    const values = sql.join(
      windows.map((w) => sql`(${w.k}::int, ${w.start}::timestamptz, ${w.end}::timestamptz)`),
    );
    const priorityColumns = specs.map((spec, j) =>
      spec.condition
        ? sql`, count(*) filter (where ${spec.condition})::int as ${sql.id(`p${j}`)}`
        : sql`, 0 as ${sql.id(`p${j}`)}`,
    );
    const rows = await sql<Record<string, number | string | null>>`
      with w(k, s, e) as (values ${values})
      select w.k, i.grade_initial as grade, i.nsir_chapter as chapter, i.opening_type_code as type, i.area,
             i.marking,
             count(*)::int as n,
             count(*) filter (where ${EXCEPTION_CONDITION})::int as exceptions,
             count(*) filter (where ${BREACH_CONDITION})::int as breaches
             ${sql.join(priorityColumns, sql``)}
      from w cross join lateral (
        select * from incidents where unit_id = ${unitId} and event_at >= w.s and event_at < w.e
      ) i
      group by w.k, i.grade_initial, i.nsir_chapter, i.opening_type_code, i.area, i.marking`.execute(
      executor,
    );
    for (const r of rows.rows) {
      const counts = result.get(r.k as number) as WindowCounts;
      const n = r.n as number;
      counts.total += n;
      counts.exceptions += r.exceptions as number;
      counts.breaches += r.breaches as number;
      const sensitive = r.marking !== 'OFFICIAL';
      for (const dim of DIMENSIONS) {
        const text = (r[dim] as string | null) ?? '';
        // Free text (type, area) of a marked incident is counted apart; grades and chapters are canonical codes.
        const key = sensitive && (dim === 'type' || dim === 'area') ? `${SENSITIVE_KEY}${text}` : text;
        counts[dim][key] = (counts[dim][key] ?? 0) + n;
      }
      specs.forEach((spec, j) => {
        counts.priorities[spec.key] = (counts.priorities[spec.key] ?? 0) + (r[`p${j}`] as number);
      });
    }
    for (const counts of result.values()) for (const spec of specs) counts.priorities[spec.key] ??= 0;
    return result;
  }

  /**
   * The counts of every window: the picture's own window counted now, the baseline windows from the cache,
   * and baseline windows missing from it (or counted before a priority's rules were last changed) counted and
   * stored under the unit's window lock (see window-counts.ts).
   */
  async function allWindowCounts(
    unitId: number,
    windows: readonly Window[],
    specs: readonly PrioritySpec[],
  ): Promise<Map<number, WindowCounts>> {
    const [current, ...baseline] = windows as [Window, ...Window[]];
    // The picture's own window is counted while the stored ones are read.
    const [fresh, cached] = await Promise.all([
      db.transaction().execute((trx) => countWindows(trx, unitId, [current], specs)),
      readWindowCounts(db, unitId, baseline),
    ]);
    const counts = new Map(fresh);
    const missing: Window[] = [];
    for (const w of baseline) {
      const found = findWindow(cached, w);
      if (found && found.version === WINDOW_COUNTS_VERSION && specs.every((s) => s.key in found.priorities))
        counts.set(w.k, found);
      else missing.push(w);
    }
    if (missing.length === 0) return counts;
    await db.transaction().execute(async (trx) => {
      await lockWindowsForCounting(trx, unitId);
      const counted = await countWindows(trx, unitId, missing, specs);
      for (const [k, c] of counted) counts.set(k, c);
      await storeWindowCounts(
        trx,
        unitId,
        missing.map((w) => ({ start: w.start, end: w.end, counts: counted.get(w.k) as WindowCounts })),
        clock.now(),
      );
    });
    return counts;
  }

  function withBaseline(counts: ReadonlyMap<number, WindowCounts>, dim: Dimension): CountWithBaseline[] {
    const byKey = new Map<string, number[]>();
    for (const [k, window] of counts) {
      for (const [key, n] of Object.entries(window[dim])) {
        const series = byKey.get(key) ?? new Array<number>(BASELINE_DAYS + 1).fill(0);
        series[k] = n;
        byKey.set(key, series);
      }
    }
    return [...byKey.entries()]
      .map(([key, series]) => {
        const { mean, sd, flag } = classify(series[0] ?? 0, series.slice(1));
        const sensitive = key.startsWith(SENSITIVE_KEY);
        const text = sensitive ? key.slice(SENSITIVE_KEY.length) : key;
        return {
          key: text === '' ? NOT_RECORDED : text,
          ...(sensitive ? { marking: 'OFFICIAL-SENSITIVE' as const } : {}),
          count: series[0] ?? 0,
          baselineMean: mean,
          baselineSd: sd,
          flag,
        };
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

  return {
    async build(actor, unitId, localDate) {
      assertCan(actor, 'sanitised.read', unitId);
      const unit = await units.get(unitId);
      const date = localDate ? parseInput(isoDate, localDate) : localDateOf(clock.now(), unit.timeZone);
      const windows = pictureWindows(date, unit.briefTime, unit.timeZone);
      const current = windows[0] as Window;
      const active = await priorities.listActive(actor, unit.id, date);
      const specs = active.map(prioritySpec);
      const counts = await allWindowCounts(unit.id, windows, specs);
      const series = (pick: (c: WindowCounts) => number) =>
        windows.map((w) => pick(counts.get(w.k) ?? emptyWindowCounts()));
      const totals = series((c) => c.total);
      const total = classify(totals[0] ?? 0, totals.slice(1));
      const today = counts.get(0) ?? emptyWindowCounts();

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
      // The lists read the window in time order and stop at MAX_LISTED; their counts come from the scan above.
      const listed = () =>
        db
          .selectFrom('incidents as i')
          .select(columns)
          .where('unit_id', '=', unit.id)
          .where('event_at', '>=', current.start)
          .where('event_at', '<', current.end)
          .orderBy('event_at')
          .orderBy('id')
          .limit(MAX_LISTED);
      const exceptionRows = await listed().where(EXCEPTION_CONDITION).execute();
      const exceptionItems = exceptionRows.map((r) => {
        const reasons: string[] = [];
        if (r.grade_initial === 'G1_EMERGENCY') reasons.push('G1 emergency');
        if (r.critical) reasons.push('critical incident');
        if (r.thrive_risk === 'high') reasons.push('high THRIVE risk');
        for (const q of r.qualifiers)
          if ((EXCEPTION_QUALIFIERS as readonly string[]).includes(q)) reasons.push(q.replace('_', ' '));
        return { ...toIncident(r), reasons };
      });

      const breachRows =
        today.breaches === 0
          ? []
          : await listed()
              .select(
                sql<number>`round(extract(epoch from (arrived_at - opened_at)) / 60)::int`.as('minutes'),
              )
              .where(BREACH_CONDITION)
              .execute();

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
          count: totals[0] ?? 0,
          baselineMean: total.mean,
          baselineSd: total.sd,
          flag: total.flag,
        },
        byGrade: withBaseline(counts, 'grade'),
        byChapter: withBaseline(counts, 'chapter'),
        byType: withBaseline(counts, 'type'),
        exceptions: { count: today.exceptions, items: exceptionItems },
        priorities: specs.map((spec) => {
          const matches = series((c) => c.priorities[spec.key] ?? 0);
          const { mean, sd, flag } = classify(matches[0] ?? 0, matches.slice(1));
          return {
            priority: {
              id: spec.priority.id,
              title: spec.priority.title,
              morileScore: spec.priority.morileScore,
              marking: spec.priority.marking,
            },
            count: matches[0] ?? 0,
            baselineMean: mean,
            baselineSd: sd,
            flag,
          };
        }),
        // More than a view shows: a view below a marking leaves marked rows out and still has five.
        hotspots: withBaseline(counts, 'area')
          .filter((h) => h.key !== NOT_RECORDED)
          .slice(0, 10),
        responseBreaches: {
          count: today.breaches,
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
