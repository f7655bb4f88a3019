import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../../services/clock.js';
import { ImportFileError } from '../../../services/incidents/import.service.js';
import type { Unit } from '../../../services/units/unit.service.js';
import { BACKENDS } from '../../support/database.js';
import { operator } from '../../support/fixtures.js';
import { useImportScratch } from '../../support/import-scratch.js';
import { useServices } from '../../support/suite.js';

const COLUMNS = [
  'incident_ref',
  'opened_at',
  'grade_initial',
  'opening_type',
  'nsir_chapter',
  'area',
  'marking',
] as const;

const hostileText = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '\uD800',
    'x\uDC00y',
    '\u001b[2J',
    '\u0007',
    '\u009b31m',
    '\r',
    '"',
    ',',
    '\n',
    '\\',
    'a\\"b',
    '{',
    '}',
    'NULL',
    '{"x"}',
  ),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.constant('x'.repeat(2500)),
);
const time = fc.oneof(
  fc
    .date({
      min: new Date('2026-03-01T00:00:00Z'),
      max: new Date('2026-03-31T00:00:00Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString()),
  fc.constantFrom(
    '0000-03-29T08:15:00Z',
    '-000001-03-29T08:15:00Z',
    '+010000-03-29T08:15:00Z',
    '2200-01-01T00:00:00Z',
    '1899-12-31T23:59:59Z',
    'yesterday',
    '',
    '2026-02-30T10:00:00Z',
  ),
);
const field = (usual: fc.Arbitrary<string>) =>
  fc.oneof({ weight: 4, arbitrary: usual }, { weight: 1, arbitrary: hostileText });

/** A record: mostly plausible, every field sometimes hostile; references from a small pool so they repeat. */
const record = fc.record({
  incident_ref: fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: 1, max: 12 }).map((n) => `H-${n}`) },
    { weight: 1, arbitrary: hostileText },
  ),
  opened_at: time,
  grade_initial: field(fc.constantFrom('1', '2', '3', '4', 'E', 'X')),
  opening_type: field(fc.constantFrom('THEFT', 'ASSAULT', 'ASB')),
  nsir_chapter: field(fc.constantFrom('crime', 'transport', 'public_safety_welfare')),
  area: field(fc.constantFrom('North', 'South', 'Market Square')),
  marking: field(fc.constantFrom('', 'OFFICIAL', 'OS', 'SECRET')),
});
/** An API record may also carry nested or non-string values, or not be an object at all. */
const apiRecord = fc.oneof(
  { weight: 8, arbitrary: record as fc.Arbitrary<unknown> },
  { weight: 1, arbitrary: record.map((r) => ({ ...r, area: { nested: [r.area, [[[1]]]] } })) },
  {
    weight: 1,
    arbitrary: record.map((r) => ({ ...r, grade_initial: Number.parseInt(r.grade_initial, 10) || true })),
  },
  { weight: 1, arbitrary: fc.constantFrom(null, 42, 'text', [], [[['deep']]]) },
);
/** Whole records repeated (same content) or repeated with one difference. */
const withRepeats = <T>(arb: fc.Arbitrary<T[]>) =>
  arb.chain((records) =>
    fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 5 }).map((picks) => [
      ...records,
      ...picks.flatMap(([i, differ]) => {
        const original = records[i % Math.max(1, records.length)];
        if (original === undefined) return [];
        return differ && typeof original === 'object' && original !== null && !Array.isArray(original)
          ? [{ ...original, area: `${String((original as { area?: unknown }).area)} (changed)` } as T]
          : [original];
      }),
    ]),
  );

describe.each(BACKENDS)('hostile records through both import paths on %s', (backend) => {
  const ctx = useServices(backend, createFixedClock('2026-04-01T08:00:00Z'));
  const { freshUnit, write } = useImportScratch(ctx, 'hostile');
  let n = 0;
  const storedReferences = async (unit: Unit) =>
    new Set(
      (
        await ctx.services.db
          .selectFrom('incidents')
          .select('reference')
          .where('unit_id', '=', unit.id)
          .execute()
      ).map((r) => r.reference),
    );
  const keptRejects = async (batchId: number) =>
    (await ctx.services.incidentImports.listRejects(operator, batchId)).map((r) => r.rowNumber);

  it('through the ingest API: one result per record, and the database agrees', {
    timeout: 120_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(withRepeats(fc.array(apiRecord, { minLength: 1, maxLength: 40 })), async (records) => {
        const unit = await freshUnit();
        const { summary, results } = await ctx.services.incidentImports.importRecords(operator, {
          unitId: unit.id,
          profile: 'generic-uk-cad',
          label: 'property',
          records: records.map((r) => ({ record: r, raw: JSON.stringify(r) ?? 'undefined' })),
        });
        expect(summary.status).toBe('completed');
        expect(results).toHaveLength(records.length);
        const count = (s: string) => results.filter((r) => r.status === s).length;
        expect(summary).toMatchObject({
          read: records.length,
          inserted: count('inserted'),
          updated: count('updated'),
          unchanged: count('unchanged'),
          merged: count('merged'),
          rejected: count('rejected'),
        });
        expect(
          count('inserted') + count('updated') + count('unchanged') + count('merged') + count('rejected'),
        ).toBe(records.length);
        // Stored: exactly the references of the records reported stored (first of each inserted).
        const reported = new Set(
          results.flatMap((r) => (r.status !== 'rejected' && r.reference !== undefined ? [r.reference] : [])),
        );
        expect(await storedReferences(unit)).toEqual(reported);
        expect(count('inserted')).toBe(reported.size);
        // What was stored is what was sent (quotes, backslashes, braces and the word NULL included).
        const areas = new Map(
          (
            await ctx.services.db
              .selectFrom('incidents')
              .select(['reference', 'area'])
              .where('unit_id', '=', unit.id)
              .execute()
          ).map((r) => [r.reference, r.area]),
        );
        results.forEach((r, i) => {
          if (r.status !== 'inserted') return;
          const sent = String((records[i] as { area?: unknown }).area ?? '').trim();
          expect(areas.get(r.reference as string)).toBe(sent === '' ? null : sent);
        });
        // Rejected: exactly the records reported rejected, each kept with its row.
        const rejectedRows = results.flatMap((r, i) => (r.status === 'rejected' ? [i + 1] : []));
        expect((await keptRejects(summary.batchId)).sort((a, b) => a - b)).toEqual(rejectedRows);
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 30) },
    );
  });

  it('through a CSV file: every row stored or kept as a reject, or the whole file refused', {
    timeout: 120_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        withRepeats(fc.array(record, { minLength: 1, maxLength: 40 })),
        fc.integer({ min: 0, max: 7 }),
        async (records, keepNul) => {
          const unit = await freshUnit();
          n += 1;
          // One file in eight keeps its NUL characters (refused whole as binary); the others lose them, so that
          // the rows themselves are tried.
          const cell = (value: string) => (keepNul === 0 ? value : value.replaceAll('\u0000', ''));
          const file = await write(
            `h-${n}.csv`,
            stringify([[...COLUMNS], ...records.map((r) => COLUMNS.map((c) => cell(r[c])))]),
          );
          const batchesBefore = (await ctx.services.db.selectFrom('import_batches').select('id').execute())
            .length;
          let summary: Awaited<ReturnType<typeof ctx.services.incidentImports.importFile>>;
          try {
            summary = await ctx.services.incidentImports.importFile(operator, {
              unitId: unit.id,
              profile: 'generic-uk-cad',
              file,
            });
          } catch (error) {
            // Refused as a whole before anything is written (a NUL byte: binary).
            expect(error).toBeInstanceOf(ImportFileError);
            expect((await ctx.services.db.selectFrom('import_batches').select('id').execute()).length).toBe(
              batchesBefore,
            );
            expect((await storedReferences(unit)).size).toBe(0);
            return;
          }
          expect(summary.status).toBe('completed');
          const settled =
            summary.inserted + summary.updated + summary.unchanged + summary.merged + summary.rejected;
          expect(settled).toBe(summary.read);
          // Each written record is one row; a row with an embedded line break is still one record.
          expect(summary.read).toBe(records.length);
          expect((await storedReferences(unit)).size).toBe(summary.inserted);
          expect(await keptRejects(summary.batchId)).toHaveLength(summary.rejected);
        },
      ),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 30) },
    );
  });
});
