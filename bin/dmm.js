#!/usr/bin/env node
// Installed entry point: runs the compiled CLI (dist/, built by `npm run build`, which `npm install` and
// `npm start` run). No TypeScript is compiled at start.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const cli = path.join(import.meta.dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('dmm: the service is not built yet. Run `npm run build` (npm install does it too).\n');
  process.exit(1);
}
await import(pathToFileURL(cli).href);
