/**
 * Text the import sends inside PostgreSQL array literals comes back exactly as the mapper made it: values that
 * may stand bare and values that must be quoted (empty, NULL in any case, braces, commas, quotes, backslashes,
 * white space at either end or inside, non-ASCII), on both backends.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../../services/clock.js';
import { createMapper } from '../../../services/incidents/mapper.js';
import { loadProfile } from '../../../services/incidents/profile.js';
import { BACKENDS } from '../../support/database.js';
import { operator } from '../../support/fixtures.js';
import { useServices } from '../../support/suite.js';

const TRICKY = [
  'North',
  'NULL',
  'null',
  'Null',
  'nULl',
  'NULLS',
  ' lead',
  'trail ',
  'in ner',
  'tab\tinside',
  'new\nline',
  'a,b',
  '{x}',
  'a"b',
  'a\\b',
  '\\',
  '"',
  '\u00a0nbsp',
  'nbsp\u00a0',
  'ünïcödé ☕',
  '𝔘nicode',
];

describe.each(BACKENDS)('text in array literals on %s', (backend) => {
  const ctx = useServices(backend, createFixedClock('2026-04-01T08:00:00Z'));

  it('stores every area and type as the mapper made it', { timeout: 60_000 }, async () => {
    const unit = await ctx.services.units.create(operator, { code: 'text', name: 'Text' });
    const profile = await loadProfile('generic-uk-cad');
    const mapper = createMapper(profile);
    const values = [
      ...TRICKY,
      ...fc.sample(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }), { numRuns: 200, seed: 7 }),
    ].filter((v) => !v.includes('\u0000'));
    const records = values.map((value, i) => {
      const record = {
        incident_ref: `T-${i}`,
        opened_at: '2026-03-29T08:15:00Z',
        grade_initial: '2',
        opening_type: value,
        nsir_chapter: 'crime',
        area: value,
      };
      return { record, raw: JSON.stringify(record) };
    });
    const { summary } = await ctx.services.incidentImports.importRecords(operator, {
      unitId: unit.id,
      profile: 'generic-uk-cad',
      label: 'text',
      records,
    });
    const stored = new Map(
      (
        await ctx.handle.db
          .selectFrom('incidents')
          .select(['reference', 'area', 'opening_type_code', 'raw'])
          .where('unit_id', '=', unit.id)
          .execute()
      ).map((r) => [r.reference, r]),
    );
    let compared = 0;
    for (const { record, raw } of records) {
      const mapped = mapper.map(record, raw);
      if (!mapped.ok) continue;
      const row = stored.get(mapped.incident.reference);
      expect(row, record.incident_ref).toBeDefined();
      expect({ area: row?.area, type: row?.opening_type_code, raw: row?.raw }).toEqual({
        area: mapped.incident.area,
        type: mapped.incident.openingTypeCode,
        raw,
      });
      compared += 1;
    }
    expect(compared).toBe(summary.inserted);
    expect(compared).toBeGreaterThan(TRICKY.length);
  });

  it('takes the event time as the first of opened, deployed, arrived and closed, whichever times a chunk has', async () => {
    const unit = await ctx.services.units.create(operator, { code: 'times', name: 'Times' });
    const T = [
      '2026-03-29T08:00:00.000Z',
      '2026-03-29T08:05:00.000Z',
      '2026-03-29T08:20:00.000Z',
      '2026-03-29T09:00:00.000Z',
    ];
    const columns = ['opened_at', 'first_deployed_at', 'arrived_at', 'closed_at'] as const;
    // Every non-empty combination of the four times, each in a chunk of its own and all together in one.
    const combos = Array.from({ length: 15 }, (_, m) => columns.filter((_, b) => (m + 1) & (1 << b)));
    const record = (n: number, present: readonly string[]) => {
      const r: Record<string, string> = {
        incident_ref: `E-${n}`,
        grade_initial: '2',
        opening_type: 'THEFT',
        nsir_chapter: 'crime',
      };
      columns.forEach((c, b) => {
        r[c] = present.includes(c) ? (T[b] as string) : '';
      });
      return { record: r, raw: JSON.stringify(r) };
    };
    const together = combos.map((present, n) => record(n, present));
    for (const [label, records] of [
      ['together', together],
      ...combos.map((present, n) => [`alone-${n}`, [record(100 + n, present)]] as const),
    ] as const)
      await ctx.services.incidentImports.importRecords(operator, {
        unitId: unit.id,
        profile: 'generic-uk-cad',
        label,
        records: [...records],
      });
    const rows = await ctx.handle.db
      .selectFrom('incidents')
      .select(['reference', 'event_at'])
      .where('unit_id', '=', unit.id)
      .execute();
    expect(rows).toHaveLength(30);
    for (const row of rows) {
      const n = Number(row.reference.slice(2)) % 100;
      const first = columns.findIndex((c) => (combos[n] as readonly string[]).includes(c));
      expect(row.event_at?.toISOString(), row.reference).toBe(T[first]);
    }
  });
});
