/**
 * What docs/deploy.md tells an operator to do, done (issue 14, "Deployment guide"): a PostgreSQL backup
 * (pg_dump) restored into a fresh database verifies with the same audit keys and checkpoints, and so does a copy
 * of the embedded database's data directory taken while the service is stopped.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPostgres } from '../../db/connect.js';
import { DISCLOSURE, runDmm } from '../support/cli.js';

const base = process.env.TEST_DATABASE_URL;

describe('backups that verify', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dmm-backup-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it.skipIf(!base)(
    'restores a pg_dump of the database into a fresh one, and the audit chain verifies there',
    async () => {
      const admin = connectPostgres({ url: base as string, maxConnections: 1 });
      const [from, to] = [`bk_${randomBytes(4).toString('hex')}`, `rs_${randomBytes(4).toString('hex')}`];
      const urlOf = (name: string) => {
        const url = new URL(base as string);
        url.pathname = `/${name}`;
        return url.toString();
      };
      try {
        await sql.raw(`create database ${from}`).execute(admin.db);
        await sql.raw(`create database ${to}`).execute(admin.db);
        const env = { DATA_DIR: path.join(dir, 'pg'), LOG_LEVEL: 'silent', DATABASE_URL: urlOf(from) };
        expect((await runDmm(env, 'demo')).code).toBe(0);
        expect((await runDmm(env, 'audit', 'checkpoint')).code).toBe(0);
        const dump = path.join(dir, 'dmm.dump');
        const dumped = spawnSync('pg_dump', ['--format=custom', `--file=${dump}`, urlOf(from)], {
          encoding: 'utf8',
        });
        expect(dumped.status, dumped.stderr).toBe(0);
        const restored = spawnSync('pg_restore', ['--no-owner', `--dbname=${urlOf(to)}`, dump], {
          encoding: 'utf8',
        });
        expect(restored.status, restored.stderr).toBe(0);
        const verified = await runDmm({ ...env, DATABASE_URL: urlOf(to) }, 'audit', 'verify');
        expect(verified).toMatchObject({
          code: 0,
          stdout: expect.stringMatching(/intact: \d+ events verified, against 1 checkpoint/),
        });
      } finally {
        await sql.raw(`drop database if exists ${from} with (force)`).execute(admin.db);
        await sql.raw(`drop database if exists ${to} with (force)`).execute(admin.db);
        await admin.close();
      }
    },
  );

  it('copies the embedded database while it is stopped, and the copy verifies', async () => {
    const original = path.join(dir, 'pglite-original');
    const env = { DATA_DIR: original, LOG_LEVEL: 'silent' };
    expect((await runDmm(env, 'demo')).code).toBe(0);
    expect(
      (await runDmm(env, 'audit', 'export', '--out', path.join(dir, 'audit.json'), ...DISCLOSURE)).code,
    ).toBe(0);
    // The day's minutes carry signed checkpoints of the chain as the meeting closed and as the chair approved
    // them; each line copied into a file verifies as a checkpoint.
    const minutes = await runDmm(env, 'minutes');
    const lines = [...minutes.stdout.matchAll(/^_?(\{"seq".*\})_?$/gm)].map((m) => m[1]);
    expect(minutes.stdout).toMatch(/Audit checkpoint at close \(event \d+;/);
    expect(minutes.stdout).toMatch(/Audit checkpoint at approval \(event \d+;/);
    expect(lines).toHaveLength(2);
    const fromMinutes = path.join(dir, 'from-minutes.jsonl');
    await fs.writeFile(fromMinutes, `${lines.join('\n')}\n`);
    expect(await runDmm(env, 'audit', 'verify', '--checkpoints', fromMinutes)).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/against 3 checkpoint/),
    });
    const copy = path.join(dir, 'pglite-copy');
    await fs.cp(original, copy, { recursive: true });
    const verified = await runDmm({ ...env, DATA_DIR: copy }, 'audit', 'verify');
    expect(verified).toMatchObject({ code: 0, stdout: expect.stringMatching(/against 1 checkpoint/) });
  });
});
