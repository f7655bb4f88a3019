/**
 * `npm run bench`: runs every benchmark, prints the figures with their baselines, writes them as JSON to
 * bench/out/results.json, and rewrites bench/RESULTS.md with the command and the machine.
 * PostgreSQL figures need BENCH_DATABASE_URL or TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Figure } from './figure.js';
import { runFoundationBench } from './foundation.bench.js';
import { runIncidentBench } from './incidents.bench.js';

const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
// PostgreSQL figures first: the PGlite instances of the foundation bench would otherwise inflate the import's
// peak RSS (WebAssembly memory is not handed back to the OS when PGlite closes).
const figures: Figure[] = [];
const only = process.env.BENCH_ONLY;
if (url && (!only || only === 'incidents')) figures.push(...(await runIncidentBench(url)));
// After the import, whose peak RSS it would otherwise inflate (the app, Bolt and botbuilder stay loaded).
if (url && (!only || only === 'slack')) {
  const { runSlackBench } = await import('./slack.bench.js');
  figures.push(...(await runSlackBench(url)));
}
if (!url) console.log('(PostgreSQL figures skipped: set BENCH_DATABASE_URL or TEST_DATABASE_URL)');
if (url && (!only || only === 'fanout')) {
  const { runFanoutBench } = await import('./fanout.bench.js');
  figures.push(...(await runFanoutBench(url)));
}
if (!only || only === 'foundation') figures.push(...(await runFoundationBench()));
if (!only || only === 'cli') {
  const { runCliBench } = await import('./cli.bench.js');
  figures.push(...(await runCliBench()));
}

const line = (f: Figure) =>
  `[${f.backend}] ${f.name}: ${f.value.toLocaleString('en-GB')} ${f.unit}` +
  (f.baseline
    ? ` (baseline ${f.baseline.name}: ${f.baseline.value.toLocaleString('en-GB')}; ratio ${f.baseline.ratio}x)`
    : '') +
  (f.goal ? ` [goal ${f.goal}]` : '');
for (const f of figures) console.log(line(f));

const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 1_073_741_824)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}`;
const at = new Date().toISOString();
const outDir = path.join(import.meta.dirname, 'out');
await fs.mkdir(outDir, { recursive: true });
await fs.writeFile(
  path.join(outDir, 'results.json'),
  `${JSON.stringify({ at, machine, figures }, null, 2)}\n`,
);
const md = [
  '# Benchmark results',
  '',
  `Latest run: ${at}`,
  '',
  `Command: \`${url ? 'TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test ' : ''}npm run bench\``,
  '',
  `Machine: ${machine}; PostgreSQL ${url ? 'server on 127.0.0.1:5432' : 'not used'}.`,
  '',
  '| backend | figure | value | baseline | ratio | goal |',
  '| --- | --- | ---: | --- | ---: | --- |',
  ...figures.map(
    (f) =>
      `| ${f.backend} | ${f.name} | ${f.value.toLocaleString('en-GB')} ${f.unit} | ${f.baseline ? `${f.baseline.name}: ${f.baseline.value.toLocaleString('en-GB')}` : ''} | ${f.baseline ? `${f.baseline.ratio}x` : ''} | ${f.goal ?? ''} |`,
  ),
  '',
];
await fs.writeFile(path.join(import.meta.dirname, 'RESULTS.md'), md.join('\n'));
console.log('written bench/out/results.json and bench/RESULTS.md');
