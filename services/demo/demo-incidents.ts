/**
 * Real incidents for the demo: the Metropolitan Police stop-and-search records of June 2016 (data.police.uk,
 * Open Government Licence v3.0), copied with every time moved forward by whole days so that 30 June 2016 falls
 * on today. Records that would then lie in the future are left out. The shared file is never changed: a shifted
 * copy is written to a temporary folder, imported through the `police-uk-stop-search` profile, and deleted.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { DateTime } from 'luxon';
import { createSystemActor } from '../access/actor.js';
import type { ImportSummary } from '../incidents/import.service.js';
import type { Services } from '../index.js';
import { localDateOf } from '../time.js';

const LAST_DAY = '2016-06-30';

export async function importDemoIncidents(
  services: Services,
  unitId: number,
  sourceFile: string,
): Promise<ImportSummary | undefined> {
  try {
    await fs.access(sourceFile);
  } catch {
    return undefined;
  }
  const now = services.clock.now();
  const today = localDateOf(now, 'Europe/London');
  const shiftDays = Math.round(DateTime.fromISO(today).diff(DateTime.fromISO(LAST_DAY), 'days').days);
  const rows = parse(await fs.readFile(sourceFile), { columns: true, bom: true }) as Array<
    Record<string, string>
  >;
  const shifted = rows
    .map((r) => ({
      ...r,
      Date:
        DateTime.fromISO(r.Date ?? '', { setZone: true })
          .plus({ days: shiftDays })
          .toISO() ?? '',
    }))
    .filter((r) => r.Date !== '' && new Date(r.Date) <= now);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dmm-demo-'));
  const file = path.join(dir, 'met-stop-search-shifted.csv');
  try {
    await fs.writeFile(file, stringify(shifted, { header: true, columns: Object.keys(rows[0] ?? {}) }));
    return await services.incidentImports.importFile(createSystemActor('demo-seed'), {
      unitId,
      profile: 'police-uk-stop-search',
      file,
    });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
