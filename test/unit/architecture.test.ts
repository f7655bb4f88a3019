/**
 * The layout rules that keep a platform move cheap: only `bot/slack/` imports Bolt, only `bot/teams/` imports
 * botbuilder (archived upstream), and the domain (`services/`) imports no adapter, card or platform SDK.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SOURCE_DIRS = ['bot', 'services', 'cards', 'jobs', 'db'];

function sources(): Array<{ file: string; text: string }> {
  const out: Array<{ file: string; text: string }> = [];
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(ts|js|mjs)$/.test(entry.name))
        out.push({ file: path.relative(ROOT, full), text: fs.readFileSync(full, 'utf8') });
    }
  };
  for (const dir of SOURCE_DIRS) walk(path.join(ROOT, dir));
  for (const file of ['main.ts', 'config.ts', 'cli.ts'])
    out.push({ file, text: fs.readFileSync(path.join(ROOT, file), 'utf8') });
  return out;
}

const importsOf = (text: string) => [...text.matchAll(/from\s+'([^']+)'/g)].map((m) => m[1] as string);

describe('the layout', () => {
  const files = sources();

  it('finds the sources it checks', () => {
    expect(files.some((f) => f.file === path.join('bot', 'teams', 'teams.app.ts'))).toBe(true);
    expect(files.length).toBeGreaterThan(50);
  });

  it('keeps every botbuilder import inside bot/teams and every Bolt import inside bot/slack', () => {
    const misplaced = files.flatMap((f) =>
      importsOf(f.text)
        .filter(
          (m) =>
            (/^botbuilder|^botframework/.test(m) && !f.file.startsWith(path.join('bot', 'teams'))) ||
            (/^@slack\//.test(m) && !f.file.startsWith(path.join('bot', 'slack'))),
        )
        .map((m) => `${f.file}: ${m}`),
    );
    expect(misplaced).toEqual([]);
  });

  it('keeps the domain free of adapters, cards and platform SDKs', () => {
    const leaks = files
      .filter((f) => f.file.startsWith('services'))
      .flatMap((f) =>
        importsOf(f.text)
          .filter((m) => /\/(bot|cards)\//.test(m) || /^(botbuilder|@slack\/|adaptivecards)/.test(m))
          .map((m) => `${f.file}: ${m}`),
      );
    expect(leaks).toEqual([]);
  });
});
