/**
 * Slack: the `/dmm` slash command, button presses, modals and the App Home tab, on Bolt. Every handler acks
 * first (Slack allows 3 s) and does the work after, except a modal submission, whose ack carries the field
 * errors. It carries out the chat core's plan and nothing more: a conversation card is posted, or replaces the
 * message it names (`chat.update`; an ephemeral one through its `response_url`); a card for the person is
 * ephemeral; a form is a modal, which remembers the channel (and, in the form's payload, the card it came
 * from). Only this folder imports Bolt.
 */
import { App, webApi } from '@slack/bolt';
import type { Card } from '../../cards/card.js';
import {
  renderBlockKitMessages,
  renderBlockKitModal,
  type SlackMessage,
} from '../../cards/render/block-kit.js';
import type { ChannelBinding, ConversationKind } from '../../services/channels/channel.service.js';
import type { Services } from '../../services/index.js';
import type { Logger } from '../../services/logger.js';
import type { ChatCore, Plan, PlatformContext } from '../core/chat.js';
import { ChatError, describeError, errorText } from '../core/errors.js';
import { followUp, type OutboundPort, type Ports, RateLimitedError } from '../core/outbound.js';
import type { HttpServer } from '../http/server.js';
import { boltLogger } from './bolt-logger.js';
import { DmmSlackReceiver } from './slack.receiver.js';

export interface SlackSettings {
  readonly signingSecret: string;
  readonly botToken: string;
  /** Socket Mode (no public URL needed): the app-level token. */
  readonly appToken?: string | undefined;
  /** Base URL of the Web API (tests and fakes); Slack's own when absent. */
  readonly apiUrl?: string | undefined;
}

export interface SlackBot {
  readonly port: OutboundPort;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Message metadata type that marks a message posted from the outbox. */
const DELIVERY_EVENT = 'dmm_delivery';

/** Home tab: at most 100 blocks. */
const HOME_MAX_BLOCKS = 100;

/** Where a modal's result goes: the form's payload plus the channel it was opened from. */
interface ModalMetadata {
  readonly p: unknown;
  readonly c: string;
}

function kindOf(channelId: string, channelName?: string): ConversationKind {
  if (channelName === 'directmessage' || channelId.startsWith('D')) return 'personal';
  if (channelName === 'privategroup' || channelId.startsWith('G')) return 'group';
  return 'channel';
}

/** The inputs of a submitted modal, by input id (block ids are the input ids). */
function modalInputs(
  values: Record<string, Record<string, Record<string, unknown>>>,
): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const [blockId, elements] of Object.entries(values ?? {})) {
    for (const element of Object.values(elements ?? {})) {
      const e = element as {
        value?: string | null;
        selected_date?: string | null;
        selected_option?: { value?: string } | null;
      };
      inputs[blockId] = e.value ?? e.selected_date ?? e.selected_option?.value ?? null;
    }
  }
  return inputs;
}

/** Slack's answer when the bot posts to a conversation it is not a member of. */
function notInChannel(error: unknown): boolean {
  const code = (error as { data?: { error?: string } } | undefined)?.data?.error;
  return code === 'not_in_channel' || code === 'channel_not_found';
}

export function createSlackBot(deps: {
  settings: SlackSettings;
  server: HttpServer;
  services: Services;
  core: ChatCore;
  ports: Ports;
  logger: Logger;
}): SlackBot {
  const { settings, server, services, core, ports, logger } = deps;
  const log = boltLogger(logger);
  const clientOptions = settings.apiUrl ? { slackApiUrl: settings.apiUrl.replace(/\/?$/, '/') } : {};
  const app = settings.appToken
    ? new App({
        token: settings.botToken,
        appToken: settings.appToken,
        socketMode: true,
        logger: log,
        clientOptions,
        deferInitialization: true,
      })
    : new App({
        token: settings.botToken,
        receiver: new DmmSlackReceiver({ server, signingSecret: settings.signingSecret, logger: log }),
        logger: log,
        clientOptions,
        deferInitialization: true,
      });
  const client: webApi.WebClient = app.client;
  /**
   * For the outbound port (the outbox, follow-ups): a 429 comes straight back as a RateLimitedError instead of
   * being waited out inside the client, so the outbox schedules the retry and a delivery's lease never outlives
   * a call that is still quietly retrying.
   */
  const outbound = new webApi.WebClient(settings.botToken, {
    ...clientOptions,
    logger: log,
    rejectRateLimitedCalls: true,
    timeout: 15_000,
  });

  async function postMessages(
    channel: string,
    messages: SlackMessage[],
    deliveryKey?: string,
    via: webApi.WebClient = client,
  ): Promise<{ ts: string; channel: string }> {
    let first = '';
    let posted = channel;
    for (const m of messages) {
      const result = await via.chat.postMessage({
        channel,
        text: m.text,
        blocks: m.blocks as never,
        // The outbox's key rides along as message metadata, so a retry in doubt can find this message.
        ...(deliveryKey && !first
          ? { metadata: { event_type: DELIVERY_EVENT, event_payload: { key: deliveryKey } } }
          : {}),
      });
      if (!first) posted = String(result.channel ?? channel);
      first ||= String(result.ts ?? '');
    }
    // A post to a user id lands in the bot's DM with them: Slack answers with that channel's id.
    return { ts: first, channel: posted };
  }

  /** Replaces a posted message with the card (its first message: a card that needs more is rare here). */
  async function updateMessage(channel: string, ts: string, card: Card, via: webApi.WebClient = client) {
    const [first] = renderBlockKitMessages(card);
    await via.chat.update({
      channel,
      ts,
      text: first?.text ?? card.title,
      blocks: (first?.blocks ?? []) as never,
    });
  }

  async function postEphemeral(channel: string, user: string, card: Card) {
    for (const m of renderBlockKitMessages(card))
      await client.chat.postEphemeral({ channel, user, text: m.text, blocks: m.blocks as never });
  }

  /** Posts a card to the channel and remembers the message if it shows a record. */
  async function postCard(ctx: PlatformContext, card: Card): Promise<void> {
    const { ts } = await postMessages(ctx.conversationId, renderBlockKitMessages(card));
    if (ts) await core.recordPost(ctx, ts, card);
  }

  /** Opens a form as a modal; the modal remembers the channel, and the form's payload the card it came from. */
  async function openModal(ctx: PlatformContext, card: Card, triggerId: string) {
    const view = renderBlockKitModal(card);
    const metadata: ModalMetadata = { p: JSON.parse(view.private_metadata), c: ctx.conversationId };
    await client.views.open({
      trigger_id: triggerId,
      view: { ...view, private_metadata: JSON.stringify(metadata) } as never,
    });
  }

  /** Where a request came from, for carrying out its plan. */
  interface At {
    /** A trigger to open a modal with (commands and presses; not modal submissions). */
    readonly triggerId?: string | undefined;
    /** The message pressed, and whether it was ephemeral (then it is replaced through `respond`). */
    readonly pressed?: { readonly ts: string; readonly ephemeral: boolean } | undefined;
    readonly respond?: ((message: Record<string, unknown>) => Promise<unknown>) | undefined;
  }

  /** Carries out the chat core's plan, step by step, in order. */
  async function carryOut(ctx: PlatformContext, plan: Plan, at: At) {
    for (const step of plan.steps) {
      if (step.to === 'person') {
        await postEphemeral(ctx.conversationId, ctx.userId, step.card);
      } else if (step.to === 'form') {
        // A modal is the person's own: a form above the channel's ceiling may open there too.
        if (at.triggerId) await openModal(ctx, step.card, at.triggerId);
        else
          await postEphemeral(ctx.conversationId, ctx.userId, {
            title: step.card.title,
            kind: 'notice',
            blocks: [
              {
                type: 'text',
                text: `${step.card.title}: press the button on the card again to open the form.`,
              },
            ],
          });
      } else if (step.replaces && at.pressed?.ephemeral && step.replaces === at.pressed.ts && at.respond) {
        const [first] = renderBlockKitMessages(step.card);
        await at.respond({
          replace_original: true,
          text: first?.text ?? step.card.title,
          blocks: first?.blocks,
        });
      } else if (step.replaces) {
        await updateMessage(ctx.conversationId, step.replaces, step.card);
        await core.recordPost(ctx, step.replaces, step.card);
      } else {
        await postCard(ctx, step.card);
      }
    }
  }

  function after(ctx: PlatformContext, plan: Plan) {
    return followUp({ core, ports, logger }, plan, { platform: 'slack', conversationId: ctx.conversationId });
  }

  /** Tells the person something went wrong, in the one error map's words, instead of leaving them waiting. */
  async function failed(ctx: PlatformContext, error: unknown, respond?: At['respond']) {
    const said = errorText(describeError(error, logger, { user: ctx.userId, surface: 'slack' }));
    // The command's response URL works where the bot is not a member, and where a post just failed.
    if (respond) {
      const ok = await respond({ response_type: 'ephemeral', text: said }).then(
        () => true,
        () => false,
      );
      if (ok) return;
    }
    await client.chat
      .postEphemeral({ channel: ctx.conversationId, user: ctx.userId, text: said })
      .catch(() => undefined);
  }

  app.command('/dmm', async ({ command, ack, respond }) => {
    await ack();
    const ctx: PlatformContext = {
      platform: 'slack',
      tenantId: command.team_id,
      userId: command.user_id,
      conversationId: command.channel_id,
      kind: kindOf(command.channel_id, command.channel_name),
    };
    try {
      const plan = await core.handle(ctx, {
        type: 'text',
        text: command.text ?? '',
        // Each invocation has its own trigger: a redelivered command changes nothing twice.
        ...(command.trigger_id ? { key: `slack:${command.trigger_id}` } : {}),
      });
      await carryOut(ctx, plan, { triggerId: command.trigger_id });
      await after(ctx, plan);
    } catch (error) {
      await failed(
        ctx,
        notInChannel(error) ? new ChatError('NOT_IN_CHANNEL', 'I am not in this channel yet.') : error,
        respond as At['respond'],
      );
    }
  });

  app.action(/#\d+$/, async ({ ack, body, action, respond }) => {
    await ack();
    if (body.type !== 'block_actions' || action.type !== 'button') return;
    const channelId = body.channel?.id ?? body.user.id;
    const ctx: PlatformContext = {
      platform: 'slack',
      tenantId: body.team?.id ?? body.user.team_id ?? '',
      userId: body.user.id,
      conversationId: channelId,
      kind: kindOf(channelId, body.channel?.name),
    };
    try {
      let data: unknown;
      try {
        data = JSON.parse(action.value ?? '');
      } catch {
        data = action.value;
      }
      const container = body.container as { is_ephemeral?: boolean; message_ts?: string } | undefined;
      const ts = body.message?.ts ?? container?.message_ts;
      const pressed = ts ? { ts, ephemeral: Boolean(container?.is_ephemeral) } : undefined;
      const plan = await core.handle(ctx, {
        type: 'press',
        data,
        inputs: {},
        ...(pressed ? { pressed: pressed.ts } : {}),
      });
      await carryOut(ctx, plan, { triggerId: body.trigger_id, pressed, respond: respond as At['respond'] });
      await after(ctx, plan);
    } catch (error) {
      await failed(ctx, error);
    }
  });

  app.view(/.*/, async ({ ack, body, view }) => {
    const ctx0 = {
      platform: 'slack' as const,
      tenantId: body.team?.id ?? body.user.team_id ?? '',
      userId: body.user.id,
    };
    let metadata: ModalMetadata;
    try {
      metadata = JSON.parse(view.private_metadata) as ModalMetadata;
      if (typeof metadata?.c !== 'string') throw new Error('no channel');
    } catch {
      await ack({
        response_action: 'errors',
        errors: {
          [view.blocks.find((b) => b.type === 'input')?.block_id ?? 'form']:
            'This form is out of date: close it and start again with /dmm.',
        },
      });
      return;
    }
    const ctx: PlatformContext = { ...ctx0, conversationId: metadata.c, kind: kindOf(metadata.c) };
    let plan: Plan;
    try {
      plan = await core.handle(ctx, {
        type: 'press',
        data: metadata.p,
        inputs: modalInputs(view.state.values as never),
      });
    } catch (error) {
      await ack();
      await failed(ctx, error);
      return;
    }
    const inputIds = view.blocks.filter((b) => b.type === 'input').map((b) => b.block_id as string);
    if (plan.fieldErrors) {
      // Show each problem under its field; one that names no field of this form goes under the first.
      const errors: Record<string, string> = {};
      for (const [field, message] of Object.entries(plan.fieldErrors)) {
        const target = inputIds.includes(field) ? field : inputIds[0];
        if (target)
          errors[target] = errors[target]
            ? `${errors[target]}; ${field}: ${message}`
            : inputIds.includes(field)
              ? message
              : `${field}: ${message}`;
      }
      await ack({ response_action: 'errors', errors });
      return;
    }
    await ack();
    try {
      await carryOut(ctx, plan, {});
      await after(ctx, plan);
    } catch (error) {
      await failed(ctx, error);
    }
  });

  app.event('app_home_opened', async ({ event, body }) => {
    if (event.tab !== 'home') return;
    const cards = await core.myActions('slack', String(body.team_id ?? ''), event.user);
    const blocks = cards.flatMap((c) => renderBlockKitMessages(c).flatMap((m) => m.blocks));
    const shown =
      blocks.length > HOME_MAX_BLOCKS
        ? [
            ...blocks.slice(0, HOME_MAX_BLOCKS - 1),
            { type: 'context', elements: [{ type: 'plain_text', text: 'More: type /dmm actions mine' }] },
          ]
        : blocks;
    await client.views.publish({ user_id: event.user, view: { type: 'home', blocks: shown as never } });
  });

  app.error(async (error) => {
    logger.error({ err: error }, 'slack app error');
  });

  /** A 429 from the outbound client becomes a RateLimitedError with its Retry-After: the outbox schedules the retry. */
  async function rateLimited<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      const e = error as { code?: string; retryAfter?: number };
      if (e.code === 'slack_webapi_rate_limited_error')
        throw new RateLimitedError('slack', Math.max(1, e.retryAfter ?? 1) * 1000);
      throw error;
    }
  }

  /** The bot's recent messages in a conversation, with their metadata: the ts of the one carrying the key. */
  async function findByKey(channel: string, deliveryKey: string): Promise<string | undefined> {
    const history = await rateLimited(() =>
      outbound.conversations.history({ channel, limit: 200, include_all_metadata: true }),
    );
    const hit = (history.messages ?? []).find(
      (m) =>
        (m as { metadata?: { event_payload?: { key?: string } } }).metadata?.event_payload?.key ===
        deliveryKey,
    );
    return hit?.ts;
  }

  const port: OutboundPort = {
    platform: 'slack',
    async post(binding: ChannelBinding, card: Card, options = {}) {
      const { ts } = await rateLimited(() =>
        postMessages(binding.conversationId, renderBlockKitMessages(card), options.deliveryKey, outbound),
      );
      if (ts) await core.recordPost(binding, ts, card);
      return ts;
    },
    findDelivered: (binding, deliveryKey) => findByKey(binding.conversationId, deliveryKey),
    async findDirect(personId, deliveryKey) {
      const [identity] = await services.people.identitiesOf(personId, 'slack');
      if (!identity) return undefined;
      const opened = await rateLimited(() => outbound.conversations.open({ users: identity.externalId }));
      const channel = opened.channel?.id;
      return channel ? findByKey(channel, deliveryKey) : undefined;
    },
    update: (binding, messageId, card) =>
      rateLimited(() => updateMessage(binding.conversationId, messageId, card, outbound)),
    async direct(personId, text, card, options = {}) {
      const [identity] = await services.people.identitiesOf(personId, 'slack');
      if (!identity) return false;
      // Posting to a user id opens (or reuses) the bot's DM with them.
      const messages = renderBlockKitMessages(card);
      const [first, ...rest] = messages;
      const sent = await rateLimited(() =>
        postMessages(
          identity.externalId,
          [{ text, blocks: first?.blocks ?? [] }, ...rest],
          options.deliveryKey,
          outbound,
        ),
      );
      // The DM is the person's own conversation with the bot: known from here on, so its copy can be updated.
      const conversation = {
        platform: 'slack' as const,
        tenantId: identity.tenantId,
        conversationId: sent.channel,
      };
      await services.channels.seen(conversation, { kind: 'personal', personId });
      return { conversation, messageId: sent.ts };
    },
  };

  return {
    port,
    async start() {
      await app.init();
      if (settings.appToken) await app.start();
    },
    async stop() {
      if (settings.appToken) await app.stop();
    },
  };
}
