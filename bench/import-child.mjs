// The import of the bench, run on the compiled service (dist/) in a child process of its own (`npm run bench`
// spawns it) so that its peak RSS is the import's alone: the kernel's high-water mark (maxRSS) of a process that
// did nothing else, running what `dmm import incidents` runs. Prints one JSON line: {inserted, ms, maxRssMb, cpuMs}.
import { connectPostgres } from '../dist/db/connect.js';
import { createSystemActor } from '../dist/services/access/actor.js';
import { createFixedClock } from '../dist/services/clock.js';
import { createServices } from '../dist/services/index.js';

const {
  BENCH_CHILD_URL: url,
  BENCH_CHILD_SCHEMA: schema,
  BENCH_CHILD_UNIT: unit,
  BENCH_CHILD_FILE: file,
} = process.env;
if (!url || !schema || !unit || !file)
  throw new Error('BENCH_CHILD_URL, _SCHEMA, _UNIT and _FILE are needed');
const handle = connectPostgres({ url, schema, maxConnections: 8 });
try {
  const services = createServices({
    db: handle.db,
    clock: createFixedClock('2026-02-01T08:00:00Z'),
    databaseKind: 'postgres',
  });
  const started = performance.now();
  const summary = await services.incidentImports.importFile(createSystemActor('bench'), {
    unitId: Number(unit),
    profile: 'generic-uk-cad',
    file,
  });
  const ms = performance.now() - started;
  process.stdout.write(
    `${JSON.stringify({ inserted: summary.inserted, ms, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024), cpuMs: Math.round((process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1000) })}\n`,
  );
} finally {
  await handle.close();
}
