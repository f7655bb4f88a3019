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

/** Generated incidents as rows of a unit, all in the picture window of 15 June 2026, referenced `<prefix>-<n>`. */
const stored = (incidents: readonly Generated[], unitId: number, prefix: string) =>
  incidents.map((i, n) => ({
    ...i,
    unit_id: unitId,
    source: 'prop',
    reference: `${prefix}-${n}`,
    event_at: new Date('2026-06-14T12:00:00Z'),
    raw: 'generated',
    content_hash: 'h',
    units: [],
  }));

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
          .values(stored(incidents, f.unit.id, `R${run}`))
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

  it('counts each priority as its rules say, whether tested per incident or per counted group', async () => {
    // Rules of every kind, alone and together: type codes, chapters and areas alone are tested on the counted
    // groups, rules with qualifiers or keywords on each incident (PrioritySpec.groupMatch); the oracle here tests
    // each incident.
    const kinds = {
      typeCodes: fc.subarray(['THEFT', 'THEFT|', '|THEFT', 'ASSAULT'], { minLength: 1 }),
      nsirChapters: fc.subarray(['crime', 'public_safety_welfare'], { minLength: 1 }),
      areas: fc.subarray(['K2', 'Riverside', 'High St', 'k2'], { minLength: 1 }),
    };
    const some = (r: object) => Object.keys(r).length > 0;
    const rules = fc.oneof(
      fc.record(kinds, { requiredKeys: [] }).filter(some),
      fc
        .record(
          {
            ...kinds,
            qualifiers: fc.subarray(['domestic', 'drugs'], { minLength: 1 }),
            keywords: fc.subarray(['theft', 'eft|', 'nothing'], { minLength: 1 }),
          },
          { requiredKeys: [] },
        )
        .filter(some),
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(incident, { minLength: 1, maxLength: 15 }),
        fc.array(rules, { minLength: 1, maxLength: 3 }),
        async (incidents, priorityRules) => {
          run += 1;
          const f = await createUnitFixture(ctx.services, { code: `prio-${run}` });
          await ctx.services.db
            .insertInto('incidents')
            .values(stored(incidents, f.unit.id, `P${run}`))
            .execute();
          const created = [];
          for (const [n, matchingRules] of priorityRules.entries())
            created.push(
              await ctx.services.priorities.create(f.analyst, {
                unitId: f.unit.id,
                title: `P${n}`,
                startsOn: '2026-01-01',
                matchingRules,
              }),
            );
          const picture = await ctx.services.pictures.build(f.member, f.unit.id, '2026-06-15');
          const ilike = (text: string | null, word: string) =>
            text?.toLowerCase().includes(word.toLowerCase()) === true;
          for (const p of created) {
            const r = p.matchingRules as Partial<Record<string, string[]>>;
            const expected = incidents.filter(
              (i) =>
                (!r.typeCodes || r.typeCodes.includes(i.opening_type_code as string)) &&
                (!r.nsirChapters || r.nsirChapters.includes(i.nsir_chapter as string)) &&
                (!r.areas || r.areas.includes(i.area as string)) &&
                (!r.qualifiers || i.qualifiers.some((q) => r.qualifiers?.includes(q))) &&
                (!r.keywords || r.keywords.some((w) => ilike(i.opening_type_code, w))),
            ).length;
            expect(picture.priorities.find((x) => x.priority.id === p.id)?.count, JSON.stringify(r)).toBe(
              expected,
            );
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});
