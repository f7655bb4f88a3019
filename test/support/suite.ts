/** Per-file database and services for a backend, opened before the file's tests and closed after. */
import { afterAll, beforeAll } from 'vitest';
import type { DatabaseHandle } from '../../db/connect.js';
import type { Clock } from '../../services/clock.js';
import { createServices, type Services } from '../../services/index.js';
import { type Backend, openTestDatabase } from './database.js';

export interface SuiteContext {
  handle: DatabaseHandle;
  services: Services;
}

export function useServices(backend: Backend, clock: Clock): SuiteContext {
  const ctx = {} as SuiteContext;
  beforeAll(async () => {
    ctx.handle = await openTestDatabase(backend);
    ctx.services = createServices({ db: ctx.handle.db, clock, databaseKind: ctx.handle.kind });
  });
  afterAll(async () => {
    await ctx.handle?.close();
  });
  return ctx;
}
