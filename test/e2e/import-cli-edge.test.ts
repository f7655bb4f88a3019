/**
 * The import from the command line, tried as an operator and a hostile file would (issue 13, item 9; each fails
 * on commit 54b6730): a wrong column set is bad input (exit 2) and leaves no batch; a Latin-1 byte is reported
 * where it is; `dmm import rejects N | head` ends quietly; control characters from data never reach the
 * terminal raw; an import whose process is killed is marked interrupted, with the counts of what it stored, by
 * the next command that opens the database. Real `dmm` processes for the pipe and the kill.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { openDatabase } from '../../db/connect.js';
import { runDmm, useCliEnvironment } from '../support/cli.js';
import { BACKENDS } from '../support/database.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const HEADER = 'incident_ref,opened_at,grade_initial,opening_type,nsir_chapter,area';
const row = (ref: string, opened = '2026-03-29T08:15:00+01:00', area = 'North') =>
  `${ref},${opened},2,THEFT,crime,${area}`;

function dmmProcess(
  env: Record<string, string>,
  args: string[],
): { child: ChildProcess; exited: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

describe.each(BACKENDS)('the import from the command line on %s', (backend) => {
  const cli = useCliEnvironment(backend);
  let n = 0;
  const file = async (content: string | Buffer) => {
    n += 1;
    const name = path.join(cli.dir, `in-${n}.csv`);
    await fs.writeFile(name, content);
    return name;
  };
  const batches = async () =>
    JSON.parse((await runDmm(cli.env, 'import', 'batches', '--format', 'json')).stdout) as Array<{
      batchId: number;
      status: string;
      read: number;
      inserted: number;
      rejected: number;
      failure: string | null;
    }>;

  beforeAll(async () => {
    expect((await runDmm(cli.env, 'units', 'create', '--code', 'cli-edge', '--name', 'CLI edge')).code).toBe(
      0,
    );
  });

  it('treats a wrong column set as bad input: exit 2, the columns named, and no batch stored', async () => {
    const f = await file(`ref,when,grade\n1,2026-03-29T08:15:00Z,2\n`);
    const run = await runDmm(cli.env, 'import', 'incidents', f, '--profile', 'generic-uk-cad');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/missing column\(s\): incident_ref, opened_at/);
    expect(await batches()).toEqual([]);
  });

  it('reports a Latin-1 byte at the byte where it is', async () => {
    const head = Buffer.from(`${HEADER}\n`);
    const rows: string[] = [];
    let size = head.length;
    for (let i = 0; size < 400; i += 1) {
      const r = `${row(`L-${i}`)}\n`;
      rows.push(r);
      size += r.length;
    }
    const before = Buffer.concat([head, Buffer.from(rows.join(''))]);
    const f = await file(
      Buffer.concat([
        before,
        Buffer.from(`${row('L-x', undefined, 'Caf\xe9 Quarter')}\n${row('L-y')}\n`, 'latin1'),
      ]),
    );
    const at = before.length + row('L-x', undefined, 'Caf').length;
    const run = await runDmm(cli.env, 'import', 'incidents', f, '--profile', 'generic-uk-cad');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`not valid UTF-8 (at byte ${at})`);
  });

  it('shows control characters from data as visible escapes, never raw', async () => {
    const f = await file(
      `${HEADER}\n${row('C-1', '\x1b[2J\x1b]0;pwned\x07')}\n${row('C-2', undefined, 'Safe\x9b31m')}\n`,
    );
    const imported = await runDmm(cli.env, 'import', 'incidents', f, '--profile', 'generic-uk-cad');
    expect(imported.stdout).toMatch(/rejected 1/);
    const batchId = (await batches())[0]?.batchId as number;
    for (const format of ['text', 'json']) {
      const run = await runDmm(cli.env, 'import', 'rejects', String(batchId), '--format', format);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for the raw control characters.
      expect(run.stdout).not.toMatch(/[\x07\x1b\x9b]/);
      expect(run.stdout).toContain('\\u001b');
      if (format === 'json') expect(JSON.parse(run.stdout)[0].reason).toContain('\x1b[2J');
    }
  });

  it('ends quietly when the reader of its output stops early (| head)', { timeout: 60_000 }, async () => {
    const f = await file(
      [HEADER, ...Array.from({ length: 3000 }, (_, i) => row(`P-${i}`, 'not a time')), ''].join('\n'),
    );
    await runDmm(cli.env, 'import', 'incidents', f, '--profile', 'generic-uk-cad');
    const batchId = (await batches())[0]?.batchId as number;
    const dmm = dmmProcess(cli.env, ['import', 'rejects', String(batchId)]);
    // What `head -n 1` does: read a first piece, then close the pipe.
    await new Promise<void>((resolve) => dmm.child.stdout?.once('data', () => resolve()));
    dmm.child.stdout?.destroy();
    expect(await dmm.exited).toBe(0);
    expect(dmm.stderr()).not.toMatch(/EPIPE|Error/);
  });

  it('marks an import whose process was killed as interrupted, with the counts of what it stored', {
    timeout: 90_000,
  }, async () => {
    const rows = Array.from({ length: 60_000 }, (_, i) =>
      row(`K-${i}`, i % 1000 === 7 ? 'not a time' : '2026-03-29T08:15:00+01:00'),
    );
    const f = await file([HEADER, ...rows, ''].join('\n'));
    const dmm = dmmProcess(cli.env, ['import', 'incidents', f, '--profile', 'generic-uk-cad', '--progress']);
    await new Promise<void>((resolve, reject) => {
      dmm.child.stderr?.on('data', () => {
        if ((dmm.stderr().match(/^progress:/gm) ?? []).length >= 3) resolve();
      });
      dmm.exited.then(() => reject(new Error(`the import ended before it was killed: ${dmm.stderr()}`)));
    });
    dmm.child.kill('SIGKILL');
    await dmm.exited;

    const [latest] = await batches();
    expect(latest).toMatchObject({
      status: 'interrupted',
      failure: expect.stringMatching(/import the same file again/),
    });
    const handle = await openDatabase(loadConfig(cli.env));
    try {
      const stored = await handle.db
        .selectFrom('incidents')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('import_batch_id', '=', latest?.batchId as number)
        .executeTakeFirstOrThrow();
      const rejects = await handle.db
        .selectFrom('import_rejects')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('batch_id', '=', latest?.batchId as number)
        .executeTakeFirstOrThrow();
      // PostgreSQL keeps every chunk that committed. PGlite may lose the last chunks' asynchronous commits with
      // the process (their counts go with them): either way the counts are exactly what is stored.
      if (backend === 'postgres') expect(latest?.inserted).toBeGreaterThan(0);
      expect(latest?.inserted).toBeLessThan(60_000);
      expect(latest?.inserted).toBe(Number(stored.n));
      expect(latest?.rejected).toBe(Number(rejects.n));
      expect(latest?.read).toBe((latest?.inserted ?? 0) + (latest?.rejected ?? 0));
    } finally {
      await handle.close();
    }
    // Importing the same file again completes it.
    const again = await runDmm(cli.env, 'import', 'incidents', f, '--profile', 'generic-uk-cad');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`inserted ${60_000 - 60 - (latest?.inserted ?? 0)}, `));
  });
});

afterAll(() => {});
