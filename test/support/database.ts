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
export const BACKENDS: readonly Backend[] = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

let templateBytes: Promise<Buffer> | undefined;

async function openPglite(): Promise<DatabaseHandle> {
  templateBytes ??= fs.readFile(inject('pgliteTemplate'));
  const pglite = new PGlite({ loadDataDir: new Blob([await templateBytes]), parsers: { ...typeParsers } });
  await pglite.waitReady;
  return wrapPglite(pglite, 'pglite:test');
}

async function openPostgres(): Promise<DatabaseHandle & { schema: string }> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set');
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = connectPostgres({ url, maxConnections: 1 });
  await sql`create schema ${sql.id(schema)}`.execute(admin.db);
  await admin.close();
  const handle = connectPostgres({ url, schema, maxConnections: 5 });
  await migrateToLatest(handle.db, { schema });
  return {
    ...handle,
    schema,
    close: async () => {
      await handle.close();
      const cleanup = connectPostgres({ url, maxConnections: 1 });
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(cleanup.db);
      await cleanup.close();
    },
  };
}

export function openTestDatabase(backend: Backend): Promise<DatabaseHandle> {
  return backend === 'pglite' ? openPglite() : openPostgres();
}
