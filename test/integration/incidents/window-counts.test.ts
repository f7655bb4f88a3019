/**
 * Stored baseline windows (picture_window_counts): a picture stores the 28 baseline windows it counted, later
 * pictures read them, and any import that changes incidents in a stored window drops it so the next picture
 * counts it again. Unit in Europe/London, brief at 07:00; every baseline window holds one theft at 12:00 local.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../../services/clock.js';
import { pictureWindows } from '../../../services/incidents/picture.service.js';
import {
  emptyWindowCounts,
  lockWindowsForCounting,
  storeWindowCounts,
} from '../../../services/incidents/window-counts.js';
import { addDays, localDateTime } from '../../../services/time.js';
import { BACKENDS } from '../../support/database.js';
import { createUnitFixture, operator } from '../../support/fixtures.js';
import { useServices } from '../../support/suite.js';

const DATE = '2026-06-15';
const ZONE = 'Europe/London';

function record(reference: string, openedAt: Date, type = 'THEFT') {
  const fields = {
    incident_ref: reference,
    opened_at: openedAt.toISOString(),
    grade_initial: '3',
    opening_type: type,
    nsir_chapter: 'crime',
  };
  return { record: fields, raw: JSON.stringify(fields) };
}

/** Noon local on the day window k starts (window k runs 07:00 the day before to 07:00 on date - k). */
const noonInWindow = (k: number) => localDateTime(addDays(DATE, -k - 1), '12:00', ZONE);

describe.each(BACKENDS)('stored baseline windows on %s', (backend) => {
  const ctx = useServices(backend, createFixedClock(`${DATE}T06:30:00Z`));

  async function unitWithBaseline(code: string) {
    const f = await createUnitFixture(ctx.services, { code });
    const summary = await ctx.services.incidentImports.importRecords(operator, {
      unitId: f.unit.id,
      profile: 'generic-uk-cad',
      label: 'test',
      records: Array.from({ length: 28 }, (_, i) => record(`${code}-B${i + 1}`, noonInWindow(i + 1))),
    });
    expect(summary.summary.inserted).toBe(28);
    return f;
  }

  const storedWindows = async (unitId: number) =>
    (
      await sql<{ window_start: Date; total: number }>`
        select window_start, (counts->>'total')::int as total from picture_window_counts
        where unit_id = ${unitId} order by window_start`.execute(ctx.services.db)
    ).rows;

  it('stores the 28 baseline windows on the first picture and reads them on the next', async () => {
    const f = await unitWithBaseline('wc-read');
    const first = await ctx.services.pictures.build(f.member, f.unit.id, DATE);
    expect(first.total).toMatchObject({ count: 0, baselineMean: 1 });
    const stored = await storedWindows(f.unit.id);
    expect(stored).toHaveLength(28);
    expect(stored.every((w) => w.total === 1)).toBe(true);

    // A stored count (here altered by hand) is what the next picture uses: the windows are not counted again.
    await sql`update picture_window_counts set counts = jsonb_set(counts, '{total}', '29')
              where unit_id = ${f.unit.id}`.execute(ctx.services.db);
    const second = await ctx.services.pictures.build(f.member, f.unit.id, DATE);
    expect(second.total).toMatchObject({ count: 0, baselineMean: 29 });
  });

  it('drops a stored window when an import adds an incident in it, and the next picture counts it', async () => {
    const f = await unitWithBaseline('wc-drop');
    await ctx.services.pictures.build(f.member, f.unit.id, DATE);
    const windows = pictureWindows(DATE, '07:00', ZONE);
    const third = windows[3];
    await ctx.services.incidentImports.importRecords(operator, {
      unitId: f.unit.id,
      profile: 'generic-uk-cad',
      label: 'late',
      records: [record('wc-drop-LATE', noonInWindow(3))],
    });
    const stored = await storedWindows(f.unit.id);
    expect(stored).toHaveLength(27);
    expect(stored.map((w) => w.window_start.toISOString())).not.toContain(third?.start.toISOString());

    const picture = await ctx.services.pictures.build(f.member, f.unit.id, DATE);
    // 29 incidents over 28 windows.
    expect(picture.total.baselineMean).toBe(1.04);
    expect(picture.byType.find((t) => t.key === 'THEFT')?.baselineMean).toBe(1.04);
    expect(await storedWindows(f.unit.id)).toHaveLength(28);
  });

  it('drops the stored windows of an incident moved by a changed row, before and after', async () => {
    const f = await unitWithBaseline('wc-move');
    await ctx.services.pictures.build(f.member, f.unit.id, DATE);
    // B5 (window 5) is re-sent with its time in window 9: both windows change.
    await ctx.services.incidentImports.importRecords(operator, {
      unitId: f.unit.id,
      profile: 'generic-uk-cad',
      label: 'moved',
      records: [record('wc-move-B5', noonInWindow(9))],
    });
    const windows = pictureWindows(DATE, '07:00', ZONE);
    const left = (await storedWindows(f.unit.id)).map((w) => w.window_start.toISOString());
    expect(left).not.toContain(windows[5]?.start.toISOString());
    expect(left).not.toContain(windows[9]?.start.toISOString());
    const picture = await ctx.services.pictures.build(f.member, f.unit.id, DATE);
    expect(picture.total.baselineMean).toBe(1);
    expect(picture.total.baselineSd).toBeGreaterThan(0);
  });

  it('counts a new priority in every stored window rather than taking it as zero', async () => {
    const f = await unitWithBaseline('wc-priority');
    await ctx.services.pictures.build(f.member, f.unit.id, DATE);
    await ctx.services.priorities.create(f.analyst, {
      unitId: f.unit.id,
      title: 'Theft',
      startsOn: '2026-01-01',
      matchingRules: { typeCodes: ['THEFT'] },
    });
    const picture = await ctx.services.pictures.build(f.member, f.unit.id, DATE);
    expect(picture.priorities.map((p) => [p.priority.title, p.count, p.baselineMean])).toEqual([
      ['Theft', 0, 1],
    ]);
  });
});

describe.runIf(BACKENDS.includes('postgres'))('the window lock on postgres', () => {
  const ctx = useServices('postgres', createFixedClock(`${DATE}T06:30:00Z`));

  it('makes an import wait while a picture stores windows, then drop what was stored', async () => {
    const f = await createUnitFixture(ctx.services, { code: 'wc-lock' });
    const window = pictureWindows(DATE, '07:00', ZONE)[2] as { start: Date; end: Date };
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let stored: () => void = () => {};
    const isStored = new Promise<void>((resolve) => {
      stored = resolve;
    });
    // A picture's store, held open: it has the unit's window lock and has written one window.
    const picture = ctx.services.db.transaction().execute(async (trx) => {
      await lockWindowsForCounting(trx, f.unit.id);
      await storeWindowCounts(trx, f.unit.id, [{ ...window, counts: emptyWindowCounts() }], new Date());
      stored();
      await released;
    });
    try {
      await isStored;
      let importDone = false;
      const late = ctx.services.incidentImports
        .importRecords(operator, {
          unitId: f.unit.id,
          profile: 'generic-uk-cad',
          label: 'late',
          records: [record('wc-lock-LATE', noonInWindow(2))],
        })
        .then((result) => {
          importDone = true;
          return result;
        });
      // Wait (on the database, not the clock) until the import's chunk is queued behind the lock; an import that
      // did not wait would finish instead and fail the assertion below.
      while (!importDone) {
        const waiting = await sql<{ n: number }>`
          select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted`.execute(
          ctx.services.db,
        );
        if ((waiting.rows[0]?.n ?? 0) > 0) break;
      }
      expect(importDone).toBe(false);
      release();
      expect((await late).summary.inserted).toBe(1);
      const rows = await sql<{ n: number }>`
        select count(*)::int as n from picture_window_counts where unit_id = ${f.unit.id}`.execute(
        ctx.services.db,
      );
      expect(rows.rows[0]?.n).toBe(0);
    } finally {
      // Never leave the transaction open, even when an assertion failed (a second release does nothing).
      release();
      await picture;
    }
  });
});
