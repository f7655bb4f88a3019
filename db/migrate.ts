/** Applies and inspects migrations; the same list runs on PGlite and PostgreSQL. */
import { type Kysely, Migrator, sql } from 'kysely';
import { migrationNames, migrationProvider } from './migrations/index.js';

export interface MigrationReport {
  readonly applied: readonly string[];
}

export class MigrationError extends Error {
  readonly code = 'MIGRATION_FAILED';
  constructor(
    readonly migration: string | undefined,
    cause: unknown,
  ) {
    super(
      `Migration ${migration ?? '(unknown)'} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
    this.name = 'MigrationError';
  }
}

export interface MigrateOptions {
  /**
   * Schema holding kysely's migration tables. Give it whenever the search path is not `public`: the migrator
   * otherwise finds its tables in any schema of the database and would skip creating its own.
   */
  readonly schema?: string | undefined;
}

async function createMigrator<DB>(db: Kysely<DB>, options: MigrateOptions): Promise<Migrator> {
  // Migrations are frozen in time and typed against no schema, so the handle's table types are erased here.
  const untyped = db as unknown as Kysely<unknown>;
  // kysely's migrator looks for its own tables in every schema; pin them to the schema we write to, or another
  // schema's migration tables in the same database would make it skip creating ours.
  const schema =
    options.schema ?? (await sql<{ s: string }>`select current_schema() as s`.execute(untyped)).rows[0]?.s;
  return new Migrator({
    db: untyped,
    provider: migrationProvider,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
}

/** Brings the schema up to date; returns the migrations it applied (none if already current). */
export async function migrateToLatest<DB>(
  db: Kysely<DB>,
  options: MigrateOptions = {},
): Promise<MigrationReport> {
  const { error, results } = await (await createMigrator(db, options)).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new MigrationError(failed?.migrationName, error);
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}

/** Names of known migrations not yet applied (empty when the schema is current). */
export async function pendingMigrations<DB>(db: Kysely<DB>, options: MigrateOptions = {}): Promise<string[]> {
  const all = await (await createMigrator(db, options)).getMigrations();
  const executed = new Set(all.filter((m) => m.executedAt !== undefined).map((m) => m.name));
  return migrationNames.filter((n) => !executed.has(n));
}
