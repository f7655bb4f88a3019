/**
 * Slack and Teams in one app: one record across platforms (an action created in Slack is moved on from Teams
 * by the same person, and both messages show it), and fuzzed payloads on both (never a 5xx, never a change on
 * invalid input, always a reply that says what to do).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createFixedClock } from '../../services/clock.js';
import { useApp } from '../support/app.js';
import { linkPerson } from '../support/chat-drivers.js';
import type { ConnectorActivity, FakeConnector } from '../support/fakes/fake-connector.js';
import { type FakeSlack, TEAM_ID } from '../support/fakes/fake-slack.js';
import { slackSettings, useFakeConnector, useFakeSlack } from '../support/fakes/use-fakes.js';
import { createUnitFixture, operator, type UnitFixture } from '../support/fixtures.js';
import {
  blocksText,
  buttonsIn,
  type SlackUser,
  signedPost,
  slackUser,
  waitFor,
} from '../support/slack-client.js';
import {
  cardOf,
  executeActions,
  postActivity,
  type TeamsConversation,
  type TeamsUser,
  teamsUser,
} from '../support/teams-client.js';

const SLACK_CHANNEL = 'C0BOTH';
const TEAMS_CHANNEL: TeamsConversation = { id: '19:both@thread.tacv2', type: 'channel' };

describe('Slack and Teams together', () => {
  const clock = createFixedClock('2026-05-11T08:00:00Z');
  const slackFake = useFakeSlack();
  const connectorFake = useFakeConnector();
  const ctx = useApp('pglite', clock, () => ({
    ...slackSettings(slackFake),
    DMM_TEAMS: 'on',
  }));
  let f: UnitFixture;
  let slack: FakeSlack;
  let connector: FakeConnector;
  const people = {} as {
    ownerSlack: SlackUser;
    ownerTeams: TeamsUser;
    memberSlack: SlackUser;
    memberTeams: TeamsUser;
  };

  beforeAll(async () => {
    slack = slackFake.current;
    connector = connectorFake.current;
    f = await createUnitFixture(ctx.services, { code: 'both' });
    const link = (personId: number, platform: 'slack' | 'teams', externalId: string) =>
      linkPerson(ctx.services, personId, platform, externalId);
    await link(f.owner.personId, 'slack', 'U0OWNER');
    await link(f.owner.personId, 'teams', 'aad-owner');
    await link(f.member.personId, 'slack', 'U0MEMBER');
    await link(f.member.personId, 'teams', 'aad-member');
    await link(f.admin.personId, 'slack', 'U0ADMIN');
    await link(f.admin.personId, 'teams', 'aad-admin');
    await slackUser(() => ctx.url, slack, 'U0ADMIN', SLACK_CHANNEL).command(`link ${f.unit.code}`);
    await teamsUser(() => ctx.url, connector, 'aad-admin').say(`link ${f.unit.code}`, TEAMS_CHANNEL);
    people.ownerSlack = slackUser(() => ctx.url, slack, 'U0OWNER', SLACK_CHANNEL);
    people.ownerTeams = teamsUser(() => ctx.url, connector, 'aad-owner');
    people.memberSlack = slackUser(() => ctx.url, slack, 'U0MEMBER', SLACK_CHANNEL);
    people.memberTeams = teamsUser(() => ctx.url, connector, 'aad-member');
  });

  it('keeps one record across platforms: created in Slack, started from Teams, both messages show it', async () => {
    const form = await people.memberSlack.command('action new');
    const view = form.find((c) => c.method === 'views.open')?.args.view as Record<string, unknown>;
    const created = await people.memberSlack.submit(view, {
      title: 'Check the licensed premises',
      ownerPersonId: String(f.owner.personId),
      dueOn: '2026-05-12',
      category: 'enforcement',
      marking: 'OFFICIAL',
    });
    const post = created.calls.find(
      (c) => c.method === 'chat.postMessage' && c.args.channel === SLACK_CHANNEL,
    );
    const ts = String(post?.result?.ts);
    const id = /Action #(\d+)/.exec(blocksText(post))?.[1];
    expect(id).toBeDefined();

    // The owner, in Teams, brings the action up and starts it from the card.
    const shown = await people.ownerTeams.say(`action ${id}`, TEAMS_CHANNEL);
    const teamsMessage = shown.sent[0] as ConnectorActivity;
    const start = executeActions(cardOf(teamsMessage)).find((a) => a.title === 'Start');
    if (!start) throw new Error('no Start button on the Teams card');
    const pressed = await people.ownerTeams.press(start, TEAMS_CHANNEL, teamsMessage.id);
    expect(JSON.stringify(pressed.body.value)).toContain('In progress');

    // The Slack message was updated to the same state.
    const slackMessage = await waitFor(() => {
      const m = slack.messages.get(`${SLACK_CHANNEL}/${ts}`);
      return m && m.updates > 0 ? m : undefined;
    }, 'the Slack card to be updated');
    expect(blocksText(slackMessage.blocks)).toContain('In progress');
    expect(buttonsIn(slackMessage.blocks).map((b) => b.text)).not.toContain('Start');

    // And back: done from Slack; the Teams message is updated through the connector.
    const done = buttonsIn(slackMessage.blocks).find((b) => b.text === 'Done…');
    if (!done) throw new Error('no Done button on the Slack card');
    const opened = await people.ownerSlack.press(done, { channel: SLACK_CHANNEL, ts });
    const doneView = opened.find((c) => c.method === 'views.open')?.args.view as Record<string, unknown>;
    await people.ownerSlack.submit(doneView, { result: 'Premises visited, licence conditions met' });
    const teamsUpdate = connector.requests.filter(
      (r) => r.method === 'PUT' && r.path.endsWith(`/activities/${teamsMessage.id}`),
    );
    expect(JSON.stringify(teamsUpdate.at(-1)?.body)).toContain('Premises visited, licence conditions met');
    expect((await ctx.services.actions.get(operator, Number(id))).status).toBe('done');
  });

  it("keeps the owner's direct-message copy of an action current on both platforms (issue 18, item 5: never updated on 54b6730)", async () => {
    // Slack: a member creates an action for the owner in the channel; the owner is told by DM (D0OWNER).
    const form = await people.memberSlack.command('action new');
    const view = form.find((c) => c.method === 'views.open')?.args.view as Record<string, unknown>;
    const created = await people.memberSlack.submit(view, {
      title: 'Visit the Mill Lane scrap dealer',
      ownerPersonId: String(f.owner.personId),
      dueOn: '2026-05-13',
      category: 'enforcement',
      marking: 'OFFICIAL',
    });
    const dm = created.calls.find((c) => c.method === 'chat.postMessage' && c.args.channel === 'U0OWNER');
    expect(blocksText(dm)).toContain('Visit the Mill Lane scrap dealer');
    const dmKey = `${String(dm?.result?.channel)}/${String(dm?.result?.ts)}`;
    const id = /Action #(\d+)/.exec(blocksText(dm))?.[1];
    // The owner starts it from the channel's copy in Slack: the DM copy is brought up to date, not posted again.
    const post = created.calls.find(
      (c) => c.method === 'chat.postMessage' && c.args.channel === SLACK_CHANNEL,
    );
    const channelCopy = slack.messages.get(`${SLACK_CHANNEL}/${String(post?.result?.ts)}`);
    const start = buttonsIn(channelCopy?.blocks).find((b) => b.text === 'Start');
    if (!start) throw new Error('no Start button on the channel copy');
    const dmsBefore = slack.callsOf('chat.postMessage').filter((c) => c.args.channel === 'U0OWNER').length;
    await people.ownerSlack.press(start, { channel: SLACK_CHANNEL, ts: String(post?.result?.ts) });
    const updatedDm = await waitFor(() => {
      const m = slack.messages.get(dmKey);
      return m && m.updates > 0 ? m : undefined;
    }, 'the DM copy to be updated');
    expect(blocksText(updatedDm.blocks)).toContain('In progress');
    expect(slack.callsOf('chat.postMessage').filter((c) => c.args.channel === 'U0OWNER')).toHaveLength(
      dmsBefore,
    );

    // Teams: the owner has a personal chat with the bot; an action given to them from a Teams channel reaches it.
    const personal: TeamsConversation = { id: 'a:personal-owner', type: 'personal' };
    await people.ownerTeams.say('actions mine', personal);
    const teamsForm = await people.memberTeams.say('action new', TEAMS_CHANNEL);
    const formMessage = teamsForm.sent[0] as ConnectorActivity;
    const submit = executeActions(cardOf(formMessage)).find((a) => a.title === 'Create action');
    if (!submit) throw new Error('no Create button on the Teams form');
    await people.memberTeams.press(submit, TEAMS_CHANNEL, formMessage.id, {
      title: 'Check the Westgate CCTV',
      ownerPersonId: String(f.owner.personId),
      dueOn: '2026-05-14',
      category: 'intelligence',
      marking: 'OFFICIAL',
    });
    const teamsDm = [...connector.activities.values()].find(
      (a) =>
        a.conversationId === personal.id && JSON.stringify(a.activity).includes('Check the Westgate CCTV'),
    );
    if (!teamsDm) throw new Error('no direct message to the owner in Teams');
    const teamsId = /Action #(\d+)/.exec(JSON.stringify(teamsDm.activity))?.[1];
    // Changed elsewhere (the service, as from any surface): the Teams DM copy is replaced through the connector.
    const action = await ctx.services.actions.get(operator, Number(teamsId));
    expect(action.title).toBe('Check the Westgate CCTV');
    const shownInSlack = await people.ownerSlack.command(`action ${teamsId} start`);
    expect(blocksText(shownInSlack)).toContain('In progress');
    const put = await waitFor(
      () =>
        connector.requests.find((r) => r.method === 'PUT' && r.path.endsWith(`/activities/${teamsDm.id}`)),
      'the Teams DM copy to be updated',
    );
    expect(JSON.stringify(put.body)).toContain('In progress');
    expect(id).toBeDefined();
  });

  describe('fuzzed payloads', () => {
    const changes = async () => (await ctx.services.audit.list()).length;
    const json = fc.oneof(
      fc.string(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.record({ v: fc.integer(), verb: fc.string() }).map((v) => JSON.stringify(v)),
      fc
        .record({
          v: fc.constant(1),
          verb: fc.constantFrom(
            'action.status',
            'action.due',
            'meeting.next',
            'decision.record',
            'action.create',
          ),
          actionId: fc.oneof(fc.integer(), fc.string()),
          meetingId: fc.oneof(fc.integer(), fc.string()),
          status: fc.string(),
          version: fc.integer(),
        })
        .map((v) => JSON.stringify(v)),
    );

    it('Slack: random slash text gets a reply to the person and changes nothing', async () => {
      const before = await changes();
      const sent = slack.calls.length;
      let requests = 0;
      await fc.assert(
        fc.asyncProperty(fc.string({ maxLength: 300 }), async (text) => {
          requests += 1;
          const body = new URLSearchParams({
            team_id: TEAM_ID,
            channel_id: SLACK_CHANNEL,
            channel_name: 'both',
            user_id: 'U0MEMBER',
            command: '/dmm',
            text: `action 999999 done ${text}`
              .slice(0, requests % 2 ? 20 : 400)
              .replace('action 999999 done ', requests % 3 ? '' : 'action 999999 done '),
            trigger_id: `t-${requests}`,
            response_url: `${slack.url}/response/fuzz`,
          }).toString();
          const res = await signedPost(ctx.url, body);
          expect(res.status).toBe(200);
        }),
        { numRuns: 40 },
      );
      // Every command got an answer (an ephemeral reply, a post or a modal), and nothing was recorded.
      await waitFor(() => slack.calls.length - sent >= requests, 'a reply to every command', 10_000);
      expect(await changes()).toBe(before);
    });

    it('Slack: random button values and modal submissions change nothing and get a reply', async () => {
      const before = await changes();
      const replies = () =>
        slack.calls.filter((c) => c.args.user === 'U0MEMBER' || c.args.channel === 'U0MEMBER').length;
      const repliedBefore = replies();
      let presses = 0;
      await fc.assert(
        fc.asyncProperty(
          json,
          fc.dictionary(fc.string({ maxLength: 20 }), fc.string()),
          async (value, values) => {
            const press = {
              type: 'block_actions',
              team: { id: TEAM_ID },
              user: { id: 'U0MEMBER', team_id: TEAM_ID },
              channel: { id: SLACK_CHANNEL, name: 'both' },
              container: { type: 'message', message_ts: '1.1', channel_id: SLACK_CHANNEL },
              message: { ts: '1.1' },
              trigger_id: 't',
              response_url: `${slack.url}/response/fuzz`,
              actions: [{ type: 'button', action_id: 'x#0', block_id: 'b', value, action_ts: '1' }],
            };
            presses += 1;
            const a = await signedPost(
              ctx.url,
              new URLSearchParams({ payload: JSON.stringify(press) }).toString(),
            );
            expect(a.status).toBe(200);
            const submission = {
              type: 'view_submission',
              team: { id: TEAM_ID },
              user: { id: 'U0MEMBER', team_id: TEAM_ID },
              view: {
                id: 'V1',
                callback_id: 'x',
                private_metadata: value,
                blocks: Object.keys(values).map((k) => ({ type: 'input', block_id: k })),
                state: {
                  values: Object.fromEntries(
                    Object.entries(values).map(([k, v]) => [
                      k,
                      { [k]: { type: 'plain_text_input', value: v } },
                    ]),
                  ),
                },
              },
            };
            const v = await signedPost(
              ctx.url,
              new URLSearchParams({ payload: JSON.stringify(submission) }).toString(),
            );
            expect(v.status).toBe(200);
            const answer = await v.text();
            // A modal either closes (empty ack) or shows errors under its fields.
            if (answer) expect(JSON.parse(answer)).toMatchObject({ response_action: 'errors' });
          },
        ),
        { numRuns: 40 },
      );
      // Every press was answered (an ephemeral error saying what to do), and nothing was recorded.
      await waitFor(() => replies() - repliedBefore >= presses, 'a reply to every press', 10_000);
      expect(await changes()).toBe(before);
    });

    it('Teams: random card data and text never 5xx, always answer, change nothing', async () => {
      const before = await changes();
      await fc.assert(
        fc.asyncProperty(json, fc.string({ maxLength: 200 }), async (data, text) => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(data);
          } catch {
            parsed = data;
          }
          const answer = await people.memberTeams.press(
            { verb: 'x', data: parsed as never },
            TEAMS_CHANNEL,
            'act-1',
          );
          expect(answer.status).toBe(200);
          expect(answer.body.statusCode).toBe(200);
          expect(String(JSON.stringify(answer.body.value)).length).toBeGreaterThan(2);
          const said = await people.memberTeams.say(text, TEAMS_CHANNEL);
          expect(said.status).toBe(200);
          expect(said.sent.length).toBeGreaterThan(0);
          const raw = await postActivity(ctx.url, {
            type: 'invoke',
            name: 'adaptiveCard/action',
            value: parsed,
          });
          expect(raw.status).toBeLessThan(500);
        }),
        { numRuns: 40 },
      );
      expect(await changes()).toBe(before);
    });
  });
});
