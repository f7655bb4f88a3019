import { describe, expect, it } from 'vitest';
import { viewBrief } from '../../../services/briefs/brief.model.js';
import { createFixedClock } from '../../../services/clock.js';
import type { Unit } from '../../../services/units/unit.service.js';
import { BACKENDS } from '../../support/database.js';
import { operator } from '../../support/fixtures.js';
import { useImportScratch } from '../../support/import-scratch.js';
import { useServices } from '../../support/suite.js';

const HEADER = 'incident_ref,opened_at,grade_initial,opening_type,nsir_chapter,area,marking';
const SECRET_AREA = 'Kestrel Safehouse Row';
const SECRET_TYPE = 'COVERT-DEPLOYMENT';

describe.each(BACKENDS)('incident markings on %s', (backend) => {
  const ctx = useServices(backend, createFixedClock('2026-03-30T09:00:00Z'));
  const { freshUnit, write } = useImportScratch(ctx, 'mark');
  const markings = async (unit: Unit) =>
    Object.fromEntries(
      (
        await ctx.services.db
          .selectFrom('incidents')
          .select(['reference', 'marking'])
          .where('unit_id', '=', unit.id)
          .execute()
      ).map((r) => [r.reference, r.marking]),
    );

  it('marks incidents from a CSV column, refuses a marking it does not know, and keeps marked free text out of views below it', async () => {
    const unit = await freshUnit();
    const rows = [
      ...Array.from({ length: 6 }, (_, i) => `T-${i},2026-03-29T1${i + 2}:15:00Z,3,THEFT,crime,High Street,`),
      `S-1,2026-03-29T18:15:00Z,2,${SECRET_TYPE},crime,${SECRET_AREA},OFFICIAL-SENSITIVE`,
      `S-2,2026-03-29T19:15:00Z,2,THEFT,crime,${SECRET_AREA},OS`,
      `X-1,2026-03-29T20:15:00Z,2,THEFT,crime,Market Square,SECRET`,
    ];
    const file = await write('marked.csv', `${HEADER}\n${rows.join('\n')}\n`);
    const summary = await ctx.services.incidentImports.importFile(operator, {
      unitId: unit.id,
      profile: 'generic-uk-cad',
      file,
    });
    expect(summary).toMatchObject({ inserted: 8, rejected: 1 });
    const [reject] = await ctx.services.incidentImports.listRejects(operator, summary.batchId);
    expect(reject).toMatchObject({
      rowNumber: 9,
      field: 'marking',
      reason: expect.stringMatching(/'SECRET'/),
    });
    expect(await markings(unit)).toMatchObject({
      'T-0': 'OFFICIAL',
      'S-1': 'OFFICIAL-SENSITIVE',
      'S-2': 'OFFICIAL-SENSITIVE',
    });

    const brief = await ctx.services.briefs.get(operator, unit.id, '2026-03-30');
    expect(brief.incidents.total.count).toBe(8);
    for (const target of [
      { audience: 'internal', ceiling: 'OFFICIAL' },
      { audience: 'partner', ceiling: 'OFFICIAL-SENSITIVE' },
    ] as const) {
      const view = viewBrief(brief, target);
      const text = JSON.stringify(view);
      expect(text).not.toContain(SECRET_AREA);
      expect(text).not.toContain(SECRET_TYPE);
      expect(text).not.toContain('S-1');
      expect(view.incidents.total.count).toBe(8);
      // Partners never see a count below 3 (suppressed as null).
      expect(view.incidents.hotspots).toContainEqual(
        expect.objectContaining({
          label: 'Other (marked above OFFICIAL)',
          count: target.audience === 'partner' ? null : 2,
        }),
      );
    }
    const full = viewBrief(brief, { audience: 'internal', ceiling: 'OFFICIAL-SENSITIVE' });
    expect(full.marking).toBe('OFFICIAL-SENSITIVE');
    expect(full.audience === 'internal' && full.incidents.hotspots).toContainEqual(
      expect.objectContaining({ label: SECRET_AREA, count: 2, marking: 'OFFICIAL-SENSITIVE' }),
    );
    expect(full.audience === 'internal' && full.incidents.byType).toContainEqual(
      expect.objectContaining({ key: SECRET_TYPE, count: 1 }),
    );
  });

  it('marks incidents from an API record field, and a re-import that marks a record updates it', async () => {
    const unit = await freshUnit();
    const record = (marking: string) => ({
      incident_ref: 'API-1',
      opened_at: '2026-03-29T08:15:00Z',
      grade_initial: '2',
      opening_type: 'THEFT',
      nsir_chapter: 'crime',
      area: SECRET_AREA,
      marking,
    });
    const send = (r: object) =>
      ctx.services.incidentImports.importRecords(operator, {
        unitId: unit.id,
        profile: 'generic-uk-cad',
        label: 'test',
        records: [{ record: r, raw: JSON.stringify({ ...r, marking: undefined }) }],
      });
    expect((await send(record(''))).results[0]).toMatchObject({ status: 'inserted' });
    expect(await markings(unit)).toEqual({ 'API-1': 'OFFICIAL' });
    // Same raw text, now marked: the change is seen and stored.
    expect((await send(record('OFFICIAL-SENSITIVE'))).results[0]).toMatchObject({ status: 'updated' });
    expect(await markings(unit)).toEqual({ 'API-1': 'OFFICIAL-SENSITIVE' });
    expect((await send(record('RESTRICTED'))).results[0]).toMatchObject({
      status: 'rejected',
      field: 'marking',
    });
  });
});
