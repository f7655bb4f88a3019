/**
 * The CLI's start-up (issue 14): `dmm --help` and `dmm brief` on the demo, each the median wall time of 5 runs of
 * the installed entry point (bin/dmm.js on the compiled dist/), against `node -e 0` in the same run. Goals:
 * `--help` under 0.5 s, `brief` under 1.5 s on this machine.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Figure } from './figure.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const RUNS = 5;

function wallMs(args: readonly string[], env: Record<string, string>): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const ms = performance.now() - started;
  if (result.status !== 0)
    throw new Error(`${args.join(' ')} exited with ${result.status}: ${result.stderr}`);
  return ms;
}

function median(args: readonly string[], env: Record<string, string> = {}): number {
  const times = Array.from({ length: RUNS }, () => wallMs(args, env)).sort((a, b) => a - b);
  return Math.round(times[Math.floor(RUNS / 2)] ?? 0);
}

export async function runCliBench(): Promise<Figure[]> {
  const built = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'build.js'), '--if-stale'], {
    stdio: 'inherit',
  });
  if (built.status !== 0) throw new Error('the build failed');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dmm-cli-bench-'));
  try {
    const env = { DATA_DIR: dir, LOG_LEVEL: 'silent' };
    const node = median(['-e', '0']);
    const help = median(['bin/dmm.js', '--help']);
    wallMs(['bin/dmm.js', 'demo'], env);
    wallMs(['bin/dmm.js', 'brief'], env);
    const brief = median(['bin/dmm.js', 'brief'], env);
    const ratio = (value: number) => Number((value / node).toPrecision(2));
    return [
      {
        backend: 'pglite',
        name: 'dmm --help (median of 5)',
        value: help,
        unit: 'ms',
        baseline: { name: 'node -e 0', value: node, ratio: ratio(help) },
        goal: '< 500 ms',
      },
      {
        backend: 'pglite',
        name: 'dmm brief on the demo (median of 5)',
        value: brief,
        unit: 'ms',
        baseline: { name: 'node -e 0', value: node, ratio: ratio(brief) },
        goal: '< 1,500 ms',
      },
    ];
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
