/** `dmm import …`: incidents from CSV through a mapping profile, and the rejects of a batch. */
import { type Command, Option } from 'commander';
import { refreshPostedBriefs } from '../../jobs/brief.job.js';
import { type PreviewRow, previewImport } from '../../services/incidents/import.service.js';
import { listProfiles, loadProfile, type MappingProfile } from '../../services/incidents/profile.js';
import { type CliContext, ExitError, idArg, operatorActor, resolveUnit, withServices } from './context.js';

/** A bar redrawn in place on a terminal; with `--progress` and no terminal (a log), a line per chunk written. */
function progressBar(io: CliContext['io'], isTty: boolean, lines: boolean) {
  let last = 0;
  return (p: { bytes: number; totalBytes: number; rows: number }) => {
    if (!isTty) {
      if (lines) io.stderr(`progress: ${p.rows} rows read, ${p.bytes} of ${p.totalBytes} bytes\n`);
      return;
    }
    const now = Date.now();
    if (now - last < 100 && p.bytes < p.totalBytes) return;
    last = now;
    const ratio = p.totalBytes > 0 ? Math.min(1, p.bytes / p.totalBytes) : 1;
    const width = 30;
    const filled = Math.round(ratio * width);
    io.stderr(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}%  ${p.rows.toLocaleString('en-GB')} rows`,
    );
  };
}

/** A dry run as text: each row mapped (its non-empty fields) or rejected (the reason), and a tally. */
function describeDryRun(preview: { profile: MappingProfile; rows: PreviewRow[] }): string {
  const lines = [`Dry run of profile ${preview.profile.name}: nothing is written.`];
  for (const row of preview.rows) {
    if (row.status === 'rejected') {
      lines.push(
        `row ${row.rowNumber} (line ${row.lineNumber}): REJECTED ${row.reason}`,
        `    ${JSON.stringify(row.raw)}`,
      );
      continue;
    }
    const fields = Object.entries(row.incident)
      .filter(([, v]) => v !== null && v !== false && !(Array.isArray(v) && v.length === 0))
      .map(
        ([k, v]) =>
          `${k}=${v instanceof Date ? v.toISOString() : Array.isArray(v) ? v.join(';') : String(v)}`,
      );
    lines.push(`row ${row.rowNumber} (line ${row.lineNumber}): ${fields.join('  ')}`);
    for (const [field, code] of row.unmapped)
      lines.push(`    ${field} '${code}' is not in the profile (stored as unmapped)`);
  }
  const rejected = preview.rows.filter((r) => r.status === 'rejected').length;
  lines.push(
    `${preview.rows.length} rows read: ${preview.rows.length - rejected} mapped, ${rejected} rejected.`,
  );
  return lines.join('\n');
}

export function addImportCommands(program: Command, ctx: CliContext): void {
  const { io, config } = ctx;
  const imports = program.command('import').description('import incidents and inspect import rejects');

  imports
    .command('incidents')
    .description(
      'import incidents from a CSV file through a mapping profile (re-importing the same file changes nothing)',
    )
    .argument('<file>', 'CSV file')
    .requiredOption(
      '--profile <name>',
      'mapping profile: an installed name (see `dmm import profiles`) or a .json file',
    )
    .option('--unit <code>', 'unit code (default: the only unit)')
    .addOption(
      new Option('--encoding <encoding>', "override the profile's file encoding").choices([
        'utf-8',
        'latin1',
      ]),
    )
    .option('--progress', 'print a progress line per chunk written even when stderr is not a terminal')
    .option('--dry-run', 'map the first rows and print the mapped records and rejects; write nothing')
    .option('--rows <n>', 'rows to map in a dry run', (v) => idArg(v), 10)
    .action(
      async (
        file: string,
        opts: {
          profile: string;
          unit?: string;
          encoding?: 'utf-8' | 'latin1';
          progress?: boolean;
          dryRun?: boolean;
          rows: number;
        },
      ) => {
        if (opts.dryRun) {
          const preview = await previewImport({
            profile: opts.profile,
            profilesDir: config().profilesDir,
            file,
            rows: opts.rows,
            ...(opts.encoding ? { encoding: opts.encoding } : {}),
          });
          io.stdout(`${describeDryRun(preview)}\n`);
          return;
        }
        // The profile is checked before the database is opened: its mistakes are the user's first to fix.
        await loadProfile(opts.profile, { profilesDir: config().profilesDir });
        await withServices(config(), async (services) => {
          const unit = await resolveUnit(services, opts.unit);
          const onProgress = progressBar(io, Boolean(io.isTty), Boolean(opts.progress));
          const summary = await services.incidentImports.importFile(operatorActor(), {
            unitId: unit.id,
            profile: opts.profile,
            profilesDir: config().profilesDir,
            file,
            ...(opts.encoding ? { encoding: opts.encoding } : {}),
            onProgress,
          });
          if (io.isTty) io.stderr('\n');
          // Late incidents: a brief already posted for their day is built again and updated in place (the
          // service's outbox sends the updates).
          const refreshed =
            summary.inserted + summary.updated > 0 ? await refreshPostedBriefs(services, unit.id) : [];
          const unmapped = Object.entries(summary.unmapped).flatMap(([field, codes]) =>
            Object.entries(codes).map(
              ([code, n]) => `  ${field} '${code}': ${n} (stored as unmapped; add it to the profile)`,
            ),
          );
          io.stdout(
            [
              `Batch ${summary.batchId} ${summary.status}: read ${summary.read}, inserted ${summary.inserted}, updated ${summary.updated}, ` +
                `unchanged ${summary.unchanged}, merged ${summary.merged}, rejected ${summary.rejected}.`,
              ...(unmapped.length > 0 ? ['Unknown codes:', ...unmapped] : []),
              ...(summary.rejected > 0
                ? [`See the rejected rows with: dmm import rejects ${summary.batchId}`]
                : []),
              ...(summary.failure ? [`Stopped: ${summary.failure}`] : []),
              ...(refreshed.length > 0
                ? [
                    `Briefs already posted for ${refreshed.join(', ')} were rebuilt and will be updated in place.`,
                  ]
                : []),
              '',
            ].join('\n'),
          );
          if (summary.status === 'failed')
            throw new ExitError(
              1,
              `Import batch ${summary.batchId} failed (reason above). Fix it and run the same import again: re-imports are idempotent.`,
            );
        });
      },
    );

  imports
    .command('batches')
    .description('list the latest import batches of a unit, with their status and counts')
    .option('--unit <code>', 'unit code (default: the only unit)')
    .option('--limit <n>', 'how many batches', (v) => idArg(v), 20)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (opts: { unit?: string; limit: number; format: 'text' | 'json' }) => {
      await withServices(config(), async (services) => {
        const unit = await resolveUnit(services, opts.unit);
        const batches = await services.incidentImports.listBatches(operatorActor(), unit.id, opts.limit);
        if (opts.format === 'json') {
          io.stdout(`${JSON.stringify(batches, null, 2)}\n`);
          return;
        }
        if (batches.length === 0) {
          io.stdout(`No imports on ${unit.code} yet.\n`);
          return;
        }
        for (const b of batches) {
          io.stdout(
            `Batch ${b.batchId} ${b.running ? 'running' : b.status} (${b.profile}, ${b.fileName}, started ${b.startedAt.toISOString()}): ` +
              `read ${b.read}, inserted ${b.inserted}, updated ${b.updated}, unchanged ${b.unchanged}, merged ${b.merged}, rejected ${b.rejected}` +
              `${b.failure ? `\n    ${b.failure}` : ''}\n`,
          );
        }
      });
    });

  imports
    .command('rejects')
    .description('list the rows an import batch rejected, with row and line numbers and the reason')
    .argument('<batch>', 'batch id', idArg)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (batchId: number, opts: { format: 'text' | 'json' }) => {
      await withServices(config(), async (services) => {
        const rejects = await services.incidentImports.listRejects(operatorActor(), batchId);
        if (opts.format === 'json') {
          io.stdout(`${JSON.stringify(rejects, null, 2)}\n`);
          return;
        }
        if (rejects.length === 0) {
          io.stdout(`Batch ${batchId} rejected nothing.\n`);
          return;
        }
        for (const r of rejects) {
          const raw = r.raw.length > 200 ? `${r.raw.slice(0, 199)}…` : r.raw;
          io.stdout(`row ${r.rowNumber} (line ${r.lineNumber}): ${r.reason}\n    ${JSON.stringify(raw)}\n`);
        }
      });
    });

  const profiles = imports
    .command('profiles')
    .description(
      'list the installed mapping profiles (shipped, and DMM_PROFILES_DIR); `show NAME` prints one',
    )
    .action(async () => {
      const { profilesDir } = config();
      for (const name of await listProfiles(profilesDir)) {
        const profile = await loadProfile(name, { profilesDir });
        io.stdout(`${name}\n    ${profile.description}\n`);
      }
    });
  profiles
    .command('show')
    .description('print a profile as it is read, with every default filled in (a name, or a .json file)')
    .argument('<profile>', 'an installed name or a .json file')
    .action(async (name: string) => {
      const profile = await loadProfile(name, { profilesDir: config().profilesDir });
      io.stdout(`${JSON.stringify(profile, null, 2)}\n`);
    });
}
