/**
 * Slack over real HTTP: signed slash commands, button presses and modal submissions drive a whole DMM, and the
 * app's calls to a fake Slack Web API on loopback are what the people in the channel would see.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { minutesPdf } from '../../cards/minutes.card.js';
import { createFixedClock } from '../../services/clock.js';
import { useApp } from '../support/app.js';
import { slackMessageProblems, slackModalProblems } from '../support/cards.js';
import { BACKENDS } from '../support/database.js';
import type { SlackCall } from '../support/fakes/fake-slack.js';
import { type FakeSlack, slackSignature, TEAM_ID } from '../support/fakes/fake-slack.js';
import { slackSettings, useFakeSlack } from '../support/fakes/use-fakes.js';
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
  blocksText,
  buttonsIn,
  SIGNING_SECRET,
  type SlackUser,
  signedPost,
  slackPost,
  slackUser,
  waitFor,
} from '../support/slack-client.js';

const CHANNEL = 'C0DMM';

function button(calls: SlackCall[] | unknown, title: string) {
  const found = buttonsIn(calls).find((b) => b.text === title);
  if (!found) throw new Error(`no button '${title}' in ${blocksText(calls).slice(0, 600)}`);
  return found;
}

const only = (calls: SlackCall[], method: string) => calls.filter((c) => c.method === method);

describe.each(BACKENDS)('Slack on %s', (backend) => {
  const clock = createFixedClock('2026-05-11T08:00:00Z');
  const fake = useFakeSlack();
  const ctx = useApp(backend, clock, () => ({
    ...slackSettings(fake),
  }));
  let f: UnitFixture;
  let users: Record<'chair' | 'owner' | 'member' | 'partner' | 'admin' | 'manager', SlackUser>;
  let slack: FakeSlack;

  beforeAll(async () => {
    slack = fake.current;
    f = await createUnitFixture(ctx.services, { code: 'slack' });
    users = await linkPlatformUsers(
      ctx.services,
      {
        chair: f.chair,
        owner: f.owner,
        member: f.member,
        partner: f.partner,
        admin: f.admin,
        manager: f.manager,
      },
      'slack',
      TEAM_ID,
      (role) => `U0${role.toUpperCase()}`,
      (userId) =>
        slackUser(
          () => ctx.url,
          slack,
          userId,
          undefined,
          () => ctx.app.idle(),
        ),
    );
  });

  it('checks the bot token with auth.test at start', () => {
    expect(slack.callsOf('auth.test').length).toBeGreaterThanOrEqual(1);
  });

  it('answers help to anyone, ephemerally, and asks for a link in an unbound channel', async () => {
    const help = await users.member.command('help');
    expect(only(help, 'chat.postEphemeral')).toHaveLength(1);
    expect(blocksText(help)).toContain('dmm brief');
    const brief = await users.member.command('brief');
    expect(blocksText(brief)).toContain('not linked to a unit');
    expect(only(brief, 'chat.postMessage')).toHaveLength(0);
  });

  /** The channel message a call posted: where to press its buttons. */
  const at = (call: SlackCall | undefined) => {
    if (!call) throw new Error('no such call');
    return { channel: String(call.args.channel), ts: String(call.result?.ts ?? call.args.ts) };
  };

  it('refuses a link from a non-admin, and links the channel for the admin (audited)', async () => {
    const refused = await users.chair.command(`link ${f.unit.code}`);
    expect(blocksText(refused)).toContain('admin');
    const before = await ctx.services.channels.find({
      platform: 'slack',
      tenantId: TEAM_ID,
      conversationId: CHANNEL,
    });
    expect(before?.unitId ?? null).toBeNull();
    const linked = await users.admin.command(`link ${f.unit.code} sensitive`);
    expect(blocksText(only(linked, 'chat.postMessage'))).toContain('Linked to');
    const binding = await ctx.services.channels.find({
      platform: 'slack',
      tenantId: TEAM_ID,
      conversationId: CHANNEL,
    });
    expect(binding).toMatchObject({ unitId: f.unit.id, audience: 'internal', ceiling: 'OFFICIAL-SENSITIVE' });
    const events = await ctx.services.audit.list({ entityType: 'channel_binding' });
    expect(events.at(-1)).toMatchObject({ actorPersonId: f.admin.personId, after: { unitId: f.unit.id } });
  });

  it('runs a whole DMM: every section, a decision, an action done by its owner, the minutes', async () => {
    await ctx.services.meetings.schedule(f.chair, f.unit.id);
    // The chair opens the meeting; the card goes to the channel for everyone.
    let calls = await users.chair.command('meeting');
    const meeting = at(only(calls, 'chat.postMessage')[0]);
    calls = await users.chair.press(button(calls, 'Start meeting'), meeting);
    // Pressing a button on the card updates that card in place.
    expect(only(calls, 'chat.update')).toHaveLength(1);
    expect(blocksText(slack.messages.get(`${meeting.channel}/${meeting.ts}`)?.blocks)).toContain(
      '1. Previous actions',
    );
    for (let section = 2; section <= 10; section += 1) {
      calls = await users.chair.press(
        button(slack.messages.get(`${meeting.channel}/${meeting.ts}`)?.blocks, 'Next section'),
        meeting,
      );
      expect(blocksText(only(calls, 'chat.update'))).toContain(`${section}. `);
    }
    for (const m of slack.messages.values()) expect(slackMessageProblems(m as never)).toEqual([]);

    // A decision: the form opens as a modal; a missing rationale is shown under its field.
    calls = await users.chair.press(
      button(slack.messages.get(`${meeting.channel}/${meeting.ts}`)?.blocks, 'Record a decision'),
      meeting,
    );
    const decisionView = only(calls, 'views.open')[0]?.args.view as Record<string, unknown>;
    expect(slackModalProblems(decisionView as never)).toEqual([]);
    const partial = await users.chair.submit(decisionView, {
      text: 'Patrol the retail park from 16:00',
      marking: 'OFFICIAL',
    });
    expect(partial.body.response_action).toBe('errors');
    expect(Object.keys(partial.body.errors as object)).toContain('information');
    expect(only(partial.calls, 'chat.postMessage')).toHaveLength(0);
    const recorded = await users.chair.submit(decisionView, DECISION_INPUTS);
    expect(recorded.status).toBe(200);
    expect(blocksText(only(recorded.calls, 'chat.postMessage'))).toMatch(/Decision #\d+/);

    // An action for the owner: posted in the channel, and the owner gets a DM.
    calls = await users.member.press(
      button(slack.messages.get(`${meeting.channel}/${meeting.ts}`)?.blocks, 'New action'),
      meeting,
    );
    const actionView = only(calls, 'views.open')[0]?.args.view as Record<string, unknown>;
    const created = await users.member.submit(actionView, actionInputs(f.owner.personId));
    const posts = only(created.calls, 'chat.postMessage');
    const inChannel = posts.find((c) => c.args.channel === CHANNEL);
    const dm = posts.find((c) => c.args.channel === users.owner.userId);
    expect(blocksText(inChannel)).toContain('Visit the shop manager');
    expect(String(dm?.args.text)).toContain('gave you action');
    const actionMessage = at(inChannel);
    const id = /Action #(\d+)/.exec(blocksText(inChannel))?.[1];

    // The owner lists their actions (ephemeral) and moves the action on from the channel card.
    const mine = await users.owner.command('actions mine');
    expect(only(mine, 'chat.postEphemeral')).toHaveLength(1);
    expect(blocksText(mine)).toContain('Visit the shop manager');
    calls = await users.owner.press(button(inChannel, 'Start'), actionMessage);
    expect(blocksText(slack.messages.get(`${CHANNEL}/${actionMessage.ts}`)?.blocks)).toContain('In progress');
    calls = await users.owner.press(
      button(slack.messages.get(`${CHANNEL}/${actionMessage.ts}`)?.blocks, 'Done…'),
      actionMessage,
    );
    const doneView = only(calls, 'views.open')[0]?.args.view as Record<string, unknown>;
    const done = await users.owner.submit(doneView, { result: 'Manager visited; CCTV offered' });
    expect(blocksText(done.calls)).toContain('Manager visited; CCTV offered');
    // The card in the channel shows the new state too, with no buttons left.
    const card = slack.messages.get(`${CHANNEL}/${actionMessage.ts}`);
    expect(blocksText(card?.blocks)).toContain('Manager visited; CCTV offered');
    expect(buttonsIn(card?.blocks)).toEqual([]);
    expect((await ctx.services.actions.get(operator, Number(id))).status).toBe('done');

    // Attendance, a note and the read-back, by slash command (issue 16, items 1, 2 and 5).
    expect(blocksText(await users.member.command('here'))).toContain(`${f.member.label}: present`);
    expect(blocksText(await users.manager.command('apologies Court'))).toContain(
      `${f.manager.label}: apologies (Court)`,
    );
    expect(blocksText(await users.member.command('note Tension after the weekend march'))).toContain(
      'Tension after the weekend march',
    );
    const readBack = blocksText(await users.chair.command('meeting'));
    expect(readBack).toContain('Decisions recorded (1)');
    expect(readBack).toContain('Actions raised (1)');

    // The chair closes the meeting: the card says so and the minutes are posted.
    calls = await users.chair.press(
      button(slack.messages.get(`${meeting.channel}/${meeting.ts}`)?.blocks, 'Close meeting'),
      meeting,
    );
    const minutes = blocksText(only(calls, 'chat.postMessage'));
    expect(minutes).toContain('DMM minutes: ');
    expect(minutes).toContain('Patrol the retail park from 16:00');
    expect(minutes).toContain('Visit the shop manager');
    expect(minutes).toContain('Tension after the weekend march');
    expect(minutes).toContain(`Apologies: ${f.manager.label} (Court)`);
  });

  it('signs off a whole DMM the next day: attendance with an apology, the exception discussed in its section, notes in 6, 7 and 9, the previous action reviewed, a decision, an action, read-back, close, approve once, PDF (issue 16, done when; no approval on 54b6730)', async () => {
    clock.set('2026-05-12T08:00:00Z');
    const { previousActionId } = await prepareSignOff(ctx.services, f, clock);
    let calls = await users.chair.command('meeting start');
    const meeting = at(only(calls, 'chat.postMessage')[0]);
    const card = () => slack.messages.get(`${meeting.channel}/${meeting.ts}`)?.blocks;
    expect(blocksText(card())).toContain(SIGN_OFF.previousAction);
    await users.member.command('here');
    await users.manager.command(`apologies ${SIGN_OFF.apology}`);
    await users.chair.press(button(card(), 'Next section'), meeting);
    expect(blocksText(card())).toContain(SIGN_OFF.exceptionRef);
    await users.member.command(`note ${SIGN_OFF.exceptionNote}`);
    for (let section = 3; section <= 9; section += 1) {
      await users.chair.press(button(card(), 'Next section'), meeting);
      const note = SIGN_OFF.notes[section as keyof typeof SIGN_OFF.notes];
      if (note) await users.member.command(`note ${note}`);
    }
    calls = await users.chair.press(button(card(), 'Record a decision'), meeting);
    await users.chair.submit(
      only(calls, 'views.open')[0]?.args.view as Record<string, unknown>,
      DECISION_INPUTS,
    );
    calls = await users.chair.press(button(card(), 'New action'), meeting);
    await users.chair.submit(
      only(calls, 'views.open')[0]?.args.view as Record<string, unknown>,
      actionInputs(f.owner.personId),
    );
    await users.chair.press(button(card(), 'Next section'), meeting);
    expect(blocksText(card())).toContain('Decisions recorded (1)');
    expect(blocksText(card())).toContain('Actions raised (1)');

    calls = await users.chair.press(button(card(), 'Close meeting'), meeting);
    const posted = only(calls, 'chat.postMessage').filter((c) => c.args.channel === CHANNEL);
    expect(posted).toHaveLength(1);
    const minutesMessage = at(posted[0]);
    const minutesCard = () => slack.messages.get(`${minutesMessage.channel}/${minutesMessage.ts}`)?.blocks;
    expect(blocksText(minutesCard())).toContain('Closed, not yet approved');

    // The chair approves from the minutes: the message is brought up to date in place, nothing else is posted.
    const approve = button(minutesCard(), 'Approve minutes');
    calls = await users.chair.press(approve, minutesMessage);
    expect(only(calls, 'chat.postMessage')).toHaveLength(0);
    const minutes = blocksText(minutesCard());
    for (const expected of signOffExpectations(f.manager, previousActionId))
      expect(minutes).toContain(expected);
    expect(buttonsIn(minutesCard()).map((b) => b.text)).toEqual(['Add an addendum']);
    // The same press again (a double click, a retry): no second approval, nothing posted.
    calls = await users.chair.press(approve, minutesMessage);
    expect(only(calls, 'chat.postMessage')).toHaveLength(0);
    const meetingId = JSON.parse(String(approve.value)).meetingId as number;
    const approvals = (
      await ctx.services.audit.list({ entityType: 'meeting', entityId: String(meetingId) })
    ).filter((e) => (e.after as { status?: string } | null)?.status === 'approved');
    expect(approvals).toHaveLength(1);

    // The PDF: chat says where it is; the file holds every item, its marking on every page.
    const where = await users.chair.command('minutes pdf');
    expect(only(where, 'chat.postEphemeral')).toHaveLength(1);
    expect(blocksText(where)).toContain('dmm minutes 2026-05-12 --format pdf');
    const view = await ctx.services.meetings.getMinutes(operator, f.unit.id, '2026-05-12');
    expectPdfHolds(await minutesPdf(view), signOffExpectations(f.manager, previousActionId), 'OFFICIAL');
  });
});

describe('Slack request checks', () => {
  const clock = createFixedClock('2026-05-11T08:00:00Z');
  const fake = useFakeSlack();
  const ctx = useApp('pglite', clock, () => ({
    ...slackSettings(fake),
  }));
  let f: UnitFixture;
  let chair: SlackUser;
  let slack: FakeSlack;

  beforeAll(async () => {
    slack = fake.current;
    f = await createUnitFixture(ctx.services, { code: 'slack-checks' });
    for (const [actor, userId] of [
      [f.chair, 'U0CHAIR'],
      [f.admin, 'U0ADMIN'],
    ] as const)
      await ctx.services.people.linkIdentity(operator, {
        personId: actor.personId,
        platform: 'slack',
        tenantId: TEAM_ID,
        externalId: userId,
      });
    await slackUser(() => ctx.url, slack, 'U0ADMIN').command(`link ${f.unit.code}`);
    chair = slackUser(() => ctx.url, slack, 'U0CHAIR');
  });

  const startBody = new URLSearchParams({
    team_id: TEAM_ID,
    channel_id: CHANNEL,
    channel_name: 'dmm',
    user_id: 'U0CHAIR',
    command: '/dmm',
    text: 'meeting start',
    trigger_id: 't',
    response_url: 'http://127.0.0.1:9/none',
  }).toString();

  it('refuses a forged signature and a stale timestamp with 401, and changes nothing', async () => {
    const calls = slack.calls.length;
    const forged = await slackPost(ctx.url, startBody, slackSignature('not-the-secret', startBody));
    expect(forged.status).toBe(401);
    const stale = await slackPost(
      ctx.url,
      startBody,
      slackSignature(SIGNING_SECRET, startBody, Math.floor(Date.now() / 1000) - 6 * 60),
    );
    expect(stale.status).toBe(401);
    const unsigned = await slackPost(ctx.url, startBody);
    expect(unsigned.status).toBe(401);
    // A correctly signed body that was changed after signing is forged too.
    const headers = slackSignature(SIGNING_SECRET, startBody);
    const tampered = await slackPost(ctx.url, startBody.replace('meeting+start', 'meeting+close'), headers);
    expect(tampered.status).toBe(401);
    // A refused request is answered before any handler runs, so nothing can follow it.
    expect(slack.calls.length).toBe(calls);
    expect(await ctx.services.meetings.findForDate(f.chair, f.unit.id)).toBeUndefined();
    // The same request, signed, works.
    const ok = await signedPost(ctx.url, startBody);
    expect(ok.status).toBe(200);
    await waitFor(() => slack.callsOf('chat.postMessage').length > 0, 'the meeting card');
    expect((await ctx.services.meetings.findForDate(f.chair, f.unit.id))?.status).toBe('open');
  });

  it('answers Slack URL verification', async () => {
    const body = JSON.stringify({ type: 'url_verification', challenge: 'abc123', token: 'x' });
    const res = await fetch(`${ctx.url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...slackSignature(SIGNING_SECRET, body) },
      body,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ challenge: 'abc123' });
  });

  it('publishes "my actions" on the App Home tab', async () => {
    await ctx.services.actions.create(f.chair, {
      unitId: f.unit.id,
      title: 'Review the hotspot plan',
      ownerPersonId: f.chair.personId,
      dueOn: '2026-05-12',
      category: 'prevention',
    });
    const body = JSON.stringify({
      type: 'event_callback',
      team_id: TEAM_ID,
      api_app_id: 'A0DMM',
      event: { type: 'app_home_opened', user: 'U0CHAIR', channel: 'D0CHAIR', tab: 'home' },
      event_id: 'Ev1',
      event_time: 1,
    });
    const res = await fetch(`${ctx.url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...slackSignature(SIGNING_SECRET, body) },
      body,
    });
    expect(res.status).toBe(200);
    const publish = await waitFor(() => slack.callsOf('views.publish').at(-1), 'views.publish');
    expect(publish.args.user_id).toBe('U0CHAIR');
    expect(blocksText(publish.args.view)).toContain('Review the hotspot plan');
  });

  it('tells an unknown Slack user how to be linked, naming their user id', async () => {
    const stranger = await slackUser(() => ctx.url, slack, 'U0STRANGER').command('brief');
    const text = blocksText(stranger);
    expect(text).toContain("I don't know you yet");
    expect(text).toContain('U0STRANGER');
    expect(only(stranger, 'chat.postEphemeral')).toHaveLength(1);
  });

  it('tells someone with no role on the channel unit so, and changes nothing', async () => {
    const other = await createUnitFixture(ctx.services, { code: 'slack-other' });
    await ctx.services.people.linkIdentity(operator, {
      personId: other.chair.personId,
      platform: 'slack',
      tenantId: TEAM_ID,
      externalId: 'U0OTHERCHAIR',
    });
    const before = (await ctx.services.audit.list()).length;
    const calls = await slackUser(() => ctx.url, slack, 'U0OTHERCHAIR').command('meeting start');
    expect(blocksText(calls)).toContain(`You have no role on ${f.unit.name}`);
    expect(only(calls, 'chat.postEphemeral')).toHaveLength(1);
    expect((await ctx.services.audit.list()).length).toBe(before);
  });

  it('unlinks for an admin, after which the channel asks to be linked again', async () => {
    await slackUser(() => ctx.url, slack, 'U0ADMIN', 'C0TEMP').command(`link ${f.unit.code}`);
    const unlinked = await slackUser(() => ctx.url, slack, 'U0ADMIN', 'C0TEMP').command('unlink');
    expect(blocksText(only(unlinked, 'chat.postMessage'))).toContain('no longer linked');
    const after = await slackUser(() => ctx.url, slack, 'U0CHAIR', 'C0TEMP').command('brief');
    expect(blocksText(after)).toContain('not linked to a unit');
  });

  it('never posts an OFFICIAL-SENSITIVE decision to an OFFICIAL channel: a pointer there, the card by DM', async () => {
    const form = await chair.command('decide');
    const view = only(form, 'views.open')[0]?.args.view as Record<string, unknown>;
    const secret = 'Covert deployment to the Eastfield address';
    const done = await chair.submit(view, {
      ...DECISION_INPUTS,
      text: secret,
      marking: 'OFFICIAL-SENSITIVE',
    });
    const inChannel = only(done.calls, 'chat.postMessage').filter((c) => c.args.channel === CHANNEL);
    expect(blocksText(inChannel)).toContain('1 item withheld: OFFICIAL-SENSITIVE');
    expect(blocksText(inChannel)).not.toContain(secret);
    const dm = only(done.calls, 'chat.postMessage').find((c) => c.args.channel === 'U0CHAIR');
    expect(blocksText(dm)).toContain(secret);
    expect(blocksText(dm)).toContain('OFFICIAL-SENSITIVE');
    // Nothing anywhere in the channel carries it.
    for (const m of slack.messages.values())
      if (m.channel === CHANNEL) expect(blocksText(m.blocks)).not.toContain(secret);
  });

  it('keeps a partner channel to the sanitised views: records are withheld there and sent to the person', async () => {
    await ctx.services.people.linkIdentity(operator, {
      personId: f.partner.personId,
      platform: 'slack',
      tenantId: TEAM_ID,
      externalId: 'U0PARTNER',
    });
    await slackUser(() => ctx.url, slack, 'U0ADMIN', 'C0PARTNER').command(`link ${f.unit.code} partner`);
    const partner = slackUser(() => ctx.url, slack, 'U0PARTNER', 'C0PARTNER');
    const brief = await partner.command('brief');
    expect(blocksText(only(brief, 'chat.postMessage'))).toContain('Partner brief');
    // The chair, internal, asks for a record there: a pointer in the channel, the record by DM.
    const chairHere = slackUser(() => ctx.url, slack, 'U0CHAIR', 'C0PARTNER');
    const action = await ctx.services.actions.create(f.chair, {
      unitId: f.unit.id,
      title: 'Brief the licensing team',
      ownerPersonId: f.chair.personId,
      dueOn: '2026-05-13',
      category: 'enforcement',
    });
    const shown = await chairHere.command(`action ${action.id}`);
    const here = [...only(shown, 'chat.postMessage'), ...only(shown, 'chat.postEphemeral')].filter(
      (c) => c.args.channel === 'C0PARTNER',
    );
    expect(blocksText(here)).toContain('partner channel, which carries the sanitised summary only');
    expect(blocksText(here)).not.toContain('Brief the licensing team');
    const dm = only(shown, 'chat.postMessage').find((c) => c.args.channel === 'U0CHAIR');
    expect(blocksText(dm)).toContain('Brief the licensing team');
    // A form opens only as the person's own modal: nothing of it is posted in the partner channel.
    const form = await chairHere.command('decide');
    expect(only(form, 'views.open')).toHaveLength(1);
    expect(only(form, 'chat.postMessage').filter((c) => c.args.channel === 'C0PARTNER')).toEqual([]);
  });

  it('asks to be invited when it is not in the channel', async () => {
    await ctx.services.channels.link(
      operator,
      { platform: 'slack', tenantId: TEAM_ID, conversationId: 'C0NOTIN1' },
      {
        unitId: f.unit.id,
      },
    );
    const calls = await slackUser(() => ctx.url, slack, 'U0CHAIR', 'C0NOTIN1').command('brief');
    const answer = calls.find((c) => c.method === 'response_url');
    expect(String(answer?.args.text)).toContain('/invite @DMM');
    expect(answer?.args.response_type).toBe('ephemeral');
  });

  it('waits out a 429 with Retry-After and delivers the reply once', async () => {
    slack.rateLimit('chat.postEphemeral', 1, 1);
    const started = Date.now();
    const before = slack.callsOf('chat.postEphemeral').length;
    await chair.command('whoami');
    const attempts = await waitFor(
      () => {
        const tries = slack.callsOf('chat.postEphemeral').slice(before);
        return tries.length >= 2 ? tries : undefined;
      },
      'the retry',
      5_000,
    );
    expect(slack.callsOf('chat.postEphemeral').slice(before)).toHaveLength(2);
    expect(attempts.map((c) => c.result?.ok)).toEqual([false, true]);
    expect((attempts[1]?.at ?? 0) - (attempts[0]?.at ?? 0)).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });
});
