/**
 * The 24-hour picture of a unit: counts in a local window against the same window on each of the previous 28
 * days, exceptions, control-strategy priority matches, hotspots and response-target breaches.
 *
 * The window ends at the unit's brief time on the given local date and starts at the brief time the day
 * before, both in the unit's time zone, so it is 23 hours long on the spring clock change and 25 on the autumn
 * one. Baseline windows are built the same way for each earlier day.
 *
 * Unusual-count rule (stated in every picture): with m the mean of the baseline windows used and s their sample
 * standard deviation, a count x is `high` when x - m > 2 * max(s, sqrt(m)) and x - m >= 3, and `low` when
 * m - x > 2 * max(s, sqrt(m)) and m - x >= 3. The sqrt(m) floor treats counts as at least Poisson-variable, so a
 * very steady baseline does not flag tiny changes; the ">= 3" keeps single incidents from flagging.
 *
 * A baseline window is used only if the source covered it (see usableBaseline): windows before the unit's data
 * begins, the partial window in which it begins, and empty windows of a busy unit (gaps in the source) are left
 * out of the mean and named in the picture. With no window left there is no baseline and nothing is flagged.
 */
import { hash } from 'node:crypto';
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import type { Database } from '../../db/database.js';
import type { Actor } from '../access/actor.js';
import { assertCan } from '../access/permissions.js';
import { canonicalJson } from '../canonical-json.js';
import type { Clock } from '../clock.js';
import type { Priority, PriorityService } from '../priorities/priority.service.js';
import { addDays, localDateOf, localDateTime, startOfLocalDay } from '../time.js';
import type { Unit, UnitService } from '../units/unit.service.js';
import { isoDate, parseInput } from '../validation.js';
import {
  emptyWindowCounts,
  findWindow,
  lockWindowsForCounting,
  MAX_TYPE_PLACES,
  readWindowCounts,
  storeWindowCounts,
  WINDOW_COUNTS_VERSION,
  type WindowCounts,
} from './window-counts.js';

export const BASELINE_DAYS = 28;
export const UNUSUAL_RULE =
  'high when x - mean > 2 * max(sd, sqrt(mean)) and x - mean >= 3; low when mean - x > 2 * max(sd, sqrt(mean)) and mean - x >= 3 (the same window on each of the previous 28 days, leaving out days before the data begins, the day it begins part-way, and days with no data at all where a day usually has 10 or more)';
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
type Dimension = (typeof DIMENSIONS)[number] | 'typePlace';
/** Joins a type and a place in a `typePlace` key. */
export const TYPE_PLACE_SEPARATOR = '\u241f';
/**
 * Repeat locations: a place that usually sees fewer than REPEAT_QUIET calls a day (so not an area or a beat that
 * is busy every day) with REPEAT_DAY calls in the window or REPEAT_WEEK in the last 7 days.
 */
const REPEAT_DAY = 2;
const REPEAT_WEEK = 3;
export const REPEAT_QUIET = 0.5;
const LISTED_PER_GROUP = 5;

/** An exception for the DMM: G1, a critical incident, high THRIVE risk, or a threat-to-life qualifier. */
const EXCEPTION_CONDITION = sql<boolean>`(i.grade_initial = 'G1_EMERGENCY' or i.critical or i.thrive_risk = 'high' or i.qualifiers && ${[...EXCEPTION_QUALIFIERS]}::text[])`;

/** Response targets: minutes from opening to arrival per grade (the unit's own, see UnitService). */
export type ResponseTargets = Readonly<Partial<Record<string, number>>>;

/** Attended later than the grade's response target. */
function breachCondition(targets: ResponseTargets): RawBuilder<boolean> {
  const grades = Object.entries(targets).filter((e): e is [string, number] => typeof e[1] === 'number');
  if (grades.length === 0) return sql<boolean>`false`;
  return sql<boolean>`(i.arrived_at is not null and i.opened_at is not null and (${sql.join(
    grades.map(
      ([grade, minutes]) =>
        sql`(i.grade_initial = ${grade} and i.arrived_at - i.opened_at > make_interval(mins => ${minutes}))`,
    ),
    sql` or `,
  )}))`;
}

/**
 * Where an incident happened, as precisely as its source says: its beat, else its ward, else its free-text
 * area, as `beat:K2`, `ward:…` or `area:…` (a beat and an area of the same name are different places).
 */
export function placeKey(beat: string | null, ward: string | null, area: string | null): string | null {
  const b = beat?.trim();
  if (b) return `beat:${b}`;
  const w = ward?.trim();
  if (w) return `ward:${w}`;
  const a = area?.trim();
  return a ? `area:${a}` : null;
}

/** The incidents at a place key (placeKey as a condition). */
function atPlace(key: string): RawBuilder<boolean> {
  const value = key.slice(key.indexOf(':') + 1);
  const beatBlank = sql`coalesce(btrim(i.beat), '') = ''`;
  const wardBlank = sql`coalesce(btrim(i.ward), '') = ''`;
  if (key.startsWith('beat:')) return sql<boolean>`btrim(i.beat) = ${value}`;
  if (key.startsWith('ward:')) return sql<boolean>`${beatBlank} and btrim(i.ward) = ${value}`;
  return sql<boolean>`${beatBlank} and ${wardBlank} and btrim(i.area) = ${value}`;
}

/** Exception risk classes, highest first; an exception in none of them is one by its qualifiers alone. */
const EXCEPTION_CLASSES = [
  sql<boolean>`i.critical`,
  sql<boolean>`not i.critical and i.grade_initial is not distinct from 'G1_EMERGENCY'`,
  sql<boolean>`not i.critical and i.grade_initial is distinct from 'G1_EMERGENCY' and i.thrive_risk is not distinct from 'high'`,
] as const;
const QUALIFIER_CLASS = sql<boolean>`not i.critical and i.grade_initial is distinct from 'G1_EMERGENCY' and i.thrive_risk is distinct from 'high' and i.qualifiers && ${[...EXCEPTION_QUALIFIERS]}::text[]`;

/**
 * Location text that says the location is not given: "Restricted Address", "UNKNOWN", "N/A", "-". Such text is
 * never a place: it is counted apart and never ranked as a hotspot or a repeat location.
 */
const PLACEHOLDER_PLACE =
  /^(?:(?:restricted|withheld|redacted|unknown|not known|not given|not recorded|no|none|null|n\/?a|tbc|tba|private)(?:[\s_-]+(?:address|location|place|area|premises|street))?|[\s?x*-]*)$/i;

export function isPlaceholderPlace(place: string): boolean {
  const text = place.replace(/^(?:beat|ward|area):/, '').trim();
  return PLACEHOLDER_PLACE.test(text);
}

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
  /** The reference was made by the import from the record's text: the source has no reference of its own. */
  readonly derivedReference: boolean;
  readonly eventAt: Date;
  readonly grade: string | null;
  readonly gradeFinal: string | null;
  readonly type: string | null;
  readonly closingType: string | null;
  readonly nsirChapter: string | null;
  readonly area: string | null;
  readonly beat: string | null;
  readonly ward: string | null;
  readonly qualifiers: readonly string[];
  readonly thriveRisk: string | null;
  readonly critical: boolean;
  readonly closedAt: Date | null;
  readonly marking: string;
}

/** An incident behind a repeat location or an emerging series. */
export interface PictureIncidentRef {
  readonly reference: string;
  readonly derivedReference: boolean;
  readonly eventAt: Date;
  readonly type: string | null;
  readonly marking: string;
}

/** A place with repeat calls: in the window, or over the last 7 days. */
export interface RepeatLocation {
  /** The place key (`beat:…`, `ward:…`, `area:…`). */
  readonly key: string;
  readonly marking?: 'OFFICIAL-SENSITIVE';
  readonly day: number;
  readonly week: number;
  /** The latest of the window's incidents there (at most 5). */
  readonly incidents: readonly PictureIncidentRef[];
}

/** A type at a place above its own baseline: a possible series. */
export interface EmergingSeries extends CountWithBaseline {
  readonly type: string;
  readonly place: string;
  readonly incidents: readonly PictureIncidentRef[];
}

/** Response times of one grade in the window, from opening to arrival, in minutes. */
export interface ResponseTime {
  readonly grade: string;
  readonly targetMinutes: number | null;
  /** Incidents of the grade with both an opening and an arrival time. */
  readonly attended: number;
  readonly medianMinutes: number | null;
  readonly p90Minutes: number | null;
  /** Attended later than the target. */
  readonly breaches: number;
}

/** One baseline or current window's total, oldest first; null for a window left out of the baseline. */
export interface TrendPoint {
  readonly date: string;
  readonly count: number | null;
}

export interface BaselineCoverage {
  /** Baseline windows asked for (28). */
  readonly windows: number;
  /** Windows used for the means. */
  readonly used: number;
  /** Local dates (the day each window ends) of windows with no data at all: gaps in the source. */
  readonly gaps: readonly string[];
  /** The local date of the window in which the unit's data begins, when it is a baseline window. */
  readonly partial: string | null;
  /** Baseline windows that end before the unit's data begins. */
  readonly beforeData: number;
}

export interface Picture {
  readonly unitId: number;
  readonly localDate: string;
  readonly timeZone: string;
  readonly windowStart: Date;
  readonly windowEnd: Date;
  readonly windowHours: number;
  readonly rule: string;
  readonly baseline: BaselineCoverage;
  readonly total: CountWithBaseline;
  readonly trend: readonly TrendPoint[];
  readonly byGrade: readonly CountWithBaseline[];
  readonly byChapter: readonly CountWithBaseline[];
  readonly byType: readonly CountWithBaseline[];
  readonly exceptions: {
    readonly count: number;
    /** Highest risk first: critical, then G1, then high THRIVE risk, then the rest; earlier first within each. */
    readonly items: ReadonlyArray<PictureIncident & { reasons: string[] }>;
  };
  readonly priorities: ReadonlyArray<
    { priority: Pick<Priority, 'id' | 'title' | 'morileScore' | 'marking'> } & Omit<
      CountWithBaseline,
      'key'
    > & {
        readonly trend: readonly TrendPoint[];
      }
  >;
  /** Places (`beat:…`, `ward:…`, `area:…`), placeholders left out. */
  readonly hotspots: readonly CountWithBaseline[];
  readonly repeatLocations: readonly RepeatLocation[];
  readonly emergingSeries: readonly EmergingSeries[];
  /** Combinations of type and place kept per day (the commonest); rarer ones are not tracked for series. */
  readonly seriesLimit: number;
  /** Incidents of the window whose location is a placeholder ("Restricted Address"). */
  readonly placeholderPlaces: number;
  /** Incidents of the window opened at exactly 00:00 local time: most likely a date given without a time. */
  readonly placeholderTimes: number;
  readonly responseTimes: readonly ResponseTime[];
  readonly responseBreaches: {
    readonly count: number;
    /** Latest beyond its target first. */
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
  // Without a baseline nothing is unusual.
  if (n > 0 && count - mean > spread && count - mean >= 3) flag = 'high';
  else if (n > 0 && mean - count > spread && mean - count >= 3) flag = 'low';
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

/** A unit whose usual window holds at least this many incidents cannot plausibly have a window with none. */
export const GAP_MIN_TYPICAL = 10;

/**
 * The baseline windows (k >= 1) to use. Left out: windows that end before the unit's data begins, the window in
 * which it begins (partial), and a window with no incident at all when the unit's usual window (the median of the
 * others) holds GAP_MIN_TYPICAL or more — a gap in the source, not a quiet day. A unit with few incidents a day
 * can have a day with none: there a zero is a real count.
 */
export function usableBaseline(
  totals: readonly number[],
  windows: readonly Window[],
  firstEventAt: Date | null,
): { used: Set<number>; gaps: number[]; partial: number | null; beforeData: number } {
  const used = new Set<number>();
  const gaps: number[] = [];
  let partial: number | null = null;
  let beforeData = 0;
  const covered: Window[] = [];
  for (const w of windows) {
    if (w.k === 0) continue;
    if (!firstEventAt || w.end <= firstEventAt) beforeData += 1;
    else if (firstEventAt > w.start) partial = w.k;
    else covered.push(w);
  }
  const sorted = covered.map((w) => totals[w.k] ?? 0).sort((a, b) => a - b);
  const typical = sorted.length === 0 ? 0 : (sorted[Math.floor(sorted.length / 2)] ?? 0);
  for (const w of covered) {
    if ((totals[w.k] ?? 0) === 0 && typical >= GAP_MIN_TYPICAL) gaps.push(w.k);
    else used.add(w.k);
  }
  return { used, gaps, partial, beforeData };
}

const MINUTE = sql`extract(epoch from (i.arrived_at - i.opened_at)) / 60`;

export function createPictureService(deps: {
  db: Kysely<Database>;
  clock: Clock;
  units: UnitService;
  priorities: PriorityService;
}): PictureService {
  const { db, clock, units, priorities } = deps;

  /**
   * Counts incidents in each of `windows` in one scan: the total, per grade, chapter, type and place, the
   * exceptions, the response-target breaches, the incidents opened at 00:00 and each priority's matches.
   */
  async function countWindows(
    executor: Transaction<Database>,
    unit: Pick<Unit, 'id' | 'timeZone' | 'responseTargets'>,
    windows: readonly Window[],
    specs: readonly PrioritySpec[],
  ): Promise<Map<number, WindowCounts>> {
    const result = new Map<number, WindowCounts>(windows.map((w) => [w.k, emptyWindowCounts()]));
    if (windows.length === 0) return result;
    // One index range scan per window (a lateral join): a plain join of the windows with the incidents compared
    // every incident with every window, five times slower. JIT compilation cost more than it saved on a day's
    // window (113 ms with it, 88 ms without, for 100,000 incidents).
    // A parallel plan is refused too: with the place's three columns in the grouping the planner came to prefer a
    // parallel scan of every incident of the unit joined with the windows, and counting 28 windows took 16 s
    // instead of 0.4 s. More memory for the grouping lets it hash the groups rather than sort 100,000 rows on
    // eight text keys (185 ms against 60 for a day's window).
    await sql`select set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true),
                     set_config('work_mem', '64MB', true)`.execute(executor);
    // Each window carries its local midnights (one, or two in a 25-hour window), so an incident opened at 00:00
    // is one equality test rather than a time-zone conversion of every row.
    const midnights = (w: Window) => {
      const found: string[] = [];
      for (let d = localDateOf(w.start, unit.timeZone); ; d = addDays(d, 1)) {
        const m = startOfLocalDay(d, unit.timeZone);
        if (m >= w.end) break;
        if (m >= w.start) found.push(m.toISOString());
      }
      return found;
    };
    const values = sql.join(
      windows.map(
        (w) =>
          sql`(${w.k}::int, ${w.start}::timestamptz, ${w.end}::timestamptz, ${midnights(w)}::timestamptz[])`,
      ),
    );
    const priorityColumns = specs.map((spec, j) =>
      spec.condition
        ? sql`, count(*) filter (where ${spec.condition})::int as ${sql.id(`p${j}`)}`
        : sql`, 0 as ${sql.id(`p${j}`)}`,
    );
    const rows = await sql<Record<string, number | string | null>>`
      with w(k, s, e, m) as (values ${values})
      select w.k, i.grade_initial as grade, i.nsir_chapter as chapter, i.opening_type_code as type,
             i.beat, i.ward, i.area, i.marking,
             count(*)::int as n,
             count(*) filter (where ${EXCEPTION_CONDITION})::int as exceptions,
             ${sql.join(EXCEPTION_CLASSES.map((c, j) => sql`count(*) filter (where ${c})::int as ${sql.id(`x${j}`)}`))},
             count(*) filter (where ${breachCondition(unit.responseTargets)})::int as breaches,
             count(*) filter (where i.arrived_at >= i.opened_at)::int as attended,
             count(*) filter (where i.opened_at = any(w.m))::int as midnight
             ${sql.join(priorityColumns, sql``)}
      from w cross join lateral (
        select * from incidents where unit_id = ${unit.id} and event_at >= w.s and event_at < w.e
      ) i
      group by w.k, i.grade_initial, i.nsir_chapter, i.opening_type_code, i.beat, i.ward, i.area, i.marking`.execute(
      executor,
    );
    for (const r of rows.rows) {
      const counts = result.get(r.k as number) as WindowCounts;
      const n = r.n as number;
      counts.total += n;
      counts.exceptions += r.exceptions as number;
      counts.breaches += r.breaches as number;
      counts.midnight += r.midnight as number;
      counts.attended += r.attended as number;
      counts.exceptionClasses = counts.exceptionClasses.map(
        (c, j) => c + (r[`x${j}`] as number),
      ) as WindowCounts['exceptionClasses'];
      const sensitive = r.marking !== 'OFFICIAL';
      const place = placeKey(r.beat as string | null, r.ward as string | null, r.area as string | null);
      for (const dim of DIMENSIONS) {
        const text = (dim === 'area' ? place : (r[dim] as string | null)) ?? '';
        // Free text (type, area) of a marked incident is counted apart; grades and chapters are canonical codes.
        const key = sensitive && (dim === 'type' || dim === 'area') ? `${SENSITIVE_KEY}${text}` : text;
        counts[dim][key] = (counts[dim][key] ?? 0) + n;
      }
      if (r.type !== null && place !== null) {
        const key = `${sensitive ? SENSITIVE_KEY : ''}${r.type}${TYPE_PLACE_SEPARATOR}${place}`;
        counts.typePlace[key] = (counts.typePlace[key] ?? 0) + n;
      }
      specs.forEach((spec, j) => {
        counts.priorities[spec.key] = (counts.priorities[spec.key] ?? 0) + (r[`p${j}`] as number);
      });
    }
    for (const counts of result.values()) {
      for (const spec of specs) counts.priorities[spec.key] ??= 0;
      const combos = Object.entries(counts.typePlace);
      if (combos.length > MAX_TYPE_PLACES)
        counts.typePlace = Object.fromEntries(
          combos.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, MAX_TYPE_PLACES),
        );
    }
    return result;
  }

  /**
   * The counts of every window: the picture's own window counted now, the baseline windows from the cache,
   * and baseline windows missing from it (or counted before a priority's rules were last changed) counted and
   * stored under the unit's window lock (see window-counts.ts).
   */
  async function allWindowCounts(
    unit: Unit,
    windows: readonly Window[],
    specs: readonly PrioritySpec[],
  ): Promise<Map<number, WindowCounts>> {
    const [current, ...baseline] = windows as [Window, ...Window[]];
    // The picture's own window is counted while the stored ones are read.
    const [fresh, cached] = await Promise.all([
      db.transaction().execute((trx) => countWindows(trx, unit, [current], specs)),
      readWindowCounts(db, unit.id, baseline),
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
      await lockWindowsForCounting(trx, unit.id);
      const counted = await countWindows(trx, unit, missing, specs);
      for (const [k, c] of counted) counts.set(k, c);
      await storeWindowCounts(
        trx,
        unit.id,
        missing.map((w) => ({ start: w.start, end: w.end, counts: counted.get(w.k) as WindowCounts })),
        clock.now(),
      );
    });
    return counts;
  }

  function withBaseline(
    counts: ReadonlyMap<number, WindowCounts>,
    dim: Dimension,
    used: ReadonlySet<number>,
  ): CountWithBaseline[] {
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
        const { mean, sd, flag } = classify(
          series[0] ?? 0,
          [...used].map((k) => series[k] ?? 0),
        );
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
    grade_final: string | null;
    opening_type_code: string | null;
    closing_type_code: string | null;
    nsir_chapter: string | null;
    area: string | null;
    beat: string | null;
    ward: string | null;
    qualifiers: string[];
    thrive_risk: string | null;
    critical: boolean;
    closed_at: Date | null;
    marking: string;
  }): PictureIncident {
    return {
      id: r.id,
      reference: r.reference,
      derivedReference: r.reference.startsWith('derived:'),
      eventAt: r.event_at as Date,
      grade: r.grade_initial,
      gradeFinal: r.grade_final,
      type: r.opening_type_code,
      closingType: r.closing_type_code,
      nsirChapter: r.nsir_chapter,
      area: r.area,
      beat: r.beat,
      ward: r.ward,
      qualifiers: r.qualifiers,
      thriveRisk: r.thrive_risk,
      critical: r.critical,
      closedAt: r.closed_at,
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
      const [counts, first] = await Promise.all([
        allWindowCounts(unit, windows, specs),
        // The instant the unit's data begins (one probe of the unit's event index).
        db
          .selectFrom('incidents')
          .select('event_at')
          .where('unit_id', '=', unit.id)
          .where('event_at', 'is not', null)
          .orderBy('event_at')
          .limit(1)
          .executeTakeFirst(),
      ]);
      const series = (pick: (c: WindowCounts) => number) =>
        windows.map((w) => pick(counts.get(w.k) ?? emptyWindowCounts()));
      const totals = series((c) => c.total);
      const coverage = usableBaseline(totals, windows, first?.event_at ?? null);
      const used = coverage.used;
      const against = (values: readonly number[]) =>
        classify(
          values[0] ?? 0,
          [...used].map((k) => values[k] ?? 0),
        );
      const trendOf = (values: readonly number[]): TrendPoint[] =>
        windows
          .map((w) => ({
            date: addDays(date, -w.k),
            count: w.k === 0 || used.has(w.k) ? (values[w.k] ?? 0) : null,
          }))
          .reverse();
      const total = against(totals);
      const today = counts.get(0) ?? emptyWindowCounts();

      const columns = [
        'id',
        'reference',
        'event_at',
        'grade_initial',
        'grade_final',
        'opening_type_code',
        'closing_type_code',
        'nsir_chapter',
        'area',
        'beat',
        'ward',
        'qualifiers',
        'thrive_risk',
        'critical',
        'closed_at',
        'marking',
      ] as const;
      const inWindow = () =>
        db
          .selectFrom('incidents as i')
          .where('unit_id', '=', unit.id)
          .where('event_at', '>=', current.start)
          .where('event_at', '<', current.end);
      // Exceptions by risk: critical, then G1, then high THRIVE risk, then the rest (qualifiers); earliest first
      // within each. The scan above counted each class, so each list is read in time order on the unit's event
      // index and stops once the list is full (a class with none is not read at all).
      const classCounts = [
        ...today.exceptionClasses,
        today.exceptions - today.exceptionClasses.reduce((a, b) => a + b, 0),
      ];
      const exceptionsOf = (condition: RawBuilder<boolean>, limit: number) =>
        inWindow().select(columns).where(condition).orderBy('event_at').orderBy('id').limit(limit).execute();
      const exceptionRows: Awaited<ReturnType<typeof exceptionsOf>> = [];
      for (const [j, condition] of [...EXCEPTION_CLASSES, QUALIFIER_CLASS].entries()) {
        const room = MAX_LISTED - exceptionRows.length;
        if (room <= 0) break;
        if ((classCounts[j] ?? 0) > 0) exceptionRows.push(...(await exceptionsOf(condition, room)));
      }
      const exceptionItems = exceptionRows.map((r) => {
        const reasons: string[] = [];
        if (r.critical) reasons.push('critical');
        if (r.grade_initial === 'G1_EMERGENCY') reasons.push('g1');
        if (r.thrive_risk === 'high') reasons.push('thrive_high');
        for (const q of r.qualifiers)
          if ((EXCEPTION_QUALIFIERS as readonly string[]).includes(q)) reasons.push(q);
        return { ...toIncident(r), reasons };
      });

      const targets = unit.responseTargets as ResponseTargets;
      const [breachRows, responseRows] = await Promise.all([
        today.breaches === 0
          ? []
          : inWindow()
              .select(columns)
              .select(sql<number>`round(${MINUTE})::int`.as('minutes'))
              .where(breachCondition(targets))
              .orderBy(
                sql`${MINUTE} - coalesce((${JSON.stringify(targets)}::jsonb ->> i.grade_initial)::numeric, 0)`,
                'desc',
              )
              .orderBy('id')
              .limit(MAX_LISTED)
              .execute(),
        // Like the breaches: not read when the scan found nobody with both times (a source without arrivals).
        today.attended === 0
          ? []
          : inWindow()
              .select([
                'grade_initial',
                sql<number>`count(*)::int`.as('attended'),
                sql<number | null>`percentile_cont(0.5) within group (order by ${MINUTE})`.as('median'),
                sql<number | null>`percentile_cont(0.9) within group (order by ${MINUTE})`.as('p90'),
                sql<number>`count(*) filter (where ${breachCondition(targets)})::int`.as('breaches'),
              ])
              .where('arrived_at', 'is not', null)
              .where('opened_at', 'is not', null)
              .where(sql<boolean>`i.arrived_at >= i.opened_at`)
              .groupBy('grade_initial')
              .execute(),
      ]);
      const responseTimes: ResponseTime[] = responseRows
        .map((r) => ({
          grade: r.grade_initial ?? '',
          targetMinutes: targets[r.grade_initial ?? ''] ?? null,
          attended: r.attended,
          medianMinutes: r.median === null ? null : Math.round(Number(r.median)),
          p90Minutes: r.p90 === null ? null : Math.round(Number(r.p90)),
          breaches: r.breaches,
        }))
        .sort((a, b) => a.grade.localeCompare(b.grade));

      const places = withBaseline(counts, 'area', used).filter((h) => h.key !== NOT_RECORDED);

      // Repeat locations: the week's counts come from the windows already counted (this one and six before).
      const week = new Map<string, { day: number; week: number }>();
      for (const w of windows.slice(0, 7)) {
        for (const [key, n] of Object.entries((counts.get(w.k) ?? emptyWindowCounts()).area)) {
          const entry = week.get(key) ?? { day: 0, week: 0 };
          entry.week += n;
          if (w.k === 0) entry.day += n;
          week.set(key, entry);
        }
      }
      const unmarked = (key: string) =>
        key.startsWith(SENSITIVE_KEY) ? key.slice(SENSITIVE_KEY.length) : key;
      const usual = new Map(
        places.map((p) => [`${p.marking ? SENSITIVE_KEY : ''}${p.key}`, p.baselineMean] as const),
      );
      const repeats = [...week]
        .filter(([key]) => unmarked(key) !== '' && !isPlaceholderPlace(unmarked(key)))
        .filter(([key]) => (usual.get(key) ?? 0) < REPEAT_QUIET)
        .filter(([, c]) => c.day >= REPEAT_DAY || c.week >= REPEAT_WEEK)
        .sort((a, b) => b[1].day - a[1].day || b[1].week - a[1].week || a[0].localeCompare(b[0]))
        .slice(0, 10);
      const rising = withBaseline(counts, 'typePlace', used)
        .filter((c) => c.flag === 'high' && c.count >= 3)
        .filter((c) => !isPlaceholderPlace(c.key.split(TYPE_PLACE_SEPARATOR)[1] ?? ''))
        .slice(0, 10);
      // The incidents behind them.
      const behind = new Map<string, PictureIncidentRef[]>();
      // For each, the latest few of the window. (Reading each group on its own, newest first with a limit, was
      // planned as a scan of the whole window per group: 450 ms against 75 for this one read.)
      const groups = [
        ...repeats.map(([key]) => ({ group: key, place: unmarked(key), type: null as string | null })),
        ...rising.map((c) => {
          const [type = '', place = ''] = c.key.split(TYPE_PLACE_SEPARATOR);
          return { group: (c.marking ? SENSITIVE_KEY : '') + c.key, place, type };
        }),
      ];
      if (groups.length > 0) {
        // One read of the window, newest first, keeping the first few of each group (a row may be in two: a
        // repeat location and a series there).
        const conditions = groups.map(
          (g) =>
            sql`(${atPlace(g.place)} and ${g.type === null ? sql`true` : sql`i.opening_type_code = ${g.type}`} and ${
              g.group.startsWith(SENSITIVE_KEY) ? sql`i.marking <> 'OFFICIAL'` : sql`i.marking = 'OFFICIAL'`
            })`,
        );
        const rows = await sql<{
          reference: string;
          event_at: Date;
          opening_type_code: string | null;
          beat: string | null;
          ward: string | null;
          area: string | null;
          marking: string;
        }>`
          select i.reference, i.event_at, i.opening_type_code, i.beat, i.ward, i.area, i.marking from incidents i
          where i.unit_id = ${unit.id} and i.event_at >= ${current.start} and i.event_at < ${current.end}
            and (${sql.join(conditions, sql` or `)})
          order by i.event_at desc, i.id desc`.execute(db);
        for (const r of rows.rows) {
          const place = placeKey(r.beat, r.ward, r.area);
          const prefix = r.marking === 'OFFICIAL' ? '' : SENSITIVE_KEY;
          for (const g of groups) {
            if (g.place !== place || (g.type !== null && g.type !== r.opening_type_code)) continue;
            if (g.group.startsWith(SENSITIVE_KEY) !== (prefix !== '')) continue;
            const list = behind.get(g.group) ?? [];
            if (list.length >= LISTED_PER_GROUP) continue;
            list.push({
              reference: r.reference,
              derivedReference: r.reference.startsWith('derived:'),
              eventAt: r.event_at,
              type: r.opening_type_code,
              marking: r.marking,
            });
            behind.set(g.group, list);
          }
        }
      }
      const repeatLocations: RepeatLocation[] = repeats.map(([key, c]) => ({
        key: unmarked(key),
        ...(key.startsWith(SENSITIVE_KEY) ? { marking: 'OFFICIAL-SENSITIVE' as const } : {}),
        day: c.day,
        week: c.week,
        incidents: behind.get(key) ?? [],
      }));
      const emergingSeries: EmergingSeries[] = rising.map((c) => {
        const [type = '', place = ''] = c.key.split(TYPE_PLACE_SEPARATOR);
        return { ...c, type, place, incidents: behind.get((c.marking ? SENSITIVE_KEY : '') + c.key) ?? [] };
      });
      const placeholderPlaces = places
        .filter((h) => isPlaceholderPlace(h.key))
        .reduce((n, h) => n + h.count, 0);

      return {
        unitId: unit.id,
        localDate: date,
        timeZone: unit.timeZone,
        windowStart: current.start,
        windowEnd: current.end,
        windowHours: (current.end.getTime() - current.start.getTime()) / 3_600_000,
        rule: UNUSUAL_RULE,
        baseline: {
          windows: windows.length - 1,
          used: used.size,
          gaps: coverage.gaps.map((k) => addDays(date, -k)),
          partial: coverage.partial === null ? null : addDays(date, -coverage.partial),
          beforeData: coverage.beforeData,
        },
        total: {
          key: 'total',
          count: totals[0] ?? 0,
          baselineMean: total.mean,
          baselineSd: total.sd,
          flag: total.flag,
        },
        trend: trendOf(totals),
        byGrade: withBaseline(counts, 'grade', used),
        byChapter: withBaseline(counts, 'chapter', used),
        byType: withBaseline(counts, 'type', used),
        exceptions: { count: today.exceptions, items: exceptionItems },
        priorities: specs.map((spec) => {
          const matches = series((c) => c.priorities[spec.key] ?? 0);
          const { mean, sd, flag } = against(matches);
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
            trend: trendOf(matches),
          };
        }),
        // More than a view shows: a view below a marking leaves marked rows out and still has five.
        hotspots: places.filter((h) => !isPlaceholderPlace(h.key)).slice(0, 10),
        repeatLocations,
        emergingSeries,
        seriesLimit: MAX_TYPE_PLACES,
        placeholderPlaces,
        placeholderTimes: today.midnight,
        responseTimes,
        responseBreaches: {
          count: today.breaches,
          items: breachRows.map((r) => ({
            ...toIncident(r),
            minutesToArrive: r.minutes,
            targetMinutes: targets[r.grade_initial ?? ''] ?? 0,
          })),
        },
      };
    },
  };
}
