/**
 * Local-day arithmetic in a unit's IANA time zone, done by luxon (never by hand): a "day" in Europe/London is
 * 23 or 25 hours long on the clock-change days.
 */
import { DateTime } from 'luxon';

/**
 * Results of the pure conversions below, remembered: a brief asks for the same few dozen dates and boundaries many
 * times over (each of its 29 windows, each trend), and luxon takes tens of microseconds an answer. Bounded: the
 * cache is emptied when full.
 */
const MEMO_MAX = 20_000;
const memo = new Map<string, string | number>();
function remembered<T extends string | number>(key: string, make: () => T): T {
  const hit = memo.get(key);
  if (hit !== undefined) return hit as T;
  const value = make();
  if (memo.size >= MEMO_MAX) memo.clear();
  memo.set(key, value);
  return value;
}

/** The local calendar date (YYYY-MM-DD) of `instant` in `zone`. */
export function localDateOf(instant: Date, zone: string): string {
  return remembered(`d|${instant.getTime()}|${zone}`, () => {
    const date = DateTime.fromJSDate(instant, { zone }).toISODate();
    if (!date) throw new RangeError(`cannot compute a local date in zone '${zone}'`);
    return date;
  });
}

/** Adds whole calendar days to a YYYY-MM-DD date. */
export function addDays(date: string, days: number): string {
  return remembered(`a|${date}|${days}`, () => {
    const result = DateTime.fromISO(date, { zone: 'UTC' }).plus({ days }).toISODate();
    if (!result) throw new RangeError(`invalid date '${date}'`);
    return result;
  });
}

/** The UTC instant at which local `date` begins in `zone`. */
export function startOfLocalDay(date: string, zone: string): Date {
  return new Date(
    remembered(`s|${date}|${zone}`, () => {
      const start = DateTime.fromISO(date, { zone }).startOf('day');
      if (!start.isValid) throw new RangeError(`invalid date '${date}' or zone '${zone}'`);
      return start.toMillis();
    }),
  );
}

/** Whether `date` (YYYY-MM-DD) is a real calendar date: 2026-02-30 and 2026-13-45 are not. */
export function isCalendarDate(date: string): boolean {
  return (
    /^\d{4}-\d{2}-\d{2}$/.test(date) &&
    remembered(`c|${date}`, () => (DateTime.fromISO(date, { zone: 'UTC' }).isValid ? 1 : 0)) === 1
  );
}

/** Whether `zone` is a time zone luxon (and so Intl) knows. */
export function isValidTimeZone(zone: string): boolean {
  return DateTime.local().setZone(zone).isValid;
}

/** Formats an instant in a zone for people, e.g. "Sun 22 Nov 2026 09:30". */
export function formatLocal(instant: Date, zone: string, format = 'ccc d LLL yyyy HH:mm'): string {
  return DateTime.fromJSDate(instant, { zone }).toFormat(format);
}

/** The UTC instant of a local wall-clock time (HH:MM) on a local date in `zone`. */
export function localDateTime(date: string, time: string, zone: string): Date {
  // A new Date each time: the remembered instant is a number, so no caller can change another's.
  return new Date(
    remembered(`t|${date}T${time}|${zone}`, () => {
      const dt = DateTime.fromISO(`${date}T${time}`, { zone });
      if (!dt.isValid) throw new RangeError(`invalid local time ${date} ${time} in '${zone}'`);
      return dt.toMillis();
    }),
  );
}
