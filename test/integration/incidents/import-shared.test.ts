/** Imports of the real public datasets in ../shared/data through the shipped profiles. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixedClock } from '../../../services/clock.js';
import type { ImportSummary } from '../../../services/incidents/import.service.js';
import { BACKENDS } from '../../support/database.js';
import { operator } from '../../support/fixtures.js';
import { sharedFile } from '../../support/paths.js';
import { useServices } from '../../support/suite.js';

function balanced(s: ImportSummary) {
  return s.inserted + s.updated + s.unchanged + s.merged + s.rejected;
}

const clock = () => createFixedClock('2026-11-22T08:00:00Z');

// (source, reference) is unique across units, so each group of tests gets its own database.
describe.each(BACKENDS)('importing the shared datasets on %s: counts', (backend) => {
  const ctx = useServices(backend, clock());
  const unit = (code: string, timeZone = 'Europe/London') =>
    ctx.services.units.create(operator, { code, name: code, timeZone });

  it.each([
    [
      'uk_met_stop_and_search_2016-06.csv',
      'police-uk-stop-search',
      { read: 10_490, inserted: 10_490, rejected: 0, merged: 0 },
    ],
    [
      'uk_city_of_london_street_2025-11.csv',
      'police-uk-street',
      { read: 734, inserted: 733, rejected: 1, merged: 0 },
    ],
    [
      'uk_city_of_london_street_2025-12.csv',
      'police-uk-street',
      { read: 810, inserted: 810, rejected: 0, merged: 0 },
    ],
    [
      'seattle_spd_911_incident_response_2016-03.csv',
      'seattle-spd-911',
      { read: 673, inserted: 673, rejected: 0, merged: 0 },
    ],
    [
      'dallas_pd_active_calls_2018-01-09.csv',
      'dallas-active-calls',
      { read: 63, inserted: 45, rejected: 0, merged: 18 },
    ],
  ] as const)(
    '%s: every row is accounted for, and a re-import changes nothing',
    async (file, profile, expected) => {
      const u = await unit(profile.slice(0, 20) + Math.random().toString(36).slice(2, 6));
      const first = await ctx.services.incidentImports.importFile(operator, {
        unitId: u.id,
        profile,
        file: sharedFile(file),
      });
      expect(first).toMatchObject({ status: 'completed', updated: 0, unchanged: 0, ...expected });
      expect(balanced(first)).toBe(first.read);
      const stored = await ctx.services.db
        .selectFrom('incidents')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('unit_id', '=', u.id)
        .executeTakeFirstOrThrow();
      expect(stored.n).toBe(expected.inserted);

      const again = await ctx.services.incidentImports.importFile(operator, {
        unitId: u.id,
        profile,
        file: sharedFile(file),
      });
      expect(again).toMatchObject({
        status: 'completed',
        read: first.read,
        inserted: 0,
        updated: 0,
        unchanged: expected.inserted,
        rejected: expected.rejected,
      });
      expect(balanced(again)).toBe(again.read);
    },
  );

  // The first chunks of an import insert without `on conflict` until one meets a stored reference; that chunk is
  // rolled back to its savepoint and written again with it, and so is every chunk after.
  it('a file whose later rows are stored already: the first chunks insert, the chunk that meets them falls back', async () => {
    const u = await unit('met-later');
    const text = await fs.readFile(sharedFile('uk_met_stop_and_search_2016-06.csv'), 'utf8');
    const lines = text.split('\n');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dmm-later-'));
    const part = path.join(dir, 'part.csv');
    // Rows 6,001 to 7,000: the fourth chunk of the whole file holds them.
    await fs.writeFile(part, `${[lines[0], ...lines.slice(6001, 7001)].join('\n')}\n`);
    const first = await ctx.services.incidentImports.importFile(operator, {
      unitId: u.id,
      profile: 'police-uk-stop-search',
      file: part,
    });
    expect(first).toMatchObject({ status: 'completed', read: 1000, inserted: 1000 });
    const whole = await ctx.services.incidentImports.importFile(operator, {
      unitId: u.id,
      profile: 'police-uk-stop-search',
      file: sharedFile('uk_met_stop_and_search_2016-06.csv'),
    });
    expect(whole).toMatchObject({
      status: 'completed',
      read: 10_490,
      inserted: 9_490,
      unchanged: 1000,
      updated: 0,
      rejected: 0,
    });
    const stored = await ctx.services.db
      .selectFrom('incidents')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('unit_id', '=', u.id)
      .executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(10_490);
    await fs.rm(dir, { recursive: true });
  });
});

describe.each(BACKENDS)('importing the shared datasets on %s: mapping', (backend) => {
  const ctx = useServices(backend, clock());
  const unit = (code: string, timeZone = 'Europe/London') =>
    ctx.services.units.create(operator, { code, name: code, timeZone });

  it('keeps the City of London repeated Crime ID as a reject naming the first row, on every import', async () => {
    const u = await unit('col-rejects');
    const batch = await ctx.services.incidentImports.importFile(operator, {
      unitId: u.id,
      profile: 'police-uk-street',
      file: sharedFile('uk_city_of_london_street_2025-11.csv'),
    });
    const rejects = await ctx.services.incidentImports.listRejects(operator, batch.batchId);
    expect(rejects).toHaveLength(1);
    expect(rejects[0]).toMatchObject({ rowNumber: 360, lineNumber: 361, field: 'reference' });
    expect(rejects[0]?.reason).toMatch(/repeats row 355 of this file with different content/);
    expect(rejects[0]?.raw).toContain('Further investigation is not in the public interest');
  });

  it('places Met records timed 31 May UTC on 1 June in London (BST)', async () => {
    const u = await unit('met-bst');
    await ctx.services.incidentImports.importFile(operator, {
      unitId: u.id,
      profile: 'police-uk-stop-search',
      file: sharedFile('uk_met_stop_and_search_2016-06.csv'),
    });
    const rows = await sql<{ utc_day: string; london_day: string; n: number }>`
      select to_char(event_at at time zone 'UTC', 'YYYY-MM-DD') as utc_day,
             to_char(event_at at time zone 'Europe/London', 'YYYY-MM-DD') as london_day, count(*)::int as n
      from incidents where unit_id = ${u.id} and event_at < '2016-06-01T00:00:00Z' group by 1, 2`.execute(
      ctx.services.db,
    );
    expect(rows.rows).toEqual([{ utc_day: '2016-05-31', london_day: '2016-06-01', n: 13 }]);
  });

  it('maps Seattle US times in Los Angeles, keeps month-only City rows out of time windows, merges Dallas units', async () => {
    const sea = await unit('sea-map', 'America/Los_Angeles');
    await ctx.services.incidentImports.importFile(operator, {
      unitId: sea.id,
      profile: 'seattle-spd-911',
      file: sharedFile('seattle_spd_911_incident_response_2016-03.csv'),
    });
    const graffiti = await ctx.services.db
      .selectFrom('incidents')
      .selectAll()
      .where('reference', '=', '16000075639')
      .executeTakeFirstOrThrow();
    // At Scene Time 03/02/2016 10:21:16 PM Pacific (PST, UTC-8).
    expect(graffiti.arrived_at?.toISOString()).toBe('2016-03-03T06:21:16.000Z');
    expect(graffiti.event_at?.toISOString()).toBe('2016-03-03T06:21:16.000Z');
    expect(graffiti).toMatchObject({
      nsir_chapter: 'crime',
      area: 'Q',
      beat: 'Q3',
      opening_type_code: 'PROPERTY - DAMAGE',
      closing_type_code: '139',
    });
    expect(graffiti.raw).toContain('"(47.619766, -122.355446)"');

    const col = await unit('col-month');
    await ctx.services.incidentImports.importFile(operator, {
      unitId: col.id,
      profile: 'police-uk-street',
      file: sharedFile('uk_city_of_london_street_2025-12.csv'),
    });
    const months = await ctx.services.db
      .selectFrom('incidents')
      .select(['period_month', 'event_at', 'nsir_chapter'])
      .where('unit_id', '=', col.id)
      .execute();
    expect(new Set(months.map((m) => m.period_month))).toEqual(new Set(['2025-12-01']));
    expect(months.every((m) => m.event_at === null)).toBe(true);
    expect(months.some((m) => m.nsir_chapter === 'asb_unspecified')).toBe(true);

    const dal = await unit('dal-merge', 'America/Chicago');
    const summary = await ctx.services.incidentImports.importFile(operator, {
      unitId: dal.id,
      profile: 'dallas-active-calls',
      file: sharedFile('dallas_pd_active_calls_2018-01-09.csv'),
    });
    expect(summary.unmapped).toEqual({ nsirChapter: { '40': 8, '40/01': 1 } });
    const multi = await ctx.services.db
      .selectFrom('incidents')
      .selectAll()
      .where('unit_id', '=', dal.id)
      .orderBy(sql`cardinality(units)`, 'desc')
      .orderBy('reference')
      .executeTakeFirstOrThrow();
    expect(multi.units.length).toBeGreaterThan(1);
    expect(multi.raw.trim().split('\n')).toHaveLength(multi.units.length);
    const missing = await ctx.services.db
      .selectFrom('incidents')
      .selectAll()
      .where('unit_id', '=', dal.id)
      .where('opening_type_code', '=', '26/01')
      .executeTakeFirstOrThrow();
    expect(missing).toMatchObject({
      qualifiers: ['missing_person'],
      thrive_risk: 'high',
      nsir_chapter: 'public_safety_welfare',
    });
    expect(['G1_EMERGENCY', 'G2_PRIORITY', 'G3_SCHEDULED']).toContain(missing.grade_initial);
  });
});

describe.each(BACKENDS)('importing the shared datasets on %s: changes', (backend) => {
  const ctx = useServices(backend, clock());
  const unit = (code: string, timeZone = 'Europe/London') =>
    ctx.services.units.create(operator, { code, name: code, timeZone });
  let tmp: string;
  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dmm-import-'));
  });
  afterAll(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('updates a changed row on re-import and audits the changed fields with before and after', async () => {
    const u = await unit('col-change');
    const copy = path.join(tmp, 'col-2025-12.csv');
    const original = await fs.readFile(sharedFile('uk_city_of_london_street_2025-12.csv'), 'utf8');
    await fs.writeFile(copy, original);
    await ctx.services.incidentImports.importFile(operator, {
      unitId: u.id,
      profile: 'police-uk-street',
      file: copy,
    });
    const lines = original.split('\r\n');
    const target = lines[1] ?? '';
    const reference = target.split(',')[0] ?? '';
    lines[1] = target.replace('Under investigation', 'Offender given a caution');
    expect(lines[1]).not.toBe(target);
    await fs.writeFile(copy, lines.join('\r\n'));
    const again = await ctx.services.incidentImports.importFile(operator, {
      unitId: u.id,
      profile: 'police-uk-street',
      file: copy,
    });
    expect(again).toMatchObject({ inserted: 0, updated: 1, unchanged: 809, rejected: 0 });
    const incident = await ctx.services.db
      .selectFrom('incidents')
      .selectAll()
      .where('reference', '=', reference)
      .executeTakeFirstOrThrow();
    expect(incident.closing_type_code).toBe('Offender given a caution');
    const events = await ctx.services.audit.list({ entityType: 'incident', entityId: String(incident.id) });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      operation: 'alteration',
      before: { closing_type_code: 'Under investigation', content_hash: expect.any(String) },
      after: { closing_type_code: 'Offender given a caution', content_hash: incident.content_hash },
    });
    expect((await ctx.services.audit.verify()).ok).toBe(true);
  });
});
