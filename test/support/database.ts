/**
 * Test databases: every suite runs on PGlite, and also on PostgreSQL when TEST_DATABASE_URL is set. Each call
 * to `openTestDatabase` gets a private database (a PGlite copy of the migrated template, or a fresh schema in
 * the PostgreSQL test database), so test files never share state.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'kysely';
import { inject } from 'vitest';
import { connectPostgres, type DatabaseHandle, wrapPglite } from '../../db/connect.js';
import { migrateToLatest } from '../../db/migrate.js';
import { typeParsers } from '../../db/type-parsers.js';

export type Backend = 'pglite' | 'postgres';

/** The backends to run on: PGlite always, PostgreSQL when TEST_DATABASE_URL is set. */
export const BACKENDS: readonly Backend[] = process.env.TEST_DATABASE_URL
  ? ['pglite', 'postgres']
  : ['pglite'];

let templateBytes: Promise<Buffer> | undefined;

async function openPglite(): Promise<DatabaseHandle> {
  templateBytes ??= fs.readFile(inject('pgliteTemplate'));
  const pglite = new PGlite({ loadDataDir: new Blob([await templateBytes]), parsers: { ...typeParsers } });
  await pglite.waitReady;
  return wrapPglite(pglite, 'pglite:test');
}

/** Whether the error is another test file's schema vanishing under an introspection query. */
function droppedMeanwhile(error: unknown, ours: string): boolean {
  const text = `${(error as Error)?.message ?? ''} ${(error as { cause?: Error })?.cause?.message ?? ''}`;
  const gone = /schema "(t_[0-9a-f]+)" does not exist/.exec(text)?.[1];
  return gone !== undefined && gone !== ours;
}

async function openPostgres(): Promise<DatabaseHandle & { schema: string }> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set');
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = connectPostgres({ url, maxConnections: 1 });
  await sql`create schema ${sql.id(schema)}`.execute(admin.db);
  await admin.close();
  const handle = connectPostgres({ url, schema, maxConnections: 5 });
  const close = async () => {
    await handle.close();
    const cleanup = connectPostgres({ url, maxConnections: 1 });
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(cleanup.db);
    await cleanup.close();
  };
  for (let attempt = 1; ; attempt += 1) {
    try {
      await migrateToLatest(handle.db, { schema });
      break;
    } catch (error) {
      // Kysely's migrator introspects the tables of every schema in the database; another test file dropping
      // its own schema at that moment makes the query fail naming that schema. Nothing of ours is wrong: again.
      if (attempt < 5 && droppedMeanwhile(error, schema)) continue;
      // The caller never gets a handle to close, so drop the schema here rather than leave it behind.
      await close();
      throw error;
    }
  }
  return { ...handle, schema, close };
}

export function openTestDatabase(backend: Backend): Promise<DatabaseHandle> {
  return backend === 'pglite' ? openPglite() : openPostgres();
}

/**
 * A throw-away PostgreSQL database (not just a schema) for code that connects by URL on its own, such as the
 * CLI and `dmm serve`. Returns its URL and a function that drops it.
 */
export async function createThrowawayPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error('TEST_DATABASE_URL is not set');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = connectPostgres({ url: base, maxConnections: 1 });
  await sql`create database ${sql.id(name)}`.execute(admin.db);
  await admin.close();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const cleanup = connectPostgres({ url: base, maxConnections: 1 });
      await sql`drop database if exists ${sql.id(name)} with (force)`.execute(cleanup.db);
      await cleanup.close();
    },
  };
}
