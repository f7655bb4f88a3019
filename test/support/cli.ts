/** Runs the `dmm` CLI in-process with captured output, against a private DATA_DIR (and PostgreSQL database). */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { runCli } from '../../bot/cli/program.js';
import { type Backend, createThrowawayPostgresDatabase } from './database.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** What every export must say (DPA 2018 s.62): who receives it and why. */
export const DISCLOSURE = [
  '--recipient',
  'Professional Standards',
  '--justification',
  'test disclosure',
] as const;

export async function runDmm(env: Record<string, string>, ...argv: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { env, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

/** A fresh environment for the file's CLI runs: DATA_DIR in a temp folder, plus DATABASE_URL on PostgreSQL. */
export function useCliEnvironment(backend: Backend): { env: Record<string, string>; dir: string } {
  const ctx = { env: {} as Record<string, string>, dir: '' };
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ctx.dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dmm-cli-'));
    Object.assign(ctx.env, { DATA_DIR: ctx.dir, LOG_LEVEL: 'silent' });
    if (backend === 'postgres') {
      const db = await createThrowawayPostgresDatabase();
      ctx.env.DATABASE_URL = db.url;
      drop = db.drop;
    }
  });
  afterAll(async () => {
    await drop?.();
    await fs.rm(ctx.dir, { recursive: true, force: true });
  });
  return ctx;
}
