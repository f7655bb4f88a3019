/**
 * The one connection factory. Embedded PGlite (default) persisted to a directory guarded by a lock file, or
 * PostgreSQL through a `pg` pool when a URL is given. Both get the same type parsers and the same migrations.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import lockfile from 'proper-lockfile';
import { redactUrl } from '../config.js';
import type { Database } from './database.js';
import { PGliteDialect } from './pglite-dialect.js';
import { typeParsers } from './type-parsers.js';

export type DatabaseKind = 'pglite' | 'postgres';

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly kind: DatabaseKind;
  /** Human-readable location for logs (never includes a password). */
  readonly location: string;
  /** The schema first on the search path, when not the default (pass it to the migrator). */
  readonly schema?: string | undefined;
  /** Closes the connection(s) and releases the directory lock. Safe to call twice. */
  close(): Promise<void>;
}

export class DatabaseLockedError extends Error {
  override readonly name = 'DatabaseLockedError';
  readonly code = 'DATABASE_LOCKED';
  constructor(
    readonly directory: string,
    readonly holderPid: number | undefined,
  ) {
    super(
      `The embedded database at ${directory} is already open in another dmm process` +
        (holderPid ? ` (pid ${holderPid})` : '') +
        '. PGlite allows one process at a time: stop that process first, or set DATABASE_URL to use PostgreSQL.',
    );
    this.name = 'DatabaseLockedError';
  }
}

export interface PgliteOptions {
  /** Directory to persist to. */
  readonly directory: string;
  /** Called if the lock is lost (e.g. its file was removed): the process must stop writing. */
  readonly onLockCompromised?: (error: Error) => void;
}

/** Whether a process with this id runs on this machine (EPERM: it does, under another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Opens (creating if needed) an embedded database in `directory`, refusing if another process holds it. */
export async function connectPglite(options: PgliteOptions): Promise<DatabaseHandle> {
  const directory = path.resolve(options.directory);
  await fs.mkdir(directory, { recursive: true });
  const pidFile = path.join(directory, 'dmm.pid');
  let release: () => Promise<void>;
  const lock = () =>
    // PGlite itself puts no lock on its directory and two processes would corrupt it, so take our own.
    // proper-lockfile uses an atomic mkdir and refreshes its mtime, so a crashed holder's lock goes stale.
    lockfile.lock(directory, {
      lockfilePath: path.join(directory, 'dmm.lock'),
      stale: 30_000,
      update: 10_000,
      retries: 0,
      realpath: false,
      onCompromised: (error) => {
        if (options.onLockCompromised) options.onLockCompromised(error);
        else throw error;
      },
    });
  try {
    release = await lock();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    const pid = Number.parseInt(await fs.readFile(pidFile, 'utf8').catch(() => ''), 10);
    // A holder that was killed (kill -9, a crash) leaves its lock until it goes stale (30 s); when the process
    // it names is gone from this machine, the lock is taken over at once.
    if (!Number.isFinite(pid) || processAlive(pid))
      throw new DatabaseLockedError(directory, Number.isFinite(pid) ? pid : undefined);
    // Two processes starting in the same few milliseconds after a crash could both get here; that window is
    // accepted (a service manager starts one).
    await fs.rm(path.join(directory, 'dmm.lock'), { recursive: true, force: true });
    try {
      release = await lock();
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code === 'ELOCKED')
        throw new DatabaseLockedError(directory, undefined);
      throw again;
    }
  }
  await fs.writeFile(pidFile, String(process.pid));
  try {
    const pglite = new PGlite({ dataDir: path.join(directory, 'pgdata'), parsers: { ...typeParsers } });
    await pglite.waitReady;
    return wrapPglite(pglite, `pglite:${directory}`, async () => {
      await fs.rm(pidFile, { force: true });
      await release();
    });
  } catch (error) {
    await release();
    throw error;
  }
}

/**
 * Wraps an already created PGlite instance (tests load a migrated template with `loadDataDir`). The caller
 * must have created it with `typeParsers`.
 */
export function wrapPglite(pglite: PGlite, location: string, onClose?: () => Promise<void>): DatabaseHandle {
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
  return {
    db,
    kind: 'pglite',
    location,
    close: once(async () => {
      await db.destroy();
      await onClose?.();
    }),
  };
}

export interface PostgresOptions {
  readonly url: string;
  /** Schema to put first on the search path (tests use a throw-away schema per file). */
  readonly schema?: string;
  readonly maxConnections?: number;
}

/** Connects to PostgreSQL with a pool; nothing is sent until the first query. */
export function connectPostgres(options: PostgresOptions): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    options: [
      ...(options.schema ? [`-c search_path=${quoteIdent(options.schema)}`] : []),
      // Settings for this service's queries, on every connection (no round trip per query to set them):
      // - no JIT compilation: it cost more than it saved on every query measured (a day's window of 100,000
      //   incidents: 113 ms with it, 88 without; a first query paid 60 ms more to compile);
      // - no parallel plans: with them the planner came to prefer a parallel scan of every incident of a unit over
      //   one index range per window, and counting 28 windows took 16 s instead of 0.4 s.
      '-c jit=off',
      '-c max_parallel_workers_per_gather=0',
    ].join(' '),
    types: { getTypeParser: getPgTypeParser },
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    kind: 'postgres',
    location: redactUrl(options.url),
    schema: options.schema,
    close: once(() => db.destroy()),
  };
}

function getPgTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  const own = typeParsers[oid];
  if (own && (format ?? 'text') === 'text') return own;
  // biome-ignore lint/suspicious/noExplicitAny: pg's overloaded getTypeParser signature needs a loose call here.
  return (pg.types.getTypeParser as any)(oid, format);
}

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`invalid schema name '${name}'`);
  return name;
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= fn();
    return done;
  };
}

/** Opens the database the config names: PostgreSQL when `databaseUrl` is set, else embedded PGlite. */
export async function openDatabase(
  config: { readonly databaseUrl: string | undefined; readonly pgliteDir: string },
  options: { onLockCompromised?: (error: Error) => void } = {},
): Promise<DatabaseHandle> {
  if (config.databaseUrl) return connectPostgres({ url: config.databaseUrl });
  return connectPglite({
    directory: config.pgliteDir,
    ...(options.onLockCompromised ? { onLockCompromised: options.onLockCompromised } : {}),
  });
}
