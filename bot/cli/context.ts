/** Shared pieces of the `dmm` commands: IO, exit codes, the operator actor, argument parsers, output files. */
import fs from 'node:fs/promises';
import os from 'node:os';
import { InvalidArgumentError } from 'commander';
import type { Config } from '../../config.js';
import { createSystemActor, type SystemActor } from '../../services/access/actor.js';
import type { Services } from '../../services/index.js';
import type { Unit } from '../../services/units/unit.service.js';
import { isoDate } from '../../services/validation.js';

export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Whether stderr is a terminal (progress bars are drawn only then). */
  readonly isTty?: boolean;
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT); `serve` waits on it. */
  readonly untilSignal?: () => Promise<string>;
}

/** Ends a command with an exit code and a message for stderr. */
export class ExitError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

export function operatorActor(): SystemActor {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (some containers): keep 'unknown'.
  }
  return createSystemActor(`cli:${user}`);
}

export function isoDateArg(value: string): string {
  const parsed = isoDate.safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError('expected a real date written YYYY-MM-DD');
  return parsed.data;
}

/** Opens the database, migrates it, runs `fn` with services, and always closes it. */
export async function withServices<T>(config: Config, fn: (services: Services) => Promise<T>): Promise<T> {
  // Loaded when a command needs the database, not for `--help` or a usage error: the CLI starts in a fraction
  // of the time.
  const [{ openDatabase }, { migrateToLatest }, { createServices }, { loadKeyring }] = await Promise.all([
    import('../../db/connect.js'),
    import('../../db/migrate.js'),
    import('../../services/index.js'),
    import('../../services/audit/audit-keys.js'),
  ]);
  const auditKeyring = loadKeyring({ key: config.audit.key, file: config.audit.keysFile, create: true });
  const handle = await openDatabase(config);
  try {
    if (config.migrate) await migrateToLatest(handle.db, { schema: handle.schema });
    else {
      const { pendingMigrations } = await import('../../db/migrate.js');
      const pending = await pendingMigrations(handle.db, { schema: handle.schema });
      if (pending.length > 0)
        throw new ExitError(
          1,
          `${pending.length} migration(s) pending and DMM_MIGRATE=off: run \`dmm migrate\` and \`dmm grant\` as the tables' owner first.`,
        );
    }
    const { loadLabels } = await import('../../services/briefs/labels.js');
    const labels = await loadLabels(config.profilesDir);
    const services = createServices({ db: handle.db, databaseKind: handle.kind, auditKeyring, labels });
    // A batch left running by a process that is gone is marked interrupted before anything reads it.
    await services.incidentImports.recoverInterrupted();
    return await fn(services);
  } finally {
    await handle.close();
  }
}

export async function resolveUnit(services: Services, code: string | undefined): Promise<Unit> {
  if (code) return services.units.getByCode(code);
  const units = await services.units.list();
  if (units.length === 1 && units[0]) return units[0];
  if (units.length === 0) throw new ExitError(2, 'There are no units yet. Create the demo with `dmm demo`.');
  throw new ExitError(
    2,
    `Several units exist; choose one with --unit (${units.map((u) => u.code).join(', ')}).`,
  );
}

interface Output {
  write(content: string | Buffer): Promise<void>;
  /** Removes a reserved file that was never written (the export failed). */
  abort(): Promise<void>;
}

/**
 * Reserves the --out file before any export runs, so an export that cannot be written is refused before it is
 * logged as a disclosure. Without --out, writes to stdout.
 */
export async function openOutput(io: CliIo, out: string | undefined): Promise<Output> {
  if (!out)
    return {
      write: async (content) => io.stdout(typeof content === 'string' ? content : content.toString('utf8')),
      abort: async () => {},
    };
  const file = await fs.open(out, 'wx').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EEXIST') throw new ExitError(2, `${out} already exists; choose another --out file.`);
    throw new ExitError(2, `Cannot create ${out}: ${error.message}`);
  });
  let written = false;
  return {
    write: async (content) => {
      await file.writeFile(content);
      await file.close();
      written = true;
    },
    abort: async () => {
      if (written) return;
      await file.close();
      await fs.rm(out, { force: true });
    },
  };
}

/** Runs an export into --out (or stdout), removing the reserved file if the export fails. */
export async function exportTo(
  io: CliIo,
  out: string | undefined,
  produce: () => Promise<string | Buffer>,
): Promise<void> {
  const output = await openOutput(io, out);
  try {
    await output.write(await produce());
  } catch (error) {
    await output.abort();
    throw error;
  }
}

/** Aligns rows into columns for terminal output. */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return `${rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

/** A table of `rows` under `header`, or the `empty` message (which says what to do next) when there are none. */
export function listing<T>(
  rows: readonly T[],
  empty: string,
  header: string[],
  toRow: (row: T) => string[],
): string {
  return rows.length === 0 ? `${empty}\n` : table([header, ...rows.map(toRow)]);
}

/** A positive whole number argument (an id). */
export function idArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError('expected an id (a positive whole number)');
  return n;
}

/** What every command module gets: the IO and a way to read the config (read only when a command runs). */
export interface CliContext {
  readonly io: CliIo;
  readonly config: () => Config;
}
