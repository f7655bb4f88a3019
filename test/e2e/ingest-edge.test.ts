/**
 * The ingest API against hostile requests (issue 13, reproduced on commit 54b6730): deeply nested JSON, a
 * profile named by path, and content types that only start like JSON or NDJSON. Each is bad input: a clear 4xx
 * that says what to do, never a 500, never a file read on the caller's say-so.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSystemActor } from '../../services/access/actor.js';
import { createFixedClock } from '../../services/clock.js';
import { useApp } from '../support/app.js';

const operator = createSystemActor('test:operator');
const profilesDir = path.join(os.tmpdir(), `dmm-profiles-${process.pid}`);

const record = (ref: string) => ({
  incident_ref: ref,
  opened_at: '2026-04-10T08:00:00+01:00',
  grade_initial: '2',
  opening_type: 'THEFT',
  nsir_chapter: 'crime',
});

describe('ingest API edges', () => {
  const ctx = useApp('pglite', createFixedClock('2026-04-10T09:00:00Z'), () => ({
    DMM_PROFILES_DIR: profilesDir,
  }));
  let token: string;

  beforeAll(async () => {
    await fs.mkdir(profilesDir, { recursive: true });
    // An installed profile of the site's own: the shipped generic one under another name.
    const generic = await fs.readFile(
      path.join(import.meta.dirname, '../../services/incidents/profiles/generic-uk-cad.json'),
      'utf8',
    );
    await fs.writeFile(path.join(profilesDir, 'site-cad.json'), generic);
    await fs.writeFile(path.join(profilesDir, 'broken.json'), '{"name": "not json');
    const unit = await ctx.services.units.create(operator, { code: 'edge', name: 'Edge' });
    token = (
      await ctx.services.tokens.create(operator, { name: 'edge', unitIds: [unit.id], expiresInDays: 1 })
    ).token;
  });

  const post = (query: string, body: string, type = 'application/json') =>
    fetch(`${ctx.url}/api/v1/incidents${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': type },
      body,
    });

  it('answers 400 to JSON nested too deeply, as an array or an NDJSON line, and stores nothing', async () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    for (const [body, type] of [
      [deep, 'application/json'],
      [`[${JSON.stringify(record('D-1'))}, ${deep}]`, 'application/json'],
      [`${JSON.stringify(record('D-2'))}\n${deep}\n`, 'application/x-ndjson'],
    ] as const) {
      const res = await post('?unit=edge', body, type);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(/nested/);
    }
    expect(await ctx.services.db.selectFrom('incidents').select('id').execute()).toEqual([]);
  });

  it('takes installed profiles by name only: a path is refused the same way whether the file exists or not', async () => {
    const answers = [];
    for (const profile of [
      '/etc/passwd.json',
      path.join(profilesDir, 'site-cad.json'),
      '/no/such/file.json',
      '../services/incidents/profiles/generic-uk-cad.json',
    ]) {
      const res = await post(
        `?unit=edge&profile=${encodeURIComponent(profile)}`,
        JSON.stringify([record('P-1')]),
      );
      answers.push({ status: res.status, body: (await res.json()) as { message: string } });
    }
    for (const a of answers) {
      expect(a.status).toBe(400);
      expect(a.body.message).toMatch(/^Unknown profile/);
      expect(a.body.message).not.toMatch(/missing|required|expected/i);
    }
    // The same words for each: nothing tells a file that exists from one that does not.
    expect(new Set(answers.map((a) => a.body.message.replace(/'[^']*'/, "'…'"))).size).toBe(1);
    expect(await ctx.services.db.selectFrom('incidents').select('id').execute()).toEqual([]);
  });

  it('uses an installed profile of the site by name, and answers 400 (not 500) to a broken one', async () => {
    const ok = await post('?unit=edge&profile=site-cad', JSON.stringify([record('P-2')]));
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { summary: { inserted: number } }).summary.inserted).toBe(1);
    const broken = await post('?unit=edge&profile=broken', JSON.stringify([record('P-3')]));
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { message: string }).message).toMatch(/broken.*not valid JSON/);
  });

  it('keeps an NDJSON line holding a raw NUL as a reject, and stores the other lines; each result says so', async () => {
    const lines = [record('NUL-1'), record('NUL-2'), record('NUL-3')].map((r) => JSON.stringify(r));
    lines[1] = (lines[1] as string).replace('THEFT', 'THE\u0000FT');
    const res = await post('?unit=edge', `${lines.join('\n')}\n`, 'application/x-ndjson');
    expect(res.status).toBe(200);
    const json = (await res.json()) as {
      summary: Record<string, unknown>;
      results: Array<{ status: string }>;
    };
    expect(json.results.map((r) => r.status)).toEqual(['inserted', 'rejected', 'inserted']);
    expect(json.summary).toMatchObject({ status: 'completed', inserted: 2, rejected: 1 });
    const refs = await ctx.services.db.selectFrom('incidents').select('reference').execute();
    expect(refs.map((r) => r.reference)).toEqual(expect.arrayContaining(['NUL-1', 'NUL-3']));
    expect(refs.map((r) => r.reference)).not.toContain('NUL-2');
  });

  it('refuses content types that only begin like JSON or NDJSON', async () => {
    for (const type of [
      'application/jsonp',
      'application/json-seq',
      'application/x-ndjsonfoo',
      'text/json',
    ]) {
      const res = await post('?unit=edge', JSON.stringify([record('C-1')]), type);
      expect(res.status, type).toBe(415);
    }
    const withCharset = await post(
      '?unit=edge',
      JSON.stringify([record('C-2')]),
      'application/json; charset=utf-8',
    );
    expect(withCharset.status).toBe(200);
  });
});
