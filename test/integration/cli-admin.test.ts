/** Setting up a unit from the CLI, then following an action's history, on each backend. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../bot/cli/program.js';
import { BACKENDS, createThrowawayPostgresDatabase } from '../support/database.js';

async function run(env: Record<string, string>, ...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { env, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe.each(BACKENDS)('dmm admin commands on %s', (backend) => {
  let dir: string;
  let env: Record<string, string>;
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dmm-admin-'));
    env = { DATA_DIR: dir, LOG_LEVEL: 'silent' };
    if (backend === 'postgres') {
      const db = await createThrowawayPostgresDatabase();
      env.DATABASE_URL = db.url;
      drop = db.drop;
    }
  });
  afterAll(async () => {
    await drop?.();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('sets up a unit, a person with a linked identity and a role, and a priority; every step audited', async () => {
    expect((await run(env, 'units', 'list')).stdout).toMatch(/No units yet/);
    expect(
      (
        await run(
          env,
          'units',
          'create',
          '--code',
          'north',
          '--name',
          'North BCU',
          '--scheme',
          '4P',
          '--brief-time',
          '06:30',
        )
      ).stdout,
    ).toBe('Unit north created (id 1, Europe/London, brief at 06:30, 4P).\n');
    expect((await run(env, 'people', 'add', '--name', 'Duty Superintendent')).stdout).toMatch(
      /^Person 1 added/,
    );
    expect(
      (
        await run(
          env,
          'people',
          'link',
          '--person',
          '1',
          '--platform',
          'teams',
          '--tenant',
          'tid',
          '--external-id',
          'aad-1',
        )
      ).code,
    ).toBe(0);
    expect((await run(env, 'members', 'add', '--person', '1', '--role', 'chair')).stdout).toBe(
      'Person 1 is chair on north.\n',
    );
    expect((await run(env, 'members', 'list')).stdout).toMatch(/1\s+Duty Superintendent\s+chair/);
    expect(
      (
        await run(
          env,
          'priorities',
          'add',
          '--title',
          'Knife crime',
          '--morile',
          '500',
          '--keyword',
          'knife',
          '--keyword',
          'stab',
        )
      ).code,
    ).toBe(0);
    expect((await run(env, 'priorities', 'list')).stdout).toMatch(
      /1\s+500\s+\d{4}-\d{2}-\d{2}\s+-\s+Knife crime/,
    );
    expect((await run(env, 'priorities', 'retire', '1')).stdout).toBe('Priority 1 retired: Knife crime.\n');
    expect((await run(env, 'priorities', 'list')).stdout).toMatch(/No active priorities/);
    const audit = JSON.parse((await run(env, 'audit', 'export')).stdout) as Array<{
      entityType: string;
      actorLabel: string;
    }>;
    expect(audit.map((e) => e.entityType)).toEqual([
      'unit',
      'person',
      'identity',
      'membership',
      'priority',
      'priority',
    ]);
    expect(new Set(audit.map((e) => e.actorLabel)).size).toBe(1);
    expect(audit[0]?.actorLabel).toMatch(/^cli:/);
  });

  it('refuses bad input with the field or option named and exit 2', async () => {
    const zone = await run(env, 'units', 'create', '--code', 'x', '--name', 'X', '--time-zone', 'Mars/Base');
    expect(zone).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/timeZone: must be an IANA time zone/),
    });
    const role = await run(env, 'members', 'add', '--person', '1', '--role', 'boss');
    expect(role).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/Allowed choices are chair, action_manager/),
    });
    const person = await run(env, 'members', 'add', '--person', '99', '--role', 'member');
    expect(person).toMatchObject({ code: 2, stderr: expect.stringMatching(/Person 99 was not found/) });
    const id = await run(
      env,
      'people',
      'link',
      '--person',
      'one',
      '--platform',
      'slack',
      '--external-id',
      'U1',
    );
    expect(id).toMatchObject({ code: 2, stderr: expect.stringMatching(/expected an id/) });
  });

  it('asks which unit once there are several, and says when an action does not exist', async () => {
    expect((await run(env, 'units', 'create', '--code', 'south', '--name', 'South')).code).toBe(0);
    expect((await run(env, 'actions', 'show', 'A-999')).stderr).toMatch(/Action 999 was not found/);
    expect((await run(env, 'actions', 'list')).stderr).toMatch(/choose one with --unit \(north, south\)/);
  });
});
