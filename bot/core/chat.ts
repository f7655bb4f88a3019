/**
 * The chat core: what Slack and Teams have in common, in one place. A message or a card press comes in with the
 * platform's ids (workspace/tenant, user, conversation); the core finds the person (identity table), the unit
 * (the conversation's binding, or the person's only unit in a personal chat), builds the person's actor, and
 * passes the command to the router. `link` and `unlink` are handled here, since they bind the conversation
 * itself. Adapters then only translate: cards to Block Kit or Adaptive Cards, replies to platform calls.
 */
import type { Card } from '../../cards/card.js';
import { buildActionCard, buildErrorCard, buildHelpCard } from '../../cards/records.card.js';
import { createSystemActor, type PersonActor } from '../../services/access/actor.js';
import type { Action } from '../../services/actions/action.service.js';
import { TRANSITIONS } from '../../services/actions/transitions.js';
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
import { withinCeiling } from '../../services/validation.js';
import { ALL_HELP, HELP, parseCommand } from './grammar.js';
import { type Conversation, createRouter, type Reply } from './router.js';

/** Where a message or a press came from, in the platform's own ids. */
export interface ChatContext {
  readonly platform: ChatPlatform;
  /** Slack team id; Teams (AAD) tenant id. */
  readonly tenantId: string;
  /** Slack user id; Teams AAD object id. */
  readonly userId: string;
  readonly conversationId: string;
  readonly kind: ConversationKind;
  /** The platform's conversation reference, stored for proactive sends (Teams). */
  readonly reference?: unknown;
}

export interface ChatReply extends Reply {
  /** Whether the cards may be shown to the conversation (else only to the person). */
  readonly placement: 'conversation' | 'person';
}

/** A message elsewhere that shows a changed record, with the card to show now. */
export interface StaleMessage {
  readonly post: PostedMessage;
  readonly card: Card;
}

export interface ChatCore {
  text(ctx: ChatContext, input: string): Promise<ChatReply>;
  submit(ctx: ChatContext, data: unknown, inputs: Readonly<Record<string, unknown>>): Promise<ChatReply>;
  /** The person's open actions on each of their units (Slack App Home, Teams personal tab). */
  myActions(platform: ChatPlatform, tenantId: string, userId: string): Promise<Card[]>;
  /** Cards for every posted message showing the changed records, rendered for a shared channel. */
  staleMessages(changed: Reply['changed']): Promise<StaleMessage[]>;
  /** Remembers that a posted message shows the record on `card`, if it shows one. */
  recordPost(key: ConversationKey, messageId: string, card: Card): Promise<void>;
}

/** A short confirmation everyone in the conversation sees (help cards go to the person alone). */
function notice(title: string, text: string): Card {
  return { title, blocks: [{ type: 'text', text }] };
}

/**
 * What a conversation may carry: nothing marked above its ceiling (an OFFICIAL-SENSITIVE decision in an OFFICIAL
 * channel, say) and, in a partner channel, nothing but the sanitised views (no records, lists or forms). A card
 * that does not fit leaves a pointer in the conversation and goes to the person directly.
 */
function fitForConversation(c: Conversation, reply: Reply): Reply {
  const why = (card: Card): string | null => {
    if (!withinCeiling(card.marking, c.ceiling))
      return `${card.marking} is above what this channel may carry (${c.ceiling})`;
    if (c.audience === 'partner' && c.shared && !card.sanitised && !card.kind)
      return 'this is a partner channel, which carries the sanitised summary only';
    return null;
  };
  const over = reply.cards.filter((card) => why(card) !== null);
  if (over.length === 0) return reply;
  const direct = c.actor.roles.some((r) => r !== 'partner');
  return {
    ...reply,
    cards: reply.cards.map((card) => {
      const reason = why(card);
      if (reason === null) return card;
      const next = card.form
        ? ' Open it in your own chat with the bot, or in an internal channel.'
        : direct
          ? ' It was sent to you directly.'
          : '';
      return {
        title: `${card.title} (withheld here)`,
        blocks: [
          { type: 'notice' as const, tone: 'warning' as const, text: `1 item withheld: ${reason}.${next}` },
        ],
      };
    }),
    notify: [
      ...(reply.notify ?? []),
      ...(direct
        ? over
            .filter((card) => !card.form)
            .map((card) => ({
              personId: c.actor.personId,
              unitId: c.unitId,
              text: `${card.title}: not shown in the channel (${why(card)}).`,
              card,
            }))
        : []),
    ],
  };
}

/** Commands whose answer is for the person alone, even in a channel. */
const PERSONAL_VERBS = new Set(['help', 'whoami', 'actions', 'action.show']);

const cardSync = createSystemActor('bot:card-sync');

function personOnly(cards: readonly Card[]): ChatReply {
  return { cards, placement: 'person' };
}

export function createChatCore(deps: { services: Services; logger: Logger; metrics?: Metrics }): ChatCore {
  const { services, logger, metrics } = deps;
  const router = createRouter(deps);

  const keyOf = (ctx: ChatContext): ConversationKey => ({
    platform: ctx.platform,
    tenantId: ctx.tenantId,
    conversationId: ctx.conversationId,
  });

  function unknownPerson(ctx: ChatContext): ChatReply {
    const tenant = ctx.tenantId ? ` --tenant ${ctx.tenantId}` : '';
    return personOnly([
      buildErrorCard({
        message: "I don't know you yet, so I can't show or change anything for you.",
        hint: `Ask an admin of your unit to link your ${ctx.platform === 'slack' ? 'Slack' : 'Teams'} account: dmm people link --person <your person id> --platform ${ctx.platform}${tenant} --external-id ${ctx.userId}`,
      }),
    ]);
  }

  /** The unit a conversation serves: its binding, or in a personal chat the person's only unit. */
  async function unitFor(
    ctx: ChatContext,
    binding: ChannelBinding,
    personId: number,
  ): Promise<number | ChatReply> {
    if (binding.unitId) return binding.unitId;
    if (ctx.kind === 'personal') {
      const units = await services.people.unitsOf(personId);
      if (units.length === 1) return units[0] as number;
      if (units.length === 0)
        return personOnly([
          buildErrorCard({
            message: 'You have no role on any unit yet.',
            hint: 'Ask an admin of your unit to add you: dmm members add.',
          }),
        ]);
      const names = await Promise.all(units.map(async (id) => (await services.units.get(id)).code));
      return personOnly([
        buildErrorCard({
          message: `You are on ${units.length} units (${names.join(', ')}).`,
          hint: 'Type `dmm link <unit code>` here to choose the one this chat is for.',
        }),
      ]);
    }
    return personOnly([
      buildErrorCard({
        message: 'This channel is not linked to a unit yet.',
        hint: 'An admin of the unit types `dmm link <unit code>` here (add `partner` for a partner channel, `sensitive` if it may carry OFFICIAL-SENSITIVE).',
      }),
    ]);
  }

  /** Identity, binding and unit: the conversation the router works in, or the reply that explains why not. */
  async function resolve(
    ctx: ChatContext,
  ): Promise<
    | { ok: true; conversation: Conversation; binding: ChannelBinding; personId: number }
    | { ok: false; reply: ChatReply }
  > {
    const person = await services.people.findByIdentity(ctx.platform, ctx.tenantId, ctx.userId);
    if (!person) return { ok: false, reply: unknownPerson(ctx) };
    const binding = await services.channels.seen(keyOf(ctx), {
      kind: ctx.kind,
      personId: ctx.kind === 'personal' ? person.id : null,
      reference: ctx.reference,
    });
    const unit = await unitFor(ctx, binding, person.id);
    if (typeof unit !== 'number') return { ok: false, reply: unit };
    let actor: PersonActor;
    try {
      actor = await services.people.actorFor(person.id, unit);
    } catch (error) {
      if (!isDomainError(error) || error.code !== 'FORBIDDEN') throw error;
      const u = await services.units.get(unit);
      return {
        ok: false,
        reply: personOnly([
          buildErrorCard({
            message: `You have no role on ${u.name}, which this conversation is for.`,
            hint: 'Ask an admin of the unit to add you (dmm members add).',
          }),
        ]),
      };
    }
    const partnerOnly = actor.roles.every((r) => r === 'partner');
    const personal = ctx.kind === 'personal';
    // A partner sees the sanitised view everywhere; a channel shows what its binding allows; a personal chat is
    // the person's own screen, like the console.
    const conversation: Conversation =
      partnerOnly || binding.audience === 'partner'
        ? { actor, unitId: unit, audience: 'partner', ceiling: 'OFFICIAL', shared: !personal }
        : {
            actor,
            unitId: unit,
            audience: 'internal',
            ceiling: personal ? 'OFFICIAL-SENSITIVE' : binding.ceiling,
            shared: !personal,
          };
    return { ok: true, conversation, binding, personId: person.id };
  }

  async function link(
    ctx: ChatContext,
    command: Extract<ReturnType<typeof parseCommand>, { ok: true }>['command'],
  ) {
    const person = await services.people.findByIdentity(ctx.platform, ctx.tenantId, ctx.userId);
    if (!person) return unknownPerson(ctx);
    try {
      if (command.verb === 'unlink') {
        const before = await services.channels.find(keyOf(ctx));
        if (!before?.unitId)
          return personOnly([buildErrorCard({ message: 'This conversation is not linked to a unit.' })]);
        const actor = await services.people.actorFor(person.id, before.unitId);
        await services.channels.unlink(actor, keyOf(ctx));
        const unit = await services.units.get(before.unitId);
        return {
          placement: 'conversation' as const,
          cards: [
            notice(
              'Unlinked',
              `This conversation is no longer linked to ${unit.name}. Link it again with \`dmm link ${unit.code}\`.`,
            ),
          ],
        };
      }
      if (command.verb !== 'link') throw new Error('not a link command');
      const unit = await services.units.getByCode(command.unitCode);
      const actor = await services.people.actorFor(person.id, unit.id);
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
        return personOnly([
          buildHelpCard({
            intro: `This chat is now for ${unit.name}. Type \`dmm help\` to start.`,
            entries: [],
          }),
        ]);
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
      return {
        placement: 'conversation' as const,
        cards: [
          notice(
            'Linked',
            `Linked to ${unit.name} (${unit.code}) as ${what}. The morning brief will be posted here. To undo, type \`dmm unlink\`.`,
          ),
        ],
      };
    } catch (error) {
      if (!isDomainError(error)) throw error;
      const hint =
        error.code === 'NOT_FOUND'
          ? 'Check the unit code: `dmm units list` on the server lists them.'
          : error.code === 'FORBIDDEN'
            ? 'Only an admin of the unit links channels to it.'
            : undefined;
      return personOnly([buildErrorCard({ message: error.message, ...(hint ? { hint } : {}) })]);
    }
  }

  function placementOf(verb: string, reply: Reply): 'conversation' | 'person' {
    if (reply.cards.some((c) => c.kind === 'error')) return 'person';
    return PERSONAL_VERBS.has(verb) ? 'person' : 'conversation';
  }

  /** The action as a channel shows it: every allowed move, checked against whoever presses. */
  async function sharedActionCard(action: Action): Promise<Card> {
    const owner = action.ownerPersonId
      ? (await services.people.get(action.ownerPersonId)).displayName
      : (action.ownerPost ?? 'unassigned');
    return buildActionCard({
      action,
      owner,
      allowed: TRANSITIONS[action.status],
      canChangeDue: !['done', 'no_further_action'].includes(action.status),
    });
  }

  async function text(ctx: ChatContext, input: string): Promise<ChatReply> {
    const parsed = parseCommand(input);
    if (parsed.ok && (parsed.command.verb === 'link' || parsed.command.verb === 'unlink'))
      return link(ctx, parsed.command);
    if (parsed.ok && parsed.command.verb === 'help')
      return personOnly([
        buildHelpCard({ entries: ALL_HELP, intro: 'Type a command, or use the buttons on the cards.' }),
      ]);
    const resolved = await resolve(ctx);
    if (!resolved.ok) {
      // Help still works for someone not yet linked, so they can see what they will be able to do.
      return resolved.reply;
    }
    const reply = fitForConversation(
      resolved.conversation,
      await router.handleText(resolved.conversation, input),
    );
    const verb = parsed.ok ? parsed.command.verb : 'help';
    return { ...reply, placement: placementOf(verb, reply) };
  }

  async function submit(
    ctx: ChatContext,
    data: unknown,
    inputs: Readonly<Record<string, unknown>>,
  ): Promise<ChatReply> {
    const resolved = await resolve(ctx);
    if (!resolved.ok) return resolved.reply;
    const reply = fitForConversation(
      resolved.conversation,
      await router.handleSubmit(resolved.conversation, data, inputs),
    );
    const verb = typeof data === 'object' && data !== null ? String((data as { verb?: unknown }).verb) : '';
    const personal =
      verb === 'actions.list' || verb === 'help' || verb.endsWith('_form') || verb.endsWith('.form');
    return {
      ...reply,
      placement: reply.cards.some((c) => c.kind === 'error') || personal ? 'person' : 'conversation',
    };
  }

  return {
    async text(ctx, input) {
      const end = metrics?.commandLatency.startTimer({ platform: ctx.platform, kind: 'command' });
      try {
        return await text(ctx, input);
      } finally {
        end?.();
      }
    },

    async submit(ctx, data, inputs) {
      const end = metrics?.commandLatency.startTimer({ platform: ctx.platform, kind: 'press' });
      try {
        return await submit(ctx, data, inputs);
      } finally {
        end?.();
      }
    },

    async myActions(platform, tenantId, userId) {
      const person = await services.people.findByIdentity(platform, tenantId, userId);
      if (!person)
        return unknownPerson({ platform, tenantId, userId, conversationId: '-', kind: 'personal' })
          .cards as Card[];
      const cards: Card[] = [];
      for (const unitId of await services.people.unitsOf(person.id)) {
        const actor = await services.people.actorFor(person.id, unitId);
        if (actor.roles.every((r) => r === 'partner')) continue;
        const reply = await router.handleText(
          { actor, unitId, audience: 'internal', ceiling: 'OFFICIAL-SENSITIVE' },
          'actions mine',
        );
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
      for (const subject of changed ?? []) {
        const posts = await services.channels.postsOf(subject);
        if (posts.length === 0) continue;
        const action = await services.actions.get(cardSync, subject.id);
        const card = await sharedActionCard(action);
        for (const post of posts) {
          // A message in a conversation whose ceiling is below the record's marking never showed it.
          if (action.marking === 'OFFICIAL-SENSITIVE' && post.binding.ceiling !== 'OFFICIAL-SENSITIVE')
            continue;
          out.push({ post, card });
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
