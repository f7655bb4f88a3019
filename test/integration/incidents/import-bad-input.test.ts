/** Bad files and bad records: clear errors naming the field, nothing lost, nothing half-written. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixedClock } from '../../../services/clock.js';
import { createIncidentImportService, ImportFileError } from '../../../services/incidents/import.service.js';
import type { Unit } from '../../../services/units/unit.service.js';
import { BACKENDS } from '../../support/database.js';
import { createUnitFixture, operator } from '../../support/fixtures.js';
import { useServices } from '../../support/suite.js';

const HEADER =
  'incident_ref,opened_at,grade_initial,opening_type,nsir_chapter,qualifiers,thrive_risk,critical,area';

function row(
  ref: string,
  overrides: Partial<
    Record<'opened' | 'grade' | 'type' | 'chapter' | 'qualifiers' | 'thrive' | 'critical' | 'area', string>
  > = {},
) {
  const o = {
    opened: '2026-03-29T08:15:00+01:00',
    grade: '1',
    type: 'ASSAULT',
    chapter: 'crime',
    qualifiers: '',
    thrive: 'M',
    critical: 'N',
    area: 'North',
    ...overrides,
  };
  return [ref, o.opened, o.grade, o.type, o.chapter, o.qualifiers, o.thrive, o.critical, o.area].join(',');
}

describe.each(BACKENDS)('importing bad input on %s', (backend) => {
  const ctx = useServices(backend, createFixedClock('2026-04-01T08:00:00Z'));
  let dir: string;
  let unit: Unit;
  let n = 0;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dmm-bad-'));
    unit = await ctx.services.units.create(operator, { code: 'bad-input', name: 'Bad input' });
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function file(content: string | Buffer) {
    n += 1;
    const name = path.join(dir, `f${n}.csv`);
    await fs.writeFile(name, content);
    return name;
  }
  const run = (f: string, encoding?: 'utf-8' | 'latin1') =>
    ctx.services.incidentImports.importFile(operator, {
      unitId: unit.id,
      profile: 'generic-uk-cad',
      file: f,
      ...(encoding ? { encoding } : {}),
    });
  const incidentCount = async () =>
    (
      await ctx.services.db
        .selectFrom('incidents')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n;

  it('imports a clean generic file with BOM, CRLF, quoted commas and an embedded newline, keeping the raw record verbatim', async () => {
    const quoted = `X-1,2026-03-29T08:15:00+01:00,E,"ASSAULT, ACTUAL","crime",domestic;alcohol,H,Y,"North\nEast"`;
    const f = await file(
      `\ufeff${HEADER}\r\n${quoted}\r\n${row('X-2', { grade: 'R', chapter: 'transport' })}\r\n`,
    );
    const summary = await run(f);
    expect(summary).toMatchObject({ status: 'completed', read: 2, inserted: 2, rejected: 0, unmapped: {} });
    const x1 = await ctx.services.db
      .selectFrom('incidents')
      .selectAll()
      .where('reference', '=', 'X-1')
      .executeTakeFirstOrThrow();
    expect(x1).toMatchObject({
      grade_initial: 'G1_EMERGENCY',
      force_grade_initial: 'E',
      opening_type_code: 'ASSAULT, ACTUAL',
      qualifiers: ['alcohol', 'domestic'],
      thrive_risk: 'high',
      critical: true,
      area: 'North\nEast',
      raw: `${quoted}\r\n`,
    });
    expect(x1.opened_at?.toISOString()).toBe('2026-03-29T07:15:00.000Z');
  });

  it('refuses a 0-byte file before writing anything', async () => {
    const before = await incidentCount();
    await expect(run(await file(''))).rejects.toMatchObject({
      problem: 'EMPTY',
      message: expect.stringMatching(/is empty \(0 bytes\)/),
    });
    expect(await incidentCount()).toBe(before);
  });

  it('refuses a binary file before writing anything', async () => {
    const before = await incidentCount();
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]);
    await expect(run(await file(bytes))).rejects.toBeInstanceOf(ImportFileError);
    await expect(run(await file(bytes))).rejects.toMatchObject({ problem: 'BINARY' });
    expect(await incidentCount()).toBe(before);
  });

  it('refuses Latin-1 bytes under a UTF-8 profile and says how to import them; imports them with --encoding latin1', async () => {
    const content = Buffer.from(`${HEADER}\n${row('L-1', { area: 'Caf\xe9 Quarter' })}\n`, 'latin1');
    const f = await file(content);
    await expect(run(f)).rejects.toMatchObject({
      problem: 'ENCODING',
      message: expect.stringMatching(/--encoding latin1/),
    });
    expect(
      await ctx.services.db
        .selectFrom('incidents')
        .select('id')
        .where('reference', '=', 'L-1')
        .executeTakeFirst(),
    ).toBeUndefined();
    const summary = await run(f, 'latin1');
    expect(summary).toMatchObject({ inserted: 1 });
    const l1 = await ctx.services.db
      .selectFrom('incidents')
      .select('area')
      .where('reference', '=', 'L-1')
      .executeTakeFirstOrThrow();
    expect(l1.area).toBe('Café Quarter');
  });

  it('refuses a wrong column set naming the missing columns, and writes no incident', async () => {
    const before = await incidentCount();
    const f = await file('ref,when,what\nA,2026-03-29T08:00:00Z,x\n');
    const batches = await ctx.services.db.selectFrom('import_batches').select('id').execute();
    await expect(run(f)).rejects.toMatchObject({
      problem: 'COLUMNS',
      message: expect.stringMatching(
        /Wrong column set for this profile: missing column\(s\): incident_ref, opened_at, grade_initial, opening_type, nsir_chapter\. The file has: ref, when, what\./,
      ),
    });
    // Refused before anything is written: no incident, and no failed batch.
    expect(await incidentCount()).toBe(before);
    expect(await ctx.services.db.selectFrom('import_batches').select('id').execute()).toEqual(batches);
  });

  it('keeps good rows around broken quoting, and keeps the broken row verbatim as a reject', async () => {
    // A stray quote makes the parser run on to the end of the file; the rows after it are still imported.
    const broken = 'Q-2,2026-03-29T09:00:00Z,"1"x,ASSAULT,crime,,L,N,South\n';
    const f = await file(
      `${HEADER}\n${row('Q-1')}\n${broken}Q-3,2026-03-29T09:05:00Z,2,THEFT,crime,,L,N,South\n${row('Q-4')}\n`,
    );
    const summary = await run(f);
    expect(summary).toMatchObject({ status: 'completed', read: 4, inserted: 3, rejected: 1 });
    expect(summary.read).toBe(summary.inserted + summary.rejected);
    const rejects = await ctx.services.incidentImports.listRejects(operator, summary.batchId);
    expect(rejects).toEqual([
      {
        rowNumber: 2,
        lineNumber: 3,
        field: null,
        reason: expect.stringMatching(/broken quoting/),
        raw: broken,
      },
    ]);
    const refs = await ctx.services.db
      .selectFrom('incidents')
      .select('reference')
      .where('reference', 'like', 'Q-%')
      .orderBy('reference')
      .execute();
    expect(refs.map((r) => r.reference)).toEqual(['Q-1', 'Q-3', 'Q-4']);
  });

  it('keeps every line of an unclosed quoted field as rejects, importing the good lines after it', async () => {
    const f = await file(
      `${HEADER}\n${row('V-1')}\nV-2,2026-03-29T09:00:00Z,1,"ASSAULT,crime,,L,N,South\n${row('V-3')}\n`,
    );
    const summary = await run(f);
    expect(summary).toMatchObject({ read: 3, inserted: 2, rejected: 1 });
    const [reject] = await ctx.services.incidentImports.listRejects(operator, summary.batchId);
    expect(reject).toMatchObject({
      rowNumber: 2,
      lineNumber: 3,
      raw: 'V-2,2026-03-29T09:00:00Z,1,"ASSAULT,crime,,L,N,South\n',
    });
    expect(reject?.reason).toMatch(/never closed/);
  });

  it('rejects bad dates, out-of-range coordinates and oversize fields, naming the field; the rest imports', async () => {
    const f = await file(
      [
        HEADER,
        row('D-1', { opened: '29/03/2026 08:15' }),
        row('D-2'),
        row('D-3', { area: 'x'.repeat(2001) }),
        row('D-4', { opened: '' }),
      ].join('\n'),
    );
    const summary = await run(f);
    expect(summary).toMatchObject({ read: 4, inserted: 1, rejected: 3 });
    const rejects = await ctx.services.incidentImports.listRejects(operator, summary.batchId);
    expect(rejects.map((r) => [r.rowNumber, r.field])).toEqual([
      [1, 'openedAt'],
      [3, 'area'],
      [4, 'openedAt'],
    ]);
    expect(rejects[0]?.reason).toMatch(
      /column 'opened_at' has '29\/03\/2026 08:15', expected a time like 2016-06-01T08:30:00\+01:00/,
    );
    expect(rejects[1]?.reason).toMatch(/column 'area' is 2001 characters long; at most 2000 are allowed/);
    expect(rejects[2]?.reason).toMatch(/no time at all/);
    expect(rejects[0]?.raw).toContain('D-1,29/03/2026 08:15');
  });

  it('stores unknown codes as unmapped and reports them, never guessing', async () => {
    const f = await file(
      [HEADER, row('U-1', { grade: '9', chapter: 'weather' }), row('U-2', { grade: '9' })].join('\n'),
    );
    const summary = await run(f);
    expect(summary).toMatchObject({
      inserted: 2,
      rejected: 0,
      unmapped: { gradeInitial: { '9': 2 }, nsirChapter: { weather: 1 } },
    });
    const u1 = await ctx.services.db
      .selectFrom('incidents')
      .selectAll()
      .where('reference', '=', 'U-1')
      .executeTakeFirstOrThrow();
    expect(u1).toMatchObject({
      grade_initial: 'unmapped',
      force_grade_initial: '9',
      nsir_chapter: 'unmapped',
    });
  });

  it('rejects rows with the wrong number of fields, naming the problem', async () => {
    const f = await file(`${HEADER}\n${row('F-1')}\nF-2,2026-03-29T08:00:00Z,1\n${row('F-3')}\n`);
    const summary = await run(f);
    expect(summary).toMatchObject({ inserted: 2, rejected: 1 });
    const [reject] = await ctx.services.incidentImports.listRejects(operator, summary.batchId);
    expect(reject).toMatchObject({
      rowNumber: 2,
      raw: 'F-2,2026-03-29T08:00:00Z,1\n',
      reason: expect.stringMatching(/wrong number of fields/),
    });
  });

  it('refuses an unknown profile and a person without the import role', async () => {
    const f = await file(`${HEADER}\n${row('P-1')}\n`);
    await expect(
      ctx.services.incidentImports.importFile(operator, { unitId: unit.id, profile: 'nope', file: f }),
    ).rejects.toThrow(/Unknown profile 'nope'. Installed profiles: dallas-active-calls, generic-uk-cad/);
    const team = await createUnitFixture(ctx.services);
    await expect(
      ctx.services.incidentImports.importFile(team.member, {
        unitId: team.unit.id,
        profile: 'generic-uk-cad',
        file: f,
      }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const ok = await ctx.services.incidentImports.importFile(team.analyst, {
      unitId: team.unit.id,
      profile: 'generic-uk-cad',
      file: f,
    });
    expect(ok.inserted).toBe(1);
  });

  const apiRecord = (fields: Record<string, string>) => ({
    record: {
      opened_at: '2026-03-29T08:15:00+01:00',
      grade_initial: '2',
      opening_type: 'THEFT',
      nsir_chapter: 'crime',
      ...fields,
    },
    raw: JSON.stringify(fields),
  });

  it('rejects an API record holding NUL or half a surrogate pair, naming the field; the others import', async () => {
    const result = await ctx.services.incidentImports.importRecords(operator, {
      unitId: unit.id,
      profile: 'generic-uk-cad',
      label: 'api:test',
      records: [
        apiRecord({ incident_ref: 'NUL-1', area: 'North\u0000' }),
        apiRecord({ incident_ref: 'SUR-1', opening_type: 'THEFT\ud800' }),
        apiRecord({ incident_ref: 'OK-1' }),
      ],
    });
    expect(result.summary).toMatchObject({ status: 'completed', inserted: 1, rejected: 2 });
    expect(result.results).toEqual([
      { status: 'rejected', field: 'area', reason: expect.stringMatching(/NUL character/) },
      { status: 'rejected', field: 'opening_type', reason: expect.stringMatching(/surrogate/) },
      { status: 'inserted', reference: 'OK-1' },
    ]);
  });

  it('imports as new the rows a colliding first-row index takes for repeats, and still settles true repeats', async () => {
    // Every row after the first is reported as a repeat of row 1, as if all references shared a digest.
    const imports = createIncidentImportService({
      db: ctx.services.db,
      audit: ctx.services.audit,
      clock: ctx.services.clock,
      units: ctx.services.units,
      createFirstRows: () => ({ firstRowOf: (_reference, row) => (row === 1 ? undefined : 1) }),
    });
    const result = await imports.importRecords(operator, {
      unitId: unit.id,
      profile: 'generic-uk-cad',
      label: 'api:collide',
      records: [
        apiRecord({ incident_ref: 'COL-A' }),
        apiRecord({ incident_ref: 'COL-B' }),
        apiRecord({ incident_ref: 'COL-C', area: 'East' }),
        apiRecord({ incident_ref: 'COL-A' }),
        apiRecord({ incident_ref: 'COL-A', area: 'West' }),
      ],
    });
    expect(result.summary).toMatchObject({ inserted: 3, merged: 1, rejected: 1, updated: 0 });
    expect(result.results.map((r) => r.status)).toEqual([
      'inserted',
      'inserted',
      'inserted',
      'merged',
      'rejected',
    ]);
    expect(result.results[4]).toMatchObject({ reason: expect.stringMatching(/repeats row 1 of this file/) });
  });
});
