/**
 * Many imports at once on PostgreSQL: each running import holds its liveness lock on a connection of its own,
 * so without a bound, as many imports as the pool has connections would hold them all and wait forever for one
 * to write with. They are bounded, and all complete.
 */
import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../../services/clock.js';
import { BACKENDS } from '../../support/database.js';
import { operator } from '../../support/fixtures.js';
import { useServices } from '../../support/suite.js';

describe.each(BACKENDS)('concurrent imports on %s', (backend) => {
  const ctx = useServices(backend, createFixedClock('2026-04-01T08:00:00Z'));

  it('completes 16 imports sent at once', { timeout: 60_000 }, async () => {
    const unit = await ctx.services.units.create(operator, { code: 'many', name: 'Many' });
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        ctx.services.incidentImports.importRecords(operator, {
          unitId: unit.id,
          profile: 'generic-uk-cad',
          label: `client-${i}`,
          records: Array.from({ length: 50 }, (_, j) => {
            const record = {
              incident_ref: `C${i}-${j}`,
              opened_at: '2026-03-29T08:15:00Z',
              grade_initial: '2',
              opening_type: 'THEFT',
              nsir_chapter: 'crime',
            };
            return { record, raw: JSON.stringify(record) };
          }),
        }),
      ),
    );
    expect(results.map((r) => r.summary.status)).toEqual(Array(16).fill('completed'));
    expect(results.reduce((n, r) => n + r.summary.inserted, 0)).toBe(800);

    // Each batch's audit events name exactly the ids it inserted, though the imports' ids interleave; so does a
    // second import of half stored, half new references (inserted with `on conflict`).
    const again = await ctx.services.incidentImports.importRecords(operator, {
      unitId: unit.id,
      profile: 'generic-uk-cad',
      label: 'again',
      records: Array.from({ length: 40 }, (_, j) => {
        const record = {
          incident_ref: j % 2 === 0 ? `C0-${j}` : `NEW-${j}`,
          opened_at: '2026-03-29T08:15:00Z',
          grade_initial: '2',
          opening_type: 'THEFT',
          nsir_chapter: 'crime',
        };
        return { record, raw: JSON.stringify(record) };
      }),
    });
    expect(again.summary).toMatchObject({ inserted: 20, unchanged: 20, updated: 0 });
    const events = await ctx.services.audit.list({ entityType: 'incidents' });
    for (const batchId of [...results.map((r) => r.summary.batchId), again.summary.batchId]) {
      const audited = events
        .filter((e) => e.entityId === `batch:${batchId}`)
        .flatMap((e) => (e.after as { idRanges: Array<[number, number]> }).idRanges)
        .flatMap(([lo, hi]) => Array.from({ length: hi - lo + 1 }, (_, k) => lo + k))
        .sort((a, b) => a - b);
      const stored = (
        await ctx.handle.db
          .selectFrom('incidents')
          .select('id')
          .where('import_batch_id', '=', batchId)
          .orderBy('id')
          .execute()
      ).map((r) => Number(r.id));
      expect(audited).toEqual(stored);
    }
  });
});
