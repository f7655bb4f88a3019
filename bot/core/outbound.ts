/**
 * The outbound conversation port: how the product speaks first on a platform (a DM to an action's new owner,
 * an update to a card posted elsewhere, and, for the jobs, the morning brief). Slack and Teams each implement
 * it in their own folder, so nothing outside `bot/slack` or `bot/teams` knows a platform SDK.
 */
import type { Card } from '../../cards/card.js';
import type {
  ChannelBinding,
  ChatPlatform,
  ConversationKey,
} from '../../services/channels/channel.service.js';
import type { Logger } from '../../services/logger.js';
import type { ChatCore, ChatSurface, Plan } from './chat.js';

export interface OutboundPort {
  readonly platform: ChatPlatform;
  /**
   * Posts a card to a conversation the bot knows; returns the platform's message id. `deliveryKey` is carried
   * with the message (Slack: message metadata; Teams: an invisible element's id in the card), so
   * `findDelivered` can find it.
   */
  post(binding: ChannelBinding, card: Card, options?: { readonly deliveryKey?: string }): Promise<string>;
  /**
   * After a sender died mid-post (in doubt): the message id of a message already posted with this delivery key,
   * if the platform can tell (Slack: conversations.history; Teams: Microsoft Graph); undefined when it cannot.
   */
  findDelivered?(binding: ChannelBinding, deliveryKey: string): Promise<string | undefined>;
  /** Replaces a message the bot posted. */
  update(binding: ChannelBinding, messageId: string, card: Card): Promise<void>;
  /**
   * Sends a card to a person on their own: where it went (their personal conversation with the bot, and the
   * message's id, so the copy can be kept up to date), or false when this platform has no way to reach them (yet).
   * A `deliveryKey` rides along as with `post`, for `findDirect`.
   */
  direct(
    personId: number,
    text: string,
    card: Card,
    options?: { readonly deliveryKey?: string },
  ): Promise<DirectMessage | false>;
  /**
   * After a sender died mid-send: the message id of a direct message already sent to the person with this key,
   * if the platform can tell (Slack: the DM's history); absent where it cannot (Teams personal chats).
   */
  findDirect?(personId: number, deliveryKey: string): Promise<string | undefined>;
}

/** A message sent to a person: their personal conversation with the bot and the message's id there. */
export interface DirectMessage {
  readonly conversation: ConversationKey;
  readonly messageId: string;
}

export type Ports = Partial<Record<ChatPlatform, OutboundPort>>;

/** The platform asked us to slow down (HTTP 429): try again no sooner than `retryAfterMs`. */
export class RateLimitedError extends Error {
  constructor(
    readonly platform: ChatPlatform,
    readonly retryAfterMs: number,
  ) {
    super(`${platform} rate limit: retry after ${Math.round(retryAfterMs / 1000)} s`);
    this.name = 'RateLimitedError';
  }
}

/** Where a request was answered: messages there that the plan replaced itself are left alone. */
export interface Origin {
  readonly platform: ChatSurface;
  readonly conversationId?: string;
}

/**
 * After a request: tells the people it concerns (on the surface it came from first, then any other) and brings
 * every other posted copy of a changed record up to date, on every platform. Never throws: a failed follow-up is
 * logged and the request's own answer stands.
 */
export async function followUp(
  deps: { core: ChatCore; ports: Ports; logger: Logger },
  plan: Pick<Plan, 'notify' | 'changed' | 'replaced'>,
  origin: Origin,
): Promise<void> {
  const { core, ports, logger } = deps;
  const all = Object.values(ports).filter((p): p is OutboundPort => Boolean(p));
  const order = [
    ...all.filter((p) => p.platform === origin.platform),
    ...all.filter((p) => p.platform !== origin.platform),
  ];
  for (const n of plan.notify) {
    let reached = false;
    for (const port of order) {
      if (reached) continue;
      try {
        const sent = await port.direct(n.personId, n.text, n.card);
        if (sent) {
          reached = true;
          // The person's copy of a record is brought up to date with every other copy when the record changes.
          if (sent.messageId) await core.recordPost(sent.conversation, sent.messageId, n.card);
        }
      } catch (error) {
        logger.warn({ err: error, personId: n.personId, platform: port.platform }, 'direct message failed');
      }
    }
    if (!reached) logger.info({ personId: n.personId }, 'no platform could reach the person directly');
  }
  if (plan.changed.length === 0) return;
  try {
    for (const stale of await core.staleMessages(plan.changed)) {
      const { binding, messageId } = stale.post;
      if (
        binding.platform === origin.platform &&
        binding.conversationId === origin.conversationId &&
        plan.replaced.includes(messageId)
      )
        continue;
      const port = ports[binding.platform];
      if (!port) continue;
      await port
        .update(binding, messageId, stale.card)
        .catch((error: unknown) =>
          logger.warn(
            { err: error, messageId, platform: binding.platform },
            'could not update a posted card',
          ),
        );
    }
  } catch (error) {
    logger.warn({ err: error }, 'could not bring posted cards up to date');
  }
}
