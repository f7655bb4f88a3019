/**
 * Pacing of outbound messages to the platforms' published rates, so a fan-out of the brief to many conversations
 * runs at the rate the platform allows instead of bursting into 429s and Retry-After waits. Per replica, in
 * memory (p-throttle, strict sliding window): replicas together may still exceed a tenant's rate, and then the
 * 429 path (Retry-After, backoff) takes over.
 *
 * Rates: Slack posts about 1 message per second per channel; Teams allows 7 messages per second per
 * conversation and about 50 requests per second per app per tenant (see ../shared/PLATFORM-NOTES.md). The
 * platform counts arrivals, which jitter on the network, so the pace keeps a margin under each limit.
 */
import pThrottle from 'p-throttle';
import type { ChatPlatform } from '../services/channels/channel.service.js';

export interface Rate {
  readonly limit: number;
  readonly interval: number;
}

export interface PlatformRates {
  readonly perConversation: Rate;
  readonly perTenant?: Rate;
}

export const PLATFORM_RATES: Readonly<Record<ChatPlatform, PlatformRates>> = {
  slack: { perConversation: { limit: 1, interval: 1_000 } },
  teams: { perConversation: { limit: 6, interval: 1_000 }, perTenant: { limit: 46, interval: 1_000 } },
};

export interface Pacer {
  /** Runs `fn` once the conversation's and the tenant's rates allow. */
  run<T>(platform: ChatPlatform, tenantId: string, conversationId: string, fn: () => Promise<T>): Promise<T>;
}

/**
 * The last gate before a call: at most `limit` calls actually *started* in any `interval`. p-throttle spaces the
 * slots it hands out, but a slot's timer that fires late (a busy event loop) runs together with the next ones,
 * so calls bunch on the wire; this gate holds a call until the window truly has room.
 */
function startGate(rate: Rate) {
  const starts: number[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    for (;;) {
      const now = performance.now();
      while (starts.length > 0 && now - (starts[0] as number) >= rate.interval) starts.shift();
      if (starts.length < rate.limit) {
        starts.push(now);
        return fn();
      }
      await new Promise((resolve) => setTimeout(resolve, rate.interval - (now - (starts[0] as number)) + 1));
    }
  };
}

/** Keeps at most this many idle throttles (one per conversation seen), dropping the oldest. */
const MAX_THROTTLES = 20_000;

export function createPacer(rates: Readonly<Record<ChatPlatform, PlatformRates>> = PLATFORM_RATES): Pacer {
  const throttles = new Map<string, <T>(fn: () => Promise<T>) => Promise<T>>();
  function throttleFor(key: string, rate: Rate) {
    let t = throttles.get(key);
    if (!t) {
      const gate = startGate(rate);
      const throttled = pThrottle({ ...rate, strict: true })((fn: () => Promise<unknown>) => gate(fn));
      t = throttled as unknown as <T>(fn: () => Promise<T>) => Promise<T>;
      throttles.set(key, t);
      if (throttles.size > MAX_THROTTLES) throttles.delete(throttles.keys().next().value as string);
    }
    return t;
  }
  return {
    run(platform, tenantId, conversationId, fn) {
      const r = rates[platform];
      const conversation = throttleFor(`${platform}:${tenantId}:${conversationId}`, r.perConversation);
      if (!r.perTenant) return conversation(fn);
      const tenant = throttleFor(`${platform}:${tenantId}`, r.perTenant);
      // The conversation's turn first (cheap to wait for), then the tenant's, then the call.
      return conversation(() => tenant(fn));
    },
  };
}
