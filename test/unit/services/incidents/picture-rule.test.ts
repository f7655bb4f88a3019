import { describe, expect, it } from 'vitest';
import { classify, pictureWindows } from '../../../../services/incidents/picture.service.js';

describe('pictureWindows', () => {
  it('gives a 25-hour window on the autumn clock change and 24 hours otherwise, in local time', () => {
    const [today, yesterday] = pictureWindows('2026-10-25', '07:00', 'Europe/London', 1);
    expect(today?.start.toISOString()).toBe('2026-10-24T06:00:00.000Z');
    expect(today?.end.toISOString()).toBe('2026-10-25T07:00:00.000Z');
    expect(((today?.end.getTime() ?? 0) - (today?.start.getTime() ?? 0)) / 3_600_000).toBe(25);
    expect(((yesterday?.end.getTime() ?? 0) - (yesterday?.start.getTime() ?? 0)) / 3_600_000).toBe(24);
  });

  it('builds 29 contiguous windows: today and 28 days of baseline', () => {
    const windows = pictureWindows('2026-06-15', '07:00', 'Europe/London');
    expect(windows).toHaveLength(29);
    for (let k = 1; k < windows.length; k += 1)
      expect(windows[k]?.end.getTime()).toBe(windows[k - 1]?.start.getTime());
  });
});

describe('classify (unusual-count rule)', () => {
  const steady = new Array(28).fill(10);
  it('flags high only when the excess is beyond 2 * max(sd, sqrt(mean)) and at least 3', () => {
    // mean 10, sd 0 -> spread 2 * sqrt(10) = 6.32
    expect(classify(16, steady).flag).toBeNull();
    expect(classify(17, steady).flag).toBe('high');
    expect(classify(3, steady).flag).toBe('low');
    expect(classify(4, steady).flag).toBeNull();
  });

  it('does not flag a single incident on a quiet baseline', () => {
    expect(classify(2, new Array(28).fill(0)).flag).toBeNull();
    expect(classify(3, new Array(28).fill(0)).flag).toBe('high');
  });

  it('uses the sample standard deviation when it is larger than sqrt(mean)', () => {
    const noisy = [...new Array(14).fill(0), ...new Array(14).fill(20)];
    const r = classify(30, noisy);
    expect(r).toEqual({ mean: 10, sd: 10.18, flag: null });
    expect(classify(31, noisy).flag).toBe('high');
  });
});
