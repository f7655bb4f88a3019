/**
 * The columns the database works out for the brief (migration 0017) agree with the service's own rules, on
 * random incidents: `place_key` is placeKey (beat, else ward, else area, trimmed), `exception_class` is
 * exceptionClassOf, and two incidents share a `picture_group` exactly when the seven values a brief counts by
 * are the same (a missing value and an empty one apart; the service counts both as not recorded).
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../../services/clock.js';
import {
  EXCEPTION_QUALIFIERS,
  exceptionClassOf,
  placeKey,
} from '../../../services/incidents/picture.service.js';
import { BACKENDS } from '../../support/database.js';
import { createUnitFixture } from '../../support/fixtures.js';
import { useServices } from '../../support/suite.js';

/** Few values each, so that random incidents often share some and differ in one. */
const place = fc.constantFrom(null, '', ' ', '\t', 'K2', ' K2 ', 'K2\n', 'Riverside', 'High St', 'k2');
const incident = fc.record({
  grade_initial: fc.constantFrom(null, 'G1_EMERGENCY', 'G2_PRIORITY', 'G3_SCHEDULED'),
  nsir_chapter: fc.constantFrom(null, 'crime', 'public_safety_welfare'),
  opening_type_code: fc.constantFrom(null, '', 'THEFT', 'THEFT|', '|THEFT'),
  beat: place,
  ward: place,
  area: place,
  marking: fc.constantFrom('OFFICIAL', 'OFFICIAL-SENSITIVE'),
  critical: fc.boolean(),
  thrive_risk: fc.constantFrom(null, 'low', 'high'),
  qualifiers: fc.subarray(['domestic', 'hate', 'firearm', 'drugs', 'alcohol', 'mental_health']),
});
type Generated = typeof incident extends fc.Arbitrary<infer T> ? T : never;
const COUNTED = [
  'grade_initial',
  'nsir_chapter',
  'opening_type_code',
  'beat',
  'ward',
  'area',
  'marking',
] as const;

describe.each(BACKENDS)('the picture columns of incidents on %s', (backend) => {
  const ctx = useServices(backend, createFixedClock('2026-06-15T06:30:00Z'));

  it('agree with placeKey, exceptionClassOf and the values counted by', async () => {
    const f = await createUnitFixture(ctx.services, { code: 'pk-prop' });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(incident, { minLength: 1, maxLength: 12 }), async (incidents) => {
        run += 1;
        const inserted = await ctx.services.db
          .insertInto('incidents')
          .values(
            incidents.map((i, n) => ({
              ...i,
              unit_id: f.unit.id,
              source: 'prop',
              reference: `R${run}-${n}`,
              event_at: new Date('2026-06-14T12:00:00Z'),
              raw: 'generated',
              content_hash: 'h',
              units: [],
            })),
          )
          .returning([
            'reference',
            'place_key',
            'exception_class',
            sql<string>`picture_group::text`.as('picture_group'),
          ])
          .execute();
        const byRef = new Map(inserted.map((r) => [r.reference, r]));
        const rows = incidents.map((i, n) => ({
          i,
          row: byRef.get(`R${run}-${n}`) as (typeof inserted)[number],
        }));
        for (const { i, row } of rows) {
          expect(row.place_key).toBe(placeKey(i.beat, i.ward, i.area));
          expect(row.exception_class).toBe(exceptionClassOf(i));
        }
        const same = (a: Generated, b: Generated) => COUNTED.every((k) => a[k] === b[k]);
        for (const a of rows)
          for (const b of rows) expect(a.row.picture_group === b.row.picture_group).toBe(same(a.i, b.i));
      }),
      { numRuns: 60 },
    );
    // Every qualifier the service calls an exception makes one in the database too.
    for (const q of EXCEPTION_QUALIFIERS)
      expect(
        exceptionClassOf({ critical: false, grade_initial: null, thrive_risk: null, qualifiers: [q] }),
      ).toBe(4);
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from incidents where unit_id = ${f.unit.id}`.execute(ctx.services.db);
    expect(rows[0]?.n).toBeGreaterThan(60);
  });
});
