/**
 * The 24-hour picture on a hand-checked fixture. Unit in Europe/London, brief at 07:00. The picture for
 * 29 March 2026 (clocks go forward at 01:00 GMT) covers 28 Mar 07:00 GMT (07:00Z) to 29 Mar 07:00 BST
 * (06:00Z): 23 hours. Each of the 28 baseline windows holds exactly 2 thefts in Centre at 12:00 local, so the
 * baseline is mean 2, sd 0.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixedClock } from '../../../services/clock.js';
import type { Picture } from '../../../services/incidents/picture.service.js';
import { addDays, localDateTime } from '../../../services/time.js';
import { BACKENDS } from '../../support/database.js';
import { createUnitFixture, type UnitFixture } from '../../support/fixtures.js';
import { useServices } from '../../support/suite.js';

const HEADER =
  'incident_ref,opened_at,arrived_at,grade_initial,opening_type,nsir_chapter,qualifiers,thrive_risk,critical,area';

function line(
  ref: string,
  opened: Date,
  o: {
    arrived?: Date;
    grade?: string;
    type?: string;
    chapter?: string;
    qualifiers?: string;
    thrive?: string;
    critical?: string;
    area?: string;
  } = {},
) {
  return [
    ref,
    opened.toISOString(),
    o.arrived?.toISOString() ?? '',
    o.grade ?? '3',
    o.type ?? 'THEFT',
    o.chapter ?? 'crime',
    o.qualifiers ?? '',
    o.thrive ?? 'L',
    o.critical ?? 'N',
    o.area ?? 'Centre',
  ].join(',');
}

describe.each(BACKENDS)('the 24-hour picture on %s', (backend) => {
  const ctx = useServices(backend, createFixedClock('2026-03-29T06:30:00Z'));
  let dir: string;
  let f: UnitFixture;
  let picture: Picture;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dmm-picture-'));
    f = await createUnitFixture(ctx.services);
    const lines = [HEADER];
    for (let k = 1; k <= 28; k += 1) {
      const noon = localDateTime(addDays('2026-03-29', -k - 1), '12:00', 'Europe/London');
      lines.push(line(`B-${k}-a`, noon), line(`B-${k}-b`, new Date(noon.getTime() + 60_000)));
    }
    const at = (iso: string) => new Date(iso);
    // Today's window: 6 thefts, a G1 domestic assault, a critical incident, a high-risk missing person,
    // and a G2 attended after 90 minutes (a breach of the 60-minute target).
    for (let i = 0; i < 6; i += 1) lines.push(line(`T-${i}`, at(`2026-03-28T${10 + i}:00:00Z`)));
    lines.push(
      line('X-G1', at('2026-03-28T21:00:00Z'), {
        grade: '1',
        type: 'ASSAULT',
        qualifiers: 'domestic',
        arrived: at('2026-03-28T21:10:00Z'),
        area: 'East',
      }),
    );
    lines.push(
      line('X-CRIT', at('2026-03-28T22:00:00Z'), {
        grade: '2',
        type: 'PUBLIC ORDER',
        critical: 'Y',
        area: 'East',
      }),
    );
    lines.push(
      line('X-MISPER', at('2026-03-29T02:30:00Z'), {
        grade: '2',
        type: 'MISPER',
        chapter: 'public_safety_welfare',
        qualifiers: 'missing_person',
        thrive: 'H',
        area: 'West',
      }),
    );
    lines.push(
      line('X-LATE', at('2026-03-29T03:00:00Z'), {
        grade: '2',
        type: 'BURGLARY',
        arrived: at('2026-03-29T04:30:00Z'),
        area: 'West',
      }),
    );
    // Edges: 06:59Z on 28 March is before the window (window k=1); 06:00Z on 29 March is 07:00 BST, after it.
    lines.push(line('EDGE-BEFORE', at('2026-03-28T06:59:00Z'), { area: 'Edge' }));
    lines.push(line('EDGE-AFTER', at('2026-03-29T06:00:00Z'), { area: 'Edge' }));
    const file = path.join(dir, 'fixture.csv');
    await fs.writeFile(file, `${lines.join('\n')}\n`);
    const summary = await ctx.services.incidentImports.importFile(f.analyst, {
      unitId: f.unit.id,
      profile: 'generic-uk-cad',
      file,
    });
    expect(summary).toMatchObject({ inserted: 68, rejected: 0 });
    await ctx.services.priorities.create(f.analyst, {
      unitId: f.unit.id,
      title: 'Theft',
      startsOn: '2026-01-01',
      matchingRules: { typeCodes: ['THEFT'] },
    });
    await ctx.services.priorities.create(f.analyst, {
      unitId: f.unit.id,
      title: 'Burglary',
      startsOn: '2026-01-01',
      matchingRules: { keywords: ['burg'] },
    });
    // Every kind of rule must hold (here: chapter AND keyword), so this matches the burglary only, not all crime.
    await ctx.services.priorities.create(f.analyst, {
      unitId: f.unit.id,
      title: 'Crime: burglary',
      startsOn: '2026-01-01',
      matchingRules: { nsirChapters: ['crime'], keywords: ['burg', 'break-in'] },
    });
    picture = await ctx.services.pictures.build(f.member, f.unit.id, '2026-03-29');
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('counts an incident at the instant the window is split for counting (its middle) once, and the edges right', async () => {
    // The window is counted in two halves at once; 07:00Z + 11.5 h = 18:30Z is where they meet.
    const g = await createUnitFixture(ctx.services, { code: 'halves' });
    const edges = [
      ['H-START', '2026-03-28T07:00:00Z'],
      ['H-MID-1', '2026-03-28T18:29:59Z'],
      ['H-MID', '2026-03-28T18:30:00Z'],
      ['H-MID+1', '2026-03-28T18:30:01Z'],
      ['H-END-1', '2026-03-29T05:59:59Z'],
      ['H-END', '2026-03-29T06:00:00Z'],
    ] as const;
    const file = path.join(dir, 'halves.csv');
    await fs.writeFile(
      file,
      `${[HEADER, ...edges.map(([ref, iso]) => line(ref, new Date(iso), { area: ref }))].join('\n')}\n`,
    );
    await ctx.services.incidentImports.importFile(g.analyst, {
      unitId: g.unit.id,
      profile: 'generic-uk-cad',
      file,
    });
    const halves = await ctx.services.pictures.build(g.member, g.unit.id, '2026-03-29');
    expect(halves.total.count).toBe(5);
    expect(halves.hotspots.map((h) => [h.key, h.count]).sort()).toEqual(
      ['H-END-1', 'H-MID', 'H-MID+1', 'H-MID-1', 'H-START'].map((k) => [`area:${k}`, 1]).sort(),
    );
  });

  it('covers 23 hours on the spring clock change, ending at 07:00 BST', () => {
    expect(picture.windowStart.toISOString()).toBe('2026-03-28T07:00:00.000Z');
    expect(picture.windowEnd.toISOString()).toBe('2026-03-29T06:00:00.000Z');
    expect(picture.windowHours).toBe(23);
  });

  it('counts the window against a 28-day baseline and flags unusual counts by the stated rule', () => {
    expect(picture.total).toEqual({
      key: 'total',
      count: 10,
      baselineMean: 2.04,
      baselineSd: 0.19,
      flag: 'high',
    });
    expect(picture.byType.find((t) => t.key === 'THEFT')).toEqual({
      key: 'THEFT',
      count: 6,
      baselineMean: 2.04,
      baselineSd: 0.19,
      flag: 'high',
    });
    expect(picture.byType.find((t) => t.key === 'ASSAULT')).toMatchObject({
      count: 1,
      baselineMean: 0,
      flag: null,
    });
    expect(picture.byGrade.map((g) => [g.key, g.count])).toEqual([
      ['G3_SCHEDULED', 6],
      ['G2_PRIORITY', 3],
      ['G1_EMERGENCY', 1],
    ]);
    expect(picture.byChapter.map((c) => [c.key, c.count])).toEqual([
      ['crime', 9],
      ['public_safety_welfare', 1],
    ]);
    expect(picture.rule).toMatch(/2 \* max\(sd, sqrt\(mean\)\)/);
  });

  it('lists the exceptions highest risk first (critical, G1, high THRIVE risk, then qualifiers), with their reasons', () => {
    expect(picture.exceptions.count).toBe(3);
    expect(picture.exceptions.items.map((e) => [e.reference, e.reasons])).toEqual([
      ['X-CRIT', ['critical']],
      ['X-G1', ['g1', 'domestic']],
      ['X-MISPER', ['thrive_high', 'missing_person']],
    ]);
  });

  it('matches control-strategy priorities by type code and keyword, every kind of rule together', () => {
    expect(picture.priorities.map((p) => [p.priority.title, p.count, p.flag])).toEqual([
      ['Theft', 6, 'high'],
      ['Burglary', 1, null],
      ['Crime: burglary', 1, null],
    ]);
  });

  it('ranks hotspots by area and lists response-target breaches', () => {
    expect(picture.hotspots.map((h) => [h.key, h.count])).toEqual([
      ['area:Centre', 6],
      ['area:East', 2],
      ['area:West', 2],
      ['area:Edge', 0],
    ]);
    expect(picture.responseBreaches.count).toBe(1);
    expect(picture.responseBreaches.items[0]).toMatchObject({
      reference: 'X-LATE',
      minutesToArrive: 90,
      targetMinutes: 60,
    });
  });
});
