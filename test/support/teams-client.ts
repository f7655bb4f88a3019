/**
 * Plays Teams' side: Bot Framework activities POSTed to /api/messages (messages with an @mention in a channel,
 * plain text in a personal chat, `adaptiveCard/action` invokes), with the fake connector as their serviceUrl.
 * The adapter finishes the turn before it answers the POST, so what the bot sent is in the connector by then.
 */
import { expect } from 'vitest';
import type { ConnectorActivity, FakeConnector } from './fakes/fake-connector.js';

type Json = Record<string, unknown>;

export const TENANT_ID = '00000000-0000-4000-8000-00000000feed';
export const BOT_ID = '28:dmm-bot';

export interface TeamsConversation {
  readonly id: string;
  readonly type: 'channel' | 'personal' | 'groupChat';
}

export { executeActions } from './scenario.js';

/** The Adaptive Card of an activity the bot sent. */
export const cardOf = (a: ConnectorActivity | Json | undefined): Json | undefined => {
  const activity = (a && 'activity' in a ? a.activity : a) as Json | undefined;
  return ((activity?.attachments as Json[] | undefined)?.[0]?.content as Json | undefined) ?? undefined;
};

export interface InvokeAnswer {
  readonly status: number;
  readonly body: { statusCode: number; type: string; value: unknown };
  readonly sent: ConnectorActivity[];
}

export interface TeamsUser {
  readonly aadObjectId: string;
  say(text: string, conversation: TeamsConversation): Promise<{ status: number; sent: ConnectorActivity[] }>;
  press(
    action: Json,
    conversation: TeamsConversation,
    replyToId: string,
    inputs?: Json,
  ): Promise<InvokeAnswer>;
}

export async function postActivity(url: string, activity: Json, headers: Record<string, string> = {}) {
  return fetch(`${url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(activity),
  });
}

export function teamsUser(app: () => string, connector: FakeConnector, aadObjectId: string): TeamsUser {
  let seq = 0;
  const base = (conversation: TeamsConversation) => ({
    id: `in-${aadObjectId}-${++seq}`,
    timestamp: new Date().toISOString(),
    serviceUrl: connector.url,
    channelId: 'msteams',
    from: { id: `29:${aadObjectId}`, aadObjectId, name: 'Teams user' },
    recipient: { id: BOT_ID, name: 'DMM' },
    conversation: {
      id: conversation.id,
      conversationType: conversation.type,
      tenantId: TENANT_ID,
      isGroup: conversation.type !== 'personal',
    },
    channelData: { tenant: { id: TENANT_ID } },
  });
  const sentSince = (before: Set<string>) =>
    [...connector.activities.values()].filter((a) => !before.has(a.id));
  return {
    aadObjectId,
    async say(text, conversation) {
      const before = new Set(connector.activities.keys());
      const mention = conversation.type === 'personal' ? '' : '<at>DMM</at> ';
      const res = await postActivity(app(), {
        ...base(conversation),
        type: 'message',
        text: `${mention}${text}`,
        ...(mention
          ? { entities: [{ type: 'mention', text: '<at>DMM</at>', mentioned: { id: BOT_ID, name: 'DMM' } }] }
          : {}),
      });
      return { status: res.status, sent: sentSince(before) };
    },
    async press(action, conversation, replyToId, inputs = {}) {
      const before = new Set(connector.activities.keys());
      const res = await postActivity(app(), {
        ...base(conversation),
        type: 'invoke',
        name: 'adaptiveCard/action',
        replyToId,
        value: {
          action: {
            type: 'Action.Execute',
            verb: action.verb,
            data: { ...(action.data as Json), ...inputs },
          },
          trigger: 'manual',
        },
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as InvokeAnswer['body'];
      // As Teams does: a card in the answer replaces the pressed message, for everyone in the conversation.
      const pressed = connector.activities.get(replyToId);
      if (pressed && body?.type === 'application/vnd.microsoft.card.adaptive') {
        pressed.activity = {
          ...pressed.activity,
          attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: body.value }],
        };
        pressed.updates += 1;
      }
      return { status: res.status, body, sent: sentSince(before) };
    },
  };
}
