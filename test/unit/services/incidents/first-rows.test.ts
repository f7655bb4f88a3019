import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FirstRows } from '../../../../services/incidents/first-rows.js';

describe('FirstRows', () => {
  it('answers like a Map of first rows on random references with repeats', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 12 }), { maxLength: 300 }), (references) => {
        const index = new FirstRows();
        const expected = new Map<string, number>();
        references.forEach((reference, i) => {
          const row = i + 1;
          expect(index.firstRowOf(reference, row)).toBe(expected.get(reference));
          if (!expected.has(reference)) expected.set(reference, row);
        });
        expect(index.size).toBe(expected.size);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps every reference while it grows well past its first size', () => {
    const index = new FirstRows();
    for (let i = 0; i < 50_000; i += 1) expect(index.firstRowOf(`INC-${i}`, i + 1)).toBeUndefined();
    for (let i = 0; i < 50_000; i += 7) expect(index.firstRowOf(`INC-${i}`, 999_999)).toBe(i + 1);
    expect(index.size).toBe(50_000);
  });
});

describe('idRanges', () => {
  it('lists ids as inclusive ranges, whatever their order, once each', async () => {
    const { idRanges } = await import('../../../../services/incidents/import.service.js');
    expect(idRanges([5, 3, 4, 10, 11, 1, 4])).toEqual([
      [1, 1],
      [3, 5],
      [10, 11],
    ]);
    expect(idRanges([])).toEqual([]);
  });
});
