/**
 * The morning brief end to end: the real app with Slack and Teams on, bindings on both, a fake clock. At the
 * brief time every binding gets exactly one brief in its own view (the fakes' records are counted), through a
 * rate limit; the disclosure is in the audit log; /metrics says so; a repeated tick sends nothing more.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createFixedClock } from '../../services/clock.js';
import type { Services } from '../../services/index.js';
import { useApp } from '../support/app.js';
import type { FakeConnector } from '../support/fakes/fake-connector.js';
import { type FakeSlack, TEAM_ID } from '../support/fakes/fake-slack.js';
import { slackSettings, useFakeConnector, useFakeSlack } from '../support/fakes/use-fakes.js';
import { createUnitFixture, operator } from '../support/fixtures.js';
import { BOT_ID, TENANT_ID } from '../support/teams-client.js';

/**
 * Puts a sent delivery back as a replica killed after posting it, before keeping its message id, leaves it:
 * sending, no id, its lease running out now.
 */
async function forgetSent(services: Services, id: number, now: Date) {
  await services.db
    .updateTable('deliveries')
    .set({
      status: 'sending',
      message_id: null,
      locked_by: 'killed',
      locked_until: now,
      attempt_started_at: now,
    })
    .where('id', '=', id)
    .execute();
}

describe('the morning brief on Slack and Teams', () => {
  const clock = createFixedClock('2026-01-15T06:59:00Z');
  const slackFake = useFakeSlack();
  const connectorFake = useFakeConnector();
  const ctx = useApp('pglite', clock, () => ({
    ...slackSettings(slackFake),
    DMM_TEAMS: 'on',
    DMM_JOBS: 'on',
    DMM_OUTBOX_INTERVAL_MS: '600000',
  }));
  let slack: FakeSlack;
  let connector: FakeConnector;

  beforeAll(async () => {
    slack = slackFake.current;
    connector = connectorFake.current;
    const unit = await ctx.services.units.create(operator, {
      code: 'morning',
      name: 'Morning unit',
      briefTime: '07:00',
    });
    const link = (
      platform: 'slack' | 'teams',
      conversationId: string,
      audience: 'internal' | 'partner',
      reference?: unknown,
    ) =>
      ctx.services.channels.link(
        operator,
        { platform, tenantId: platform === 'slack' ? TEAM_ID : TENANT_ID, conversationId },
        {
          unitId: unit.id,
          audience,
          ceiling: audience === 'partner' ? 'OFFICIAL' : 'OFFICIAL-SENSITIVE',
          reference,
        },
      );
    await link('slack', 'C0BRIEF', 'internal');
    await link('slack', 'C0PARTNERS', 'partner');
    await link('teams', '19:brief@thread.tacv2', 'internal', {
      serviceUrl: connector.url,
      channelId: 'msteams',
      bot: { id: BOT_ID, name: 'DMM' },
      conversation: { id: '19:brief@thread.tacv2', conversationType: 'channel', tenantId: TENANT_ID },
    });
  });

  const briefPosts = () =>
    slack.callsOf('chat.postMessage').filter((c) => /brief/i.test(String(c.args.text)));
  const teamsPosts = () =>
    connector.requests.filter(
      (r) => r.method === 'POST' && r.path.startsWith('/v3/conversations/19%3Abrief'),
    );

  it('sends nothing before the brief time', async () => {
    const scheduler = ctx.app.scheduler;
    if (!scheduler) throw new Error('the scheduler is off');
    await scheduler.tick();
    expect(briefPosts()).toHaveLength(0);
    expect(teamsPosts()).toHaveLength(0);
    const status = (await scheduler.status()).find((s) => s.unitCode === 'morning');
    expect(status).toMatchObject({ todayRun: 'not yet' });
    expect(status?.nextDueAt.toISOString()).toBe('2026-01-15T07:00:00.000Z');
  });

  it('sends one brief to every binding at 07:00, in its own view, through a rate limit, and never twice', async () => {
    const scheduler = ctx.app.scheduler;
    if (!scheduler) throw new Error('the scheduler is off');
    slack.rateLimit('chat.postMessage', 1, 1);
    // Slack's 429 comes back to the outbox, which schedules the retry after Retry-After (a lease never outlives
    // a call still waiting inside the client); botbuilder waits out a short Retry-After itself.
    connector.rateLimit(1, 1);
    clock.set('2026-01-15T07:00:00Z');
    const { claimed, drained } = await scheduler.tick();
    expect(claimed).toBeGreaterThanOrEqual(1);
    expect(drained).toMatchObject({ failed: 0, sent: 2, retried: 1 });
    const [waiting] = await ctx.services.deliveries.list({ status: 'pending' });
    expect(waiting?.lastError).toMatch(/slack rate limit: retry after 1 s/);
    await scheduler.tick();
    clock.set('2026-01-15T07:05:00Z');
    await scheduler.tick();

    const delivered = briefPosts().filter((c) => (c.result as { ok?: boolean } | undefined)?.ok);
    expect(delivered.map((c) => c.args.channel).sort()).toEqual(['C0BRIEF', 'C0PARTNERS']);
    expect(String(delivered.find((c) => c.args.channel === 'C0PARTNERS')?.args.text)).toContain(
      'Partner brief',
    );
    expect(String(delivered.find((c) => c.args.channel === 'C0BRIEF')?.args.text)).toContain('Daily brief');
    // One refused, one delivered.
    expect(teamsPosts()).toHaveLength(2);
    expect(connector.activities.size).toBe(1);
    expect(JSON.stringify(teamsPosts()[1]?.body)).toContain('Daily brief: Morning unit, 2026-01-15');
    expect(await ctx.services.deliveries.depth()).toBe(0);
    expect(await ctx.services.deliveries.list({ status: 'failed' })).toEqual([]);

    const disclosures = (await ctx.services.audit.list({ entityType: 'brief' })).filter(
      (e) => e.operation === 'disclosure',
    );
    expect(disclosures.map((e) => e.channel).sort()).toEqual(['slack', 'slack', 'teams']);
    expect((await scheduler.status()).find((s) => s.unitCode === 'morning')).toMatchObject({
      todayRun: 'done',
    });

    const metrics = await (await fetch(`${ctx.url}/metrics`)).text();
    expect(metrics).toMatch(/dmm_deliveries_sent_total\{platform="slack",kind="brief"\} 2/);
    expect(metrics).toMatch(/dmm_deliveries_sent_total\{platform="teams",kind="brief"\} 1/);
    expect(metrics).toMatch(/dmm_deliveries_retried_total\{platform="slack",kind="brief"\} 1/);
    expect(metrics).toMatch(/dmm_outbox_depth 0/);
    expect(metrics).toMatch(/dmm_briefs_built_total\{late="false"\} 1/);
  });
});

describe('a Slack brief in doubt after its sender died', () => {
  const clock = createFixedClock('2026-01-17T06:59:00Z');
  const slackFake = useFakeSlack();
  const ctx = useApp('pglite', clock, () => ({
    ...slackSettings(slackFake),
    DMM_JOBS: 'on',
    DMM_OUTBOX_INTERVAL_MS: '600000',
  }));

  it('is found in the channel by its metadata and not posted again', async () => {
    const slack = slackFake.current;
    const unit = await ctx.services.units.create(operator, {
      code: 'doubt',
      name: 'Doubt unit',
      briefTime: '07:00',
    });
    const binding = await ctx.services.channels.link(
      operator,
      { platform: 'slack', tenantId: TEAM_ID, conversationId: 'C0DOUBT' },
      { unitId: unit.id },
    );
    const scheduler = ctx.app.scheduler;
    const port = ctx.app.ports.slack;
    if (!scheduler || !port) throw new Error('the scheduler or Slack is off');
    clock.set('2026-01-17T07:00:00Z');
    // Claim the run without sending, then play a replica that leased the row, posted it and was killed.
    await scheduler.tick().catch(() => undefined);
    const before = slack.callsOf('chat.postMessage').length;
    expect(before).toBe(1);
    // Put the row back in doubt: as if the post above had been made by a replica killed before keeping its id.
    const [row] = await ctx.services.deliveries.list({ status: 'sent' });
    if (!row) throw new Error('no delivery');
    await forgetSent(ctx.services, row.id, clock.now());
    clock.advance(1_000);
    await scheduler.tick();
    expect(slack.callsOf('conversations.history').map((c) => c.args.channel)).toEqual(['C0DOUBT']);
    expect(slack.callsOf('chat.postMessage')).toHaveLength(before);
    const [after] = await ctx.services.deliveries.list({ status: 'sent' });
    expect(after?.messageId).toBe(String(slack.callsOf('chat.postMessage')[0]?.result?.ts));
    expect(binding.id).toBe(after?.bindingId);
  });

  it('finds a reminder DM by the key in its metadata, in the DM with the person', async () => {
    const slack = slackFake.current;
    const port = ctx.app.ports.slack;
    if (!port?.findDirect) throw new Error('Slack is off');
    const f = await createUnitFixture(ctx.services, { code: 'dm-doubt' });
    await ctx.services.people.linkIdentity(operator, {
      personId: f.owner.personId,
      platform: 'slack',
      tenantId: TEAM_ID,
      externalId: 'U0OWNER',
    });
    const card = { title: 'Your actions due today', blocks: [] };
    const sent = await port.direct(f.owner.personId, card.title, card, { deliveryKey: 'dmm-delivery-77' });
    const posted = slack.callsOf('chat.postMessage').at(-1);
    // Where it went: the person's DM with the bot (known from here on as their personal chat) and the message.
    expect(sent).toEqual({
      conversation: { platform: 'slack', tenantId: TEAM_ID, conversationId: 'D0OWNER' },
      messageId: posted?.result?.ts,
    });
    expect(await port.findDirect(f.owner.personId, 'dmm-delivery-77')).toBe(posted?.result?.ts);
    expect(await port.findDirect(f.owner.personId, 'dmm-delivery-78')).toBeUndefined();
    expect(slack.callsOf('conversations.open').map((c) => c.args.users)).toEqual(['U0OWNER', 'U0OWNER']);
    expect(slack.callsOf('conversations.history').at(-1)?.args.channel).toBe('D0OWNER');
  });
});

describe('a Teams send refused for longer than botbuilder retries', () => {
  const clock = createFixedClock('2026-01-16T07:59:00Z');
  const connectorFake = useFakeConnector();
  const ctx = useApp('pglite', clock, { DMM_TEAMS: 'on', DMM_JOBS: 'on', DMM_OUTBOX_INTERVAL_MS: '600000' });

  it('is not counted as sent until the connector accepts it, then is sent once', async () => {
    const connector = connectorFake.current;
    const unit = await ctx.services.units.create(operator, {
      code: 'refused',
      name: 'Refused unit',
      briefTime: '08:00',
    });
    await ctx.services.channels.link(
      operator,
      { platform: 'teams', tenantId: TENANT_ID, conversationId: '19:refused@thread.tacv2' },
      {
        unitId: unit.id,
        reference: {
          serviceUrl: connector.url,
          channelId: 'msteams',
          bot: { id: BOT_ID, name: 'DMM' },
          conversation: { id: '19:refused@thread.tacv2', conversationType: 'channel', tenantId: TENANT_ID },
        },
      },
    );
    const scheduler = ctx.app.scheduler;
    if (!scheduler) throw new Error('the scheduler is off');
    connector.rateLimit(1_000, 1);
    clock.set('2026-01-16T08:00:00Z');
    const first = await scheduler.tick();
    expect(first.drained).toMatchObject({ sent: 0, retried: 1 });
    const [row] = await ctx.services.deliveries.list({ status: 'pending' });
    expect(row?.lastError).toMatch(/teams rate limit/);
    expect(connector.activities.size).toBe(0);
    // The connector accepts again; once the retry is due the brief goes out, once.
    connector.rateLimit(0, 1);
    clock.advance(10 * 60_000);
    await scheduler.tick();
    expect(connector.activities.size).toBe(1);
    expect(await ctx.services.deliveries.list({ status: 'sent' })).toHaveLength(1);
  });
});

describe('a Teams brief in doubt after its sender died', () => {
  const clock = createFixedClock('2026-01-18T07:59:00Z');
  const connectorFake = useFakeConnector();
  const ctx = useApp('pglite', clock, () => ({
    DMM_TEAMS: 'on',
    DMM_TEAMS_GRAPH_URL: connectorFake.current.url,
    DMM_JOBS: 'on',
    DMM_OUTBOX_INTERVAL_MS: '600000',
  }));

  /**
   * Posts a unit's brief at `at`, then puts its row back as a replica killed after posting, before keeping the id,
   * would have left it, and lets the next beat take it.
   */
  async function postThenForget(at: string, conversationId: string, aadGroupId?: string) {
    const connector = connectorFake.current;
    const code = conversationId.replace(/\W/g, '').slice(2, 12);
    const unit = await ctx.services.units.create(operator, {
      code,
      name: `${code} unit`,
      briefTime: at.slice(11, 16),
    });
    await ctx.services.channels.link(
      operator,
      { platform: 'teams', tenantId: TENANT_ID, conversationId },
      {
        unitId: unit.id,
        reference: {
          serviceUrl: connector.url,
          channelId: 'msteams',
          bot: { id: BOT_ID, name: 'DMM' },
          conversation: { id: conversationId, conversationType: 'channel', tenantId: TENANT_ID },
          ...(aadGroupId ? { aadGroupId } : {}),
        },
      },
    );
    const scheduler = ctx.app.scheduler;
    if (!scheduler) throw new Error('the scheduler is off');
    clock.set(at);
    await scheduler.tick();
    const [row] = (await ctx.services.deliveries.list({ status: 'sent' })).filter(
      (d) => d.payload && JSON.stringify(d.payload).includes(`${code} unit`),
    );
    if (!row) throw new Error('no delivery');
    await forgetSent(ctx.services, row.id, clock.now());
    const before = { gets: graphGets().length, posts: connector.activities.size };
    clock.advance(1_000);
    await scheduler.tick();
    return { row, before };
  }
  const graphGets = () =>
    connectorFake.current.requests.filter((r) => r.method === 'GET').map((r) => decodeURIComponent(r.path));

  it('is found through Microsoft Graph by the key in its card and not posted again', async () => {
    const connector = connectorFake.current;
    const { row, before } = await postThenForget('2026-01-18T08:00:00Z', '19:doubt@thread.tacv2', 'group-1');
    const posted = [...connector.activities.values()];
    expect(posted).toHaveLength(before.posts);
    // The key rides in the card as an invisible element; Graph was asked for the channel's messages.
    expect(JSON.stringify(posted.at(-1)?.activity)).toContain(`"id":"dmm-delivery-${row.id}"`);
    expect(graphGets().slice(before.gets)).toEqual([
      '/v1.0/teams/group-1/channels/19:doubt@thread.tacv2/messages',
    ]);
    const after = (await ctx.services.deliveries.list({ status: 'sent' })).find((d) => d.id === row.id);
    expect(after?.messageId).toBe(posted.at(-1)?.id);
    expect(await ctx.services.deliveries.depth()).toBe(0);
  });

  it('is posted again rather than lost where Graph cannot look (no team id stored for the channel)', async () => {
    const connector = connectorFake.current;
    const { row, before } = await postThenForget('2026-01-18T09:00:00Z', '19:nogroup@thread.tacv2');
    expect(graphGets()).toHaveLength(before.gets);
    expect(connector.activities.size).toBe(before.posts + 1);
    const after = (await ctx.services.deliveries.list({ status: 'sent' })).find((d) => d.id === row.id);
    expect(after?.messageId).toBe([...connector.activities.keys()].at(-1));
  });
});
