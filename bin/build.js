#!/usr/bin/env node
// Compiles the service and the CLI to JavaScript in dist/ (tsc, once) and copies the files they read at run time
// beside them, so `dmm` starts Node on plain JavaScript instead of compiling TypeScript at every start.
// `--if-stale` builds only when a source file is newer than the last build (what `npm start` runs first).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');
const stamp = path.join(dist, '.built');
const SOURCES = [
  'cli.ts',
  'main.ts',
  'config.ts',
  'bot',
  'services',
  'cards',
  'jobs',
  'db',
  'tsconfig.json',
  'tsconfig.build.json',
];
/** Files read at run time, next to the modules that read them. */
const ASSETS = ['services/incidents/profiles', 'bot/console/public', 'bot/teams/assets'];

function newest(entry) {
  const full = path.join(root, entry);
  const stat = fs.statSync(full, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const child of fs.readdirSync(full)) latest = Math.max(latest, newest(path.join(entry, child)));
  return latest;
}

if (process.argv.includes('--if-stale')) {
  const built = fs.statSync(stamp, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (built > 0 && [...SOURCES, ...ASSETS].every((entry) => newest(entry) <= built)) process.exit(0);
}

const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (!fs.existsSync(tsc)) {
  console.error('dmm: cannot build: TypeScript is not installed. Run `npm install` first.');
  process.exit(1);
}
const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
if (result.status !== 0) process.exit(result.status ?? 1);
for (const asset of ASSETS) {
  fs.rmSync(path.join(dist, asset), { recursive: true, force: true });
  fs.cpSync(path.join(root, asset), path.join(dist, asset), { recursive: true });
}
fs.writeFileSync(stamp, `${new Date().toISOString()}\n`);
