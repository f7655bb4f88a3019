/**
 * Reads source times into instants with luxon, fast enough for million-row imports. luxon's conversion in an
 * IANA zone asks `Intl` for the zone's offset on every call (about 40 µs here), so two shortcuts are taken;
 * neither does any calendar or time-zone arithmetic of its own:
 * - an ISO time with an explicit offset (`…Z`, `…+01:00`) in the ECMAScript date-time format names its instant
 *   whatever the profile's zone. Once luxon has said that its date part is a real calendar date (memoised: a
 *   file holds few distinct dates), the instant is read by the ECMAScript `Date` parser, which the language
 *   defines for exactly this format. A test checks the shortcut against luxon on random values.
 * - every other value is read by luxon in the profile's zone, memoised by its text: command-and-control exports
 *   repeat times to the minute. Each memo is bounded and emptied when full.
 */
import { DateTime } from 'luxon';

// ECMAScript date-time string format (ECMA-262 §21.4.1.32) with a required offset: HH:mm, optional :ss and .sss.
const ES_WITH_OFFSET =
  /^(\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]))T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{3})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

/** Entries a memo keeps before it is emptied: bounds memory whatever the file holds. */
const MEMO_LIMIT = 50_000;

export interface TimeReader {
  /** The instant `value` names, read with `format` (`iso` or a luxon format) in the reader's zone; null when invalid. */
  read(value: string, format: string): Date | null;
}

function remember<V>(memo: Map<string, V>, key: string, value: V): V {
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(key, value);
  return value;
}

/** A reader for times without an offset in `zone` (an IANA name such as Europe/London). */
export function createTimeReader(zone: string): TimeReader {
  const realDates = new Map<string, boolean>();
  const instants = new Map<string, number | null>();

  function isRealDate(date: string): boolean {
    return realDates.get(date) ?? remember(realDates, date, DateTime.fromISO(date, { zone: 'UTC' }).isValid);
  }

  function readWithLuxon(value: string, format: string): number | null {
    const dt =
      format === 'iso' ? DateTime.fromISO(value, { zone }) : DateTime.fromFormat(value, format, { zone });
    return dt.isValid ? dt.toMillis() : null;
  }

  return {
    read(value, format) {
      if (format === 'iso') {
        const date = ES_WITH_OFFSET.exec(value)?.[1];
        if (date !== undefined && isRealDate(date)) return new Date(Date.parse(value));
      }
      const key = `${format}\u0000${value}`;
      let ms = instants.get(key);
      if (ms === undefined) ms = remember(instants, key, readWithLuxon(value, format));
      return ms === null ? null : new Date(ms);
    },
  };
}
