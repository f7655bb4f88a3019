/**
 * Incident counts per picture window, kept in `picture_window_counts` so that a picture counts only its own
 * window and reads the 28 baseline windows, which earlier days' pictures counted. Counting 29 windows took
 * 1.5 s on a unit with 5 million incidents; one window is a scan of one day.
 *
 * The cache must never hold a count that misses an incident. Two rules keep it so:
 * - a write of incidents (an import chunk) drops the cached windows its incidents fall in, in the same
 *   transaction, holding the unit's window lock shared (imports do not wait for each other);
 * - a picture counts and stores missing windows holding the same lock exclusively, so it waits for import
 *   chunks in flight, counts with everything they wrote, and an import that starts meanwhile waits for the store
 *   and then drops what was stored.
 */
import type { Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../../db/database.js';

/** The advisory lock class of the window lock; its second key is the unit id. Spells "DMM". */
const WINDOW_LOCK_CLASS = 0x444d4d;

/** Bumped when what a window's counts mean changes, so counts stored before are counted again. */
// 2: free text of marked incidents is counted apart (SENSITIVE_KEY in picture.service.ts).
// 3: places are beat, ward or area (`beat:…`); incidents opened at 00:00 counted (`midnight`); breaches against
//    the unit's own targets.
// 4: type-and-place combinations (`typePlace`), for emerging series.
// 5: places are the database's `place_key` (trimmed of the same white space as placeKey; migration 0017).
export const WINDOW_COUNTS_VERSION = 5;

/** Combinations of type and place kept per window: the commonest, so that a window's counts stay small. */
export const MAX_TYPE_PLACES = 1000;

/** What a picture needs of one window. Keys of the per-value maps are the stored values ('' when none). */
export interface WindowCounts {
  version: number;
  total: number;
  exceptions: number;
  breaches: number;
  /** Incidents opened at exactly 00:00 local time (a date given without a time, most likely). */
  midnight: number;
  /** Exceptions by risk class: critical; else G1; else high THRIVE risk (the rest are qualifiers alone). */
  exceptionClasses: [number, number, number];
  /** Incidents with an opening and an arrival time (what response times are measured on). */
  attended: number;
  grade: Record<string, number>;
  chapter: Record<string, number>;
  type: Record<string, number>;
  area: Record<string, number>;
  /**
   * Per combination of type and place (`<type>\u241f<place>`), the MAX_TYPE_PLACES commonest of the window: a
   * combination beyond them counts as none that day.
   */
  typePlace: Record<string, number>;
  /** Per priority, keyed by `<id>:<hash of its matching rules>` so that edited rules are counted afresh. */
  priorities: Record<string, number>;
}

export function emptyWindowCounts(): WindowCounts {
  return {
    version: WINDOW_COUNTS_VERSION,
    total: 0,
    exceptions: 0,
    breaches: 0,
    midnight: 0,
    exceptionClasses: [0, 0, 0],
    attended: 0,
    grade: {},
    chapter: {},
    type: {},
    area: {},
    typePlace: {},
    priorities: {},
  };
}

/**
 * Starts an import chunk's transaction: holds the unit's window lock shared, and lets the chunk commit without
 * waiting for its WAL flush (see the import service) — one round trip for both.
 */
export async function beginIncidentWrite(trx: Transaction<Database>, unitId: number): Promise<void> {
  await sql`select set_config('synchronous_commit', 'off', true),
                   pg_advisory_xact_lock_shared(${WINDOW_LOCK_CLASS}::int, ${unitId}::int)`.execute(trx);
}

/** Holds the unit's window lock exclusively until the transaction ends (to count and store windows). */
export async function lockWindowsForCounting(trx: Transaction<Database>, unitId: number): Promise<void> {
  await sql`select pg_advisory_xact_lock(${WINDOW_LOCK_CLASS}::int, ${unitId}::int)`.execute(trx);
}

/** Drops the unit's cached windows that contain any instant from `from` to `to` (inclusive). */
export async function dropWindowsBetween(
  trx: Transaction<Database>,
  unitId: number,
  from: Date,
  to: Date,
): Promise<void> {
  await trx
    .deleteFrom('picture_window_counts')
    .where('unit_id', '=', unitId)
    .where('window_end', '>', from)
    .where('window_start', '<=', to)
    .execute();
}

const windowKey = (start: Date, end: Date) => `${start.toISOString()}/${end.toISOString()}`;

/** The cached counts of these windows, keyed by `start/end` in ISO form. */
export async function readWindowCounts(
  db: Kysely<Database>,
  unitId: number,
  windows: ReadonlyArray<{ start: Date; end: Date }>,
): Promise<Map<string, WindowCounts>> {
  if (windows.length === 0) return new Map();
  const starts = windows.map((w) => w.start.getTime());
  const rows = await db
    .selectFrom('picture_window_counts')
    .select(['window_start', 'window_end', 'counts'])
    .where('unit_id', '=', unitId)
    .where('window_start', '>=', new Date(Math.min(...starts)))
    .where('window_start', '<=', new Date(Math.max(...starts)))
    .execute();
  return new Map(rows.map((r) => [windowKey(r.window_start, r.window_end), r.counts as WindowCounts]));
}

export function findWindow(
  cached: ReadonlyMap<string, WindowCounts>,
  window: { start: Date; end: Date },
): WindowCounts | undefined {
  return cached.get(windowKey(window.start, window.end));
}

/** Stores (or replaces) counted windows; call holding `lockWindowsForCounting`. */
export async function storeWindowCounts(
  trx: Transaction<Database>,
  unitId: number,
  entries: ReadonlyArray<{ start: Date; end: Date; counts: WindowCounts }>,
  now: Date,
): Promise<void> {
  if (entries.length === 0) return;
  await trx
    .insertInto('picture_window_counts')
    .values(
      entries.map((e) => ({
        unit_id: unitId,
        window_start: e.start,
        window_end: e.end,
        counts: JSON.stringify(e.counts),
        computed_at: now,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['unit_id', 'window_start', 'window_end']).doUpdateSet((eb) => ({
        counts: eb.ref('excluded.counts'),
        computed_at: eb.ref('excluded.computed_at'),
      })),
    )
    .execute();
}
