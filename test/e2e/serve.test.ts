/**
 * Real `dmm serve` processes over HTTP on loopback. On PGlite a second process on the same data directory
 * must exit with a clear message while the first keeps serving; on PostgreSQL replicas share one database.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createThrowawayPostgresDatabase } from '../support/database.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

interface Served {
  child: ChildProcess;
  url: string;
  output: () => string;
}

const running = new Set<ChildProcess>();

function startDmm(
  env: Record<string, string>,
  args: string[] = ['serve'],
): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli.ts', ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      PORT: '0',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  return { child, output: () => output, exited };
}

/** Starts `dmm serve` and resolves once it prints its URL (no sleeping: waits on the output event). */
async function serve(env: Record<string, string>): Promise<Served & { exited: Promise<number | null> }> {
  const started = startDmm(env);
  const url = await new Promise<string>((resolve, reject) => {
    const check = () => {
      const match = /running at (http:\/\/[^\s]+) /.exec(started.output());
      if (match?.[1]) resolve(match[1]);
    };
    started.child.stderr?.on('data', check);
    started.exited.then((code) => reject(new Error(`dmm serve exited with ${code}: ${started.output()}`)));
  });
  return { ...started, url };
}

afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
});

describe('dmm serve on the embedded database', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dmm-serve-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('refuses a second process on the same directory while the first keeps working, then hands over after stop', async () => {
    const first = await serve({ DATA_DIR: dir });
    expect(await (await fetch(`${first.url}/healthz`)).json()).toEqual({ status: 'ok' });
    // A platform whose settings are absent is not started, and the start-up message says how to start it.
    expect(first.output()).toMatch(/Slack: not started \(set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET/);
    expect(first.output()).toMatch(/Teams: not started \(set TEAMS_CLIENT_ID/);
    expect(await (await fetch(`${first.url}/readyz`)).json()).toEqual({
      status: 'ready',
      database: 'pglite',
      migrations: 'current',
    });

    const second = startDmm({ DATA_DIR: dir });
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(
      `The embedded database at ${path.join(dir, 'pglite')} is already open in another dmm process (pid ${first.child.pid})`,
    );
    expect(second.output()).toMatch(/set DATABASE_URL to use PostgreSQL/);

    const ready = await fetch(`${first.url}/readyz`);
    expect(ready.status).toBe(200);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toMatch(/"msg":"stopped"/);

    const third = await serve({ DATA_DIR: dir });
    expect((await fetch(`${third.url}/readyz`)).status).toBe(200);
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
  });

  it('answers unknown paths with 404 and wrong methods with 405', async () => {
    const other = await fs.mkdtemp(path.join(os.tmpdir(), 'dmm-serve-'));
    const app = await serve({ DATA_DIR: other });
    try {
      const missing = await fetch(`${app.url}/nope`);
      expect(missing.status).toBe(404);
      const wrong = await fetch(`${app.url}/healthz`, { method: 'POST' });
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('allow')).toBe('GET');
    } finally {
      app.child.kill('SIGTERM');
      await app.exited;
      await fs.rm(other, { recursive: true, force: true });
    }
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)('dmm serve on PostgreSQL', () => {
  let db: { url: string; drop: () => Promise<void> };
  beforeAll(async () => {
    db = await createThrowawayPostgresDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('runs two replicas on one database, both ready, never logging the password', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dmm-serve-'));
    // The test server trusts loopback, so a password in the URL is accepted and never checked.
    const withPassword = new URL(db.url);
    withPassword.password = 'not-a-real-secret-42';
    const a = await serve({ DATA_DIR: dir, DATABASE_URL: withPassword.toString() });
    const b = await serve({ DATA_DIR: dir, DATABASE_URL: withPassword.toString() });
    for (const replica of [a, b]) {
      expect(await (await fetch(`${replica.url}/readyz`)).json()).toEqual({
        status: 'ready',
        database: 'postgres',
        migrations: 'current',
      });
      replica.child.kill('SIGTERM');
      expect(await replica.exited).toBe(0);
    }
    expect(a.output()).toContain('"database":"postgres://postgres:***@');
    expect(a.output() + b.output()).not.toContain('not-a-real-secret-42');
    await fs.rm(dir, { recursive: true, force: true });
  });
});
