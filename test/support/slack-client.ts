/**
 * Plays Slack's side of the app: signed slash commands, button presses and modal submissions over real HTTP,
 * then waits for what the app sent to the fake Web API in return.
 */
import { expect } from 'vitest';
import { type FakeSlack, type SlackCall, slackSignature, TEAM_ID } from './fakes/fake-slack.js';

export const SIGNING_SECRET = 'test-signing-secret';

type Json = Record<string, unknown>;

export interface Button {
  readonly text: string;
  readonly value: string;
  readonly actionId: string;
}

/** Every button in a list of blocks. */
export function buttonsIn(blocks: unknown): Button[] {
  const found: Button[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const n = node as Json;
      if (n.type === 'button')
        found.push({
          text: String((n.text as Json)?.text ?? ''),
          value: String(n.value ?? ''),
          actionId: String(n.action_id ?? ''),
        });
      for (const value of Object.values(n)) walk(value);
    }
  };
  walk(blocks);
  return found;
}

export const blocksText = (blocks: unknown) => JSON.stringify(blocks ?? []);

export async function waitFor<T>(probe: () => T | undefined | false, what: string, ms = 5_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface SlackUser {
  readonly userId: string;
  /** Types `/dmm <text>` in the channel; resolves with the calls the app made in answer. */
  command(text: string, channel?: string): Promise<SlackCall[]>;
  /** Presses a button on a message; resolves with the calls the app made in answer. */
  press(button: Button, where: { channel: string; ts: string; ephemeral?: boolean }): Promise<SlackCall[]>;
  /** Submits the modal the app opened; resolves with the HTTP answer and the calls made after. */
  submit(
    view: Json,
    values: Record<string, string>,
  ): Promise<{ status: number; body: Json; calls: SlackCall[] }>;
}

export function slackPost(url: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${url}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
}

export function signedPost(url: string, body: string, secret = SIGNING_SECRET) {
  return slackPost(url, body, slackSignature(secret, body));
}

/** The value Slack puts in view.state.values for an input block (by its element type). */
function stateValue(block: Json, value: string): Json {
  const element = block.element as Json;
  const actionId = String(element.action_id);
  if (element.type === 'datepicker') return { [actionId]: { type: 'datepicker', selected_date: value } };
  if (element.type === 'static_select')
    return { [actionId]: { type: 'static_select', selected_option: value ? { value } : null } };
  return { [actionId]: { type: 'plain_text_input', value } };
}

export function slackUser(
  app: () => string,
  slack: FakeSlack,
  userId: string,
  defaultChannel = 'C0DMM',
  /** Resolves once the app has finished all it does for a request (`App.idle`); else the client waits for quiet. */
  settle?: () => Promise<void>,
): SlackUser {
  let triggers = 0;
  /** Sends, checks the ack, then waits until the app is done with it (or has been quiet for a moment). */
  async function exchange(body: string): Promise<{ status: number; body: Json; calls: SlackCall[] }> {
    const before = slack.calls.length;
    const res = await signedPost(app(), body);
    const text = await res.text();
    const parsed = text ? (JSON.parse(text) as Json) : {};
    if (settle) {
      await settle();
      return { status: res.status, body: parsed, calls: slack.calls.slice(before) };
    }
    // The app acks first and answers after: wait until it has made its calls and gone quiet (or, when it
    // has nothing to send, until it has stayed silent for a while).
    const started = Date.now();
    let count = slack.calls.length;
    let quietSince = Date.now();
    for (;;) {
      await new Promise((r) => setTimeout(r, 10));
      if (slack.calls.length !== count) {
        count = slack.calls.length;
        quietSince = Date.now();
      }
      const quiet = Date.now() - quietSince;
      if (count > before && quiet > 60) break;
      if (count === before && Date.now() - started > 1_000) break;
      if (Date.now() - started > 10_000) break;
    }
    return { status: res.status, body: parsed, calls: slack.calls.slice(before) };
  }
  return {
    userId,
    async command(text, channel = defaultChannel) {
      const body = new URLSearchParams({
        token: 'legacy',
        team_id: TEAM_ID,
        team_domain: 'fake',
        channel_id: channel,
        channel_name: channel.startsWith('D') ? 'directmessage' : 'dmm',
        user_id: userId,
        user_name: userId.toLowerCase(),
        command: '/dmm',
        text,
        api_app_id: 'A0DMM',
        response_url: `${slack.url}/response/${++triggers}`,
        trigger_id: `trigger-${userId}-${triggers}`,
      }).toString();
      const { status, calls } = await exchange(body);
      expect(status).toBe(200);
      return calls;
    },
    async press(button, where) {
      const payload = {
        type: 'block_actions',
        team: { id: TEAM_ID, domain: 'fake' },
        user: { id: userId, team_id: TEAM_ID },
        api_app_id: 'A0DMM',
        trigger_id: `trigger-${userId}-${++triggers}`,
        response_url: `${slack.url}/response/${triggers}`,
        channel: { id: where.channel, name: 'dmm' },
        container: {
          type: 'message',
          message_ts: where.ts,
          channel_id: where.channel,
          is_ephemeral: Boolean(where.ephemeral),
        },
        ...(where.ephemeral ? {} : { message: { ts: where.ts, type: 'message' } }),
        actions: [
          {
            type: 'button',
            action_id: button.actionId,
            block_id: 'b',
            value: button.value,
            action_ts: '1.0',
            text: { type: 'plain_text', text: button.text },
          },
        ],
      };
      const { status, calls } = await exchange(
        new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
      );
      expect(status).toBe(200);
      return calls;
    },
    async submit(view, values) {
      const blocks = (view.blocks as Json[]) ?? [];
      const state: Record<string, Json> = {};
      for (const block of blocks.filter((b) => b.type === 'input')) {
        state[String(block.block_id)] = stateValue(block, values[String(block.block_id)] ?? '');
      }
      const payload = {
        type: 'view_submission',
        team: { id: TEAM_ID, domain: 'fake' },
        user: { id: userId, team_id: TEAM_ID },
        api_app_id: 'A0DMM',
        trigger_id: `trigger-${userId}-${++triggers}`,
        view: { ...view, id: 'V1', team_id: TEAM_ID, state: { values: state } },
      };
      return exchange(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    },
  };
}
