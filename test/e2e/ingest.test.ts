/** The ingest API over real HTTP on loopback: tokens, per-record results, limits and refusals. */
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_RECORDS } from '../../bot/http/ingest.routes.js';
import { createSystemActor } from '../../services/access/actor.js';
import { createFixedClock } from '../../services/clock.js';
import { useApp } from '../support/app.js';
import { BACKENDS } from '../support/database.js';

const operator = createSystemActor('test:operator');

const record = (ref: string, over: Record<string, unknown> = {}) => ({
  incident_ref: ref,
  opened_at: '2026-04-10T08:00:00+01:00',
  grade_initial: '2',
  opening_type: 'THEFT',
  nsir_chapter: 'crime',
  area: 'Centre',
  ...over,
});

describe.each(BACKENDS)('ingest API on %s', (backend) => {
  const clock = createFixedClock('2026-04-10T09:00:00Z');
  const ctx = useApp(backend, clock);
  let token: string;

  beforeAll(async () => {
    const north = await ctx.services.units.create(operator, { code: 'north', name: 'North' });
    await ctx.services.units.create(operator, { code: 'south', name: 'South' });
    token = (
      await ctx.services.tokens.create(operator, {
        name: 'cad-export',
        unitIds: [north.id],
        expiresInDays: 1,
      })
    ).token;
  });

  const post = (query: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${ctx.url}/api/v1/incidents${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body,
    });

  it('imports a JSON array and answers one result per record; a re-send changes nothing', async () => {
    const body = JSON.stringify([
      record('API-1'),
      record('API-2', { opened_at: 'yesterday' }),
      record('API-3', { grade_initial: 'Z' }),
    ]);
    const res = await post('?unit=north', body);
    expect(res.status).toBe(200);
    const json = (await res.json()) as {
      summary: Record<string, unknown>;
      results: Array<Record<string, unknown>>;
    };
    expect(json.summary).toMatchObject({
      status: 'completed',
      read: 3,
      inserted: 2,
      rejected: 1,
      unmapped: { gradeInitial: { Z: 1 } },
    });
    expect(json.results).toEqual([
      { index: 0, status: 'inserted', reference: 'API-1' },
      {
        index: 1,
        status: 'rejected',
        field: 'openedAt',
        reason: expect.stringMatching(/column 'opened_at' has 'yesterday'/),
      },
      { index: 2, status: 'inserted', reference: 'API-3' },
    ]);
    const again = (await (await post('?unit=north', body)).json()) as { results: Array<{ status: string }> };
    expect(again.results.map((r) => r.status)).toEqual(['unchanged', 'rejected', 'unchanged']);
    const stored = await ctx.services.db
      .selectFrom('incidents')
      .select(['reference', 'raw'])
      .where('reference', '=', 'API-1')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(stored.raw)).toEqual(record('API-1'));
  });

  it('takes NDJSON, keeping a line that is not JSON as a reject', async () => {
    const body = `${JSON.stringify(record('ND-1'))}\n{not json\n${JSON.stringify(record('ND-2'))}\n`;
    const res = await post('?unit=north', body, { 'content-type': 'application/x-ndjson' });
    const json = (await res.json()) as { summary: { batchId: number }; results: Array<{ status: string }> };
    expect(json.results.map((r) => r.status)).toEqual(['inserted', 'rejected', 'inserted']);
    const rejects = await ctx.services.incidentImports.listRejects(operator, json.summary.batchId);
    expect(rejects).toEqual([
      {
        rowNumber: 2,
        lineNumber: 2,
        field: null,
        reason: expect.stringMatching(/line 2 is not valid JSON/),
        raw: '{not json',
      },
    ]);
  });

  it('refuses a missing or unknown token with 401 and changes nothing', async () => {
    const before = await ctx.services.db
      .selectFrom('incidents')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const none = await fetch(`${ctx.url}/api/v1/incidents?unit=north`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([record('NO-1')]),
    });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(((await none.json()) as { message: string }).message).toMatch(/dmm tokens create/);
    const wrong = await post('?unit=north', JSON.stringify([record('NO-2')]), {
      authorization: 'Bearer dmm_not-a-real-token',
    });
    expect(wrong.status).toBe(401);
    const after = await ctx.services.db
      .selectFrom('incidents')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('refuses a unit the token does not cover with 403', async () => {
    const res = await post('?unit=south', JSON.stringify([record('S-1')]));
    expect(res.status).toBe(403);
    expect(((await res.json()) as { message: string }).message).toMatch(/may not write to unit south/);
  });

  it('refuses bad bodies with the right status and a message that says what to do', async () => {
    expect((await post('?unit=north', '{"not":"an array"}')).status).toBe(400);
    expect((await post('?unit=north', 'x', { 'content-type': 'text/csv' })).status).toBe(415);
    expect((await post('', JSON.stringify([record('U-1')]))).status).toBe(400);
    const many = JSON.stringify(Array.from({ length: MAX_RECORDS + 1 }, (_, i) => record(`M-${i}`)));
    const tooMany = await post('?unit=north', many);
    expect(tooMany.status).toBe(413);
    expect(((await tooMany.json()) as { message: string }).message).toMatch(/At most 5000 records a request/);
    const big = await post('?unit=north', `[${'"x",'.repeat(3_000_000)}"x"]`);
    expect(big.status).toBe(413);
  });

  it('refuses an expired token and a revoked one', async () => {
    const { token: shortLived, record: rec } = await ctx.services.tokens.create(operator, {
      name: 'temp',
      unitIds: [1],
      expiresInDays: 1,
    });
    clock.set('2026-04-12T09:00:00Z');
    try {
      const expired = await post('?unit=north', JSON.stringify([record('E-1')]), {
        authorization: `Bearer ${shortLived}`,
      });
      expect(expired.status).toBe(401);
      expect(((await expired.json()) as { message: string }).message).toMatch(/expired on 2026-04-11/);
    } finally {
      clock.set('2026-04-10T09:00:00Z');
    }
    await ctx.services.tokens.revoke(operator, rec.id);
    const revoked = await post('?unit=north', JSON.stringify([record('E-2')]), {
      authorization: `Bearer ${shortLived}`,
    });
    expect(revoked.status).toBe(401);
    expect(((await revoked.json()) as { message: string }).message).toMatch(/revoked/);
  });

  it('stores only the token hash, never the token', async () => {
    const rows = await ctx.services.db.selectFrom('api_tokens').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(rows[0]?.token_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('adds and lists forward-look items through the API', async () => {
    const created = await fetch(`${ctx.url}/api/v1/forward-look?unit=north`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'release',
        title: 'Prison release, subject on licence',
        startsAt: '2026-04-10T14:00:00Z',
      }),
    });
    expect(created.status).toBe(201);
    const bad = await fetch(`${ctx.url}/api/v1/forward-look?unit=north`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'party', title: 'x', startsAt: 'soon' }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(
      /kind: must be one of event, operation/,
    );
    const sensitive = await fetch(`${ctx.url}/api/v1/forward-look?unit=north`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'operation',
        title: 'Warrant at the Elm Road address',
        startsAt: '2026-04-10T15:00:00Z',
        marking: 'OFFICIAL-SENSITIVE',
      }),
    });
    expect(sensitive.status).toBe(201);
    const list = (bearer: string) =>
      fetch(`${ctx.url}/api/v1/forward-look?unit=north`, { headers: { authorization: `Bearer ${bearer}` } });
    // A token made to write (the default) may not read (issue 14; on 54b6730 it read OFFICIAL-SENSITIVE items).
    const refused = await list(token);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toMatch(
      /may only write; it may not read unit north\. Ask an admin for a token with --scope read/,
    );
    const north = (await ctx.services.units.getByCode('north')).id;
    const reader = async (ceiling: 'OFFICIAL' | 'OFFICIAL-SENSITIVE') =>
      (
        await ctx.services.tokens.create(operator, {
          name: `reader-${ceiling}`,
          unitIds: [north],
          scopes: ['read'],
          ceiling,
          expiresInDays: 1,
        })
      ).token;
    const official = (await (await list(await reader('OFFICIAL'))).json()) as {
      items: Array<{ title: string }>;
      withheld: number;
    };
    expect(official.items.map((i) => i.title)).toEqual(['Prison release, subject on licence']);
    expect(official.withheld).toBe(1);
    const full = (await (await list(await reader('OFFICIAL-SENSITIVE'))).json()) as {
      items: Array<{ title: string }>;
    };
    expect(full.items.map((i) => i.title)).toEqual([
      'Prison release, subject on licence',
      'Warrant at the Elm Road address',
    ]);
  });
});
