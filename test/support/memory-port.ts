/** An outbound port that keeps what it was asked to send, for job tests below the platform adapters. */
import type { OutboundPort } from '../../bot/core/outbound.js';
import type { Card } from '../../cards/card.js';
import type { ChannelBinding, ChatPlatform } from '../../services/channels/channel.service.js';

export interface MemoryPort extends OutboundPort {
  readonly posts: Array<{ conversationId: string; messageId: string; card: Card; deliveryKey?: string }>;
  readonly updates: Array<{ conversationId: string; messageId: string; card: Card }>;
  readonly directs: Array<{ personId: number; text: string; card: Card; deliveryKey?: string }>;
  /** Makes the next calls throw this error, once each. */
  failNext(...errors: Error[]): void;
  /** Makes the next post take effect and then throw this error (an answer lost on the way: a timeout). */
  loseAnswerOfNextPost(error: Error): void;
  /** How often a look-up for a message in doubt was made. */
  readonly lookups: () => number;
  /** People this port can reach directly (a DM); nobody by default. */
  reach(...personIds: number[]): void;
}

export function createMemoryPort(platform: ChatPlatform = 'slack'): MemoryPort {
  const posts: MemoryPort['posts'] = [];
  const updates: MemoryPort['updates'] = [];
  const failures: Error[] = [];
  const directs: MemoryPort['directs'] = [];
  const reachable = new Set<number>();
  let seq = 0;
  let lookups = 0;
  let lostAnswer: Error | undefined;
  const maybeFail = () => {
    const error = failures.shift();
    if (error) throw error;
  };
  return {
    platform,
    posts,
    updates,
    directs,
    failNext: (...errors) => failures.push(...errors),
    loseAnswerOfNextPost: (error) => {
      lostAnswer = error;
    },
    lookups: () => lookups,
    reach: (...ids) => {
      for (const id of ids) reachable.add(id);
    },
    async post(binding: ChannelBinding, card: Card, options: { deliveryKey?: string } = {}) {
      maybeFail();
      const messageId = `m${++seq}`;
      posts.push({
        conversationId: binding.conversationId,
        messageId,
        card,
        ...(options.deliveryKey ? { deliveryKey: options.deliveryKey } : {}),
      });
      const lost = lostAnswer;
      lostAnswer = undefined;
      if (lost) throw lost;
      return messageId;
    },
    async findDelivered(binding, deliveryKey) {
      lookups += 1;
      return posts.find((p) => p.conversationId === binding.conversationId && p.deliveryKey === deliveryKey)
        ?.messageId;
    },
    async update(binding, messageId, card) {
      maybeFail();
      updates.push({ conversationId: binding.conversationId, messageId, card });
    },
    async direct(personId, text, card, options = {}) {
      maybeFail();
      if (!reachable.has(personId)) return false;
      directs.push({
        personId,
        text,
        card,
        ...(options.deliveryKey ? { deliveryKey: options.deliveryKey } : {}),
      });
      return {
        conversation: { platform, tenantId: 'memory', conversationId: `dm-${personId}` },
        messageId: `dm${directs.length}`,
      };
    },
    async findDirect(personId, deliveryKey) {
      lookups += 1;
      const index = directs.findIndex((d) => d.personId === personId && d.deliveryKey === deliveryKey);
      return index >= 0 ? `dm${index + 1}` : undefined;
    },
  };
}
