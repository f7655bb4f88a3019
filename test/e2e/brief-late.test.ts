/**
 * Late incidents (issue 13, item 6; fails on commit 54b6730, where the brief stayed at 0 incidents until
 * `--rebuild` and nothing told the channels): a brief whose window changes after it was stored is built again
 * when next read and says so ("Updated Thu 15 Jan 2026 09:30: 3 incidents arrived late"); a brief already posted is updated in
 * place in every channel, in that channel's own view, and never posted twice (the fake Slack's calls counted).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createFixedClock } from '../../services/clock.js';
import { useApp } from '../support/app.js';
import { type FakeSlack, TEAM_ID } from '../support/fakes/fake-slack.js';
import { slackSettings, useFakeSlack } from '../support/fakes/use-fakes.js';
import { operator } from '../support/fixtures.js';

describe('a brief after late incidents', () => {
  const logs: string[] = [];
  const clock = createFixedClock('2026-01-15T06:59:00Z');
  const slackFake = useFakeSlack();
  const ctx = useApp(
    'pglite',
    clock,
    () => ({
      ...slackSettings(slackFake),
      DMM_JOBS: 'on',
      DMM_OUTBOX_INTERVAL_MS: '600000',
    }),
    logs,
  );
  let slack: FakeSlack;
  let token: string;
  let unitId: number;

  beforeAll(async () => {
    slack = slackFake.current;
    const unit = await ctx.services.units.create(operator, {
      code: 'late',
      name: 'Late unit',
      briefTime: '07:00',
    });
    unitId = unit.id;
    for (const [conversationId, audience] of [
      ['C0LATE', 'internal'],
      ['C0LATEPARTNER', 'partner'],
    ] as const)
      await ctx.services.channels.link(
        operator,
        { platform: 'slack', tenantId: TEAM_ID, conversationId },
        { unitId: unit.id, audience, ceiling: 'OFFICIAL' },
      );
    token = (
      await ctx.services.tokens.create(operator, { name: 'late-cad', unitIds: [unit.id], expiresInDays: 1 })
    ).token;
  });

  const ingest = (records: object[]) =>
    fetch(`${ctx.url}/api/v1/incidents?unit=late`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(records),
    });
  const record = (ref: string, at: string) => ({
    incident_ref: ref,
    opened_at: at,
    grade_initial: '2',
    opening_type: 'THEFT',
    nsir_chapter: 'crime',
    area: 'Market Square',
  });
  const briefPosts = () =>
    slack.callsOf('chat.postMessage').filter((c) => /brief/i.test(String(c.args.text)));

  it('builds a stale brief again when it is next read, and says what arrived late', async () => {
    clock.set('2026-01-14T08:00:00Z');
    const before = await ctx.services.briefs.get(operator, unitId, '2026-01-14');
    expect(before.incidents.total.count).toBe(0);
    clock.set('2026-01-14T09:30:00Z');
    const response = await ingest([
      record('L-1', '2026-01-13T12:00:00Z'),
      record('L-2', '2026-01-13T18:00:00Z'),
    ]);
    expect(response.status).toBe(200);
    const after = await ctx.services.briefs.get(operator, unitId, '2026-01-14');
    expect(after.incidents.total.count).toBe(2);
    expect(after.revision).toMatchObject({ lateIncidents: 2 });
    // Read again: the stored revision, not a third build.
    expect(await ctx.services.briefs.get(operator, unitId, '2026-01-14')).toEqual(after);
    clock.set('2026-01-15T06:59:00Z');
  });

  it('updates a posted brief in place in every channel, in its own view, and never posts it again', async () => {
    const scheduler = ctx.app.scheduler;
    if (!scheduler) throw new Error('the scheduler is off');
    clock.set('2026-01-15T07:00:00Z');
    await scheduler.tick();
    const posted = briefPosts();
    expect(posted.map((c) => c.args.channel).sort()).toEqual(['C0LATE', 'C0LATEPARTNER']);
    expect(JSON.stringify(posted.find((c) => c.args.channel === 'C0LATE')?.args)).toMatch(
      /Incidents: 0 \(usual/,
    );

    clock.set('2026-01-15T09:30:00Z');
    const response = await ingest([
      record('L-3', '2026-01-14T12:00:00Z'),
      record('L-4', '2026-01-14T13:00:00Z'),
      record('L-5', '2026-01-14T22:00:00Z'),
    ]);
    expect(response.status, logs.join('\n')).toBe(200);
    await scheduler.tick();

    expect(briefPosts()).toHaveLength(2);
    const updates = slack.callsOf('chat.update');
    const tsOf = (channel: string) =>
      (posted.find((c) => c.args.channel === channel)?.result as { ts: string } | undefined)?.ts;
    expect(updates.map((u) => `${u.args.channel}/${u.args.ts}`).sort()).toEqual([
      `C0LATE/${tsOf('C0LATE')}`,
      `C0LATEPARTNER/${tsOf('C0LATEPARTNER')}`,
    ]);
    const internal = JSON.stringify(updates.find((u) => u.args.channel === 'C0LATE')?.args);
    expect(internal).toMatch(/Incidents: 3 /);
    expect(internal).toMatch(
      /Updated Thu 15 Jan 2026 09:30: 3 incidents arrived late \(first built Thu 15 Jan 2026 07:00\)/,
    );
    const partner = JSON.stringify(updates.find((u) => u.args.channel === 'C0LATEPARTNER')?.args);
    expect(partner).toContain('Partner brief');
    expect(partner).toMatch(/Updated Thu 15 Jan 2026 09:30: 3 incidents arrived late/);
    expect(partner).not.toContain('L-3');
    // Once is enough: a further tick sends nothing more.
    await scheduler.tick();
    expect(slack.callsOf('chat.update')).toHaveLength(2);
    expect(briefPosts()).toHaveLength(2);
  });
});
