/**
 * The runtime as an operator meets it (issue 14, items 1 and 2; both fail on commit 54b6730, where `dmm` compiled
 * TypeScript at every start through tsx, and tsx relayed a terminal's Ctrl+C and then killed its child):
 * - the installed `dmm` runs compiled JavaScript: `--help` loads no TypeScript and no tsx, nor the database;
 * - `npm start` stops gracefully on every SIGINT and SIGTERM sent to its process group (what a terminal's Ctrl+C
 *   and a service manager do): each run logs "stopped" and exits 0, and nothing is lost: the imports sent during
 *   the runs are all stored, their batch ids have no gap (an unclean stop of the embedded database makes its
 *   sequences jump), and the audit chain verifies.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDmm } from '../support/cli.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const STOPS = Number(process.env.RUNTIME_STOPS ?? 20);

beforeAll(() => {
  const built = spawnSync(process.execPath, ['bin/build.js', '--if-stale'], { cwd: ROOT, encoding: 'utf8' });
  expect(built.status, built.stderr).toBe(0);
}, 120_000);

describe('the compiled runtime', () => {
  it('runs `dmm --help` on compiled JavaScript, loading no TypeScript, no tsx and no database', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dmm-loads-'));
    const record = path.join(dir, 'loads.txt');
    try {
      const run = spawnSync(
        process.execPath,
        ['--import', path.join(ROOT, 'test/support/record-loads.mjs'), 'bin/dmm.js', '--help'],
        { cwd: ROOT, env: { PATH: process.env.PATH ?? '', RECORD_LOADS: record }, encoding: 'utf8' },
      );
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/Usage: dmm/);
      const loaded = (await fs.readFile(record, 'utf8')).split('\n').filter(Boolean);
      expect(loaded.some((url) => url.endsWith('/dist/cli.js'))).toBe(true);
      expect(loaded.filter((url) => /\.ts$|\/tsx\/|esbuild/.test(url))).toEqual([]);
      expect(
        loaded.filter((url) => /@electric-sql\/pglite|\/pg\/|\/dist\/main\.js|botbuilder|@slack/.test(url)),
      ).toEqual([]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a port already in use', () => {
  it('says what to do (exit 1, no stack), and the embedded database is left free', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dmm-port-'));
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const env = { DATA_DIR: dir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent' };
      const run = await runDmm(env, 'serve');
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        new RegExp(
          `Port ${port} on 127.0.0.1 is already in use .* set PORT to a free port \\(PORT=0 picks one\\)`,
        ),
      );
      expect(run.stderr).not.toMatch(/\n\s+at |unexpected failure/);
      expect((await runDmm(env, 'units', 'list')).code).toBe(0);
    } finally {
      taken.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('stopping `npm start` as a terminal and a service manager do', () => {
  let dir: string;
  let token: string;
  const env = () => ({
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    DATA_DIR: dir,
    PORT: '0',
    LOG_LEVEL: 'info',
  });
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dmm-stop-'));
    expect((await runDmm(env(), 'demo')).code).toBe(0);
    const created = await runDmm(
      env(),
      'tokens',
      'create',
      '--name',
      'stop-test',
      '--unit',
      'demo',
      '--days',
      '1',
    );
    token = created.stdout.trim();
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** `npm start` in a process group of its own; resolves once it listens, with its URL. */
  async function start(): Promise<{
    child: ChildProcess;
    url: string;
    output: () => string;
    exited: Promise<number | null>;
  }> {
    const child = spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      env: env(),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    // Done when every process of the group has closed its output (npm may exit before the service it ran).
    const closed = (stream: NodeJS.ReadableStream | null) =>
      new Promise<void>((resolve) => (stream ? stream.once('close', () => resolve()) : resolve()));
    const exited = Promise.all([closed(child.stdout), closed(child.stderr)]).then(() => child.exitCode);
    const url = await new Promise<string>((resolve, reject) => {
      const check = () => {
        const match = /running at (http:\/\/[^\s]+) /.exec(output);
        if (match?.[1]) resolve(match[1]);
      };
      child.stderr?.on('data', check);
      child.stdout?.on('data', check);
      exited.then((code) => reject(new Error(`npm start exited with ${code}: ${output}`)));
    });
    return { child, url, output: () => output, exited };
  }

  it(`ends in a graceful stop on ${STOPS} SIGINTs and ${STOPS} SIGTERMs, with nothing lost`, {
    timeout: 600_000,
  }, async () => {
    const outcomes: string[] = [];
    let sent = 0;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      for (let i = 0; i < STOPS; i += 1) {
        const run = await start();
        // Work that must survive the stop: one incident through the ingest API.
        const response = await fetch(`${run.url}/api/v1/incidents?unit=demo`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify([
            {
              incident_ref: `STOP-${signal}-${i}`,
              opened_at: '2026-03-29T08:15:00Z',
              grade_initial: '2',
              opening_type: 'THEFT',
              nsir_chapter: 'crime',
            },
          ]),
        });
        expect(response.status).toBe(200);
        sent += 1;
        process.kill(-(run.child.pid as number), signal);
        await run.exited;
        outcomes.push(
          `${signal} ${i}: ${/"msg":"stopped"/.test(run.output()) ? 'stopped' : `NOT stopped: ${run.output().slice(-400)}`}`,
        );
      }
    }
    expect(outcomes.filter((o) => !o.endsWith(': stopped'))).toEqual([]);

    const batches = JSON.parse(
      (await runDmm(env(), 'import', 'batches', '--limit', '500', '--format', 'json')).stdout,
    ) as Array<{ batchId: number; status: string; inserted: number }>;
    const api = batches
      .filter((b) => b.inserted === 1)
      .map((b) => b.batchId)
      .sort((a, b) => a - b);
    expect(api).toHaveLength(sent);
    // Consecutive: the embedded database was closed cleanly every time (a crash makes sequences jump by 32).
    expect((api.at(-1) ?? 0) - (api[0] ?? 0)).toBe(sent - 1);
    expect(batches.every((b) => b.status === 'completed')).toBe(true);
    expect((await runDmm(env(), 'audit', 'verify')).code).toBe(0);
  });
});
