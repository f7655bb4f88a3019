/** A test file's scratch space for imports: a temporary directory for files, and a fresh unit per test. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Unit } from '../../services/units/unit.service.js';
import { operator } from './fixtures.js';
import type { SuiteContext } from './suite.js';

export interface ImportScratch {
  /** The temporary directory (removed after the file's tests). */
  readonly dir: () => string;
  /** A new unit, so each test counts only its own incidents. */
  readonly freshUnit: () => Promise<Unit>;
  /** Writes `content` to `name` in the directory and returns its path. */
  readonly write: (name: string, content: string | Buffer) => Promise<string>;
}

export function useImportScratch(ctx: SuiteContext, prefix: string): ImportScratch {
  let dir = '';
  let n = 0;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), `dmm-${prefix}-`));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });
  return {
    dir: () => dir,
    freshUnit: () => {
      n += 1;
      return ctx.services.units.create(operator, { code: `${prefix}-${n}`, name: `${prefix} ${n}` });
    },
    write: async (name, content) => {
      const file = path.join(dir, name);
      await fs.writeFile(file, content);
      return file;
    },
  };
}
