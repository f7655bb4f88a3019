/**
 * Profiles a user can write (issue 13, item 8; fails on commit 54b6730, where misspelt keys were dropped and the
 * import "succeeded", enum errors said "Invalid input", and the key reference left keys out): strict keys with
 * the nearest valid one, values named with the allowed list, a key reference generated from the schema, and
 * `profiles show` and `--dry-run` to check a profile before importing.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  listProfiles,
  loadProfile,
  parseProfile,
  profileSchema,
} from '../../../services/incidents/profile.js';
import { profileKeyReference } from '../../../services/incidents/profile-reference.js';
import { runDmm, useCliEnvironment } from '../../support/cli.js';
import { sharedFile } from '../../support/paths.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const base = async () =>
  JSON.parse(JSON.stringify(await loadProfile('generic-uk-cad'))) as Record<string, unknown>;

describe('mapping profiles are checked strictly', () => {
  it.each([
    ['opening_type', { column: 'opening_type' }, /unknown key 'opening_type': did you mean 'openingType'\?/],
    ['timezone', 'Europe/London', /unknown key 'timezone': did you mean 'timeZone'\?/],
    ['closing_type', { column: 'x' }, /did you mean 'closingType'\?/],
    ['colour', 'red', /unknown key 'colour': valid keys here are name, source/],
  ])('refuses the unknown key %s, naming the nearest valid one', async (key, value, message) => {
    const profile = { ...(await base()), [key]: value };
    expect(() => parseProfile(profile, 'p')).toThrow(message);
  });

  it('refuses a misspelt nested key, an enum value it does not know (naming it and the allowed list) and a broken pattern', async () => {
    const b = await base();
    expect(() => parseProfile({ ...b, times: { openedAt: { column: 'x', fromat: 'iso' } } }, 'p')).toThrow(
      /times\.openedAt: unknown key 'fromat': did you mean 'format'\?/,
    );
    expect(() => parseProfile({ ...b, gradeInitial: { column: 'g', map: { '1': 'G9' } } }, 'p')).toThrow(
      /gradeInitial\.map\.1: 'G9' is not allowed; expected one of: G1_EMERGENCY, G2_PRIORITY, G3_SCHEDULED, G4_RESOLVED_WITHOUT_DEPLOYMENT/,
    );
    expect(() => parseProfile({ ...b, nsirChapter: { constant: 'crimes' } }, 'p')).toThrow(
      /nsirChapter\.constant: 'crimes' is not allowed; expected one of: crime, asb_personal/,
    );
    expect(() => parseProfile({ ...b, openingType: { column: 'x', codePattern: '(' } }, 'p')).toThrow(
      /openingType\.codePattern: must be a valid regular expression with a capture group/,
    );
    expect(() => parseProfile({ ...b, encoding: 'ascii' }, 'p')).toThrow(
      /encoding: 'ascii' is not allowed; expected one of: utf-8, latin1/,
    );
  });

  it('loads every shipped profile', async () => {
    for (const name of await listProfiles()) await expect(loadProfile(name)).resolves.toMatchObject({ name });
  });

  it('documents every key from the schema, and the reference in docs/ is current (run `npm run docs`)', async () => {
    const reference = profileKeyReference();
    for (const key of Object.keys(profileSchema.shape)) expect(reference).toContain(`| \`${key}\` |`);
    for (const key of [
      'openingType',
      'closingType',
      'area',
      'beat',
      'ward',
      'latitude',
      'longitude',
      'units',
      'critical',
      'marking',
      'ignoreColumns',
    ])
      expect(reference).toContain(`| \`${key}\``);
    expect(reference).toMatch(/luxon/);
    expect(await fs.readFile(path.join(ROOT, 'docs/incident-profile-keys.md'), 'utf8')).toBe(reference);
  });
});

describe('checking a profile from the command line', () => {
  const cli = useCliEnvironment('pglite');

  it('exits 2 with the reasons (no stack) for a malformed or misspelt profile', async () => {
    const broken = path.join(cli.dir, 'broken.json');
    await fs.writeFile(broken, '{"name": ');
    const misspelt = path.join(cli.dir, 'misspelt.json');
    await fs.writeFile(misspelt, JSON.stringify({ ...(await base()), opening_type: { column: 'x' } }));
    for (const [file, message] of [
      [broken, /is not valid JSON/],
      [misspelt, /did you mean 'openingType'/],
    ] as const) {
      const run = await runDmm(
        cli.env,
        'import',
        'incidents',
        sharedFile('dallas_pd_active_calls_2018-01-09.csv'),
        '--profile',
        file,
      );
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('shows a profile with its defaults filled in', async () => {
    const run = await runDmm(cli.env, 'import', 'profiles', 'show', 'dallas-active-calls');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(
      JSON.parse(JSON.stringify(await loadProfile('dallas-active-calls'))),
    );
  });

  it('maps the first rows in a dry run, prints them and their rejects, and writes nothing', async () => {
    const file = path.join(cli.dir, 'dry.csv');
    await fs.writeFile(
      file,
      'incident_ref,opened_at,grade_initial,opening_type,nsir_chapter\nD-1,2026-03-29T08:15:00Z,1,ASSAULT,crime\nD-2,yesterday,2,THEFT,crime\nD-3,2026-03-29T09:15:00Z,7,THEFT,crime\n',
    );
    const env = { ...cli.env, DATA_DIR: path.join(cli.dir, 'never-created') };
    const run = await runDmm(env, 'import', 'incidents', file, '--profile', 'generic-uk-cad', '--dry-run');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /row 1 \(line 2\): source=generic-uk-cad {2}reference=D-1 {2}openedAt=2026-03-29T08:15:00.000Z {2}gradeInitial=G1_EMERGENCY/,
    );
    expect(run.stdout).toMatch(/row 2 \(line 3\): REJECTED openedAt: column 'opened_at' has 'yesterday'/);
    expect(run.stdout).toMatch(/gradeInitial '7' is not in the profile/);
    expect(run.stdout).toMatch(/3 rows read: 2 mapped, 1 rejected\./);
    await expect(fs.stat(env.DATA_DIR)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
