/**
 * The `dmm` command line. Every command runs against the database the environment names (PGlite in DATA_DIR by
 * default, PostgreSQL with DATABASE_URL) as a system actor `cli:<user>`, so every write is audited under the
 * operator's name. Data goes to stdout (or --out), messages to stderr. Exit codes: 0 ok, 1 failed
 * (e.g. the audit chain is broken), 2 bad input or usage.
 */
import { Command, CommanderError, Option } from 'commander';
import { type Config, ConfigError, loadConfig } from '../../config.js';
import type { SystemActor } from '../../services/access/actor.js';
import { ACTION_LIST_FILTERS, type ActionListFilter } from '../../services/actions/action.service.js';
import { STATUS_LABELS } from '../../services/actions/transitions.js';
import { isDomainError, ValidationError } from '../../services/errors.js';
import type { Services } from '../../services/index.js';
import { createLogger } from '../../services/logger.js';
import { addAdminCommands } from './admin.commands.js';
import { addBriefCommands } from './brief.commands.js';
import {
  type CliIo,
  ExitError,
  exportTo,
  idArg,
  isoDateArg,
  operatorActor,
  resolveUnit,
  table,
  withServices,
} from './context.js';
import { addImportCommands } from './import.commands.js';
import { addJobCommands } from './jobs.commands.js';
import { addManifestCommands } from './manifest.commands.js';
import { visible } from './terminal.js';

export type { CliIo };

const RECIPIENT_OPTION = [
  '--recipient <who>',
  'who receives the export (a person, post or organisation); repeatable; recorded in the disclosure',
  (value: string, all: string[] = []) => [...all, value],
] as const;
const JUSTIFICATION_OPTION = [
  '--justification <why>',
  'why the data is disclosed (e.g. "IOPC request 2026/118"); recorded in the disclosure',
] as const;

/** Signs the audit chain's head and appends it to the configured checkpoints file (and `also`, if given). */
async function writeAuditCheckpoint(
  services: Services,
  cfg: Config,
  also?: string,
): Promise<{ seq: number; files: string[] }> {
  const { writeCheckpoint } = await import('../../services/audit/audit-keys.js');
  const checkpoint = await services.audit.checkpoint();
  const files = [cfg.audit.checkpointsFile, ...(also ? [also] : [])];
  for (const file of files) writeCheckpoint(file, checkpoint);
  return { seq: checkpoint.seq, files };
}

export function buildProgram(io: CliIo): Command {
  const config = (): Config => loadConfig(io.env);
  const program = new Command('dmm')
    .description('dmm-bot: Daily Management Meeting bot and daily brief service')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();
  program.addHelpText(
    'after',
    '\nEnvironment: DATABASE_URL (PostgreSQL; default embedded PGlite in DATA_DIR), DATA_DIR, PORT, HOST, LOG_LEVEL.\n' +
      'From a checkout run as `npm run dmm -- <command>`.',
  );

  program
    .command('serve')
    .description('run the service (HTTP on PORT); migrates the database first')
    .option('--demo', 'create the demo unit and data if the database has no units')
    .action(async (opts: { demo?: boolean }) => {
      const cfg = config();
      const logger = createLogger(cfg.logLevel);
      let fatal: (error: Error) => void = () => {};
      const fatalSignal = new Promise<string>((resolve) => {
        fatal = (error) => resolve(`fatal: ${error.message}`);
      });
      const { createApp } = await import('../../main.js');
      const app = createApp(cfg, { logger, demo: Boolean(opts.demo), onFatal: fatal });
      try {
        const { url } = await app.start();
        io.stderr(
          `dmm-bot is running at ${url} (health: ${url}/healthz, readiness: ${url}/readyz). Stop with Ctrl+C.\n` +
            (cfg.consoleEnabled
              ? `Local console (try the bot with no Slack or Teams): ${url}/console\n`
              : 'Local console: off (DMM_CONSOLE=on serves it; it lets anyone who reaches it act as any person).\n') +
            (cfg.slack
              ? cfg.slack.mode === 'socket'
                ? 'Slack: on, Socket Mode.\n'
                : `Slack: on, events at ${url}/slack/events.\n`
              : 'Slack: not started (set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET, or SLACK_APP_TOKEN for Socket Mode).\n') +
            (cfg.teams
              ? `Teams: on, messages at ${url}/api/messages${cfg.teams.clientId ? '' : ' (no TEAMS_CLIENT_ID: tokens not checked, loopback only)'}.\n`
              : 'Teams: not started (set TEAMS_CLIENT_ID, TEAMS_CLIENT_SECRET and TEAMS_TENANT_ID).\n'),
        );
      } catch (error) {
        await app.stop();
        throw error;
      }
      const reason = await Promise.race([io.untilSignal?.() ?? new Promise<string>(() => {}), fatalSignal]);
      logger.info({ reason }, 'shutdown requested');
      await app.stop();
      if (reason.startsWith('fatal')) throw new ExitError(1, reason);
    });

  program
    .command('migrate')
    .description('apply database migrations (the server also does this on start)')
    .action(async () => {
      const [{ openDatabase }, { migrateToLatest }] = await Promise.all([
        import('../../db/connect.js'),
        import('../../db/migrate.js'),
      ]);
      const handle = await openDatabase(config());
      try {
        const { applied } = await migrateToLatest(handle.db, { schema: handle.schema });
        io.stderr(applied.length > 0 ? `Applied: ${applied.join(', ')}\n` : 'The database is up to date.\n');
      } finally {
        await handle.close();
      }
    });

  program
    .command('demo')
    .description('create the demo unit, people, priorities, actions and meetings (only on an empty database)')
    .action(async () => {
      const cfg = config();
      const { seedDemo } = await import('../../services/demo/demo.seed.js');
      await withServices(cfg, async (services) => {
        const result = await seedDemo(services);
        io.stderr(
          result.created
            ? `Demo unit '${result.unitCode}' created with ${result.incidents} generated demo incidents` +
                '. Try: dmm brief, dmm actions list, dmm minutes.\n'
            : 'Units already exist: the demo is only created on an empty database.\n',
        );
      });
    });

  program
    .command('grant')
    .description(
      "PostgreSQL, as the tables' owner: give the service's own role what it needs, and over the audit log only reading and appending",
    )
    .requiredOption('--role <role>', 'the database role the service and the CLI run as (not the owner)')
    .action(async (opts: { role: string }) => {
      const cfg = config();
      if (!cfg.databaseUrl)
        throw new ExitError(2, 'grant is for PostgreSQL: set DATABASE_URL to the owner’s connection.');
      const [{ openDatabase }, { migrateToLatest }, { grantServiceRole }] = await Promise.all([
        import('../../db/connect.js'),
        import('../../db/migrate.js'),
        import('../../db/roles.js'),
      ]);
      const handle = await openDatabase(cfg);
      try {
        await migrateToLatest(handle.db, { schema: handle.schema });
        await grantServiceRole(handle.db, opts.role, handle.schema ?? 'public');
        io.stderr(
          `Granted '${opts.role}' the service's rights. Run the service with its credentials and DMM_MIGRATE=off; run \`dmm migrate\` and \`dmm grant\` as the owner after each upgrade.\n`,
        );
      } finally {
        await handle.close();
      }
    });

  const audit = program.command('audit').description('verify or export the hash-chained audit log');
  audit
    .command('verify')
    .description(
      're-compute the audit chain and report the first edited, deleted or missing event (exit 1 if any)',
    )
    .option(
      '--checkpoints <file>',
      'a further file of checkpoints to hold the chain against (besides DMM_AUDIT_CHECKPOINTS); repeatable',
      (value: string, all: string[]) => [...all, value],
      [] as string[],
    )
    .action(async (opts: { checkpoints: string[] }) => {
      const cfg = config();
      const { readCheckpoints } = await import('../../services/audit/audit-keys.js');
      const files = [cfg.audit.checkpointsFile, ...opts.checkpoints];
      const read = files.map((file) => ({ file, ...readCheckpoints(file) }));
      for (const r of read)
        if (r.unreadable.length > 0)
          io.stderr(
            `warning: ${r.file}: line(s) ${r.unreadable.join(', ')} are not checkpoints and were skipped.\n`,
          );
      await withServices(cfg, async (services) => {
        const result = await services.audit.verify({ checkpoints: read.flatMap((r) => r.checkpoints) });
        if (!result.ok)
          throw new ExitError(
            1,
            `Audit chain BROKEN at event ${result.seq}: ${result.problem} (${result.checked} events verified before it).`,
          );
        io.stdout(
          `Audit chain intact: ${result.checked} events verified, against ${result.checkpoints} checkpoint(s) kept outside the database.\n`,
        );
      });
    });
  audit
    .command('checkpoint')
    .description('sign the head of the audit chain and keep it outside the database (DMM_AUDIT_CHECKPOINTS)')
    .option('--out <file>', 'also append it to this file (e.g. on another machine or medium)')
    .action(async (opts: { out?: string }) => {
      const cfg = config();
      await withServices(cfg, async (services) => {
        const written = await writeAuditCheckpoint(services, cfg, opts.out);
        io.stdout(`Audit checkpoint at event ${written.seq} written to ${written.files.join(' and ')}.\n`);
      });
    });
  audit
    .command('export')
    .description('export the whole audit log (the export is itself logged as a disclosure)')
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'json']).default('json'))
    .option('--out <file>', 'write to a new file instead of stdout')
    .requiredOption(...RECIPIENT_OPTION)
    .requiredOption(...JUSTIFICATION_OPTION)
    .action(
      async (opts: { format: 'csv' | 'json'; out?: string; recipient: string[]; justification: string }) => {
        await withServices(config(), async (services) => {
          let count = 0;
          await exportTo(io, opts.out, async () => {
            const result = await services.exports.exportAudit(operatorActor(), {
              format: opts.format,
              recipients: opts.recipient,
              justification: opts.justification,
              destination: opts.out ?? 'stdout',
            });
            count = result.count;
            return result.content;
          });
          io.stderr(`Exported ${count} audit events${opts.out ? ` to ${opts.out}` : ''}.\n`);
          await writeAuditCheckpoint(services, config());
        });
      },
    );

  const actions = program.command('actions').description('list actions');
  actions
    .command('list')
    .description("list a unit's actions")
    .option('--unit <code>', 'unit code (default: the only unit)')
    .addOption(
      new Option('--filter <filter>', 'which actions').choices([...ACTION_LIST_FILTERS]).default('open'),
    )
    .option('--person <id>', "with --filter mine: the person's id", idArg)
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(
      async (opts: {
        unit?: string;
        filter: ActionListFilter;
        person?: number;
        format: 'table' | 'json';
      }) => {
        await withServices(config(), async (services) => {
          const unit = await resolveUnit(services, opts.unit);
          let actor = operatorActor() as SystemActor | Awaited<ReturnType<Services['people']['actorFor']>>;
          if (opts.filter === 'mine') {
            if (!opts.person) throw ValidationError.field('--person', 'is required with --filter mine');
            actor = await services.people.actorFor(opts.person, unit.id);
          }
          const list = await services.actions.list(actor, unit.id, opts.filter);
          if (opts.format === 'json') {
            io.stdout(`${JSON.stringify(list, null, 2)}\n`);
            return;
          }
          if (list.length === 0) {
            io.stdout(`No ${opts.filter.replace('_', ' ')} actions on ${unit.code}.\n`);
            return;
          }
          const people = new Map(
            (await services.people.membersOf(unit.id)).map((p) => [p.id, p.displayName]),
          );
          io.stdout(
            table([
              ['ID', 'DUE', 'STATUS', 'CATEGORY', 'OWNER', 'TITLE'],
              ...list.map((a) => [
                `A-${a.id}`,
                a.dueOn ?? '-',
                STATUS_LABELS[a.status],
                a.category,
                a.ownerPersonId
                  ? (people.get(a.ownerPersonId) ?? `#${a.ownerPersonId}`)
                  : (a.ownerPost ?? '-'),
                a.title.length > 70 ? `${a.title.slice(0, 69)}…` : a.title,
              ]),
            ]),
          );
        });
      },
    );

  /** A record id (with its letter, D-3 or P-2, or without), or `none` (which unlinks). */
  const linkArg = (letter: string) => (value: string) =>
    value.toLowerCase() === 'none'
      ? 'none'
      : String(idArg(value.replace(new RegExp(`^${letter}-`, 'i'), '')));
  actions
    .command('link')
    .description('tie an action to the decision it carries out and the priority it delivers (audited)')
    .argument('<id>', 'action id (A-12 or 12)', (v) => idArg(v.replace(/^A-/i, '')))
    .option('--decision <id>', 'the decision (D-3 or 3); `none` unlinks', linkArg('D'))
    .option('--priority <id>', 'the priority (its id in `dmm priorities list`); `none` unlinks', linkArg('P'))
    .action(async (id: number, opts: { decision?: string; priority?: string }) => {
      const toId = (v: string | undefined) => (v === undefined ? undefined : v === 'none' ? null : Number(v));
      await withServices(config(), async (services) => {
        const action = await services.actions.link(operatorActor(), id, {
          ...(opts.decision !== undefined ? { decisionId: toId(opts.decision) } : {}),
          ...(opts.priority !== undefined ? { priorityId: toId(opts.priority) } : {}),
        });
        io.stdout(
          `Action ${action.id}: ${action.title}; carries out decision ${action.decisionId ?? 'none'}; delivers priority ${action.priorityId ?? 'none'}.\n`,
        );
      });
    });

  actions
    .command('show')
    .description('show one action with its full update history')
    .argument('<id>', 'action id (A-12 or 12)', (v) => idArg(v.replace(/^A-/i, '')))
    .action(async (id: number) => {
      await withServices(config(), async (services) => {
        const actor = operatorActor();
        const action = await services.actions.get(actor, id);
        const history = await services.actions.history(actor, id);
        const owner = action.ownerPersonId
          ? (await services.people.get(action.ownerPersonId)).displayName
          : action.ownerPost;
        io.stdout(
          [
            `A-${action.id}: ${action.title}`,
            `  status:   ${STATUS_LABELS[action.status]}${action.result ? ` (result: ${action.result})` : ''}`,
            `  owner:    ${owner ?? '-'}`,
            `  due:      ${action.dueOn ?? '-'}`,
            `  category: ${action.category}    marking: ${action.marking}    version: ${action.version}`,
            '  history:',
            ...history.map(
              (h) =>
                `    v${h.version} ${h.at.toISOString()} ${h.actorLabel}: ${h.kind}` +
                (h.kind === 'status' ? ` ${h.fromStatus} -> ${h.toStatus}` : '') +
                (h.note ? ` (${h.note})` : ''),
            ),
            '',
          ].join('\n'),
        );
      });
    });

  program
    .command('minutes')
    .description(
      'write the minutes of a closed meeting (Markdown, or PDF for the file); without a date, the latest closed meeting',
    )
    .argument('[date]', 'local date of the meeting, YYYY-MM-DD', isoDateArg)
    .option('--unit <code>', 'unit code (default: the only unit)')
    .addOption(new Option('--format <format>', 'output format').choices(['md', 'pdf']).default('md'))
    .option('--out <file>', 'write to a new file instead of stdout (a PDF needs a file)')
    .action(async (date: string | undefined, opts: { unit?: string; out?: string; format: 'md' | 'pdf' }) => {
      if (opts.format === 'pdf' && !opts.out)
        throw new ExitError(2, 'A PDF is written to a file: add --out FILE (e.g. --out minutes.pdf).');
      await withServices(config(), async (services) => {
        const unit = await resolveUnit(services, opts.unit);
        const { minutesMarkdown, minutesPdf } = await import('../../cards/minutes.card.js');
        await exportTo(io, opts.out, async () => {
          const view = await services.meetings.getMinutes(operatorActor(), unit.id, date);
          return opts.format === 'pdf' ? minutesPdf(view) : minutesMarkdown(view);
        });
      });
    });

  program
    .command('export')
    .description(
      'export decisions or actions (CSV, JSON), or the TT&CG pack of a period (Markdown, PDF); logged as a disclosure',
    )
    .addArgument(
      new Command().createArgument('<kind>', 'what to export').choices(['decisions', 'actions', 'tcg-pack']),
    )
    .requiredOption('--from <date>', 'first local date, YYYY-MM-DD', isoDateArg)
    .requiredOption('--to <date>', 'last local date (inclusive), YYYY-MM-DD', isoDateArg)
    .addOption(
      new Option('--format <format>', 'output format (default: csv; md for the TT&CG pack)').choices([
        'csv',
        'json',
        'md',
        'pdf',
      ]),
    )
    .option('--unit <code>', 'unit code (default: the only unit)')
    .option('--out <file>', 'write to a new file instead of stdout (a PDF needs a file)')
    .requiredOption(...RECIPIENT_OPTION)
    .requiredOption(...JUSTIFICATION_OPTION)
    .addOption(
      new Option('--ceiling <marking>', 'leave out records marked above this')
        .choices(['OFFICIAL', 'OFFICIAL-SENSITIVE'])
        .default('OFFICIAL-SENSITIVE'),
    )
    .action(
      async (
        kind: 'decisions' | 'actions' | 'tcg-pack',
        opts: {
          from: string;
          to: string;
          format?: 'csv' | 'json' | 'md' | 'pdf';
          unit?: string;
          out?: string;
          recipient: string[];
          justification: string;
          ceiling: 'OFFICIAL' | 'OFFICIAL-SENSITIVE';
        },
      ) => {
        if (kind === 'tcg-pack') {
          const format = opts.format ?? 'md';
          if (format !== 'md' && format !== 'pdf')
            throw new ExitError(2, `--format ${format}: the TT&CG pack is written as md or pdf.`);
          if (format === 'pdf' && !opts.out)
            throw new ExitError(2, 'A PDF is written to a file: add --out FILE (e.g. --out tcg-pack.pdf).');
          await withServices(config(), async (services) => {
            const unit = await resolveUnit(services, opts.unit);
            const { tcgPackMarkdown, tcgPackPdf } = await import('../../cards/tcg-pack.card.js');
            let marking = '';
            let withheld = 0;
            await exportTo(io, opts.out, async () => {
              const pack = await services.tcgPacks.build(operatorActor(), {
                unitId: unit.id,
                from: opts.from,
                to: opts.to,
                ceiling: opts.ceiling,
                recipients: opts.recipient,
                justification: opts.justification,
                destination: opts.out ?? 'stdout',
              });
              marking = pack.marking;
              withheld = pack.withheld;
              return format === 'pdf' ? tcgPackPdf(pack) : tcgPackMarkdown(pack);
            });
            io.stderr(
              `Wrote the TT&CG pack of ${unit.code}, ${opts.from} to ${opts.to}, marked ${marking}` +
                `${withheld ? ` (${withheld} above ${opts.ceiling} left out)` : ''}; logged as a disclosure to ${opts.recipient.join(', ')}.\n`,
            );
            await writeAuditCheckpoint(services, config());
          });
          return;
        }
        const format = opts.format ?? 'csv';
        if (format !== 'csv' && format !== 'json')
          throw new ExitError(2, `--format ${format}: ${kind} are exported as csv or json.`);
        await withServices(config(), async (services) => {
          const unit = await resolveUnit(services, opts.unit);
          let result: { count: number; marking: string; withheld: number } | undefined;
          await exportTo(io, opts.out, async () => {
            const exported = await services.exports.exportRecords(operatorActor(), {
              kind,
              unitId: unit.id,
              from: opts.from,
              to: opts.to,
              format,
              recipients: opts.recipient,
              justification: opts.justification,
              destination: opts.out ?? 'stdout',
              ceiling: opts.ceiling,
            });
            result = exported;
            return exported.content;
          });
          io.stderr(
            `Exported ${result?.count ?? 0} ${kind} from ${unit.code}, ${opts.from} to ${opts.to}, marked ${result?.marking}` +
              `${result?.withheld ? ` (${result.withheld} above ${opts.ceiling} left out)` : ''}; the export is logged as a disclosure to ${opts.recipient.join(', ')}.\n`,
          );
          // The disclosure itself is now in the chain: a checkpoint after it, outside the database.
          await writeAuditCheckpoint(services, config());
        });
      },
    );

  addAdminCommands(program, { io, config });
  addImportCommands(program, { io, config });
  addManifestCommands(program, { io });
  addJobCommands(program, { io, config });
  addBriefCommands(program, { io, config });
  return program;
}

/** Runs the CLI and returns the exit code; never throws. */
export async function runCli(argv: readonly string[], rawIo: CliIo): Promise<number> {
  // Data reaches the terminal only with its control characters made visible (see terminal.ts).
  const io: CliIo = {
    ...rawIo,
    stdout: (text) => rawIo.stdout(visible(text)),
    stderr: (text) => rawIo.stderr(visible(text, { allowCarriageReturn: true })),
  };
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" to commander; usage mistakes were already printed with a hint.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof ExitError) {
      io.stderr(`${error.message}\n`);
      return error.exitCode;
    }
    // Told apart by name: their modules are loaded only by the commands that can throw them.
    const name = (error as Error | undefined)?.name;
    if (
      name === 'ImportFileError' ||
      name === 'ProfileError' ||
      name === 'RoleError' ||
      name === 'AuditKeyError'
    ) {
      io.stderr(`error: ${(error as Error).message}\n`);
      return 2;
    }
    if (name === 'ListenError') {
      io.stderr(`error: ${(error as Error).message}\n`);
      return 1;
    }
    if (error instanceof ConfigError || name === 'DatabaseLockedError') {
      io.stderr(`error: ${(error as Error).message}\n`);
      return error instanceof ConfigError ? 2 : 1;
    }
    if (isDomainError(error)) {
      io.stderr(`error: ${error.message}\n`);
      return error.code === 'VALIDATION_FAILED' || error.code === 'NOT_FOUND' ? 2 : 1;
    }
    io.stderr(`error: unexpected failure: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
