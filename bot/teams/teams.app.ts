/**
 * Teams: messages (an @mention in a channel, plain text in a personal chat), Adaptive Card Universal Actions
 * (`adaptiveCard/action` invokes, answered with the refreshed card), install events (the conversation reference
 * is stored so jobs can post later) and proactive sends, on botbuilder's CloudAdapter at `/api/messages`.
 * botbuilder is archived upstream: every import of it stays in this folder, behind the outbound port Slack
 * implements too, so moving to the Microsoft 365 Agents SDK touches this folder only.
 */
import type http from 'node:http';
import {
  type Activity,
  ActivityTypes,
  CardFactory,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type ConversationReference,
  TurnContext,
} from 'botbuilder';
import { MicrosoftAppCredentials } from 'botframework-connector';
import type { Card } from '../../cards/card.js';
import { renderAdaptiveCard } from '../../cards/render/adaptive-card.js';
import { createSystemActor } from '../../services/access/actor.js';
import type { ConversationKind } from '../../services/channels/channel.service.js';
import { AlreadySubmittedError } from '../../services/errors.js';
import type { Services } from '../../services/index.js';
import type { Logger } from '../../services/logger.js';
import type { ChatCore, Plan, PlatformContext } from '../core/chat.js';
import { describeError, errorText } from '../core/errors.js';
import { followUp, type OutboundPort, type Ports, RateLimitedError } from '../core/outbound.js';
import type { HttpServer } from '../http/server.js';
import { sendJson } from '../http/server.js';

export interface TeamsSettings {
  /**
   * The bot's app (client) id. Empty: no token validation and no outbound credentials (the local emulator and
   * tests). Neutral names, as the Microsoft 365 Agents SDK has them; botbuilder's are given below only.
   */
  readonly clientId: string;
  readonly clientSecret: string;
  readonly tenantId: string;
  readonly authType: 'SingleTenant' | 'MultiTenant' | 'UserAssignedMSI';
  readonly openIdMetadataUrl?: string | undefined;
  readonly emulatorOpenIdMetadataUrl?: string | undefined;
  /** Microsoft Graph's base URL, for finding a post whose sender died before keeping its id. */
  readonly graphUrl?: string | undefined;
}

export interface TeamsBot {
  readonly port: OutboundPort;
}

/** A Bot Framework activity is a few KB; a card submission at most ~30 KB. */
const MAX_BODY_BYTES = 256 * 1024;

const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';
const MESSAGE = 'application/vnd.microsoft.activity.message';

function kindOf(conversationType: string | undefined): ConversationKind {
  if (conversationType === 'personal') return 'personal';
  if (conversationType === 'groupChat') return 'group';
  return 'channel';
}

/** A channel thread's id is the channel's id plus `;messageid=…`: bindings are per channel. */
const baseConversationId = (id: string) => id.split(';')[0] as string;

/** Teams' meeting events (learn.microsoft.com, "Get meeting start and end events", Bot Framework event names). */
const MEETING_START = 'application/vnd.microsoft.meetingStart';
const MEETING_END = 'application/vnd.microsoft.meetingEnd';
const PARTICIPANTS = {
  'application/vnd.microsoft.meetingParticipantJoin': 'joined',
  'application/vnd.microsoft.meetingParticipantLeave': 'left',
} as const;

function contextOf(activity: Activity): PlatformContext {
  const reference = TurnContext.getConversationReference(activity);
  const conversationId = baseConversationId(activity.conversation?.id ?? '');
  const channelData = activity.channelData as
    | { tenant?: { id?: string }; team?: { aadGroupId?: string } }
    | undefined;
  return {
    platform: 'teams',
    tenantId: activity.conversation?.tenantId ?? channelData?.tenant?.id ?? '',
    userId: activity.from?.aadObjectId ?? activity.from?.id ?? '',
    ...(activity.from?.aadObjectId && activity.from.id ? { address: activity.from.id } : {}),
    conversationId,
    kind: kindOf(activity.conversation?.conversationType),
    // Stored for proactive sends: to the conversation itself, not to one message in it.
    reference: {
      serviceUrl: reference.serviceUrl,
      channelId: reference.channelId,
      bot: reference.bot,
      conversation: { ...reference.conversation, id: conversationId },
      // The team's Microsoft 365 group: Graph names a channel by it (for finding a post in doubt).
      ...(channelData?.team?.aadGroupId ? { aadGroupId: channelData.team.aadGroupId } : {}),
    },
  };
}

/**
 * The card, carrying the outbox's delivery key as the id of an invisible element when there is one: the card
 * content is what Graph hands back for a message, so a post in doubt can be recognised by it.
 */
function attachment(card: Card, deliveryKey?: string) {
  const rendered = renderAdaptiveCard(card) as { body?: unknown[] };
  if (!deliveryKey) return CardFactory.adaptiveCard(rendered);
  return CardFactory.adaptiveCard({
    ...rendered,
    body: [...(rendered.body ?? []), { type: 'TextBlock', id: deliveryKey, text: ' ', isVisible: false }],
  });
}

/** Whether a Graph chat message carries a card with the delivery key (see `attachment`). */
function carriesKey(message: { attachments?: { content?: string | null }[] }, deliveryKey: string): boolean {
  return (message.attachments ?? []).some((a) => {
    if (typeof a.content !== 'string' || !a.content.includes(deliveryKey)) return false;
    try {
      const body = (JSON.parse(a.content) as { body?: { id?: unknown }[] }).body ?? [];
      return body.some((element) => element?.id === deliveryKey);
    } catch {
      return false;
    }
  });
}

/** The card's words as one line, for the short message Teams shows when a press answers with text. */
function plainText(card: Card): string {
  return card.blocks
    .map((b) => (b.type === 'text' || b.type === 'heading' || b.type === 'notice' ? b.text : ''))
    .filter(Boolean)
    .join(' ');
}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export function createTeamsBot(deps: {
  settings: TeamsSettings;
  server: HttpServer;
  services: Services;
  core: ChatCore;
  ports: Ports;
  logger: Logger;
}): TeamsBot {
  const { settings, server, services, core, ports, logger } = deps;
  const log = logger.child({ component: 'teams' });
  const auth = new ConfigurationBotFrameworkAuthentication(
    settings.clientId
      ? {
          MicrosoftAppId: settings.clientId,
          MicrosoftAppPassword: settings.clientSecret,
          MicrosoftAppTenantId: settings.tenantId,
          MicrosoftAppType: settings.authType,
          // A custom key endpoint (sovereign cloud, tests) makes botbuilder take every endpoint from settings:
          // the public cloud's, as botbuilder's AuthenticationConstants name them.
          ...(settings.openIdMetadataUrl
            ? {
                ToBotFromChannelOpenIdMetadataUrl: settings.openIdMetadataUrl,
                ToBotFromEmulatorOpenIdMetadataUrl:
                  settings.emulatorOpenIdMetadataUrl ?? settings.openIdMetadataUrl,
                ToBotFromChannelTokenIssuer: 'https://api.botframework.com',
                ToChannelFromBotLoginUrl: `https://login.microsoftonline.com/${settings.tenantId || 'botframework.com'}`,
                ToChannelFromBotOAuthScope: 'https://api.botframework.com',
                OAuthUrl: 'https://api.botframework.com',
                ValidateAuthority: true,
              }
            : {}),
        }
      : {},
  );
  const adapter = new CloudAdapter(auth);
  adapter.onTurnError = async (_context, error) => {
    log.error({ err: error }, 'teams turn failed');
  };

  async function send(context: TurnContext, ctx: PlatformContext, card: Card, text?: string): Promise<void> {
    const response = await context.sendActivity({
      type: ActivityTypes.Message,
      ...(text ? { text } : {}),
      attachments: [attachment(card)],
    });
    if (response?.id) await core.recordPost(ctx, response.id, card);
  }

  /** A form above what the conversation may carry goes to the person's own chat with the bot. */
  async function sendDirect(plan: Plan, card: Card): Promise<boolean> {
    if (plan.personId === null) return false;
    return port
      .direct(plan.personId, `${card.title}: fill in the form below.`, card)
      .then((sent) => sent !== false)
      .catch((error: unknown) => {
        log.warn({ err: error, personId: plan.personId }, 'could not send a form to the personal chat');
        return false;
      });
  }

  async function sorry(context: TurnContext, error: unknown) {
    const said = errorText(describeError(error, log, { surface: 'teams' }));
    await context.sendActivity(said).catch(() => undefined);
  }

  /**
   * Carries out the chat core's plan in a turn. Teams has no message only one person sees in a channel, so a
   * card for the person is posted too (errors and pointers of a press are said in the press's answer instead).
   * `pressed` is the card pressed, if any: a card that replaces it becomes the press's answer. Returns that
   * answer for an invoke.
   */
  async function carryOut(
    context: TurnContext,
    ctx: PlatformContext,
    plan: Plan,
    pressed?: string,
  ): Promise<{ card?: Card; said: string[] }> {
    const answer: { card?: Card; said: string[] } = { said: [] };
    for (const step of plan.steps) {
      if (step.to === 'form' && step.direct) {
        const sent = await sendDirect(plan, step.card);
        const note = sent
          ? step.pointer
          : ({
              title: step.card.title,
              kind: 'notice',
              blocks: [
                {
                  type: 'text',
                  text: `${step.card.title}: this form shows something this conversation may not carry, and I cannot reach your own chat with me yet. Open a chat with the bot, say hello, and ask again there.`,
                },
              ],
            } satisfies Card);
        if (note && pressed) answer.said.push(plainText(note));
        else if (note) await send(context, ctx, note);
        continue;
      }
      if (step.to !== 'person' && step.replaces && step.replaces === pressed && !answer.card) {
        answer.card = step.card;
        await core.recordPost(ctx, pressed, step.card);
        continue;
      }
      if (step.to === 'conversation' && step.replaces) {
        await context.updateActivity({
          type: ActivityTypes.Message,
          id: step.replaces,
          attachments: [attachment(step.card)],
        });
        await core.recordPost(ctx, step.replaces, step.card);
        continue;
      }
      if (step.to === 'person' && pressed && (step.card.kind === 'error' || step.card.kind === 'notice')) {
        answer.said.push(plainText(step.card));
        continue;
      }
      await send(context, ctx, step.card);
    }
    return answer;
  }

  async function onMessage(context: TurnContext) {
    const activity = context.activity;
    const ctx = contextOf(activity);
    let plan: Plan;
    if (activity.value && typeof activity.value === 'object') {
      // A press on a card in a client without Universal Actions (Action.Submit): payload and inputs together.
      plan = await core.handle(ctx, {
        type: 'press',
        data: activity.value,
        inputs: activity.value as Record<string, unknown>,
      });
    } else {
      const text = (TurnContext.removeRecipientMention(activity) ?? activity.text ?? '').trim();
      // The activity id makes a redelivery of the same message change nothing twice.
      plan = await core.handle(ctx, {
        type: 'text',
        text,
        ...(activity.id ? { key: `teams:${activity.id}` } : {}),
      });
    }
    const answer = await carryOut(context, ctx, plan);
    if (answer.said.length > 0) await context.sendActivity(answer.said.join(' '));
    await followUp({ core, ports, logger }, plan, { platform: 'teams', conversationId: ctx.conversationId });
  }

  async function onCardAction(context: TurnContext) {
    const activity = context.activity;
    const ctx = contextOf(activity);
    const value = activity.value as { action?: { data?: unknown } } | undefined;
    const data = value?.action?.data;
    const inputs = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
    const pressed = activity.replyToId;
    // An automatic refresh (a card refreshed per user): that person's own copy, answered to them alone; nothing
    // is posted or replaced for anyone else.
    const trigger = (activity.value as { trigger?: string } | undefined)?.trigger;
    if (trigger === 'automatic' || (data as { verb?: string } | undefined)?.verb === 'action.refresh') {
      const refreshed = await core.handle(ctx, { type: 'press', data, inputs: {} });
      const card =
        refreshed.steps.find((step) => step.card.kind !== 'notice')?.card ?? refreshed.steps[0]?.card;
      const body = card
        ? { statusCode: 200, type: ADAPTIVE_CARD, value: renderAdaptiveCard(card) }
        : { statusCode: 200, type: MESSAGE, value: 'Nothing to show.' };
      await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 200, body } });
      return;
    }
    const plan = await core.handle(ctx, { type: 'press', data, inputs, ...(pressed ? { pressed } : {}) });
    const answer = await carryOut(context, ctx, plan, pressed);
    // The pressed card becomes its next state; otherwise the press is answered with a short message and the
    // card keeps its buttons.
    const body = answer.card
      ? { statusCode: 200, type: ADAPTIVE_CARD, value: renderAdaptiveCard(answer.card) }
      : {
          statusCode: 200,
          type: MESSAGE,
          value:
            answer.said.join(' ') ||
            (plan.steps[0] ? `${plan.steps[0].card.title}: see below.` : 'Nothing to show.'),
        };
    await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 200, body } });
    await followUp({ core, ports, logger }, plan, { platform: 'teams', conversationId: ctx.conversationId });
  }

  /** Installed in a team, a chat or a personal scope: remember the conversation and say how to link it. */
  async function onInstalled(context: TurnContext) {
    const ctx = contextOf(context.activity);
    const person =
      ctx.kind === 'personal'
        ? await services.people.findByIdentity('teams', ctx.tenantId, ctx.userId)
        : undefined;
    await services.channels.seen(ctx, {
      kind: ctx.kind,
      personId: person?.id ?? null,
      reference: ctx.reference,
    });
    const plan = await core.handle(ctx, { type: 'text', text: 'help' });
    const intro =
      ctx.kind === 'personal'
        ? 'Hello. I am the DMM bot: type `help` to see what I do.'
        : 'Hello. I am the DMM bot. An admin of the unit links this conversation with `@DMM link <unit code>`.';
    await context.sendActivity(intro);
    for (const step of plan.steps) await send(context, ctx, step.card);
  }

  /**
   * The Teams meeting of a linked conversation (a channel meeting in a linked channel, or a meeting chat linked
   * with `link`) has started: today's DMM is shown in the meeting chat, opened when the person who started the
   * meeting is its chair (as if they had typed `meeting start`), else shown for the chair to start. A meeting in a
   * conversation not linked to a unit is left alone: a DMM run from a channel needs none of this.
   */
  async function onMeetingStart(context: TurnContext) {
    const ctx = contextOf(context.activity);
    const binding = await services.channels.find(ctx);
    if (!binding?.unitId) return;
    // Shown as the person who started the meeting may see it; someone the bot does not know gets nothing here.
    const person = await services.people.findByIdentity('teams', ctx.tenantId, ctx.userId);
    if (!person) {
      log.info(
        { conversationId: ctx.conversationId },
        'a Teams meeting started by someone not linked: nothing shown',
      );
      return;
    }
    const chair = (await services.people.rolesOn(person.id, binding.unitId)).includes('chair');
    const meeting = await services.meetings.findForDate(
      createSystemActor('bot:teams-meeting'),
      binding.unitId,
    );
    const plan = await core.handle(ctx, {
      type: 'text',
      text: chair && (!meeting || meeting.status === 'scheduled') ? 'meeting start' : 'meeting',
      ...(context.activity.id ? { key: `teams:${context.activity.id}` } : {}),
    });
    await carryOut(context, ctx, plan);
    await followUp({ core, ports, logger }, plan, { platform: 'teams', conversationId: ctx.conversationId });
  }

  /** The Teams meeting has ended: the chair is reminded in the meeting chat to read back and close the DMM. */
  async function onMeetingEnd(context: TurnContext) {
    const ctx = contextOf(context.activity);
    const binding = await services.channels.find(ctx);
    if (!binding?.unitId) return;
    const meeting = await services.meetings.findForDate(
      createSystemActor('bot:teams-meeting'),
      binding.unitId,
    );
    if (meeting?.status !== 'open') return;
    await send(context, ctx, {
      title: 'The Teams meeting has ended',
      kind: 'notice',
      blocks: [
        {
          type: 'notice',
          tone: 'attention',
          text: "The Teams meeting has ended but today's DMM is still open: the chair reads back the decisions and actions and closes it (`dmm meeting close`), so the minutes are written.",
        },
      ],
    });
  }

  /**
   * Participants of the Teams meeting of a linked conversation joined or left (`value.members[]`, each a
   * TeamsMeetingMember: `user` with its Entra object id, tenant and name): today's DMM records them, a linked member
   * of the unit as present, anyone else (not linked, of another tenant, of another unit) as a guest by the name the
   * meeting showed. Today's meeting is scheduled if the chair has not opened it yet; once it is closed, nothing.
   */
  async function onParticipants(context: TurnContext, event: 'joined' | 'left') {
    const ctx = contextOf(context.activity);
    const binding = await services.channels.find(ctx);
    if (!binding?.unitId) return;
    const system = createSystemActor('bot:teams-meeting');
    const members = (context.activity.value as { members?: unknown } | undefined)?.members;
    const users = (Array.isArray(members) ? members : [])
      .map(
        (m) =>
          (m as { user?: { id?: string; aadObjectId?: string; tenantId?: string; name?: string } })?.user,
      )
      .filter((u) => {
        const ref = u?.aadObjectId ?? u?.id;
        return typeof ref === 'string' && ref.length > 0 && ref.length <= 200;
      });
    if (users.length === 0) return;
    const participants = await Promise.all(
      users.map(async (u) => {
        const tenant = u?.tenantId ?? ctx.tenantId;
        const person = u?.aadObjectId
          ? await services.people.findByIdentity('teams', tenant, u.aadObjectId)
          : undefined;
        // Their Teams address (29:…), which a card's per-user refresh names, learnt here as from their messages.
        if (person && u?.aadObjectId && u.id?.startsWith('29:'))
          await services.people.noteAddress('teams', tenant, u.aadObjectId, u.id);
        return {
          ref: `teams:${tenant}:${u?.aadObjectId ?? u?.id}`,
          name: typeof u?.name === 'string' ? u.name : '',
          personId: person?.id ?? null,
        };
      }),
    );
    const meeting =
      (await services.meetings.findForDate(system, binding.unitId)) ??
      (await services.meetings.schedule(system, binding.unitId));
    if (meeting.status === 'closed' || meeting.status === 'approved') {
      log.info(
        { conversationId: ctx.conversationId, meetingId: meeting.id, event },
        "a Teams meeting's participant event after the DMM closed: not recorded",
      );
      return;
    }
    try {
      const counted = await services.meetings.recordParticipation(system, meeting.id, {
        event,
        participants,
        ...(context.activity.id ? { submissionKey: `teams:${context.activity.id}` } : {}),
      });
      log.info({ meetingId: meeting.id, event, ...counted }, "a Teams meeting's participants recorded");
    } catch (error) {
      // Teams delivering the same event again: it was recorded the first time; nobody is told anything.
      if (!(error instanceof AlreadySubmittedError)) throw error;
      log.info(
        { meetingId: meeting.id, event },
        "a Teams meeting's participant event repeated: recorded once",
      );
    }
  }

  async function logic(context: TurnContext) {
    const activity = context.activity;
    try {
      if (activity.type === ActivityTypes.Message) await onMessage(context);
      else if (activity.type === ActivityTypes.Invoke && activity.name === 'adaptiveCard/action')
        await onCardAction(context);
      else if (
        (activity.type === ActivityTypes.ConversationUpdate &&
          activity.membersAdded?.some((m) => m.id === activity.recipient?.id)) ||
        (activity.type === ActivityTypes.InstallationUpdate && activity.action === 'add')
      )
        await onInstalled(context);
      else if (activity.type === ActivityTypes.Event && activity.name === MEETING_START)
        await onMeetingStart(context);
      else if (activity.type === ActivityTypes.Event && activity.name === MEETING_END)
        await onMeetingEnd(context);
      else if (
        activity.type === ActivityTypes.Event &&
        activity.name &&
        Object.hasOwn(PARTICIPANTS, activity.name)
      )
        await onParticipants(context, PARTICIPANTS[activity.name as keyof typeof PARTICIPANTS]);
      else if (activity.type === ActivityTypes.Invoke)
        await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 200 } });
    } catch (error) {
      // An event (a meeting starting, people joining) was typed by nobody: its failure is logged, not said.
      if (activity.type === ActivityTypes.Event) {
        log.warn(
          { err: error, event: activity.name, surface: 'teams' },
          'a Teams event could not be handled',
        );
        return;
      }
      if (activity.type === ActivityTypes.Invoke) {
        await context.sendActivity({
          type: ActivityTypes.InvokeResponse,
          value: {
            status: 200,
            body: {
              statusCode: 200,
              type: MESSAGE,
              value: errorText(describeError(error, log, { surface: 'teams' })),
            },
          },
        });
        return;
      }
      await sorry(context, error);
    }
  }

  server.route('POST', '/api/messages', async (req, res) => {
    const body = await readJson(req);
    if (!body) {
      sendJson(res, 400, { error: 'bad_request', message: 'The body must be one JSON activity.' });
      return;
    }
    if (settings.clientId && !/^Bearer\s+\S+/i.test(String(req.headers.authorization ?? ''))) {
      sendJson(res, 401, { error: 'unauthorized', message: 'A Bot Framework token is required.' });
      return;
    }
    let ran = false;
    let status = 200;
    const response = {
      socket: req.socket,
      status(code: number) {
        status = code;
      },
      header(name: string, value: unknown) {
        res.setHeader(name, String(value));
      },
      send(payload?: unknown) {
        // A request whose token could not be checked never reached the bot: it is refused, not failed.
        if (status >= 500 && !ran && settings.clientId) status = 401;
        if (payload === undefined) {
          res.statusCode = status;
          return;
        }
        const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
        res.writeHead(status, {
          'content-type': typeof payload === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
          'content-length': Buffer.byteLength(text),
        });
        res.end(text);
      },
      end() {
        if (res.writableEnded) return;
        if (status >= 500 && !ran && settings.clientId) status = 401;
        res.statusCode = status;
        res.end();
      },
    };
    await adapter.process(
      { body, headers: req.headers, method: req.method ?? 'POST' },
      response,
      async (ctx) => {
        ran = true;
        await logic(ctx);
      },
    );
  });

  /** Runs `fn` in a stored conversation; a 429 from the connector becomes a RateLimitedError with its wait. */
  async function inConversation(reference: unknown, fn: (context: TurnContext) => Promise<void>) {
    try {
      await adapter.continueConversationAsync(
        settings.clientId,
        reference as Partial<ConversationReference>,
        fn,
      );
    } catch (error) {
      const e = error as {
        statusCode?: number;
        response?: { headers?: { get?(name: string): string | undefined } };
      };
      if (e.statusCode === 429) {
        const seconds = Number(e.response?.headers?.get?.('retry-after'));
        throw new RateLimitedError('teams', Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1_000);
      }
      throw error;
    }
  }

  const graphCredentials = settings.clientId
    ? new MicrosoftAppCredentials(
        settings.clientId,
        settings.clientSecret,
        settings.tenantId || undefined,
        'https://graph.microsoft.com',
      )
    : undefined;

  /**
   * Reads the conversation's latest messages through Microsoft Graph (the app's resource-specific consent:
   * ChannelMessage.Read.Group, ChatMessage.Read.Chat): undefined when Graph cannot tell (no team id stored, no
   * consent, unknown conversation), so the caller posts again; a 429 or a server error is thrown (retried later).
   */
  async function recentMessages(binding: Parameters<OutboundPort['post']>[0]) {
    const reference = (binding.reference ?? {}) as { aadGroupId?: string };
    const conversation = encodeURIComponent(binding.conversationId);
    let path: string;
    if (binding.kind === 'channel') {
      if (!reference.aadGroupId) return undefined;
      path = `/teams/${encodeURIComponent(reference.aadGroupId)}/channels/${conversation}/messages?$top=50`;
    } else {
      path = `/chats/${conversation}/messages?$top=50&$orderby=createdDateTime%20desc`;
    }
    const response = await graph('GET', path);
    if (response.status >= 500) throw new Error(`Microsoft Graph answered ${response.status}`);
    if (response.status >= 400) {
      log.warn(
        { status: response.status, conversationId: binding.conversationId },
        'cannot read the conversation through Microsoft Graph (is resource-specific consent granted?): posting again',
      );
      return undefined;
    }
    const page = response.json as { value?: { id?: string; attachments?: { content?: string }[] }[] };
    return page.value ?? [];
  }

  /** A Graph request with the app's token (none against a local fake); its JSON, or the refusal. */
  async function graph(method: 'GET' | 'POST', path: string, body?: unknown) {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (graphCredentials) headers.authorization = `Bearer ${await graphCredentials.getToken()}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${settings.graphUrl ?? 'https://graph.microsoft.com'}/v1.0${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(10_000),
    });
    if (response.status === 429) {
      const seconds = Number(response.headers.get('retry-after'));
      throw new RateLimitedError('teams', Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1_000);
    }
    const json = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    return { status: response.status, json };
  }

  /**
   * A person who has never chatted with the bot: the app is installed for them through Microsoft Graph
   * (application permission TeamsAppInstallation.ReadWriteSelfForUser.All, named in the manifest's docs), their
   * personal chat with it found, and remembered like one they opened. Undefined when they have no Teams identity;
   * a refusal is thrown with what to grant, so the outbox (`dmm deliveries`) and the log say why.
   */
  async function installFor(personId: number) {
    // Without the app's credentials Graph is reachable only as a local fake (tests); otherwise there is no way.
    const fakeGraph = settings.graphUrl !== undefined && settings.graphUrl !== 'https://graph.microsoft.com';
    if (!settings.clientId && !fakeGraph) return undefined;
    const [identity] = await services.people.identitiesOf(personId, 'teams');
    if (!identity) return undefined;
    const user = encodeURIComponent(identity.externalId);
    const appId = settings.clientId || 'dmm-bot';
    const catalog = await graph(
      'GET',
      `/appCatalogs/teamsApps?$filter=${encodeURIComponent(`externalId eq '${appId}'`)}`,
    );
    const app = (catalog.json.value as Array<{ id?: string }> | undefined)?.[0]?.id;
    if (!app)
      throw new Error(
        `Teams: the app (${appId}) is not in the organisation's app catalog, so it cannot be installed for person ${personId}: upload the app package (dmm manifest teams) first`,
      );
    const installed = await graph('POST', `/users/${user}/teamwork/installedApps`, {
      'teamsApp@odata.bind': `https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/${app}`,
    });
    // 409: installed already (the chat was never opened); either way the chat is there to find.
    if (installed.status === 401 || installed.status === 403)
      throw new Error(
        `Teams: installing the app for person ${personId} was refused (${installed.status}): grant the app the Microsoft Graph application permission TeamsAppInstallation.ReadWriteSelfForUser.All (docs/slack-and-teams.md), or ask them to open a chat with the bot`,
      );
    if (installed.status >= 400 && installed.status !== 409)
      throw new Error(
        `Teams: installing the app for person ${personId}: Microsoft Graph answered ${installed.status}`,
      );
    const list = await graph(
      'GET',
      `/users/${user}/teamwork/installedApps?$expand=teamsApp&$filter=${encodeURIComponent(`teamsApp/externalId eq '${appId}'`)}`,
    );
    const installation = (list.json.value as Array<{ id?: string }> | undefined)?.[0]?.id;
    const chat = installation
      ? await graph('GET', `/users/${user}/teamwork/installedApps/${encodeURIComponent(installation)}/chat`)
      : undefined;
    const chatId = chat?.json.id as string | undefined;
    if (!chatId)
      throw new Error(`Teams: the app was installed for person ${personId} but its chat was not found`);
    // The tenant's service URL, as the bot knows it from any conversation there.
    const known = (await services.channels.referenceIn('teams', identity.tenantId)) as
      | { serviceUrl?: string; bot?: unknown }
      | undefined;
    const reference = {
      serviceUrl: known?.serviceUrl ?? 'https://smba.trafficmanager.net/teams/',
      channelId: 'msteams',
      bot: known?.bot ?? { id: `28:${appId}` },
      conversation: { id: chatId, conversationType: 'personal', tenantId: identity.tenantId },
    };
    const key = { platform: 'teams' as const, tenantId: identity.tenantId, conversationId: chatId };
    log.info({ personId }, 'installed the app for a person to reach them directly');
    return services.channels.seen(key, { kind: 'personal', personId, reference });
  }

  const port: OutboundPort = {
    platform: 'teams',
    async findDelivered(binding, deliveryKey) {
      const messages = await recentMessages(binding);
      return messages?.find((m) => carriesKey(m, deliveryKey))?.id;
    },
    async post(binding, card, options) {
      let id = '';
      await inConversation(binding.reference, async (context) => {
        const response = await context.sendActivity({
          type: ActivityTypes.Message,
          attachments: [attachment(card, options?.deliveryKey)],
        });
        id = response?.id ?? '';
      });
      // The connector answers an accepted activity with its id. Without one it was not accepted (botbuilder
      // hands back a throttled 429 after its own retry as if it were an answer): never count that as sent.
      if (!id) throw new RateLimitedError('teams', 1_000);
      await core.recordPost(binding, id, card);
      return id;
    },
    async update(binding, messageId, card) {
      await inConversation(binding.reference, async (context) => {
        await context.updateActivity({
          type: ActivityTypes.Message,
          id: messageId,
          attachments: [attachment(card)],
        });
      });
    },
    async direct(personId, text, card, options = {}) {
      const chat = (await services.channels.personalChat(personId, 'teams')) ?? (await installFor(personId));
      if (!chat?.reference) return false;
      let messageId = '';
      await inConversation(chat.reference, async (context) => {
        const sent = await context.sendActivity({
          type: ActivityTypes.Message,
          text,
          attachments: [attachment(card, options.deliveryKey)],
        });
        messageId = sent?.id ?? '';
      });
      // Sent; without an id from the connector (none has been seen) the copy is not kept up to date.
      return {
        conversation: { platform: 'teams', tenantId: chat.tenantId, conversationId: chat.conversationId },
        messageId,
      };
    },
  };

  return { port };
}
