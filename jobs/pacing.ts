/**
 * Pacing of outbound messages to the platforms' published rates, so a fan-out of the brief to many conversations
 * runs at the rate the platform allows instead of bursting into 429s and Retry-After waits. Per replica, in
 * memory: replicas together may still exceed a tenant's rate, and then the 429 path (Retry-After, backoff) takes
 * over. (p-throttle spaced the starts only; arrivals still bunched, see `windowGate`.)
 *
 * Rates: Slack posts about 1 message per second per channel; Teams allows 7 messages per second per
 * conversation and about 50 requests per second per app per tenant (see ../shared/PLATFORM-NOTES.md). The
 * platform counts arrivals, which jitter on the network, so the pace keeps a margin under each limit.
 */
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
  teams: { perConversation: { limit: 6, interval: 1_000 }, perTenant: { limit: 48, interval: 1_000 } },
};

export interface Pacer {
  /** Runs `fn` once the conversation's and the tenant's rates allow. */
  run<T>(platform: ChatPlatform, tenantId: string, conversationId: string, fn: () => Promise<T>): Promise<T>;
}

/**
 * At most `limit` calls in any `interval` *as the platform sees them*. A call reaches the platform at some moment
 * between its start and its answer (after the SDK's own async work, a busy event loop, the network), so spacing
 * the starts is not enough: arrivals bunch. This gate counts a call from its start until `interval` after its
 * answer, and starts a call only while fewer than `limit` are counted. Then any `interval` at the platform holds
 * at most `limit` arrivals: the last call to arrive in a window started no later than the window's end, and
 * every other arrival in that window was answered no earlier than the window's start, so all of them were still
 * counted when the last one started. The price is one round trip per `limit` calls per window.
 */
export function windowGate(rate: Rate) {
  let inFlight = 0;
  const answered: number[] = [];
  const waiting: (() => void)[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const counted = (now: number) => {
    while (answered.length > 0 && now - (answered[0] as number) >= rate.interval) answered.shift();
    return inFlight + answered.length;
  };
  function pump() {
    const now = performance.now();
    while (waiting.length > 0 && counted(now) < rate.limit) {
      inFlight += 1;
      (waiting.shift() as () => void)();
    }
    // Still full: wait for the oldest answer to leave the window (a call in flight calls pump when answered).
    if (waiting.length > 0 && !timer && answered.length > 0)
      timer = setTimeout(
        () => {
          timer = undefined;
          pump();
        },
        Math.max(1, rate.interval - (now - (answered[0] as number)) + 1),
      );
  }
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    await new Promise<void>((resolve) => {
      waiting.push(resolve);
      pump();
    });
    try {
      return await fn();
    } finally {
      inFlight -= 1;
      answered.push(performance.now());
      pump();
    }
  };
}

/** Keeps at most this many idle gates (one per conversation seen), dropping the oldest. */
const MAX_GATES = 20_000;

export function createPacer(rates: Readonly<Record<ChatPlatform, PlatformRates>> = PLATFORM_RATES): Pacer {
  const gates = new Map<string, ReturnType<typeof windowGate>>();
  function gateFor(key: string, rate: Rate) {
    let gate = gates.get(key);
    if (!gate) {
      gate = windowGate(rate);
      gates.set(key, gate);
      if (gates.size > MAX_GATES) gates.delete(gates.keys().next().value as string);
    }
    return gate;
  }
  return {
    run(platform, tenantId, conversationId, fn) {
      const r = rates[platform];
      const conversation = gateFor(`${platform}:${tenantId}:${conversationId}`, r.perConversation);
      if (!r.perTenant) return conversation(fn);
      const tenant = gateFor(`${platform}:${tenantId}`, r.perTenant);
      // The conversation's turn first (cheap to wait for), then the tenant's, then the call.
      return conversation(() => tenant(fn));
    },
  };
}
