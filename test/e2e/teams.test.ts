/**
 * Teams over real HTTP: Bot Framework activities POSTed to /api/messages drive a whole DMM, with a fake Bot
 * Connector on loopback as the activities' serviceUrl; Action.Execute presses are answered with the updated
 * card. With an app id configured, an activity without a valid token is refused with 401 and changes nothing.
 */
import { createSign, generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { minutesPdf } from '../../cards/minutes.card.js';
import { createFixedClock } from '../../services/clock.js';
import { useApp } from '../support/app.js';
import { adaptiveCardProblems } from '../support/cards.js';
import { BACKENDS } from '../support/database.js';
import type { ConnectorActivity, FakeConnector } from '../support/fakes/fake-connector.js';
import { useFakeConnector, useFakeOpenId } from '../support/fakes/use-fakes.js';
import { createUnitFixture, operator, type UnitFixture } from '../support/fixtures.js';
import { expectPdfHolds } from '../support/pdf.js';
import {
  actionInputs,
  DECISION_INPUTS,
  linkPlatformUsers,
  prepareSignOff,
  SIGN_OFF,
  signOffExpectations,
} from '../support/scenario.js';
import {
  BOT_ID,
  cardOf,
  executeActions,
  postActivity,
  TENANT_ID,
  type TeamsConversation,
  type TeamsUser,
  teamsUser,
} from '../support/teams-client.js';

type Json = Record<string, unknown>;

const CHANNEL: TeamsConversation = { id: '19:dmm-channel@thread.tacv2', type: 'channel' };
const text = (value: unknown) => JSON.stringify(value ?? null).replace(/\\\\/g, '');

function button(card: unknown, title: string): Json {
  const found = executeActions(card).find((a) => a.title === title);
  if (!found) throw new Error(`no button '${title}' in ${text(card).slice(0, 600)}`);
  return found;
}

describe.each(BACKENDS)('Teams on %s', (backend) => {
  const clock = createFixedClock('2026-05-11T08:00:00Z');
  const fake = useFakeConnector();
  const ctx = useApp(backend, clock, { DMM_TEAMS: 'on' });
  let f: UnitFixture;
  let connector: FakeConnector;
  let users: Record<'chair' | 'owner' | 'member' | 'admin', TeamsUser>;

  beforeAll(async () => {
    connector = fake.current;
    f = await createUnitFixture(ctx.services, { code: 'teams' });
    users = await linkPlatformUsers(
      ctx.services,
      { chair: f.chair, owner: f.owner, member: f.member, admin: f.admin },
      'teams',
      TENANT_ID,
      (_role, actor) => `00000000-0000-4000-8000-0000000${String(actor.personId).padStart(5, '0')}`,
      (aad) => teamsUser(() => ctx.url, connector, aad),
    );
  });

  it('greets on install, stores the conversation reference, and links the channel for an admin', async () => {
    const install = await postActivity(ctx.url, {
      type: 'conversationUpdate',
      id: 'install-1',
      serviceUrl: connector.url,
      channelId: 'msteams',
      from: { id: `29:${users.admin.aadObjectId}`, aadObjectId: users.admin.aadObjectId },
      recipient: { id: '28:dmm-bot', name: 'DMM' },
      conversation: { id: CHANNEL.id, conversationType: 'channel', tenantId: TENANT_ID },
      channelData: { tenant: { id: TENANT_ID }, team: { id: CHANNEL.id, aadGroupId: 'group-aad-1' } },
      membersAdded: [{ id: '28:dmm-bot' }],
    });
    expect(install.status).toBe(200);
    const key = { platform: 'teams' as const, tenantId: TENANT_ID, conversationId: CHANNEL.id };
    expect(await ctx.services.channels.find(key)).toMatchObject({
      unitId: null,
      // The team's group id too: Graph names the channel by it when a post is in doubt.
      reference: { serviceUrl: connector.url, conversation: { id: CHANNEL.id }, aadGroupId: 'group-aad-1' },
    });
    const refused = await users.chair.say(`link ${f.unit.code}`, CHANNEL);
    expect(text(refused.sent)).toContain('admin');
    const linked = await users.admin.say(`link ${f.unit.code} sensitive`, CHANNEL);
    expect(linked.status).toBe(200);
    // A later message's reference (no team group in its channel data) refreshes the stored one and keeps it.
    expect((await ctx.services.channels.find(key))?.reference).toMatchObject({
      serviceUrl: connector.url,
      aadGroupId: 'group-aad-1',
    });
    expect(text(linked.sent)).toContain('Linked to');
    expect(await ctx.services.channels.find(key)).toMatchObject({
      unitId: f.unit.id,
      ceiling: 'OFFICIAL-SENSITIVE',
    });
  });

  it('runs a whole DMM: every section, a decision, an action done by its owner, the minutes', async () => {
    await ctx.services.meetings.schedule(f.chair, f.unit.id);
    const shown = await users.chair.say('meeting', CHANNEL);
    const meetingMessage = shown.sent[0] as ConnectorActivity;
    // The reply goes to the thread of the message that asked.
    expect(meetingMessage.replyToId).toMatch(/^in-/);
    let answer = await users.chair.press(
      button(cardOf(meetingMessage), 'Start meeting'),
      CHANNEL,
      meetingMessage.id,
    );
    expect(answer.body.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(text(answer.body.value)).toContain('1. Previous actions');
    for (let section = 2; section <= 10; section += 1) {
      answer = await users.chair.press(button(answer.body.value, 'Next section'), CHANNEL, meetingMessage.id);
      expect(text(answer.body.value)).toContain(`${section}. `);
      expect(adaptiveCardProblems(answer.body.value as never)).toEqual([]);
    }
    const meetingCard = answer.body.value;

    // The decision form opens below the card; the card keeps its buttons.
    answer = await users.chair.press(button(meetingCard, 'Record a decision'), CHANNEL, meetingMessage.id);
    expect(answer.body.type).toBe('application/vnd.microsoft.activity.message');
    const formMessage = answer.sent[0] as ConnectorActivity;
    const recorded = await users.chair.press(
      button(cardOf(formMessage), 'Record decision'),
      CHANNEL,
      formMessage.id,
      DECISION_INPUTS,
    );
    expect(text(recorded.body.value)).toMatch(/Decision #\d+/);

    answer = await users.member.press(button(meetingCard, 'New action'), CHANNEL, meetingMessage.id);
    const actionForm = answer.sent[0] as ConnectorActivity;
    const created = await users.member.press(
      button(cardOf(actionForm), 'Create action'),
      CHANNEL,
      actionForm.id,
      actionInputs(f.owner.personId),
    );
    const actionCard = created.body.value;
    expect(text(actionCard)).toContain('Visit the shop manager');
    const id = /Action #(\d+)/.exec(text(actionCard))?.[1];

    answer = await users.owner.press(button(actionCard, 'Start'), CHANNEL, actionForm.id);
    expect(text(answer.body.value)).toContain('In progress');
    // Done… opens its form in place of the action card (a card, not a new message); sending it turns the same
    // message into the done action.
    answer = await users.owner.press(button(answer.body.value, 'Done…'), CHANNEL, actionForm.id);
    expect(answer.body.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(answer.sent).toEqual([]);
    const done = await users.owner.press(button(answer.body.value, 'Done'), CHANNEL, actionForm.id, {
      result: 'Manager visited; CCTV offered',
    });
    expect(text(done.body.value)).toContain('Manager visited; CCTV offered');
    expect(executeActions(done.body.value)).toEqual([]);
    expect(done.sent).toEqual([]);
    expect((await ctx.services.actions.get(operator, Number(id))).status).toBe('done');
    // The owner's own copy (their DM when the action was created) is not a tracked post; nothing else was
    // posted for the action: one message in the channel shows it.
    const actionMessages = [...connector.activities.values()].filter(
      (a) => a.conversationId === CHANNEL.id && text(a.activity).includes('Visit the shop manager'),
    );
    expect(actionMessages).toHaveLength(1);

    // Attendance, a note and the read-back, by message (issue 16, items 1, 2 and 5).
    const said = async (who: keyof typeof users, words: string) =>
      text((await users[who].say(words, CHANNEL)).sent.map((a) => cardOf(a)));
    expect(await said('member', 'here')).toContain(`${f.member.label}: present`);
    expect(await said('owner', 'apologies Court')).toContain(`${f.owner.label}: apologies (Court)`);
    expect(await said('member', 'note Tension after the weekend march')).toContain(
      'Tension after the weekend march',
    );
    const readBack = await said('chair', 'meeting');
    expect(readBack).toContain('Decisions recorded (1)');
    expect(readBack).toContain('Actions raised (1)');

    const closed = await users.chair.press(button(meetingCard, 'Close meeting'), CHANNEL, meetingMessage.id);
    expect(text(closed.body.value)).toContain('closed');
    const minutes = text(closed.sent.map((a) => cardOf(a)));
    expect(minutes).toContain('DMM minutes: ');
    expect(minutes).toContain('Visit the shop manager');
    expect(minutes).toContain('Tension after the weekend march');
    expect(minutes).toContain(`"title":"Apologies","value":"${f.owner.label} (Court)"`);
  });

  it('signs off a whole DMM the next day: attendance with an apology, the exception discussed in its section, notes in 6, 7 and 9, the previous action reviewed, a decision, an action, read-back, close, approve once, PDF (issue 16, done when; no approval on 54b6730)', async () => {
    clock.set('2026-05-12T08:00:00Z');
    const { previousActionId } = await prepareSignOff(ctx.services, f, clock);
    const said = async (who: keyof typeof users, words: string) =>
      (await users[who].say(words, CHANNEL)).sent;
    const meetingMessage = (await said('chair', 'meeting start'))[0] as ConnectorActivity;
    let card: unknown = cardOf(meetingMessage);
    expect(text(card)).toContain(SIGN_OFF.previousAction);
    await said('member', 'here');
    await said('owner', `apologies ${SIGN_OFF.apology}`);
    const next = async () => {
      card = (await users.chair.press(button(card, 'Next section'), CHANNEL, meetingMessage.id)).body.value;
    };
    await next();
    expect(text(card)).toContain(SIGN_OFF.exceptionRef);
    await said('member', `note ${SIGN_OFF.exceptionNote}`);
    for (let section = 3; section <= 9; section += 1) {
      await next();
      const note = SIGN_OFF.notes[section as keyof typeof SIGN_OFF.notes];
      if (note) await said('member', `note ${note}`);
    }
    let answer = await users.chair.press(button(card, 'Record a decision'), CHANNEL, meetingMessage.id);
    const decisionForm = answer.sent[0] as ConnectorActivity;
    await users.chair.press(
      button(cardOf(decisionForm), 'Record decision'),
      CHANNEL,
      decisionForm.id,
      DECISION_INPUTS,
    );
    answer = await users.chair.press(button(card, 'New action'), CHANNEL, meetingMessage.id);
    const actionForm = answer.sent[0] as ConnectorActivity;
    await users.chair.press(
      button(cardOf(actionForm), 'Create action'),
      CHANNEL,
      actionForm.id,
      actionInputs(f.owner.personId),
    );
    await next();
    expect(text(card)).toContain('Decisions recorded (1)');
    expect(text(card)).toContain('Actions raised (1)');

    const closed = await users.chair.press(button(card, 'Close meeting'), CHANNEL, meetingMessage.id);
    const minutesMessages = closed.sent.filter((a) => text(cardOf(a)).includes('DMM minutes: '));
    expect(minutesMessages).toHaveLength(1);
    const minutesMessage = minutesMessages[0] as ConnectorActivity;
    expect(text(cardOf(minutesMessage))).toContain('Closed, not yet approved');

    // The chair approves from the minutes: the card is answered in place, nothing new is posted.
    const approve = button(cardOf(minutesMessage), 'Approve minutes');
    answer = await users.chair.press(approve, CHANNEL, minutesMessage.id);
    expect(answer.sent).toEqual([]);
    const minutes = text(answer.body.value);
    for (const expected of signOffExpectations(f.owner, previousActionId))
      expect(minutes).toContain(expected);
    expect(executeActions(answer.body.value).map((a) => a.title)).toEqual(['Add an addendum']);
    // The same press again: no second approval, nothing posted.
    expect((await users.chair.press(approve, CHANNEL, minutesMessage.id)).sent).toEqual([]);
    const meetingId = (approve.data as { meetingId: number }).meetingId;
    const approvals = (
      await ctx.services.audit.list({ entityType: 'meeting', entityId: String(meetingId) })
    ).filter((e) => (e.after as { status?: string } | null)?.status === 'approved');
    expect(approvals).toHaveLength(1);

    // The PDF: chat says where it is (a reply: Teams has no message for one person in a channel); the file holds
    // every item, its marking on every page.
    const where = await said('chair', 'minutes pdf');
    expect(where).toHaveLength(1);
    expect(text(where.map((a) => cardOf(a)))).toContain('dmm minutes 2026-05-12 --format pdf');
    const view = await ctx.services.meetings.getMinutes(operator, f.unit.id, '2026-05-12');
    expectPdfHolds(await minutesPdf(view), signOffExpectations(f.owner, previousActionId), 'OFFICIAL');
  });

  it("refreshes a channel's action card per person: the owner and the chair get their buttons, a member a read-only copy, no one else anything (issue 18, item 2)", async () => {
    // Each has spoken to the bot, so their Teams address (MRI) is known.
    for (const u of [users.owner, users.chair, users.member]) await u.say('whoami', CHANNEL);
    const action = await ctx.services.actions.create(f.chair, {
      unitId: f.unit.id,
      title: 'Refresh-per-user patrol',
      ownerPersonId: f.owner.personId,
      category: 'prevention',
    });
    const shown = await users.member.say(`action ${action.id}`, CHANNEL);
    const message = shown.sent[0] as ConnectorActivity;
    const card = cardOf(message) as { refresh?: { action: Json; userIds: string[] } };
    // The card names who may move it, by their Teams addresses (the channel's own copy is as before).
    expect(card.refresh?.userIds.sort()).toEqual(
      [`29:${users.owner.aadObjectId}`, `29:${users.chair.aadObjectId}`].sort(),
    );
    const refresh = async (user: TeamsUser) => {
      const before = connector.activities.size;
      const puts = connector.requests.filter((r) => r.method === 'PUT').length;
      // As Teams sends it (learn.microsoft.com, "User Specific Views": an adaptiveCard/action invoke with the
      // refresh action, trigger automatic).
      const res = await postActivity(ctx.url, {
        type: 'invoke',
        name: 'adaptiveCard/action',
        id: `refresh-${user.aadObjectId}`,
        timestamp: new Date().toISOString(),
        serviceUrl: connector.url,
        channelId: 'msteams',
        from: { id: `29:${user.aadObjectId}`, aadObjectId: user.aadObjectId, name: 'Teams user' },
        recipient: { id: BOT_ID, name: 'DMM' },
        conversation: { id: CHANNEL.id, conversationType: 'channel', tenantId: TENANT_ID, isGroup: true },
        channelData: { tenant: { id: TENANT_ID } },
        replyToId: message.id,
        value: { action: card.refresh?.action, trigger: 'automatic' },
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { type: string; value: Json };
      // Answered to that person alone: nothing posted, nothing replaced.
      expect(connector.activities.size).toBe(before);
      expect(connector.requests.filter((r) => r.method === 'PUT')).toHaveLength(puts);
      expect(body.type).toBe('application/vnd.microsoft.card.adaptive');
      expect(body.value.refresh).toBeUndefined();
      return executeActions(body.value).map((a) => a.title);
    };
    expect(await refresh(users.owner)).toEqual(expect.arrayContaining(['Start', 'Done…']));
    expect(await refresh(users.chair)).toEqual(expect.arrayContaining(['Start', 'Done…']));
    expect(await refresh(users.member)).toEqual([]);
  });

  it('works in a shared channel, where a member of another tenant who is not linked changes nothing (issue 18, item 3)', async () => {
    // A shared channel's conversation as Teams names it; the bot is in it because the manifest declares
    // supportedChannelTypes (sharedChannels, privateChannels).
    const shared: TeamsConversation = { id: '19:shared-with-partners@thread.skype', type: 'channel' };
    const linked = await users.admin.say(`link ${f.unit.code}`, shared);
    expect(text(linked.sent)).toContain('Linked to');
    const brief = await users.member.say('brief', shared);
    expect(text(brief.sent)).toContain('Daily brief');
    const action = await ctx.services.actions.create(f.chair, {
      unitId: f.unit.id,
      title: 'Shared-channel patrol plan',
      ownerPersonId: f.owner.personId,
      category: 'prevention',
    });
    const shown = await users.member.say(`action ${action.id}`, shared);
    const card = shown.sent[0] as ConnectorActivity;
    const start = button(cardOf(card), 'Start');
    // Someone of another organisation in the channel: their Entra object id is linked to nobody here.
    const guest = teamsUser(() => ctx.url, connector, '0f0f0f0f-1111-4222-8333-444455556666');
    const auditBefore = (await ctx.services.audit.list()).length;
    const asked = await guest.say('action new', shared);
    expect(text(asked.sent)).toContain("I don't know you yet");
    const pressed = await guest.press(start, shared, card.id);
    expect(text(pressed.body)).toContain("I don't know you yet");
    expect((await ctx.services.actions.get(operator, action.id)).status).toBe('open');
    expect((await ctx.services.audit.list()).length).toBe(auditBefore);
  });

  it('answers plain text in a personal chat, and a stranger with how to be linked', async () => {
    const personal: TeamsConversation = { id: 'a:personal-owner', type: 'personal' };
    const mine = await users.owner.say('actions mine', personal);
    expect(mine.status).toBe(200);
    expect(text(mine.sent)).toContain('My actions');
    expect(await ctx.services.channels.personalChat(f.owner.personId, 'teams')).toMatchObject({
      conversationId: personal.id,
    });
    const stranger = teamsUser(() => ctx.url, connector, '00000000-0000-4000-8000-00000000dead');
    const reply = await stranger.say('brief', { id: 'a:personal-stranger', type: 'personal' });
    expect(text(reply.sent)).toContain("I don't know you yet");
    expect(text(reply.sent)).toContain('00000000-0000-4000-8000-00000000dead');
  });
});

/** A JWT shaped like a Bot Framework token for `appId`, naming the fake's key, signed with a different key. */
function forgeToken(appId: string): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const now = Math.floor(Date.now() / 1000);
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'RS256', typ: 'JWT', kid: 'fake-key' })}.${part({
    iss: 'https://api.botframework.com',
    aud: appId,
    serviceurl: 'http://127.0.0.1:9',
    nbf: now - 60,
    exp: now + 3600,
  })}`;
  return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(privateKey).toString('base64url')}`;
}

describe('Teams with an app id configured', () => {
  const clock = createFixedClock('2026-05-11T08:00:00Z');
  const fake = useFakeConnector();
  // Signing keys are looked up at a local OpenID endpoint (which publishes no key the forged token names), so
  // the check runs for real and nothing leaves the machine.
  const openId = useFakeOpenId();
  const ctx = useApp('pglite', clock, () => ({
    TEAMS_CLIENT_ID: '11111111-2222-4333-8444-555555555555',
    TEAMS_CLIENT_SECRET: 'not-a-real-secret',
    TEAMS_TENANT_ID: TENANT_ID,
    TEAMS_AUTH_TYPE: 'SingleTenant',
    TEAMS_OPENID_METADATA_URL: `${openId.current.url}/.well-known/openidconfiguration`,
    TEAMS_EMULATOR_OPENID_METADATA_URL: `${openId.current.url}/.well-known/openidconfiguration`,
  }));
  let f: UnitFixture;

  beforeAll(async () => {
    f = await createUnitFixture(ctx.services, { code: 'teams-auth' });
    await ctx.services.people.linkIdentity(operator, {
      personId: f.chair.personId,
      platform: 'teams',
      tenantId: TENANT_ID,
      externalId: 'aad-chair',
    });
    await ctx.services.channels.link(
      operator,
      { platform: 'teams', tenantId: TENANT_ID, conversationId: 'a:chair' },
      {
        unitId: f.unit.id,
        kind: 'personal',
      },
    );
  });

  it('refuses an activity without a valid token with 401, and changes nothing', async () => {
    const activity = {
      type: 'message',
      id: 'm1',
      serviceUrl: fake.current.url,
      channelId: 'msteams',
      from: { id: '29:aad-chair', aadObjectId: 'aad-chair' },
      recipient: { id: '28:dmm-bot' },
      conversation: { id: 'a:chair', conversationType: 'personal', tenantId: TENANT_ID },
      text: 'meeting start',
    };
    await ctx.services.meetings.schedule(f.chair, f.unit.id);
    const none = await postActivity(ctx.url, activity);
    expect(none.status).toBe(401);
    // A token in the right shape, for this bot, naming the published key, but signed with another key.
    const forgedToken = forgeToken('11111111-2222-4333-8444-555555555555');
    const forged = await postActivity(ctx.url, activity, { authorization: `Bearer ${forgedToken}` });
    expect(forged.status).toBe(401);
    // The key lookup went to the local endpoint, and nothing was sent to the connector.
    expect(openId.current.requests.map((r) => r.path)).toContain('/.well-known/openidconfiguration');
    expect(fake.current.requests).toEqual([]);
    expect((await ctx.services.meetings.findForDate(f.chair, f.unit.id))?.status).toBe('scheduled');
  });
});

describe('a direct message in Teams to someone who never chatted with the bot (issue 18, item 4)', () => {
  const clock = createFixedClock('2026-05-11T08:00:00Z');
  const connectorFake = useFakeConnector();
  const logs: string[] = [];
  const ctx = useApp(
    'pglite',
    clock,
    () => ({
      DMM_TEAMS: 'on',
      DMM_TEAMS_GRAPH_URL: connectorFake.current.url,
      DMM_JOBS: 'on',
      DMM_OUTBOX_INTERVAL_MS: '600000',
    }),
    logs,
  );

  it('installs the app for them through Graph and delivers; refused, it says what to grant in the log and the outbox', async () => {
    const connector = connectorFake.current;
    const f = await createUnitFixture(ctx.services, { code: 'teams-install' });
    const aad = (label: string) => `00000000-0000-4000-8000-00000000a${label}`;
    const link = (personId: number, label: string) =>
      ctx.services.people.linkIdentity(operator, {
        personId,
        platform: 'teams',
        tenantId: TENANT_ID,
        externalId: aad(label),
      });
    await link(f.admin.personId, '001');
    await link(f.chair.personId, '002');
    await link(f.owner.personId, '003');
    await link(f.member.personId, '004');
    const admin = teamsUser(() => ctx.url, connector, aad('001'));
    const chair = teamsUser(() => ctx.url, connector, aad('002'));
    await admin.say(`link ${f.unit.code}`, CHANNEL);
    expect(await ctx.services.channels.personalChat(f.owner.personId, 'teams')).toBeUndefined();

    // The chair gives the owner an action from the channel: the owner is told in their own chat, which the bot
    // opens by installing the app for them.
    const asked = await chair.say('action new', CHANNEL);
    const form = asked.sent[0] as ConnectorActivity;
    await chair.press(button(cardOf(form), 'Create action'), CHANNEL, form.id, {
      title: 'Collect the CCTV from the Westgate shop',
      ownerPersonId: String(f.owner.personId),
      dueOn: '2026-05-12',
      category: 'intelligence',
      marking: 'OFFICIAL',
    });
    expect([...connector.installedFor]).toEqual([aad('003')]);
    const chat = `19:${aad('003')}_dmm@unq.gbl.spaces`;
    const dm = [...connector.activities.values()].filter((a) => a.conversationId === chat);
    expect(dm).toHaveLength(1);
    expect(JSON.stringify(dm[0]?.activity)).toContain('Collect the CCTV from the Westgate shop');
    expect(await ctx.services.channels.personalChat(f.owner.personId, 'teams')).toMatchObject({
      conversationId: chat,
    });

    // A tenant that has not granted the permission: nothing is sent, and the outbox says what to grant.
    connector.refuseInstall(true);
    const scheduler = ctx.app.scheduler;
    if (!scheduler) throw new Error('the scheduler is off');
    await ctx.services.deliveries.scheduleRun(
      {
        job: 'test-reminder',
        unitId: f.unit.id,
        localDate: '2026-05-11',
        dueAt: clock.now(),
        late: false,
        worker: 'test',
      },
      [
        {
          personId: f.member.personId,
          kind: 'reminder',
          payload: { title: 'Your actions due today', blocks: [] },
          marking: 'OFFICIAL',
        },
      ],
    );
    await scheduler.tick();
    const [pending] = (await ctx.services.deliveries.list({ unsent: true })).filter(
      (d) => d.personId === f.member.personId,
    );
    expect(pending?.lastError).toContain('TeamsAppInstallation.ReadWriteSelfForUser.All');
    expect(connector.installedFor.has(aad('004'))).toBe(false);
  });
});

describe('a DMM run as a Teams meeting (issue 18, item 1: the meeting starting and ending, its participants)', () => {
  const clock = createFixedClock('2026-05-11T08:00:00Z');
  const connectorFake = useFakeConnector();
  const ctx = useApp('pglite', clock, { DMM_TEAMS: 'on' });
  /** A unit with admin, chair and member linked by Entra object id, and a meeting chat linked to it. */
  async function meetingSetup(code: string, series: string) {
    const aad = (n: string) => `00000000-0000-4000-8000-00000000${series}${n}`;
    const connector = connectorFake.current;
    const f = await createUnitFixture(ctx.services, { code });
    for (const [actor, n] of [
      [f.admin, '001'],
      [f.chair, '002'],
      [f.member, '003'],
    ] as const)
      await ctx.services.people.linkIdentity(operator, {
        personId: actor.personId,
        platform: 'teams',
        tenantId: TENANT_ID,
        externalId: aad(n),
      });
    // The meeting's chat, linked to the unit like any conversation.
    const chat: TeamsConversation = { id: `19:meeting_${code}@thread.v2`, type: 'groupChat' };
    await teamsUser(() => ctx.url, connector, aad('001')).say(`link ${f.unit.code}`, chat);
    let seq = 0;
    // As Teams sends them (learn.microsoft.com, "Get meeting start and end events" and "Get participant events":
    // an event activity named application/vnd.microsoft.meetingStart, …meetingEnd, …meetingParticipantJoin or
    // …meetingParticipantLeave, the meeting in channelData; for start and end its details in value, for the
    // participants value.members[] as botframework-schema's MeetingParticipantsEventDetails types it, each a
    // TeamsMeetingMember: user (TeamsChannelAccount: id, aadObjectId, name, tenantId) and meeting {inMeeting, role}).
    const event = (
      name: 'meetingStart' | 'meetingEnd' | 'meetingParticipantJoin' | 'meetingParticipantLeave',
      by: string,
      value?: unknown,
      id = `meeting-event-${code}-${++seq}`,
    ) =>
      postActivity(ctx.url, {
        type: 'event',
        name: `application/vnd.microsoft.${name}`,
        id,
        timestamp: new Date().toISOString(),
        serviceUrl: connector.url,
        channelId: 'msteams',
        from: { id: `29:${by}`, aadObjectId: by },
        recipient: { id: BOT_ID, name: 'DMM' },
        conversation: { id: chat.id, conversationType: 'groupChat', tenantId: TENANT_ID, isGroup: true },
        channelData: { tenant: { id: TENANT_ID }, meeting: { id: 'MCMxOTptZWV0aW5n' } },
        value: value ?? {
          Id: 'MCMxOTptZWV0aW5n',
          MeetingType: 'Scheduled',
          Title: 'Daily Management Meeting',
          JoinUrl: 'https://teams.microsoft.com/l/meetup-join/example',
          ...(name === 'meetingStart'
            ? { StartTime: clock.now().toISOString() }
            : { EndTime: clock.now().toISOString() }),
        },
      });
    const inChat = () => [...connector.activities.values()].filter((a) => a.conversationId === chat.id);
    return { connector, f, chat, event, inChat, aad };
  }

  it('shows the agenda in the meeting chat when the meeting starts, opened by its chair, and reminds to close at its end', async () => {
    const { connector, f, event, inChat, aad } = await meetingSetup('teams-meeting', 'b');

    // Started by a member: the agenda is shown for the chair to start; nothing is opened.
    let before = inChat().length;
    expect((await event('meetingStart', aad('003'))).status).toBe(200);
    expect(inChat().length).toBe(before + 1);
    expect((await ctx.services.meetings.findForDate(f.chair, f.unit.id))?.status ?? 'none').not.toBe('open');

    // Started by the chair: today's DMM is opened and its first section is in the meeting chat.
    before = inChat().length;
    await event('meetingStart', aad('002'));
    expect((await ctx.services.meetings.findForDate(f.chair, f.unit.id))?.status).toBe('open');
    const shown = inChat().slice(before);
    expect(shown).toHaveLength(1);
    expect(JSON.stringify(shown[0]?.activity)).toContain('Previous actions: overdue, blocked, due today');

    // The meeting ends with the DMM still open: a reminder in the meeting chat.
    before = inChat().length;
    await event('meetingEnd', aad('002'));
    expect(inChat().length).toBe(before + 1);
    expect(JSON.stringify(inChat().at(-1)?.activity)).toContain("today's DMM is still open");

    // Closed, a later end says nothing; a meeting in a conversation not linked to a unit is left alone.
    const meeting = await ctx.services.meetings.findForDate(f.chair, f.unit.id);
    await ctx.services.meetings.close(f.chair, meeting?.id as number);
    before = connector.activities.size;
    await event('meetingEnd', aad('002'));
    expect(connector.activities.size).toBe(before);
  });

  it('records participants joining and leaving as the attendance in the minutes: members by their link, anyone else as a guest', async () => {
    const { connector, f, event, inChat, aad } = await meetingSetup('teams-attend', 'c');
    const member = (n: string, name: string, tenantId = TENANT_ID) => ({
      user: { id: `29:${aad(n)}`, aadObjectId: aad(n), name, tenantId, role: 'user' },
      meeting: { inMeeting: true, role: 'Attendee' },
    });
    const chairName = (await ctx.services.people.get(f.chair.personId)).displayName;
    const memberName = (await ctx.services.people.get(f.member.personId)).displayName;
    const attendanceOf = async () => {
      const meeting = await ctx.services.meetings.findForDate(f.chair, f.unit.id);
      return {
        members: await ctx.services.meetings.attendance(f.chair, meeting?.id as number),
        guests: await ctx.services.meetings.guests(f.chair, meeting?.id as number),
      };
    };

    // The member joins before the chair has opened the DMM: today's meeting is scheduled to hold it; nothing posted.
    let posted = connector.activities.size;
    expect(
      (await event('meetingParticipantJoin', aad('003'), { members: [member('003', 'M')] })).status,
    ).toBe(200);
    expect(connector.activities.size).toBe(posted);
    expect((await ctx.services.meetings.findForDate(f.chair, f.unit.id))?.status).toBe('scheduled');
    // Their Teams address is learnt from the event, for a card's per-user refresh.
    expect(await ctx.services.people.addressesOf([f.member.personId], 'teams')).toEqual([`29:${aad('003')}`]);

    // The chair starts the meeting: the DMM opens and its agenda card is posted to the meeting chat, once.
    posted = inChat().length;
    await event('meetingStart', aad('002'));
    expect(inChat().length).toBe(posted + 1);
    expect(JSON.stringify(inChat().at(-1)?.activity)).toContain(
      'Previous actions: overdue, blocked, due today',
    );
    expect((await ctx.services.meetings.findForDate(f.chair, f.unit.id))?.status).toBe('open');

    // The chair and someone the bot does not know join in one event; Teams delivering it twice changes nothing.
    const sent = connector.activities.size;
    const joined = { members: [member('002', 'C'), member('099', 'Partner Agency Guest')] };
    await event('meetingParticipantJoin', aad('002'), joined, 'join-twice');
    await event('meetingParticipantJoin', aad('002'), joined, 'join-twice');
    // The member leaves. Joins and leaves post nothing anywhere.
    clock.set(new Date('2026-05-11T08:20:00Z'));
    await event('meetingParticipantLeave', aad('003'), { members: [member('003', 'M')] });
    expect(connector.activities.size).toBe(sent);

    const now = await attendanceOf();
    expect(now.members.map((a) => [a.personId, a.present, a.leftAt?.toISOString() ?? null]).sort()).toEqual(
      [
        [f.chair.personId, true, null],
        [f.member.personId, true, '2026-05-11T08:20:00.000Z'],
      ].sort(),
    );
    expect(now.guests).toEqual([
      { name: 'Partner Agency Guest', joinedAt: new Date('2026-05-11T08:00:00Z'), leftAt: null },
    ]);
    // The attendance card shows the guest apart, and when the member left (09:20 in London, BST).
    const said = await teamsUser(() => ctx.url, connector, aad('002')).say('attendance', {
      id: `19:meeting_teams-attend@thread.v2`,
      type: 'groupChat',
    });
    const card = JSON.stringify(said);
    expect(card).toContain('Guests (in the meeting, not members of the unit)');
    expect(card).toContain('Partner Agency Guest: present');
    expect(card).toContain(`${memberName}: present, left 09:20`);

    // Closed: the minutes hold the attendance, guests apart; an event after the close records nothing.
    const meeting = await ctx.services.meetings.findForDate(f.chair, f.unit.id);
    const { minutes } = await ctx.services.meetings.close(f.chair, meeting?.id as number);
    expect(minutes.record?.attendees).toEqual(
      expect.arrayContaining([
        { name: chairName, present: true, apology: null },
        { name: memberName, present: true, apology: null, leftAt: new Date('2026-05-11T08:20:00Z') },
        { name: 'Partner Agency Guest', present: true, guest: true },
      ]),
    );
    expect(minutes.record?.attendees).toHaveLength(3);
    const read = await ctx.services.meetings.minutesOf(f.chair, meeting?.id as number);
    expect(read.record?.attendees).toEqual(minutes.record?.attendees);
    await event('meetingParticipantJoin', aad('099'), { members: [member('098', 'Latecomer')] });
    expect((await attendanceOf()).guests).toHaveLength(1);
    // Every change went to the audit log: the member twice (join, leave), the chair once, the guest once.
    expect(await ctx.services.audit.list({ entityType: 'meeting_guest' })).toHaveLength(1);
    const attendanceTrail = await ctx.services.audit.list({ entityType: 'attendance' });
    const ofMember = attendanceTrail.filter((e) => e.entityId === `${meeting?.id}:${f.member.personId}`);
    expect(ofMember.map((e) => (e.after as { event?: string }).event)).toEqual(['joined', 'left']);
  });

  it('takes malformed participant events without a word in the chat, and keeps a name with control bytes clean', async () => {
    const { connector, f, event, aad } = await meetingSetup('teams-junk', 'd');
    const posted = connector.activities.size;
    for (const value of [
      {},
      { members: 'everyone' },
      { members: [{}, null, 7, { user: {} }] },
      { members: [{ user: { aadObjectId: 'x'.repeat(1000), name: 'Long id' } }] },
    ])
      expect((await event('meetingParticipantJoin', aad('003'), value)).status).toBe(200);
    // Nothing recorded from those: not even today's meeting was scheduled.
    expect(await ctx.services.meetings.findForDate(f.chair, f.unit.id)).toBeUndefined();
    await event('meetingParticipantJoin', aad('003'), {
      members: [
        { user: { id: '29:guest-1', name: '\u001b[31mGuest\u0007 One' }, meeting: { inMeeting: true } },
      ],
    });
    const meeting = await ctx.services.meetings.findForDate(f.chair, f.unit.id);
    expect(await ctx.services.meetings.guests(f.chair, meeting?.id as number)).toEqual([
      expect.objectContaining({ name: '[31mGuest  One', leftAt: null }),
    ]);
    expect(connector.activities.size).toBe(posted);
  });
});
