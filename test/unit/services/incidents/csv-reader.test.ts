import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CsvItem, readCsv } from '../../../../services/incidents/csv-reader.js';

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dmm-csv-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function readAll(content: string): Promise<CsvItem[]> {
  n += 1;
  const file = path.join(dir, `f${n}.csv`);
  await fs.writeFile(file, content);
  const items: CsvItem[] = [];
  for await (const item of readCsv(file, { encoding: 'utf-8', delimiter: ',', requiredColumns: ['a'] }))
    items.push(item);
  return items.sort((x, y) => x.rowNumber - y.rowNumber);
}

describe('readCsv', () => {
  it('numbers rows from 1 after the header and gives the starting line of multi-line records', async () => {
    const items = await readAll('a,b\n1,"two\nlines"\n3,4\n');
    expect(items.map((i) => [i.kind, i.rowNumber, i.lineNumber])).toEqual([
      ['record', 1, 2],
      ['record', 2, 4],
    ]);
  });

  it('loses nothing: the raw text of every record and reject, in order, is exactly the file after its header', async () => {
    const cell = fc.oneof(
      fc.constantFrom('', 'x', '"q"', '"a,b"', '"multi\nline"', '"bad"x', '"open', 'é', ' ', '""'),
      // Carriage returns and NUL are left out: the file scan refuses NUL, and a lone CR is a line ending choice.
      fc.string({ maxLength: 4 }).map((s) => s.replaceAll('\r', '').replaceAll('\u0000', '')),
    );
    const line = fc.array(cell, { minLength: 1, maxLength: 4 }).map((cells) => cells.join(','));
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 12 }), async (lines) => {
        const body = lines.map((l) => `${l}\n`).join('');
        const items = await readAll(`a,b,c\n${body}`);
        const rebuilt = items.map((i) => i.raw).join('');
        // Blank lines carry nothing and are skipped; everything else must come back byte for byte.
        expect(rebuilt.replace(/^\s*\n/gm, '')).toBe(body.replace(/^\s*\n/gm, ''));
      }),
      { numRuns: 150 },
    );
  });
});
