/**
 * Drivers for the model-based chat test (test/support/chat-model.ts): each plays one surface over real HTTP —
 * Slack (signed commands, presses and modal submissions against the fake Web API), Teams (Bot Framework
 * activities and Action.Execute invokes against the fake connector) and the console (its page's API) — and
 * reads what each conversation received from the fakes.
 */
import type { Services } from '../../services/index.js';
import type { ChatDriver, ChatSession, Mode, Target, Who } from './chat-model.js';
import { openConsole } from './console-client.js';
import type { FakeConnector } from './fakes/fake-connector.js';
import { type FakeSlack, TEAM_ID } from './fakes/fake-slack.js';
import { operator, type UnitFixture } from './fixtures.js';
import { executeActions } from './scenario.js';
import { blocksText, buttonsIn, slackUser } from './slack-client.js';
import { cardOf, TENANT_ID, teamsUser } from './teams-client.js';

/** How a driver knows the meeting card and the minutes card among a conversation's messages. */
const CARD_HEADING = {
  meeting: /"DMM \d{4}-\d{2}-\d{2}/,
  minutes: /"DMM minutes: /,
} as const;

/** Which remembered card a target is: the meeting, the minutes, or an action by its title. */
const keyOf = (target: Target) => (target.kind === 'action' ? target.title : target.kind);

type Json = Record<string, unknown>;
const PEOPLE: readonly (Who | 'admin')[] = ['chair', 'owner', 'member', 'admin'];
const text = (value: unknown) => JSON.stringify(value ?? null).replace(/\\\\/g, '');

/** Runs `fn` once, twice one after the other, or twice at once. */
async function repeat(mode: Mode, fn: () => Promise<unknown>) {
  if (mode === 'once') await fn();
  else if (mode === 'twice') {
    await fn();
    await fn();
  } else await Promise.all([fn(), fn()]);
}

/** Whether a card (any surface's form) shows an action with this title. */
const showsAction = (body: string, title: string) => body.includes('Action #') && body.includes(title);

interface AppHandle {
  readonly url: () => string;
  readonly services: () => Services;
  readonly idle: () => Promise<void>;
}

/** Links a person to their id on the fake Slack workspace or the fake Teams tenant. */
export function linkPerson(
  services: Services,
  personId: number,
  platform: 'slack' | 'teams',
  externalId: string,
): Promise<void> {
  return services.people.linkIdentity(operator, {
    personId,
    platform,
    tenantId: platform === 'slack' ? TEAM_ID : TENANT_ID,
    externalId,
  });
}

async function linkAll(
  services: Services,
  f: UnitFixture,
  platform: 'slack' | 'teams',
  idOf: (who: string) => string,
) {
  for (const who of PEOPLE) await linkPerson(services, f[who].personId, platform, idOf(who));
}

/** Slack: `/dmm` in a channel of the run, buttons on its messages, forms as modals. */
export function slackDriver(app: AppHandle, fake: () => FakeSlack): ChatDriver {
  return {
    name: 'slack',
    hasConversation: true,
    typedErrorsPost: false,
    directForms: 'modal',
    async open(f, run) {
      const slack = fake();
      const channel = `C0RUN${run}`;
      const idOf = (who: string) => `U0R${run}${who.toUpperCase()}`;
      await linkAll(app.services(), f, 'slack', idOf);
      const users = Object.fromEntries(
        PEOPLE.map((who) => [who, slackUser(app.url, slack, idOf(who), channel, app.idle)]),
      );
      const start = slack.calls.length;
      await users.admin?.command(`link ${f.unit.code}`);
      const channelMessages = () => [...slack.messages.values()].filter((m) => m.channel === channel);
      // The 'Linked' notice is the conversation's first message; the run counts from here.
      const base = channelMessages().length;
      const firsts = new Map<string, unknown>();
      const calls = () => slack.calls.slice(start);
      const find = (target: Target) =>
        target.kind === 'action'
          ? channelMessages().find((m) => showsAction(blocksText(m.blocks), target.title))
          : channelMessages().find((m) => CARD_HEADING[target.kind].test(blocksText(m.blocks)));
      /** Notes the first copy of every card the first time it is seen. */
      const remember = () => {
        for (const kind of ['meeting', 'minutes'] as const) {
          const card = find({ kind });
          if (card && !firsts.has(kind)) firsts.set(kind, structuredClone(card.blocks));
        }
        for (const m of channelMessages()) {
          const title = /Action #\d+: ([^"]+)"/.exec(blocksText(m.blocks))?.[1];
          if (title && !firsts.has(title)) firsts.set(title, structuredClone(m.blocks));
        }
      };
      const as = (who: Who) => users[who] as NonNullable<(typeof users)[string]>;
      const toButtons = (blocks: unknown) =>
        buttonsIn(blocks).map((b) => ({ title: b.text, payload: JSON.parse(b.value) as Json, raw: b }));
      const session: ChatSession = {
        async type(who, command) {
          await as(who).command(command);
          remember();
        },
        buttons(target, copy) {
          const blocks = copy === 'first' ? firsts.get(keyOf(target)) : find(target)?.blocks;
          return blocks === undefined ? undefined : toButtons(blocks);
        },
        cardText: (target) => (find(target) ? blocksText(find(target)?.blocks) : undefined),
        async press(who, target, button, mode) {
          const m = find(target);
          if (!m) return;
          await repeat(mode, () => as(who).press(button.raw as never, { channel, ts: m.ts }));
          remember();
        },
        async form(who, open, inputs, mode) {
          let opened: { method: string; args: Json }[];
          if ('command' in open) opened = await as(who).command(open.command);
          else {
            const m = find(open.target);
            const button = m && buttonsIn(m.blocks).find((b) => b.text === open.button);
            if (!m || !button) return false;
            opened = await as(who).press(button, { channel, ts: m.ts });
          }
          const view = opened.find((c) => c.method === 'views.open')?.args.view as Json | undefined;
          if (!view) return false;
          await repeat(mode, () => as(who).submit(view, inputs as Record<string, string>));
          remember();
          return true;
        },
        async craft(who, payload) {
          await as(who).press(
            { text: 'Crafted', actionId: 'crafted#1', value: JSON.stringify(payload) },
            { channel, ts: find({ kind: 'meeting' })?.ts ?? '1.000001' },
          );
        },
        posts: () => channelMessages().length - base,
        directs: (who) =>
          calls().filter((c) => c.method === 'chat.postMessage' && c.args.channel === idOf(who)).length,
        conversationBodies: () =>
          calls()
            .filter((c) => c.args.channel === channel || c.method === 'response_url')
            .map((c) => text(c.args)),
        answers: () => calls().map((c) => text(c.args)),
        serverErrors: () => 0,
      };
      return session;
    },
  };
}

/** Teams: @mentions in a channel of the run, Action.Execute presses, forms in place or below. */
export function teamsDriver(app: AppHandle, fake: () => FakeConnector): ChatDriver {
  return {
    name: 'teams',
    hasConversation: true,
    typedErrorsPost: true,
    directForms: 'dm',
    async open(f, run) {
      const connector = fake();
      const conversation = { id: `19:run${run}@thread.tacv2`, type: 'channel' as const };
      const aadOf = (who: string) =>
        `00000000-0000-4000-8000-${String(f[who as Who | 'admin'].personId).padStart(12, '0')}`;
      const personalOf = (who: string) => `a:run${run}-${who}`;
      await linkAll(app.services(), f, 'teams', aadOf);
      const users = Object.fromEntries(PEOPLE.map((who) => [who, teamsUser(app.url, connector, aadOf(who))]));
      const as = (who: Who) => users[who] as NonNullable<(typeof users)[string]>;
      // Each person has a chat with the bot, for what is sent to them directly.
      for (const who of ['chair', 'owner', 'member'] as const)
        await as(who).say('whoami', { id: personalOf(who), type: 'personal' });
      await users.admin?.say(`link ${f.unit.code}`, conversation);
      const startRequests = connector.requests.length;
      const base = new Set(connector.activities.keys());
      const answers: string[] = [];
      const inConversation: string[] = [];
      const firsts = new Map<string, unknown>();
      let statuses = 0;
      const mine = () =>
        [...connector.activities.values()].filter(
          (a) => a.conversationId === conversation.id && !base.has(a.id),
        );
      const find = (target: Target) =>
        target.kind === 'action'
          ? mine().find((a) => showsAction(text(cardOf(a)), target.title))
          : mine().find((a) => CARD_HEADING[target.kind].test(text(cardOf(a))));
      const remember = () => {
        for (const kind of ['meeting', 'minutes'] as const) {
          const m = find({ kind });
          if (m && !firsts.has(kind)) firsts.set(kind, structuredClone(cardOf(m)));
        }
        for (const a of mine()) {
          const title = /Action #\d+: ([^"]+)"/.exec(text(cardOf(a)))?.[1];
          if (title && !firsts.has(title)) firsts.set(title, structuredClone(cardOf(a)));
        }
      };
      const toButtons = (card: unknown) =>
        executeActions(card).map((b) => ({ title: String(b.title), payload: b.data as Json, raw: b }));
      const pressOn = async (who: Who, button: Json, messageId: string, inputs: Json = {}) => {
        const answer = await as(who).press(button, conversation, messageId, inputs);
        answers.push(text(answer.body));
        inConversation.push(text(answer.body));
        return answer;
      };
      const session: ChatSession = {
        async type(who, command) {
          const said = await as(who).say(command, conversation);
          if (said.status >= 500) statuses += 1;
          answers.push(text(said.sent));
          remember();
        },
        buttons(target, copy) {
          const card = copy === 'first' ? firsts.get(keyOf(target)) : cardOf(find(target));
          return card === undefined ? undefined : toButtons(card);
        },
        cardText: (target) => (find(target) ? text(cardOf(find(target))) : undefined),
        async press(who, target, button, mode) {
          const m = find(target);
          if (!m) return;
          await repeat(mode, () => pressOn(who, button.raw as Json, m.id));
          remember();
        },
        async form(who, open, inputs, mode) {
          let card: unknown;
          let messageId: string;
          if ('command' in open) {
            const said = await as(who).say(open.command, conversation);
            answers.push(text(said.sent));
            const form = said.sent.find((a) => text(a.activity).includes('Input.'));
            if (!form) return false;
            card = cardOf(form);
            messageId = form.id;
          } else {
            const m = find(open.target);
            const button = m && executeActions(cardOf(m)).find((b) => b.title === open.button);
            if (!m || !button) return false;
            const answer = await pressOn(who, button, m.id);
            // The form opens in place of the card it changes.
            card = answer.body.value;
            messageId = m.id;
          }
          const submit = executeActions(card).find((b) => b.title !== 'Cancel');
          if (!submit) return false;
          await repeat(mode, () => pressOn(who, submit, messageId, inputs));
          remember();
          return true;
        },
        async craft(who, payload) {
          await pressOn(
            who,
            { verb: 'crafted', data: payload },
            find({ kind: 'meeting' })?.id ?? 'no-such-message',
          );
        },
        posts: () => mine().length,
        directs: (who) =>
          [...connector.activities.values()].filter(
            (a) => a.conversationId === personalOf(who) && !base.has(a.id),
          ).length,
        conversationBodies: () => [
          ...connector.requests
            .slice(startRequests)
            .filter(
              (r) => r.path.includes(encodeURIComponent(conversation.id)) || r.path.includes(conversation.id),
            )
            .map((r) => text(r.body)),
          ...inConversation,
        ],
        answers: () => [...answers, ...connector.requests.slice(startRequests).map((r) => text(r.body))],
        serverErrors: () => statuses,
      };
      return session;
    },
  };
}

/**
 * The console: the page's API with its token. There is no shared conversation; a new owner is told on Slack
 * (the fake), which is what is counted as their direct messages.
 */
export function consoleDriver(app: AppHandle, fake: () => FakeSlack): ChatDriver {
  return {
    name: 'console',
    hasConversation: false,
    typedErrorsPost: false,
    directForms: 'inline',
    async open(f, run) {
      const slack = fake();
      const idOf = (who: string) => `U0C${run}${who.toUpperCase()}`;
      await linkAll(app.services(), f, 'slack', idOf);
      const page = await openConsole(app.url());
      const start = slack.calls.length;
      const answers: string[] = [];
      let statuses = 0;
      const latest = new Map<string, Json>();
      const firsts = new Map<string, Json>();
      const track = (cards: Json[]) => {
        for (const card of cards) {
          const body = text(card);
          const key = CARD_HEADING.meeting.test(body)
            ? 'meeting'
            : CARD_HEADING.minutes.test(body)
              ? 'minutes'
              : /Action #\d+: ([^"]+)"/.exec(body)?.[1];
          if (!key || body.includes('Input.')) continue;
          latest.set(key, card);
          if (!firsts.has(key)) firsts.set(key, card);
        }
      };
      const post = async (who: Who, route: string, body: Json) => {
        const res = await page.post(route, { unitId: f.unit.id, personId: f[who].personId, ...body });
        if (res.status >= 500) statuses += 1;
        const json = (await res.json()) as { cards?: Json[] };
        answers.push(text(json));
        await app.idle();
        const cards = json.cards ?? [];
        track(cards);
        return cards;
      };
      const say = (who: Who, command: string) =>
        post(who, 'message', { text: command, key: crypto.randomUUID() });
      const session: ChatSession = {
        async type(who, command) {
          await say(who, command);
        },
        buttons(target, copy) {
          const card = (copy === 'first' ? firsts : latest).get(keyOf(target));
          return card === undefined
            ? undefined
            : executeActions(card).map((b) => ({ title: String(b.title), payload: b.data as Json, raw: b }));
        },
        cardText: (target) => (latest.has(keyOf(target)) ? text(latest.get(keyOf(target))) : undefined),
        async press(who, _target, button, mode) {
          await repeat(mode, () => post(who, 'submit', { data: button.payload, inputs: {} }));
        },
        async form(who, open, inputs, mode) {
          let cards: Json[];
          if ('command' in open) cards = await say(who, open.command);
          else {
            const card = latest.get(keyOf(open.target));
            const button = card && executeActions(card).find((b) => b.title === open.button);
            if (!button) return false;
            cards = await post(who, 'submit', { data: button.data, inputs: {} });
          }
          const form = cards.find((c) => text(c).includes('Input.'));
          const submit = form && executeActions(form).find((b) => b.title !== 'Cancel');
          if (!submit) return false;
          await repeat(mode, () => post(who, 'submit', { data: submit.data, inputs }));
          return true;
        },
        async craft(who, payload) {
          await post(who, 'submit', { data: payload, inputs: {} });
        },
        posts: () => 0,
        directs: (who) =>
          slack.calls
            .slice(start)
            .filter((c) => c.method === 'chat.postMessage' && c.args.channel === idOf(who)).length,
        conversationBodies: () => [],
        answers: () => answers,
        serverErrors: () => statuses,
      };
      return session;
    },
  };
}
