import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../../services/clock.js';
import type { Unit } from '../../../services/units/unit.service.js';
import { BACKENDS } from '../../support/database.js';
import { operator } from '../../support/fixtures.js';
import { useImportScratch } from '../../support/import-scratch.js';
import { useServices } from '../../support/suite.js';

const record = (ref: string, over: Record<string, unknown> = {}) => ({
  incident_ref: ref,
  opened_at: '2026-03-29T08:15:00+01:00',
  grade_initial: '2',
  opening_type: 'THEFT',
  nsir_chapter: 'crime',
  area: 'North',
  ...over,
});

describe.each(BACKENDS)('import isolation on %s', (backend) => {
  const ctx = useServices(backend, createFixedClock('2026-04-01T08:00:00Z'));
  const { freshUnit, write } = useImportScratch(ctx, 'iso');
  const stored = async (unit: Unit) =>
    (
      await ctx.services.db
        .selectFrom('incidents')
        .select('reference')
        .where('unit_id', '=', unit.id)
        .execute()
    )
      .map((r) => r.reference)
      .sort();
  const rejected = async (batchId: number) => ctx.services.incidentImports.listRejects(operator, batchId);

  const send = (unit: Unit, records: unknown[], raws?: string[]) =>
    ctx.services.incidentImports.importRecords(operator, {
      unitId: unit.id,
      profile: 'generic-uk-cad',
      label: 'test',
      records: records.map((r, i) => ({ record: r, raw: raws?.[i] ?? JSON.stringify(r) })),
    });

  it.each(['0000-03-29T08:15:00Z', '-000001-03-29T08:15:00Z', '+010000-03-29T08:15:00Z'])(
    'keeps the other 1,499 of 1,500 records when one is dated %s, and says exactly what happened to each',
    async (when) => {
      const unit = await freshUnit();
      const records = Array.from({ length: 1500 }, (_, i) =>
        record(`${unit.code}-R-${i}`, i === 700 ? { opened_at: when } : {}),
      );
      const { summary, results } = await send(unit, records);
      expect(summary).toMatchObject({ status: 'completed', read: 1500, inserted: 1499, rejected: 1 });
      expect(results[700]).toMatchObject({ status: 'rejected', field: 'openedAt' });
      expect(results.filter((r) => r.status === 'inserted')).toHaveLength(1499);
      expect(await stored(unit)).toHaveLength(1499);
      expect((await rejected(summary.batchId)).map((r) => r.rowNumber)).toEqual([701]);
    },
  );

  it('keeps a record whose raw text holds a NUL as a reject, and stores its neighbours', async () => {
    const unit = await freshUnit();
    const records = [record('N-1'), record('N-2', { area: 'Nor\u0000th' }), record('N-3')];
    const raws = records.map((r) => JSON.stringify(r));
    raws[0] = `${raws[0]}\u0000`;
    const { summary, results } = await send(unit, records, raws);
    expect(results.map((r) => r.status)).toEqual(['inserted', 'rejected', 'inserted']);
    expect(await stored(unit)).toEqual(['N-1', 'N-3']);
    expect(summary).toMatchObject({ status: 'completed', inserted: 2, rejected: 1 });
    const [kept] = await rejected(summary.batchId);
    expect(kept).toMatchObject({ rowNumber: 2, field: 'area' });
  });

  it('keeps a bad row of a 3-row CSV as a reject and stores the other two', async () => {
    const unit = await freshUnit();
    const file = await write(
      'three.csv',
      [
        'incident_ref,opened_at,grade_initial,opening_type,nsir_chapter',
        'C-1,2026-03-29T08:15:00Z,2,THEFT,crime',
        'C-2,0000-03-29T08:15:00Z,2,THEFT,crime',
        'C-3,2026-03-29T09:15:00Z,2,THEFT,crime',
      ].join('\n'),
    );
    const summary = await ctx.services.incidentImports.importFile(operator, {
      unitId: unit.id,
      profile: 'generic-uk-cad',
      file,
    });
    expect(summary).toMatchObject({ status: 'completed', inserted: 2, rejected: 1 });
    expect(await stored(unit)).toEqual(['C-1', 'C-3']);
  });

  it('splits a chunk the database refuses until every good row is stored and every bad one is a reject', async () => {
    const unit = await freshUnit();
    // A rule the import does not know: the database refuses rows in area POISON.
    await sql`alter table incidents add constraint test_no_poison check (area is distinct from 'POISON')`.execute(
      ctx.services.db,
    );
    try {
      const records = Array.from({ length: 1200 }, (_, i) =>
        record(`P-${i}`, i % 400 === 7 ? { area: 'POISON' } : {}),
      );
      const { summary, results } = await send(unit, records);
      const bad = records.flatMap((r, i) => (r.area === 'POISON' ? [i] : []));
      expect(bad).toEqual([7, 407, 807]);
      expect(summary).toMatchObject({ status: 'completed', read: 1200, inserted: 1197, rejected: 3 });
      for (const i of bad)
        expect(results[i]).toMatchObject({
          status: 'rejected',
          reason: expect.stringMatching(/test_no_poison/),
        });
      expect(results.filter((r) => r.status === 'inserted')).toHaveLength(1197);
      expect(await stored(unit)).toHaveLength(1197);
      expect((await rejected(summary.batchId)).map((r) => r.rowNumber)).toEqual(bad.map((i) => i + 1));
      expect((await ctx.services.audit.verify()).ok).toBe(true);
    } finally {
      await sql`alter table incidents drop constraint test_no_poison`.execute(ctx.services.db);
    }
  });
});
