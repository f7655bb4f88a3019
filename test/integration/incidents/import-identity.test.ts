import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../../services/clock.js';
import type { Unit } from '../../../services/units/unit.service.js';
import { BACKENDS } from '../../support/database.js';
import { operator } from '../../support/fixtures.js';
import { useImportScratch } from '../../support/import-scratch.js';
import { useServices } from '../../support/suite.js';

const CALLS = 108;
const TYPES = ['Disturbance', 'Theft', 'Traffic Stop', 'Welfare Check'];

/** An active-calls page scraped to CSV by pandas: an unnamed index column first, no id column. */
function scrapedCsv(offset: number, order: 'as-is' | 'reversed' = 'as-is'): string {
  const calls = Array.from({ length: CALLS }, (_, i) => ({
    time: `2026-03-2${8 + (i % 2)}T${String(6 + (i % 12)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00`,
    type: TYPES[i % TYPES.length] as string,
    block: `${100 + (i % 54)} Block, Sector ${i % 3}`,
    status: i % 5 === 0 ? 'At Scene' : 'Dispatched',
  }));
  const rows = order === 'reversed' ? [...calls].reverse() : calls;
  return [
    ',opened,call_type,block,status',
    ...rows.map((c, i) => `${i + offset},${c.time},"${c.type}","${c.block}",${c.status}`),
    '',
  ].join('\n');
}

const profile = (name: string, extra: Record<string, unknown>) => ({
  name,
  source: 'city-active-calls',
  description: 'A scraped active-calls page: no id column, a pandas index column.',
  timeZone: 'America/Chicago',
  requiredColumns: ['opened', 'call_type', 'block'],
  reference: { deriveWhenMissing: true, ...((extra.reference as object) ?? {}) },
  times: { openedAt: { column: 'opened', format: "yyyy-MM-dd'T'HH:mm:ss" } },
  area: { column: 'block' },
  ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'reference')),
});

describe.each(BACKENDS)('incident identity on %s', (backend) => {
  const ctx = useServices(backend, createFixedClock('2026-04-01T08:00:00Z'));
  const { freshUnit, write } = useImportScratch(ctx, 'idn');
  const count = async (unit: Unit) =>
    Number(
      (
        await ctx.services.db
          .selectFrom('incidents')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('unit_id', '=', unit.id)
          .executeTakeFirstOrThrow()
      ).n,
    );
  const importAs = (unit: Unit, profileFile: string, file: string) =>
    ctx.services.incidentImports.importFile(operator, { unitId: unit.id, profile: profileFile, file });

  it('re-imports a later export with the index renumbered (and the rows reordered) without a duplicate', async () => {
    const unit = await freshUnit();
    const p = await write(
      'scraped.json',
      JSON.stringify(
        profile('scraped', {
          reference: { identity: ['opened', 'call_type', 'block'] },
          ignoreColumns: ['', 'status'],
        }),
      ),
    );
    const first = await importAs(unit, p, await write('a.csv', scrapedCsv(0)));
    expect(first).toMatchObject({ status: 'completed', read: CALLS, inserted: CALLS, rejected: 0 });
    const later = await importAs(unit, p, await write('b.csv', scrapedCsv(5000, 'reversed')));
    expect(later).toMatchObject({ status: 'completed', read: CALLS, inserted: 0, unchanged: CALLS });
    expect(await count(unit)).toBe(CALLS);
  });

  it('ignores only the named columns when no identity is given: a renumbered index is no change', async () => {
    const unit = await freshUnit();
    const p = await write(
      'scraped-ignore.json',
      JSON.stringify(profile('scraped-ignore', { ignoreColumns: [''] })),
    );
    await importAs(unit, p, await write('c.csv', scrapedCsv(0)));
    const later = await importAs(unit, p, await write('d.csv', scrapedCsv(77)));
    expect(later).toMatchObject({ inserted: 0, updated: 0, unchanged: CALLS });
    expect(await count(unit)).toBe(CALLS);
  });

  it('refuses an identity column the file need not have, naming it', async () => {
    const unit = await freshUnit();
    const p = await write(
      'scraped-bad.json',
      JSON.stringify(profile('scraped-bad', { reference: { identity: ['opened', 'location'] } })),
    );
    await expect(importAs(unit, p, await write('e.csv', scrapedCsv(0)))).rejects.toThrow(
      /identity.*'location'.*requiredColumns/,
    );
  });

  it('lets one source feed two units: each unit stores every call, re-imports change nothing', async () => {
    const [north, south] = [await freshUnit(), await freshUnit()];
    const p = await write(
      'scraped-two.json',
      JSON.stringify(
        profile('scraped-two', {
          reference: { identity: ['opened', 'call_type', 'block'] },
          ignoreColumns: [''],
        }),
      ),
    );
    const file = await write('f.csv', scrapedCsv(0));
    expect(await importAs(north, p, file)).toMatchObject({ inserted: CALLS, rejected: 0 });
    expect(await importAs(south, p, file)).toMatchObject({ inserted: CALLS, rejected: 0 });
    expect(await importAs(north, p, file)).toMatchObject({ inserted: 0, unchanged: CALLS });
    expect([await count(north), await count(south)]).toEqual([CALLS, CALLS]);
  });
});
