/**
 * A real app (HTTP on loopback) for an end-to-end test file, on PGlite in a temporary directory or on a
 * throw-away PostgreSQL database; started before the file's tests and stopped (and dropped) after.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig } from '../../config.js';
import { type App, createApp } from '../../main.js';
import type { Clock } from '../../services/clock.js';
import type { Services } from '../../services/index.js';
import { createLogger } from '../../services/logger.js';
import { type Backend, createThrowawayPostgresDatabase } from './database.js';

export interface AppContext {
  app: App;
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  services: Services;
}

export function useApp(
  backend: Backend,
  clock: Clock,
  env: Record<string, string> | (() => Record<string, string>) = {},
  /** Collects the app's log lines at warn level and above (JSON), for tests that check what was logged. */
  logs?: string[],
): AppContext {
  const ctx = {} as AppContext;
  let dir: string | undefined;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dmm-app-'));
    const settings: Record<string, string> = {
      DATA_DIR: dir,
      PORT: '0',
      LOG_LEVEL: 'silent',
      // The scheduler runs on the real minute; a test that wants it turns it on and drives it with its clock.
      DMM_JOBS: 'off',
      ...(typeof env === 'function' ? env() : env),
    };
    if (backend === 'postgres') {
      const db = await createThrowawayPostgresDatabase();
      settings.DATABASE_URL = db.url;
      drop = db.drop;
    }
    const logger = logs
      ? createLogger('warn', { write: (line: string) => void logs.push(line) })
      : createLogger('silent');
    ctx.app = createApp(loadConfig(settings), { logger, clock });
    ctx.url = (await ctx.app.start()).url;
    ctx.services = ctx.app.services as Services;
  });
  afterAll(async () => {
    await ctx.app?.stop();
    await drop?.();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });
  return ctx;
}
