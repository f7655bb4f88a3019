import { describe, expect, it } from 'vitest';
import { createPacer } from '../../jobs/pacing.js';

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
    // Timers may fire a millisecond or two early against performance.now(): windows are measured a little short.
    const within = (prefix: string, ms: number) => {
      const times = calls.filter((c) => c.key.startsWith(prefix)).map((c) => c.at);
      return Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + ms - 3).length));
    };
    expect(calls).toHaveLength(18);
    expect(within('teams:T1:', 100)).toBeLessThanOrEqual(4);
    expect(within('teams:T1:c0', 100)).toBeLessThanOrEqual(3);
    expect(within('slack:W:C1', 40)).toBe(1);
    // The other tenant was not held up behind the first (whose 12 calls take 200 ms and more at 4 per 100 ms):
    // its three calls fit its own rate at once.
    const t2 = calls.filter((c) => c.key.startsWith('teams:T2')).map((c) => c.at - started);
    expect(Math.max(...t2)).toBeLessThan(150);
    const t1 = calls.filter((c) => c.key.startsWith('teams:T1')).map((c) => c.at - started);
    expect(Math.max(...t1)).toBeGreaterThanOrEqual(195);
  });
});
