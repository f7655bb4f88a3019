/** A throw-away PostgreSQL database for a bench that runs the whole app by URL; dropped (with force) after. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Config, loadConfig } from '../config.js';

/** The service's settings for a bench run by URL: its database, a data folder, silent, no console; plus `extra`. */
export function benchConfig(databaseUrl: string, dataDir: string, extra: Record<string, string>): Config {
  return loadConfig({
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: 'silent',
    DMM_CONSOLE: 'off',
    ...extra,
  });
}

export async function throwawayDatabase(
  url: string,
  prefix: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
