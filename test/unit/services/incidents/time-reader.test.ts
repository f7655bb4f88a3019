import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { createTimeReader } from '../../../../services/incidents/time-reader.js';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** luxon alone: what the reader must always agree with. */
function luxonInstant(value: string, format: string, zone: string): number | null {
  const dt =
    format === 'iso' ? DateTime.fromISO(value, { zone }) : DateTime.fromFormat(value, format, { zone });
  return dt.isValid ? dt.toMillis() : null;
}

// Parts that are sometimes out of range (day 31 of April, hour 24, minute 60, offset +24:00) and sometimes absent.
const isoLike = fc
  .record({
    year: fc.integer({ min: 1999, max: 2031 }),
    month: fc.integer({ min: 0, max: 13 }),
    day: fc.integer({ min: 0, max: 32 }),
    hour: fc.integer({ min: 0, max: 25 }),
    minute: fc.integer({ min: 0, max: 61 }),
    second: fc.option(fc.integer({ min: 0, max: 61 })),
    fraction: fc.option(fc.constantFrom('.1', '.12', '.123', '.1234', '.000')),
    offset: fc.constantFrom(
      '',
      'Z',
      '+00:00',
      '+01:00',
      '-05:00',
      '+05:30',
      '+14:00',
      '+24:00',
      '-00:30',
      '+0100',
    ),
    separator: fc.constantFrom('T', 'T', ' '),
  })
  .map(
    (p) =>
      `${p.year}-${pad(p.month)}-${pad(p.day)}${p.separator}${pad(p.hour)}:${pad(p.minute)}` +
      (p.second === null ? '' : `:${pad(p.second)}${p.fraction ?? ''}`) +
      p.offset,
  );

describe('time reader', () => {
  it('agrees with luxon on random ISO-like times, valid or not, in London and Los Angeles', () => {
    for (const zone of ['Europe/London', 'America/Los_Angeles']) {
      const reader = createTimeReader(zone);
      fc.assert(
        fc.property(isoLike, (value) => {
          expect(reader.read(value, 'iso')?.getTime() ?? null).toBe(luxonInstant(value, 'iso', zone));
        }),
        { numRuns: 3000 },
      );
    }
  });

  it('refuses a date that does not exist even with an offset (the Date parser alone would roll 30 Feb into March)', () => {
    const reader = createTimeReader('Europe/London');
    expect(reader.read('2026-02-30T10:00:00Z', 'iso')).toBeNull();
    expect(reader.read('2026-04-31T10:00:00+01:00', 'iso')).toBeNull();
    expect(reader.read('2024-02-29T10:00:00Z', 'iso')?.toISOString()).toBe('2024-02-29T10:00:00.000Z');
  });

  it('reads a local time in the zone on both sides of the spring clock change, the same on a memoised repeat', () => {
    const reader = createTimeReader('Europe/London');
    for (let i = 0; i < 2; i += 1) {
      expect(reader.read('2026-03-29T00:30:00', 'iso')?.toISOString()).toBe('2026-03-29T00:30:00.000Z');
      expect(reader.read('2026-03-29T02:30:00', 'iso')?.toISOString()).toBe('2026-03-29T01:30:00.000Z');
    }
  });

  it('reads a luxon format in the zone and refuses text that does not fit it', () => {
    const reader = createTimeReader('America/Los_Angeles');
    const format = 'MM/dd/yyyy hh:mm:ss a';
    expect(reader.read('03/01/2016 11:05:00 PM', format)?.toISOString()).toBe('2016-03-02T07:05:00.000Z');
    expect(reader.read('13/01/2016 11:05:00 PM', format)).toBeNull();
    expect(reader.read('2016-03-01T23:05:00', format)).toBeNull();
  });
});
