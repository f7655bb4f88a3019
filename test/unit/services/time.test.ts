import { describe, expect, it } from 'vitest';
import { addDays, localDateOf, localDateTime, startOfLocalDay } from '../../../services/time.js';

const LONDON = 'Europe/London';

describe('local-day arithmetic in Europe/London', () => {
  it('gives the London date, not the UTC date, around midnight in summer', () => {
    expect(localDateOf(new Date('2026-06-30T22:59:59Z'), LONDON)).toBe('2026-06-30');
    expect(localDateOf(new Date('2026-06-30T23:00:00Z'), LONDON)).toBe('2026-07-01');
    expect(localDateOf(new Date('2026-12-31T23:59:59Z'), LONDON)).toBe('2026-12-31');
  });

  it('has a 23-hour day when the clocks go forward and a 25-hour day when they go back', () => {
    const hours = (date: string) =>
      (startOfLocalDay(addDays(date, 1), LONDON).getTime() - startOfLocalDay(date, LONDON).getTime()) /
      3_600_000;
    expect(hours('2026-03-29')).toBe(23);
    expect(hours('2026-10-25')).toBe(25);
    expect(hours('2026-06-15')).toBe(24);
  });

  it('puts 07:00 local at 07:00Z in winter and 06:00Z in summer', () => {
    expect(localDateTime('2026-01-15', '07:00', LONDON).toISOString()).toBe('2026-01-15T07:00:00.000Z');
    expect(localDateTime('2026-07-15', '07:00', LONDON).toISOString()).toBe('2026-07-15T06:00:00.000Z');
  });

  it('adds calendar days across month and year ends', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
  });
});

describe('remembered conversions', () => {
  it('give the same answers the second time, a new Date each time, and still refuse bad input every time', () => {
    for (const date of ['2026-03-28', '2026-03-29', '2026-10-25', '2026-10-26']) {
      const first = localDateTime(date, '07:00', 'Europe/London');
      const again = localDateTime(date, '07:00', 'Europe/London');
      expect(again).toEqual(first);
      expect(again).not.toBe(first);
      again.setTime(0);
      expect(localDateTime(date, '07:00', 'Europe/London')).toEqual(first);
      expect(startOfLocalDay(date, 'Europe/London')).toEqual(startOfLocalDay(date, 'Europe/London'));
      expect(addDays(date, -28)).toBe(addDays(date, -28));
    }
    // The clocks go forward on 29 March 2026: that local day starts at 00:00 GMT, the next at 23:00 the day before.
    expect(startOfLocalDay('2026-03-29', 'Europe/London').toISOString()).toBe('2026-03-29T00:00:00.000Z');
    expect(startOfLocalDay('2026-03-30', 'Europe/London').toISOString()).toBe('2026-03-29T23:00:00.000Z');
    for (let i = 0; i < 2; i += 1) {
      expect(() => addDays('2026-02-30', 1)).toThrow(RangeError);
      expect(() => localDateTime('2026-02-01', '25:00', 'Europe/London')).toThrow(RangeError);
      expect(() => startOfLocalDay('2026-02-01', 'Nowhere/Else')).toThrow(RangeError);
    }
  });
});
