import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addHealthRoutes } from '../../bot/http/health.routes.js';
import { createHttpServer } from '../../bot/http/server.js';
import { loadConfig } from '../../config.js';
import { wrapPglite } from '../../db/connect.js';
import { migrationNames } from '../../db/migrations/index.js';
import { createApp } from '../../main.js';
import { createFixedClock } from '../../services/clock.js';
import { createLogger } from '../../services/logger.js';

const silent = createLogger('silent');

describe('createApp on the embedded database', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dmm-app-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('starts with the demo, serves readiness, and stops idempotently; a new app can then open the same directory', async () => {
    const config = loadConfig({ DATA_DIR: dir, PORT: '0' });
    const app = createApp(config, {
      logger: silent,
      demo: true,
      clock: createFixedClock('2026-11-22T08:00:00Z'),
    });
    const { url } = await app.start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const units = await app.services?.units.list();
    expect(units?.map((u) => u.code)).toEqual(['demo']);
    await Promise.all([app.stop(), app.stop()]);
    await app.stop();
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    await expect(app.start()).rejects.toThrow(/stopped/);

    const again = createApp(config, { logger: silent, demo: true });
    await again.start();
    expect((await again.services?.units.list())?.length).toBe(1);
    await again.stop();
  });
});

describe('readiness', () => {
  it('is 503 naming the pending migrations on an unmigrated database, and 503 when the database is gone', async () => {
    const handle = wrapPglite(new PGlite(), 'pglite:memory');
    const server = createHttpServer(silent);
    const logs: string[] = [];
    addHealthRoutes(server, handle, createLogger('warn', { write: (line: string) => void logs.push(line) }));
    const url = await server.listen(0, '127.0.0.1');
    try {
      const pending = await fetch(`${url}/readyz`);
      expect(pending.status).toBe(503);
      expect(await pending.json()).toMatchObject({
        status: 'not_ready',
        reason: 'migrations pending',
        pending: [...migrationNames],
      });
      await handle.close();
      const gone = await fetch(`${url}/readyz`);
      expect(gone.status).toBe(503);
      // The database's own words stay in the log; the probe says only what and where to look.
      const body = await gone.json();
      expect(body).toEqual({
        status: 'not_ready',
        database: 'pglite',
        reason: 'database unreachable (details in the service log)',
      });
      expect(logs.join('\n')).toMatch(/readiness: the database did not answer/);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      await server.close(1000);
    }
  });

  it('answers 500 with a correlation id when a handler throws, and keeps serving', async () => {
    const server = createHttpServer(silent);
    server.route('GET', '/boom', () => {
      throw new Error('kaboom');
    });
    server.route('GET', '/fine', (_req, res) => {
      res.end('fine');
    });
    const url = await server.listen(0, '127.0.0.1');
    try {
      const boom = await fetch(`${url}/boom`);
      expect(boom.status).toBe(500);
      const body = (await boom.json()) as { error: string; correlationId: string };
      expect(body.error).toBe('internal_error');
      expect(body.correlationId).toBe(boom.headers.get('x-correlation-id'));
      expect(JSON.stringify(body)).not.toContain('kaboom');
      expect(await (await fetch(`${url}/fine`)).text()).toBe('fine');
    } finally {
      await server.close(1000);
    }
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)('migrations on a shared PostgreSQL database', () => {
  it("migrate the default schema even when another schema already holds kysely's migration tables", async () => {
    const { createThrowawayPostgresDatabase } = await import('../support/database.js');
    const { connectPostgres } = await import('../../db/connect.js');
    const { migrateToLatest, pendingMigrations } = await import('../../db/migrate.js');
    const { sql } = await import('kysely');
    const db = await createThrowawayPostgresDatabase();
    try {
      const other = connectPostgres({ url: db.url, schema: 'other' });
      await sql`create schema other`.execute(other.db);
      await migrateToLatest(other.db, { schema: 'other' });
      await other.close();
      const main = connectPostgres({ url: db.url });
      try {
        expect((await migrateToLatest(main.db)).applied).toEqual([...migrationNames]);
        expect(await pendingMigrations(main.db)).toEqual([]);
      } finally {
        await main.close();
      }
    } finally {
      await db.drop();
    }
  });
});
