import { describe, expect, it } from 'vitest';
import { createPacer, windowGate } from '../../jobs/pacing.js';

/** Most of `times` that fall in any window of `ms` (timers may fire a little early against performance.now()). */
const busiest = (times: number[], ms: number) =>
  Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + ms - 3).length));

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('pacing', () => {
  it('keeps every window within the conversation and tenant rates, and lets other tenants run alongside', async () => {
    const pacer = createPacer({
      slack: { perConversation: { limit: 1, interval: 40 } },
      teams: { perConversation: { limit: 3, interval: 100 }, perTenant: { limit: 4, interval: 100 } },
    });
    const calls: Array<{ key: string; at: number }> = [];
    const call = (platform: 'slack' | 'teams', tenant: string, conversation: string) =>
      pacer.run(platform, tenant, conversation, async () => {
        calls.push({ key: `${platform}:${tenant}:${conversation}`, at: performance.now() });
      });
    const started = performance.now();
    await Promise.all([
      ...Array.from({ length: 12 }, (_, i) => call('teams', 'T1', `c${i % 4}`)),
      ...Array.from({ length: 3 }, () => call('teams', 'T2', 'x')),
      ...Array.from({ length: 3 }, () => call('slack', 'W', 'C1')),
    ]);
    const times = (prefix: string) => calls.filter((c) => c.key.startsWith(prefix)).map((c) => c.at);
    expect(calls).toHaveLength(18);
    expect(busiest(times('teams:T1:'), 100)).toBeLessThanOrEqual(4);
    expect(busiest(times('teams:T1:c0'), 100)).toBeLessThanOrEqual(3);
    expect(busiest(times('slack:W:C1'), 40)).toBe(1);
    // The other tenant was not held up behind the first (whose 12 calls take 200 ms and more at 4 per 100 ms):
    // its three calls fit its own rate at once.
    const t2 = times('teams:T2').map((t) => t - started);
    expect(Math.max(...t2)).toBeLessThan(150);
    const t1 = times('teams:T1').map((t) => t - started);
    expect(Math.max(...t1)).toBeGreaterThanOrEqual(195);
  });

  it('bounds arrivals, not just starts: calls that reach the platform at any moment before their answer', async () => {
    // Each call reaches "the platform" after a random part of its round trip and is answered after the rest: the
    // bunching that spacing the starts alone let through (the SDK's async work, a busy loop, the network).
    const gate = windowGate({ limit: 5, interval: 60 });
    const arrivals: number[] = [];
    let seed = 7;
    const random = () => {
      seed = (seed * 16_807) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 40 }, () => {
        const before = Math.floor(random() * 25);
        const after = Math.floor(random() * 25);
        return gate(async () => {
          await pause(before);
          arrivals.push(performance.now());
          await pause(after);
        });
      }),
    );
    expect(arrivals).toHaveLength(40);
    expect(busiest(arrivals, 60)).toBeLessThanOrEqual(5);
    // And it still moves: 40 calls at 5 per 60 ms plus round trips, well under a second.
    expect(performance.now() - started).toBeLessThan(1_500);
  });
});
