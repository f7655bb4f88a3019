/**
 * The chat edge, as a new user and a hostile tester found it (issue 12, commit 54b6730): one press has one
 * effect, a stale card changes nothing, nothing goes above a conversation's ceiling, the console is the same
 * chat core as Slack and Teams, and bad or refused requests change nothing and never look like our failure.
 * Every case was reproduced on that commit; each test here failed there.
 */
import http from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { createFixedClock } from '../../services/clock.js';
import { useApp } from '../support/app.js';
import { type ConsoleSession, openConsole } from '../support/console-client.js';
import { BACKENDS } from '../support/database.js';
import type { FakeConnector } from '../support/fakes/fake-connector.js';
import { type FakeSlack, slackSignature, TEAM_ID } from '../support/fakes/fake-slack.js';
import { slackSettings, useFakeConnector, useFakeSlack } from '../support/fakes/use-fakes.js';
import { createUnitFixture, operator, type UnitFixture } from '../support/fixtures.js';
import { actionInputs, DECISION_INPUTS, executeActions, linkPlatformUsers } from '../support/scenario.js';
import {
  blocksText,
  buttonsIn,
  SIGNING_SECRET,
  type SlackUser,
  signedPost,
  slackPost,
  slackUser,
} from '../support/slack-client.js';
import {
  cardOf,
  TENANT_ID,
  type TeamsConversation,
  type TeamsUser,
  teamsUser,
} from '../support/teams-client.js';

type Json = Record<string, unknown>;

const SLACK_CHANNEL = 'C0EDGE';
const TEAMS_CHANNEL: TeamsConversation = { id: '19:edge@thread.tacv2', type: 'channel' };
const text = (value: unknown) => JSON.stringify(value ?? null).replace(/\\\\/g, '');
const only = <T extends { method: string }>(calls: T[], method: string) =>
  calls.filter((c) => c.method === method);

function slackButton(where: unknown, title: string) {
  const found = buttonsIn(where).find((b) => b.text === title);
  if (!found) throw new Error(`no button '${title}' in ${blocksText(where).slice(0, 500)}`);
  return found;
}

function teamsButton(card: unknown, title: string): Json {
  const found = executeActions(card).find((a) => a.title === title);
  if (!found) throw new Error(`no button '${title}' in ${text(card).slice(0, 500)}`);
  return found;
}

/** The messages of a Slack channel, as last updated. */
const slackMessages = (slack: FakeSlack, channel: string) =>
  [...slack.messages.values()].filter((m) => m.channel === channel);

describe.each(BACKENDS)('the chat edge on %s', (backend) => {
  const clock = createFixedClock('2026-05-11T08:00:00Z');
  const fakeSlack = useFakeSlack();
  const fakeConnector = useFakeConnector();
  const logs: string[] = [];
  const ctx = useApp(backend, clock, () => ({ ...slackSettings(fakeSlack), DMM_TEAMS: 'on' }), logs);
  let f: UnitFixture;
  let other: UnitFixture;
  let slack: FakeSlack;
  let connector: FakeConnector;
  let s: Record<'chair' | 'owner' | 'member' | 'admin', SlackUser>;
  let t: Record<'chair' | 'owner' | 'member' | 'admin', TeamsUser>;
  let page: ConsoleSession;
  // Waits until the app is done with a request, including what it does after answering.
  const settle = () => ctx.app.idle();

  beforeAll(async () => {
    slack = fakeSlack.current;
    connector = fakeConnector.current;
    f = await createUnitFixture(ctx.services, { code: 'edge' });
    other = await createUnitFixture(ctx.services, { code: 'edge-other' });
    const people = { chair: f.chair, owner: f.owner, member: f.member, admin: f.admin };
    s = await linkPlatformUsers(
      ctx.services,
      people,
      'slack',
      TEAM_ID,
      (role) => `U0${role.toUpperCase()}`,
      (userId) => slackUser(() => ctx.url, slack, userId, SLACK_CHANNEL, settle),
    );
    t = await linkPlatformUsers(
      ctx.services,
      people,
      'teams',
      TENANT_ID,
      (_role, actor) => `00000000-0000-4000-8000-0000000${String(actor.personId).padStart(5, '0')}`,
      (aad) => teamsUser(() => ctx.url, connector, aad),
    );
    await s.admin.command(`link ${f.unit.code}`);
    await t.admin.say(`link ${f.unit.code}`, TEAMS_CHANNEL);
    // The owner has a personal chat with the bot on Teams (for what may not be shown in a channel).
    await t.owner.say('whoami', { id: 'a:edge-owner', type: 'personal' });
    page = await openConsole(ctx.url);
  });

  const consolePost = async (route: string, personId: number, body: Json) => {
    const res = await page.post(route, { unitId: f.unit.id, personId, ...body });
    expect(res.status).toBe(200);
    const cards = ((await res.json()) as { cards: Json[] }).cards;
    await settle();
    return cards;
  };
  const consoleButton = (cards: Json[], title: string) => {
    const found = cards.flatMap((c) => executeActions(c)).find((a) => a.title === title);
    if (!found) throw new Error(`no button '${title}' in ${text(cards).slice(0, 500)}`);
    return found;
  };

  describe('1. one submission, one record', () => {
    it('console: "Record decision" clicked twice, one after the other and at once, records one decision each', async () => {
      const before = (await ctx.services.decisions.list(f.chair, f.unit.id)).length;
      const form = await consolePost('message', f.chair.personId, { text: 'dmm decide' });
      const submit = consoleButton(form, 'Record decision');
      const body = { data: submit.data, inputs: DECISION_INPUTS };
      const first = await consolePost('submit', f.chair.personId, body);
      const second = await consolePost('submit', f.chair.personId, body);
      const id = /Decision #(\d+)/.exec(text(first))?.[1];
      expect(id).toBeDefined();
      // The repeat answers with the same record as it now is.
      expect(text(second)).toContain(`Decision #${id}`);
      const again = await consolePost('message', f.chair.personId, { text: 'dmm decide' });
      const twice = { data: consoleButton(again, 'Record decision').data, inputs: DECISION_INPUTS };
      await Promise.all([
        consolePost('submit', f.chair.personId, twice),
        consolePost('submit', f.chair.personId, twice),
      ]);
      expect(await ctx.services.decisions.list(f.chair, f.unit.id)).toHaveLength(before + 2);
    });

    it('Slack: a decision modal submitted twice records once and posts one card', async () => {
      const before = (await ctx.services.decisions.list(f.chair, f.unit.id)).length;
      const opened = await s.chair.command('decide');
      const view = only(opened, 'views.open')[0]?.args.view as Json;
      const first = await s.chair.submit(view, DECISION_INPUTS);
      const second = await s.chair.submit(view, DECISION_INPUTS);
      expect(await ctx.services.decisions.list(f.chair, f.unit.id)).toHaveLength(before + 1);
      const posted = [...first.calls, ...second.calls].filter(
        (c) => c.method === 'chat.postMessage' && c.args.channel === SLACK_CHANNEL,
      );
      expect(posted).toHaveLength(1);
    });

    it('Teams: a decision form pressed twice at once records once', async () => {
      const before = (await ctx.services.decisions.list(f.chair, f.unit.id)).length;
      const asked = await t.chair.say('decide', TEAMS_CHANNEL);
      const form = asked.sent[0];
      if (!form) throw new Error('no form');
      const submit = teamsButton(cardOf(form), 'Record decision');
      const [a, b] = await Promise.all([
        t.chair.press(submit, TEAMS_CHANNEL, form.id, DECISION_INPUTS),
        t.chair.press(submit, TEAMS_CHANNEL, form.id, DECISION_INPUTS),
      ]);
      expect(await ctx.services.decisions.list(f.chair, f.unit.id)).toHaveLength(before + 1);
      expect([...a.sent, ...b.sent].filter((x) => text(x.activity).includes('Decision #'))).toEqual([]);
    });
  });

  describe('2. a form opened from a card updates that card in place', () => {
    it('Slack: "Done…" then its modal leaves one card for the action, updated in place', async () => {
      const newAction = await s.member.command('action new');
      const form = only(newAction, 'views.open')[0]?.args.view as Json;
      const created = await s.member.submit(
        form,
        actionInputs(f.owner.personId, 'Return the seized bicycle'),
      );
      const post = only(created.calls, 'chat.postMessage').find((c) => c.args.channel === SLACK_CHANNEL);
      const ts = String(post?.result?.ts);
      const done = await s.owner.press(slackButton(post?.args.blocks, 'Done…'), {
        channel: SLACK_CHANNEL,
        ts,
      });
      const modal = only(done, 'views.open')[0]?.args.view as Json;
      const submitted = await s.owner.submit(modal, { result: 'Returned to its owner' });
      expect(submitted.body).toEqual({});
      expect(
        only(submitted.calls, 'chat.postMessage').filter((c) => c.args.channel === SLACK_CHANNEL),
      ).toEqual([]);
      const updates = only(submitted.calls, 'chat.update');
      expect(updates.filter((c) => c.args.channel === SLACK_CHANNEL).map((c) => c.args.ts)).toEqual([ts]);
      // The owner's own DM copy (sent when the action was given to them) is brought up to date too (issue 18).
      expect(updates.filter((c) => c.args.channel !== SLACK_CHANNEL).map((c) => c.args.channel)).toEqual([
        'D0OWNER',
      ]);
      const cards = slackMessages(slack, SLACK_CHANNEL).filter((m) =>
        blocksText(m.blocks).includes('Return the seized bicycle'),
      );
      expect(cards).toHaveLength(1);
      expect(blocksText(cards[0]?.blocks)).toContain('Returned to its owner');
    });
  });

  describe('3. meeting buttons carry their version', () => {
    it('Slack: two presses of "Next section" drawn at one version advance one section; a stale Close closes nothing', async () => {
      const started = await s.chair.command('meeting start');
      const post = only(started, 'chat.postMessage').find((c) => c.args.channel === SLACK_CHANNEL);
      const at = { channel: SLACK_CHANNEL, ts: String(post?.result?.ts) };
      const meeting = await ctx.services.meetings.findForDate(f.chair, f.unit.id);
      if (!meeting) throw new Error('no meeting');
      const next = slackButton(post?.args.blocks, 'Next section');
      const close = slackButton(post?.args.blocks, 'Close meeting');
      // Two copies of the same card (no shared key), pressed at once.
      const copy = (b: typeof next) => {
        const { k: _k, ...rest } = JSON.parse(b.value) as Json;
        return { ...b, value: JSON.stringify(rest) };
      };
      await Promise.all([s.chair.press(copy(next), at), s.chair.press(copy(next), at)]);
      let now = await ctx.services.meetings.get(f.chair, meeting.id);
      expect(now.current?.position).toBe(2);
      // The same key pressed twice (a double click) also moves once.
      const fresh = slackButton(slack.messages.get(`${at.channel}/${at.ts}`)?.blocks, 'Next section');
      await Promise.all([s.chair.press(fresh, at), s.chair.press(fresh, at)]);
      now = await ctx.services.meetings.get(f.chair, meeting.id);
      expect(now.current?.position).toBe(3);
      // The Close button of the first card, several versions later.
      const stale = await s.chair.press(copy(close), at);
      now = await ctx.services.meetings.get(f.chair, meeting.id);
      expect(now.status).toBe('open');
      expect(blocksText(stale)).toMatch(/moved on/);
      // The card shows the meeting as it now is.
      expect(blocksText(slack.messages.get(`${at.channel}/${at.ts}`)?.blocks)).toContain('3. ');
    });
  });

  describe('4. nothing above the ceiling in a channel', () => {
    it('Teams: "Due date" on an OFFICIAL-SENSITIVE action in an OFFICIAL channel posts nothing of it there', async () => {
      const secret = 'Surveillance of the Northgate flat';
      const action = await ctx.services.actions.create(f.chair, {
        unitId: f.unit.id,
        title: secret,
        ownerPersonId: f.owner.personId,
        dueOn: '2026-05-14',
        category: 'intelligence',
        marking: 'OFFICIAL-SENSITIVE',
      });
      const before = new Set(connector.activities.keys());
      const forms = ['action.due_form', 'action.status_form'].map((verb) => ({
        verb,
        data: { v: 1, verb, actionId: action.id, version: action.version, status: 'done' },
      }));
      for (const press of forms) {
        const answer = await t.owner.press(press, TEAMS_CHANNEL, 'no-such-message');
        expect(text(answer.body)).not.toContain(secret);
        expect(text(answer.body)).toContain('withheld');
      }
      const sent = [...connector.activities.values()].filter((a) => !before.has(a.id));
      expect(sent.filter((a) => a.conversationId === TEAMS_CHANNEL.id).map((a) => text(a.activity))).toEqual(
        expect.not.arrayContaining([expect.stringContaining(secret)]),
      );
      // The forms went to the owner's own chat with the bot.
      const personal = sent.filter((a) => a.conversationId === 'a:edge-owner');
      expect(personal).toHaveLength(2);
      expect(text(personal[0]?.activity)).toContain(secret);
    });
  });

  describe('5. the console is a third adapter of the same chat core', () => {
    it('a change made in the console refreshes the Slack copy and tells a new owner on their platform', async () => {
      const newAction = await s.member.command('action new');
      const form = only(newAction, 'views.open')[0]?.args.view as Json;
      const created = await s.member.submit(form, actionInputs(f.owner.personId, 'Check the shop CCTV'));
      const post = only(created.calls, 'chat.postMessage').find((c) => c.args.channel === SLACK_CHANNEL);
      const id = /Action #(\d+)/.exec(blocksText(post?.args.blocks))?.[1];
      const card = await consolePost('message', f.owner.personId, { text: `dmm action ${id}` });
      await consolePost('submit', f.owner.personId, { data: consoleButton(card, 'Start').data, inputs: {} });
      expect(blocksText(slack.messages.get(`${SLACK_CHANNEL}/${post?.result?.ts}`)?.blocks)).toContain(
        'In progress',
      );
      const dms = slack.calls.length;
      const opened = await consolePost('message', f.chair.personId, { text: 'dmm action new' });
      await consolePost('submit', f.chair.personId, {
        data: consoleButton(opened, 'Create action').data,
        inputs: actionInputs(f.owner.personId, 'Call the licensee'),
      });
      const told = slack.calls
        .slice(dms)
        .filter((c) => c.method === 'chat.postMessage' && c.args.channel === 'U0OWNER');
      expect(text(told)).toContain('Call the licensee');
    });
  });

  describe('7. Slack refuses requests dated in the future', () => {
    it('answers 401 to a correctly signed request from 10 minutes or a day ahead, and changes nothing', async () => {
      const body = new URLSearchParams({
        team_id: TEAM_ID,
        channel_id: SLACK_CHANNEL,
        channel_name: 'edge',
        user_id: 'U0OWNER',
        command: '/dmm',
        text: 'action new',
        trigger_id: 'future-trigger-1',
        response_url: `${slack.url}/response/future`,
      }).toString();
      const calls = slack.calls.length;
      for (const ahead of [10 * 60, 24 * 3600]) {
        const res = await slackPost(
          ctx.url,
          body,
          slackSignature(SIGNING_SECRET, body, Math.floor(Date.now() / 1000) + ahead),
        );
        expect(res.status).toBe(401);
      }
      await settle();
      expect(slack.calls.length).toBe(calls);
      expect((await signedPost(ctx.url, body)).status).toBe(200);
    });
  });

  describe('8. ids past the database range are bad input, not our failure', () => {
    it('Slack, Teams and the console answer "not found" or a validation message, never an internal error', async () => {
      const huge = 2_147_483_648;
      const errorsBefore = logs.filter((l) => JSON.parse(l).level >= 50).length;
      const typed = await s.owner.command(`action ${huge}`);
      expect(blocksText(typed)).toContain(`Action ${huge} was not found`);
      const pressed = await s.owner.press(
        {
          text: 'Start',
          actionId: 'x#1',
          value: JSON.stringify({ v: 1, verb: 'action.show', actionId: huge }),
        },
        { channel: SLACK_CHANNEL, ts: '1.000001' },
      );
      expect(blocksText(pressed)).toMatch(/actionId: must be at most 2147483647/);
      const teams = await t.owner.press(
        { verb: 'action.show', data: { v: 1, verb: 'action.show', actionId: huge } },
        TEAMS_CHANNEL,
        'no-such-message',
      );
      expect(text(teams.body)).not.toMatch(/went wrong on our side/);
      const console = await page.post('message', {
        unitId: huge,
        personId: f.owner.personId,
        text: 'dmm whoami',
      });
      expect(console.status).toBe(400);
      for (const answer of [typed, pressed]) expect(blocksText(answer)).not.toMatch(/went wrong on our side/);
      expect(logs.filter((l) => JSON.parse(l).level >= 50).length).toBe(errorsBefore);
    });
  });

  describe('9. a refused request changes nothing', () => {
    it('leaves no conversation rows and no audit events for presses without a role or with another unit’s ids', async () => {
      const nobody = await ctx.services.people.create(operator, { displayName: 'No role (edge)' });
      await ctx.services.people.linkIdentity(operator, {
        personId: nobody.id,
        platform: 'slack',
        tenantId: TEAM_ID,
        externalId: 'U0NOBODY',
      });
      const foreign = await ctx.services.actions.create(other.chair, {
        unitId: other.unit.id,
        title: 'Another unit’s action',
        ownerPersonId: other.owner.personId,
        category: 'prevention',
      });
      const rows = async () =>
        (await ctx.services.db.selectFrom('channel_bindings').select('id').execute()).length;
      const events = async () => (await ctx.services.audit.list({})).length;
      const [rowsBefore, eventsBefore] = [await rows(), await events()];
      const start = { v: 1, verb: 'action.status', actionId: foreign.id, version: 1, status: 'in_progress' };
      const press = { text: 'Start', actionId: 'x#1', value: JSON.stringify(start) };
      const stranger = slackUser(() => ctx.url, slack, 'U0NOBODY', 'D0NOBODY', settle);
      expect(blocksText(await stranger.press(press, { channel: 'D0NOBODY', ts: '1.000001' }))).toMatch(
        /no role/,
      );
      expect(blocksText(await s.member.press(press, { channel: 'C0NOTBOUND', ts: '1.000001' }))).toMatch(
        /not linked/,
      );
      expect(blocksText(await s.member.press(press, { channel: SLACK_CHANNEL, ts: '1.000001' }))).toMatch(
        /another unit/,
      );
      expect(await rows()).toBe(rowsBefore);
      expect(await events()).toBe(eventsBefore);
      expect((await ctx.services.actions.get(operator, foreign.id)).status).toBe('open');
    });
  });

  describe('10. what a chair notices', () => {
    it('offers only the moves that can be made, and says once what to do on the last section', async () => {
      const meeting =
        (await ctx.services.meetings.findForDate(f.chair, f.unit.id)) ??
        (await ctx.services.meetings.start(f.chair, f.unit.id));
      let m = await ctx.services.meetings.get(f.chair, meeting.id);
      while ((m.current?.position ?? 0) > 1) m = await ctx.services.meetings.back(f.chair, m.id);
      const first = await consolePost('message', f.chair.personId, { text: 'dmm meeting' });
      const titles = (cards: Json[]) => cards.flatMap((c) => executeActions(c)).map((a) => a.title);
      expect(titles(first)).not.toContain('Back');
      expect(titles(first)).toContain('Next section');
      while ((m.current?.position ?? 10) < 10) m = await ctx.services.meetings.next(f.chair, m.id);
      const last = await consolePost('message', f.chair.personId, { text: 'dmm meeting' });
      expect(titles(last)).not.toContain('Next section');
      expect(titles(last)).not.toContain('Skip');
      expect(titles(last)).toContain('Close meeting');
      const typed = await consolePost('message', f.chair.personId, { text: 'dmm meeting next' });
      expect(text(typed)).toContain('is the last section; close the meeting');
      expect(text(typed)).not.toContain('Every agenda section has been covered');
      expect((text(typed).match(/close the meeting/gi) ?? []).length).toBe(1);
      const member = await consolePost('message', f.member.personId, { text: 'dmm meeting back' });
      expect(text(member)).toContain('Only the chair may run the meeting.');
    });
  });
});

describe('6. the console refuses other sites', () => {
  const clock = createFixedClock('2026-05-11T08:00:00Z');
  const ctx = useApp('pglite', clock);
  let f: UnitFixture;

  beforeAll(async () => {
    f = await createUnitFixture(ctx.services, { code: 'csrf' });
  });

  /** A raw request, with the Host header a DNS-rebinding page would send. */
  function raw(method: string, path: string, headers: Record<string, string>, body?: string) {
    const url = new URL(ctx.url);
    return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>(
      (resolve, reject) => {
        const req = http.request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
          let data = '';
          res.on('data', (chunk) => {
            data += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
        });
        req.on('error', reject);
        req.end(body);
      },
    );
  }

  const create = (personId: number) =>
    JSON.stringify({ unitId: f.unit.id, personId, text: 'dmm action 1 start' });

  it('refuses a text/plain POST from a foreign origin, and one without the page token, changing nothing', async () => {
    const events = (await ctx.services.audit.list({})).length;
    const host = new URL(ctx.url).host;
    const plain = await raw(
      'POST',
      '/console/api/submit',
      { host, origin: 'http://evil.example', 'content-type': 'text/plain' },
      JSON.stringify({
        unitId: f.unit.id,
        personId: f.chair.personId,
        data: { v: 1, verb: 'action.create', unitId: f.unit.id, k: 'aaaaaaaaaaaaaaaaaaaaaa' },
        inputs: actionInputs(f.owner.personId, 'Forged from another site'),
      }),
    );
    expect(plain.status).toBe(415);
    const foreign = await raw(
      'POST',
      '/console/api/message',
      { host, origin: 'http://evil.example', 'content-type': 'application/json' },
      create(f.chair.personId),
    );
    expect(foreign.status).toBe(403);
    const tokenless = await raw(
      'POST',
      '/console/api/message',
      { host, origin: ctx.url, 'content-type': 'application/json' },
      create(f.chair.personId),
    );
    expect(tokenless.status).toBe(403);
    const page = await openConsole(ctx.url);
    const foreignWithToken = await page.post(
      'message',
      { unitId: f.unit.id, personId: f.chair.personId, text: 'dmm whoami' },
      { origin: 'http://evil.example' },
    );
    expect(foreignWithToken.status).toBe(403);
    expect((await ctx.services.actions.list(operator, f.unit.id, 'all')).map((a) => a.title)).not.toContain(
      'Forged from another site',
    );
    expect((await ctx.services.audit.list({})).length).toBe(events);
    // The page itself works.
    expect(
      (await page.post('message', { unitId: f.unit.id, personId: f.chair.personId, text: 'dmm whoami' }))
        .status,
    ).toBe(200);
  });

  it('refuses a Host it is not served on (DNS rebinding), for reads and writes', async () => {
    for (const path of ['/console', '/console/api/people']) {
      const res = await raw('GET', path, { host: 'attacker.example' });
      expect(res.status).toBe(421);
      expect(res.body).not.toContain(f.chair.label);
    }
    const port = new URL(ctx.url).port;
    expect((await raw('GET', '/console/api/people', { host: `attacker.example:${port}` })).status).toBe(421);
    expect((await raw('GET', '/console/api/people', { host: `localhost:${port}` })).status).toBe(200);
  });

  it('refuses to be framed', async () => {
    for (const path of ['/console', '/console/console.js', '/console/api/people']) {
      const res = await fetch(`${ctx.url}${path}`);
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    }
  });
});

describe('6. the console served beyond loopback', () => {
  const logs: string[] = [];
  const ctx = useApp(
    'pglite',
    createFixedClock('2026-05-11T08:00:00Z'),
    { DMM_CONSOLE: 'on', HOST: '0.0.0.0' },
    logs,
  );

  it('warns at start that whoever reaches it can act as anyone', () => {
    expect(ctx.url).toBeDefined();
    const warnings = logs
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .filter((l) => l.level === 40);
    expect(warnings.map((w) => w.msg)).toEqual(
      expect.arrayContaining([expect.stringContaining('console is served beyond loopback')]),
    );
  });
});

describe("7. Teams settings by botbuilder's old names (issue 18, item 6)", () => {
  const logs: string[] = [];
  const ctx = useApp(
    'pglite',
    createFixedClock('2026-05-11T08:00:00Z'),
    { DMM_TEAMS: 'on', ToBotFromEmulatorOpenIdMetadataUrl: 'https://keys.example.org/openid' },
    logs,
  );

  it('still starts, and says once at start which name replaces each', () => {
    expect(ctx.url).toBeDefined();
    const warnings = logs
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .filter((l) => l.level === 40 && l.msg.includes('deprecated'));
    expect(warnings.map((w) => w.msg)).toEqual([
      'ToBotFromEmulatorOpenIdMetadataUrl is deprecated: rename it TEAMS_EMULATOR_OPENID_METADATA_URL (the same value)',
    ]);
  });
});
