/**
 * The chat core: what Slack, Teams and the console have in common, in one place. A message or a card press
 * comes in with the surface's ids; the core finds the person, the unit and what the place may show, passes the
 * command to the router, and answers with a plan: which card goes to the conversation (replacing which message),
 * which to the person alone, which form to open, and whom to tell directly. The one placement rule (`place`)
 * decides all of it, before anything is posted; the adapters only carry the plan out. `link` and `unlink` are
 * handled here, since they bind the conversation itself.
 */
import { createHash } from 'node:crypto';
import type { Card } from '../../cards/card.js';
import { buildHelpCard } from '../../cards/records.card.js';
import { createSystemActor, type PersonActor } from '../../services/access/actor.js';
import type { Audience } from '../../services/briefs/brief.model.js';
import type {
  ChannelBinding,
  ChatPlatform,
  ConversationKey,
  ConversationKind,
  PostedMessage,
} from '../../services/channels/channel.service.js';
import { isDomainError } from '../../services/errors.js';
import type { Services } from '../../services/index.js';
import type { Logger } from '../../services/logger.js';
import type { Metrics } from '../../services/metrics.js';
import { type Marking, withinCeiling } from '../../services/validation.js';
import { ChatError, errorCard } from './errors.js';
import { HELP, parseCommand } from './grammar.js';
import { helpCard } from './help.js';
import { type Changed, type Conversation, createRouter, type Notification, type Reply } from './router.js';
import { stampSubmissionKeys } from './submission-keys.js';
import { createViews } from './views.js';

/** Where a message or a press came from on a chat platform, in the platform's own ids. */
export interface PlatformContext {
  readonly platform: ChatPlatform;
  /** Slack team id; Teams (AAD) tenant id. */
  readonly tenantId: string;
  /** Slack user id; Teams AAD object id. */
  readonly userId: string;
  readonly conversationId: string;
  readonly kind: ConversationKind;
  /** The platform's conversation reference, stored for proactive sends (Teams). */
  readonly reference?: unknown;
  /** The platform's own address of the user where it differs from `userId` (Teams: the MRI, `29:…`). */
  readonly address?: string;
}

/** The local console: the person and unit are picked on the page; it is that person's own screen. */
export interface ConsoleContext {
  readonly platform: 'console';
  readonly personId: number;
  readonly unitId: number;
}

export type ChatContext = PlatformContext | ConsoleContext;
export type ChatSurface = ChatContext['platform'];

export type ChatInput =
  /** A typed command; `key` is the platform's id for the message, so a redelivery changes nothing. */
  | { readonly type: 'text'; readonly text: string; readonly key?: string }
  /** A button or a form: its payload, the form's inputs, and the message pressed, if it was on one. */
  | {
      readonly type: 'press';
      readonly data: unknown;
      readonly inputs: Readonly<Record<string, unknown>>;
      readonly pressed?: string;
    };

/** One thing to show, and where. */
export type PlanStep =
  /** For everyone in the conversation: replaces the message `replaces` when given, else a new message. */
  | { readonly to: 'conversation'; readonly card: Card; readonly replaces?: string }
  /** For the person alone, in the conversation where the platform can (Slack ephemeral; Teams posts it). */
  | { readonly to: 'person'; readonly card: Card }
  /**
   * A form for the person: a Slack modal (whatever `replaces` says: a modal stands in no message); on Teams in
   * place of the message `replaces`, or a new message, or, when `direct` (it shows something above what the
   * conversation may carry), in their own chat with the bot, with `pointer` left where they asked.
   */
  | {
      readonly to: 'form';
      readonly card: Card;
      readonly replaces?: string;
      readonly direct?: boolean;
      readonly pointer?: Card;
    };

export interface Plan {
  readonly steps: readonly PlanStep[];
  /** For a rejected form: the message for each input that was wrong, by input id. */
  readonly fieldErrors?: Readonly<Record<string, string>>;
  /** People to tell on their own (a new owner), and content for the person that this place may not show. */
  readonly notify: readonly Notification[];
  /** Records changed: every other posted copy is brought up to date by the follow-ups. */
  readonly changed: readonly Changed[];
  /** Messages this plan replaces itself: the follow-ups leave them alone. */
  readonly replaced: readonly string[];
  /** Who asked (a person id), when known. */
  readonly personId: number | null;
}

/** A message elsewhere that shows a changed record, with the card to show now. */
export interface StaleMessage {
  readonly post: PostedMessage;
  readonly card: Card;
}

export interface ChatCore {
  handle(ctx: ChatContext, input: ChatInput): Promise<Plan>;
  /** The person's open actions on each of their units (Slack App Home, Teams personal tab). */
  myActions(platform: ChatPlatform, tenantId: string, userId: string): Promise<Card[]>;
  /** Cards for every posted message showing the changed records, as each message's place may show them. */
  staleMessages(changed: readonly Changed[]): Promise<StaleMessage[]>;
  /** Remembers that a posted message shows the record on `card`, if it shows one. */
  recordPost(key: ConversationKey, messageId: string, card: Card): Promise<void>;
}

/** What a place may show: its audience, its marking ceiling, and whether others see it. */
export interface Place {
  readonly audience: Audience;
  readonly ceiling: Marking;
  readonly shared: boolean;
}

/** A person's own chat with the bot (or the console): internal people up to OFFICIAL-SENSITIVE. */
function ownPlace(actor: PersonActor): Place {
  return actor.roles.every((r) => r === 'partner')
    ? { audience: 'partner', ceiling: 'OFFICIAL', shared: false }
    : { audience: 'internal', ceiling: 'OFFICIAL-SENSITIVE', shared: false };
}

/** What a bound conversation may show (a partner channel never more than OFFICIAL). */
export function placeOf(binding: ChannelBinding): Place {
  return {
    audience: binding.audience,
    ceiling: binding.audience === 'partner' ? 'OFFICIAL' : binding.ceiling,
    shared: binding.kind !== 'personal',
  };
}

/**
 * THE placement rule: why `card` may not be shown in `place`, or null when it may. Nothing marked above the
 * place's ceiling (an OFFICIAL-SENSITIVE action in an OFFICIAL channel); in a partner channel, nothing but the
 * sanitised views and the bot's own notes (help, errors, pointers).
 */
export function whyNotShown(place: Place, card: Card): string | null {
  if (!withinCeiling(card.marking, place.ceiling))
    return `${card.marking} is above what this ${place.shared ? 'channel' : 'chat'} may carry (${place.ceiling})`;
  if (place.audience === 'partner' && place.shared && !card.sanitised && !card.kind)
    return 'this is a partner channel, which carries the sanitised summary only';
  return null;
}

const personOnly = (card: Card): PlanStep => ({ to: 'person', card });

/** A submission key for a typed message, from the surface's own id for it (any length, any characters). */
function textKey(ctx: ChatContext, id: string): string {
  return `${ctx.platform}:${createHash('sha256').update(id).digest('base64url').slice(0, 32)}`;
}

function emptyPlan(steps: PlanStep[], personId: number | null = null): Plan {
  return { steps, notify: [], changed: [], replaced: [], personId };
}

const cardSync = createSystemActor('bot:card-sync');

interface Resolved {
  readonly conversation: Conversation;
  readonly place: Place;
  readonly personId: number;
  /** The conversation's binding, if the bot knows the conversation (platforms only). */
  readonly binding?: ChannelBinding | undefined;
}

export function createChatCore(deps: { services: Services; logger: Logger; metrics?: Metrics }): ChatCore {
  const { services, logger, metrics } = deps;
  const router = createRouter(deps);
  const views = createViews({ services });

  const keyOf = (ctx: PlatformContext): ConversationKey => ({
    platform: ctx.platform,
    tenantId: ctx.tenantId,
    conversationId: ctx.conversationId,
  });

  /** The unit a conversation serves: its binding, or in a personal chat the person's only unit. */
  async function unitFor(ctx: PlatformContext, binding: ChannelBinding | undefined, personId: number) {
    if (binding?.unitId) return binding.unitId;
    if (ctx.kind !== 'personal')
      throw new ChatError('NOT_LINKED', 'This channel is not linked to a unit yet.');
    const units = await services.people.unitsOf(personId);
    if (units.length === 1) return units[0] as number;
    if (units.length === 0) throw new ChatError('NO_UNIT', 'You have no role on any unit yet.');
    const names = await Promise.all(units.map(async (id) => (await services.units.get(id)).code));
    throw new ChatError('MANY_UNITS', `You are on ${units.length} units (${names.join(', ')}).`);
  }

  async function findPerson(ctx: PlatformContext) {
    const person = await services.people.findByIdentity(ctx.platform, ctx.tenantId, ctx.userId);
    // Their platform address, for cards that refresh per user (Teams); kept only when it changed.
    if (person && ctx.address)
      await services.people
        .noteAddress(ctx.platform, ctx.tenantId, ctx.userId, ctx.address)
        .catch((error: unknown) => logger.warn({ err: error }, 'could not keep a user address'));
    if (!person)
      throw new ChatError(
        'UNKNOWN_PERSON',
        "I don't know you yet, so I can't show or change anything for you.",
        {
          platform: ctx.platform,
          tenantId: ctx.tenantId,
          userId: ctx.userId,
        },
      );
    return person;
  }

  async function actorOn(personId: number, unitId: number): Promise<PersonActor> {
    try {
      return await services.people.actorFor(personId, unitId);
    } catch (error) {
      if (!isDomainError(error) || error.code !== 'FORBIDDEN') throw error;
      const unit = await services.units.get(unitId);
      throw new ChatError('NO_ROLE', `You have no role on ${unit.name}, which this conversation is for.`);
    }
  }

  /**
   * Who asks, on which unit, and what the place may show. Reads only: nothing is written for a request that
   * is refused (an unknown person, an unlinked channel, no role).
   */
  async function resolve(ctx: ChatContext): Promise<Resolved> {
    if (ctx.platform === 'console') {
      const actor = await actorOn(ctx.personId, ctx.unitId);
      const place = ownPlace(actor);
      return {
        conversation: { actor, unitId: ctx.unitId, ...place, surface: ctx.platform },
        place,
        personId: ctx.personId,
      };
    }
    const person = await findPerson(ctx);
    const binding = await services.channels.find(keyOf(ctx));
    const unitId = await unitFor(ctx, binding, person.id);
    const actor = await actorOn(person.id, unitId);
    // A partner sees the sanitised view everywhere; a channel shows what its binding allows; a personal chat is
    // the person's own screen, like the console.
    const own = ownPlace(actor);
    const place: Place =
      ctx.kind === 'personal'
        ? own
        : own.audience === 'partner' || binding?.audience === 'partner'
          ? { audience: 'partner', ceiling: 'OFFICIAL', shared: true }
          : { audience: 'internal', ceiling: binding?.ceiling ?? 'OFFICIAL', shared: true };
    return {
      conversation: { actor, unitId, ...place, surface: ctx.platform },
      place,
      personId: person.id,
      binding,
    };
  }

  /** A pointer to what was withheld here, for the person. */
  function pointer(card: Card, reason: string, sent: 'now' | 'before' | 'no'): Card {
    const next =
      sent === 'now'
        ? card.form
          ? ' The form was sent to you in your own chat with the bot.'
          : ' It was sent to you in your own chat with the bot.'
        : sent === 'before'
          ? ' It was sent to you directly when it was first submitted.'
          : '';
    return {
      title: `${card.title} (withheld here)`,
      kind: 'notice',
      blocks: [{ type: 'notice', tone: 'warning', text: `1 item withheld: ${reason}.${next}` }],
    };
  }

  /**
   * The target a press's first conversation card replaces: the form's origin message when it really is a
   * message of this conversation showing the same record, else the pressed message.
   */
  async function replaceTarget(
    ctx: ChatContext,
    reply: Reply,
    pressed: string | undefined,
  ): Promise<string | undefined> {
    if (!reply.origin || reply.origin === pressed || ctx.platform === 'console') return pressed;
    const subject = reply.cards.find((c) => c.subject)?.subject;
    if (!subject) return pressed;
    const posts = await services.channels.postsOf(subject);
    const known = posts.some(
      (p) =>
        p.messageId === reply.origin &&
        p.binding.platform === ctx.platform &&
        p.binding.tenantId === ctx.tenantId &&
        p.binding.conversationId === ctx.conversationId,
    );
    return known ? reply.origin : pressed;
  }

  /** Notifications pass the same rule, for the recipient's own chat. */
  async function placeNotifications(notify: readonly Notification[]): Promise<Notification[]> {
    const out: Notification[] = [];
    for (const n of notify) {
      const actor = await services.people.actorFor(n.personId, n.unitId).catch(() => undefined);
      if (!actor) continue;
      const reason = whyNotShown(ownPlace(actor), n.card);
      out.push(
        reason ? { ...n, card: pointer(n.card, reason, 'no') } : { ...n, card: stampSubmissionKeys(n.card) },
      );
    }
    return out;
  }

  /** Turns the router's reply into the plan: the placement rule, applied to every card before anything is sent. */
  async function plan(ctx: ChatContext, r: Resolved, reply: Reply, pressed?: string): Promise<Plan> {
    const { place, conversation: c } = r;
    const internal = c.actor.roles.some((role) => role !== 'partner');
    // A repeat of a submission sends nothing directly again: the person had it the first time.
    const sent = !internal ? 'no' : reply.replayed ? 'before' : 'now';
    const steps: PlanStep[] = [];
    const direct: Notification[] = [];
    const replaced: string[] = [];
    let target = await replaceTarget(ctx, reply, pressed);
    for (const raw of reply.cards) {
      const reason = whyNotShown(place, raw);
      const toPerson = Boolean(raw.kind) || (reply.personal && !raw.form);
      if (reason) {
        const card = stampSubmissionKeys(raw);
        if (raw.form) {
          steps.push({
            to: 'form',
            card,
            direct: true,
            pointer: pointer(raw, reason, internal ? 'now' : 'no'),
          });
          continue;
        }
        // The pointer stands where the card would have: in the conversation (everyone learns that a record
        // was made, not what it says), or for the person alone.
        const stand = pointer(raw, reason, sent);
        if (toPerson || (reply.replayed && !target)) steps.push(personOnly(stand));
        else {
          steps.push({
            to: 'conversation',
            card: stand,
            ...(target ? { replaces: target } : {}),
          });
          if (target) replaced.push(target);
          target = undefined;
        }
        if (sent === 'now')
          direct.push({
            personId: r.personId,
            unitId: c.unitId,
            text: `${raw.title}: not shown where you asked (${reason}).`,
            card,
          });
        continue;
      }
      if (raw.form) {
        // A form that changes the pressed card's record stands in its place where the platform shows forms in
        // cards (Teams); its submit carries that message, which its result replaces (Slack's modal too).
        const inPlace = raw.form.inPlace && pressed ? pressed : undefined;
        steps.push({
          to: 'form',
          card: stampSubmissionKeys(raw, inPlace),
          ...(inPlace ? { replaces: inPlace } : {}),
        });
        if (inPlace) target = undefined;
        continue;
      }
      const card = stampSubmissionKeys(raw);
      if (toPerson || (reply.replayed && !target)) {
        // A repeat of a submission never posts again: it shows the record to the person, or in place.
        steps.push(personOnly(card));
        continue;
      }
      steps.push({ to: 'conversation', card, ...(target ? { replaces: target } : {}) });
      if (target) replaced.push(target);
      target = undefined;
    }
    return {
      steps,
      ...(reply.fieldErrors ? { fieldErrors: reply.fieldErrors } : {}),
      notify: [...(await placeNotifications(reply.notify ?? [])), ...direct],
      changed: reply.changed ?? [],
      replaced,
      personId: r.personId,
    };
  }

  async function link(
    ctx: PlatformContext,
    command: Extract<ReturnType<typeof parseCommand>, { ok: true }>['command'],
  ) {
    const person = await findPerson(ctx);
    if (command.verb === 'unlink') {
      const before = await services.channels.find(keyOf(ctx));
      if (!before?.unitId) throw new ChatError('NOT_LINKED', 'This conversation is not linked to a unit.');
      const actor = await actorOn(person.id, before.unitId);
      await services.channels.unlink(actor, keyOf(ctx));
      const unit = await services.units.get(before.unitId);
      return emptyPlan(
        [
          {
            to: 'conversation',
            card: {
              title: 'Unlinked',
              blocks: [
                {
                  type: 'text',
                  text: `This conversation is no longer linked to ${unit.name}. Link it again with \`dmm link ${unit.code}\`.`,
                },
              ],
            },
          },
        ],
        person.id,
      );
    }
    if (command.verb !== 'link') throw new Error('not a link command');
    const unit = await services.units.getByCode(command.unitCode);
    const actor = await actorOn(person.id, unit.id);
    if (ctx.kind === 'personal') {
      // Choosing the unit of one's own chat needs a role on it, not an admin.
      const binding = await services.channels.seen(keyOf(ctx), {
        kind: 'personal',
        personId: person.id,
        reference: ctx.reference,
      });
      if (binding.unitId !== unit.id)
        await services.channels.link(createSystemActor(`bot:personal-chat:${person.id}`), keyOf(ctx), {
          unitId: unit.id,
          kind: 'personal',
          audience: 'internal',
          ceiling: 'OFFICIAL',
          reference: ctx.reference,
        });
      return emptyPlan(
        [
          personOnly(
            buildHelpCard({
              intro: `This chat is now for ${unit.name}. Type \`dmm help\` to start.`,
              entries: [],
            }),
          ),
        ],
        person.id,
      );
    }
    await services.channels.link(actor, keyOf(ctx), {
      unitId: unit.id,
      audience: command.audience,
      ceiling: command.ceiling,
      kind: ctx.kind,
      reference: ctx.reference,
    });
    const what =
      command.audience === 'partner'
        ? 'a partner channel: it gets the sanitised brief only'
        : `an internal channel that may carry ${command.ceiling}`;
    return emptyPlan(
      [
        {
          to: 'conversation',
          card: {
            title: 'Linked',
            blocks: [
              {
                type: 'text',
                text: `Linked to ${unit.name} (${unit.code}) as ${what}. The morning brief will be posted here. To undo, type \`dmm unlink\`.`,
              },
            ],
          },
        },
      ],
      person.id,
    );
  }

  async function handle(ctx: ChatContext, input: ChatInput): Promise<Plan> {
    try {
      if (input.type === 'text') {
        const parsed = parseCommand(input.text);
        if (parsed.ok && parsed.command.verb === 'help')
          // Help works for anyone, linked or not, so they can see what they will be able to do.
          return emptyPlan([personOnly(helpCard(parsed.command.topic))]);
        if (parsed.ok && (parsed.command.verb === 'link' || parsed.command.verb === 'unlink')) {
          if (ctx.platform === 'console')
            throw new ChatError(
              'BAD_COMMAND',
              'Linking binds a Slack channel or Teams conversation: type it there.',
            );
          return await link(ctx, parsed.command);
        }
      }
      const resolved = await resolve(ctx);
      const reply =
        input.type === 'text'
          ? await router.handleText(resolved.conversation, input.text, input.key && textKey(ctx, input.key))
          : await router.handleSubmit(resolved.conversation, input.data, input.inputs);
      const result = await plan(ctx, resolved, reply, input.type === 'press' ? input.pressed : undefined);
      // Only an accepted request refreshes what the bot knows of the conversation (its reference, whose chat
      // it is): a refused one leaves no trace.
      if (ctx.platform !== 'console' && !reply.cards.some((card) => card.kind === 'error'))
        await services.channels.seen(
          keyOf(ctx),
          {
            kind: ctx.kind,
            personId: ctx.kind === 'personal' ? resolved.personId : null,
            reference: ctx.reference,
          },
          resolved.binding ?? null,
        );
      return result;
    } catch (error) {
      return emptyPlan([personOnly(errorCard(error, logger, { surface: ctx.platform }))]);
    }
  }

  return {
    async handle(ctx, input) {
      const end = metrics?.commandLatency.startTimer({
        platform: ctx.platform,
        kind: input.type === 'text' ? 'command' : 'press',
      });
      try {
        return await handle(ctx, input);
      } finally {
        end?.();
      }
    },

    async myActions(platform, tenantId, userId) {
      const person = await services.people.findByIdentity(platform, tenantId, userId);
      if (!person)
        return [
          errorCard(
            new ChatError(
              'UNKNOWN_PERSON',
              "I don't know you yet, so I can't show or change anything for you.",
              {
                platform,
                tenantId,
                userId,
              },
            ),
            logger,
          ),
        ];
      const cards: Card[] = [];
      for (const unitId of await services.people.unitsOf(person.id)) {
        const actor = await services.people.actorFor(person.id, unitId);
        if (actor.roles.every((r) => r === 'partner')) continue;
        const reply = await router.handleText({ actor, unitId, ...ownPlace(actor) }, 'actions mine');
        const unit = await services.units.get(unitId);
        cards.push(...reply.cards.map((c) => ({ ...c, title: `${c.title}: ${unit.name}` })));
      }
      if (cards.length === 0)
        cards.push(
          buildHelpCard({ intro: 'You have no units with actions yet.', entries: HELP.actions ?? [] }),
        );
      return cards;
    },

    async staleMessages(changed) {
      const out: StaleMessage[] = [];
      for (const subject of changed) {
        const posts = await services.channels.postsOf(subject);
        if (posts.length === 0) continue;
        const action = await services.actions.get(cardSync, subject.id);
        const card = await views.actionCard('shared', action);
        for (const post of posts) {
          // A person's own chat shows what the person may see (their copy of an OFFICIAL-SENSITIVE record too);
          // a channel what its binding allows.
          const { binding } = post;
          const place =
            binding.kind === 'personal' && binding.personId !== null
              ? ownPlace(await services.people.actorFor(binding.personId, action.unitId))
              : placeOf(binding);
          // A message in a place that may not show the record never showed it: it is left as it is.
          if (whyNotShown(place, card) !== null) continue;
          out.push({ post, card: stampSubmissionKeys(card) });
        }
      }
      return out;
    },

    async recordPost(key, messageId, card) {
      if (!card.subject) return;
      try {
        await services.channels.recordPost(key, messageId, card.subject);
      } catch (error) {
        // Losing the note only means this copy is not refreshed later; the reply itself was delivered.
        logger.warn({ err: error, messageId }, 'could not remember a posted card');
      }
    },
  };
}
