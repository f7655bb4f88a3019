/**
 * The outbox sender with a fake clock and an in-memory port: each delivery is posted once and marked sent with a
 * disclosure in the audit log; a 429 waits at least its Retry-After; a row whose sender died after posting is
 * updated, not posted again; a row that keeps failing ends as failed with its reason and can be retried.
 */
import { describe, expect, it } from 'vitest';
import { RateLimitedError } from '../../../bot/core/outbound.js';
import {
  DEFAULT_OUTBOX_OPTIONS,
  drainOutboxOnce,
  nextDelayMs,
  type OutboxOptions,
} from '../../../jobs/outbox.js';
import { createFixedClock } from '../../../services/clock.js';
import { createLogger } from '../../../services/logger.js';
import { BACKENDS } from '../../support/database.js';
import { createUnitFixture, operator } from '../../support/fixtures.js';
import { createMemoryPort } from '../../support/memory-port.js';
import { useServices } from '../../support/suite.js';

const logger = createLogger('silent');
const options: OutboxOptions = { ...DEFAULT_OUTBOX_OPTIONS, worker: 'w1', random: () => 1 };

describe('backoff', () => {
  it('doubles up to the cap, with jitter between half and all of it, and never under Retry-After', () => {
    const o = { ...options, random: () => 0 };
    expect([1, 2, 3, 4].map((n) => nextDelayMs(n, o))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(nextDelayMs(30, options)).toBe(options.maxDelayMs);
    expect(nextDelayMs(1, options, 30_000)).toBe(30_000);
  });
});

describe.each(BACKENDS)('the outbox on %s', (backend) => {
  const clock = createFixedClock('2026-01-20T07:00:00Z');
  const ctx = useServices(backend, clock);

  /** A claimed brief run with one delivery per conversation (Slack unless named `teams:…`). */
  async function queued(code: string, conversations: string[]) {
    const unit = await ctx.services.units.create(operator, { code, name: `Outbox ${code}` });
    const bindings = [];
    for (const name of conversations) {
      const teams = name.startsWith('teams:');
      bindings.push(
        await ctx.services.channels.link(
          operator,
          teams
            ? { platform: 'teams', tenantId: 'TT', conversationId: name.slice('teams:'.length) }
            : { platform: 'slack', tenantId: 'T1', conversationId: name },
          { unitId: unit.id },
        ),
      );
    }
    const run = await ctx.services.deliveries.scheduleRun(
      {
        job: 'brief',
        unitId: unit.id,
        localDate: '2026-01-20',
        dueAt: clock.now(),
        late: false,
        worker: 'w1',
      },
      bindings.map((b) => ({
        bindingId: b.id,
        kind: 'brief',
        payload: { title: `Brief for ${b.conversationId}`, blocks: [] },
        marking: 'OFFICIAL' as const,
      })),
    );
    if (!run) throw new Error('not scheduled');
    return { unit, run };
  }

  const mine = async (runId: number) =>
    (await ctx.services.deliveries.list()).filter((d) => d.jobRunId === runId);

  it('posts each delivery once, keeps its message id, and logs the disclosure', async () => {
    const { run } = await queued('send', ['C1', 'C2', 'C3']);
    const port = createMemoryPort();
    const result = await drainOutboxOnce(
      { services: ctx.services, ports: { slack: port }, clock, logger },
      options,
    );
    expect(result).toEqual({ sent: 3, retried: 0, failed: 0 });
    expect(port.posts.map((p) => p.conversationId).sort()).toEqual(['C1', 'C2', 'C3']);
    const rows = await mine(run.id);
    expect(rows.every((d) => d.status === 'sent' && d.messageId)).toBe(true);
    expect(
      await drainOutboxOnce({ services: ctx.services, ports: { slack: port }, clock, logger }, options),
    ).toEqual({
      sent: 0,
      retried: 0,
      failed: 0,
    });
    const disclosures = (await ctx.services.audit.list({ entityType: 'brief' })).filter(
      (e) => e.operation === 'disclosure',
    );
    expect(disclosures.map((e) => e.recipients?.[0]).sort()).toEqual(
      expect.arrayContaining(['slack:T1:C1', 'slack:T1:C2', 'slack:T1:C3']),
    );
    expect(disclosures.every((e) => e.channel === 'slack')).toBe(true);
  });

  it('lists the unsent deliveries however many were sent before them', async () => {
    await queued('listed-sent', ['CU1', 'CU2']);
    await drainOutboxOnce(
      { services: ctx.services, ports: { slack: createMemoryPort() }, clock, logger },
      options,
    );
    const { run } = await queued('listed-pending', ['CU3']);
    // One row at most: the filter is the query's, not applied to the first rows after the fact.
    const [first] = await ctx.services.deliveries.list({ unsent: true, limit: 1 });
    expect(first?.status).toBe('pending');
    const unsent = await ctx.services.deliveries.list({ unsent: true });
    expect(unsent.every((d) => d.status !== 'sent')).toBe(true);
    expect(unsent.map((d) => d.jobRunId)).toContain(run.id);
    // Leave nothing pending for the tests after this one.
    await drainOutboxOnce(
      { services: ctx.services, ports: { slack: createMemoryPort() }, clock, logger },
      options,
    );
  });

  it('waits out a rate limit for at least its Retry-After, then sends once', async () => {
    const { run } = await queued('limited', ['C9']);
    const port = createMemoryPort();
    port.failNext(new RateLimitedError('slack', 30_000));
    const deps = { services: ctx.services, ports: { slack: port }, clock, logger };
    expect(await drainOutboxOnce(deps, options)).toMatchObject({ retried: 1 });
    const [row] = await mine(run.id);
    expect(row?.status).toBe('pending');
    expect(row?.lastError).toMatch(/retry after 30 s/);
    expect((row?.nextAttemptAt.getTime() ?? 0) - clock.now().getTime()).toBeGreaterThanOrEqual(30_000);
    clock.advance(29_000);
    expect(await drainOutboxOnce(deps, options)).toMatchObject({ sent: 0 });
    clock.advance(1_000);
    expect(await drainOutboxOnce(deps, options)).toMatchObject({ sent: 1 });
    expect(port.posts).toHaveLength(1);
  });

  it('updates instead of posting again when the sender died after posting', async () => {
    const { run } = await queued('crash', ['C5']);
    const port = createMemoryPort();
    // A sender leases the row, posts, keeps the message id, and dies before marking it sent.
    const [leased] = await ctx.services.deliveries.claimDue('dead-replica', 10, 60_000);
    if (!leased) throw new Error('nothing leased');
    const binding = await ctx.services.channels.get(leased.bindingId as number);
    const messageId = await port.post(binding, leased.payload as never);
    await ctx.services.deliveries.recordMessageId(leased.id, 'dead-replica', messageId);
    const deps = { services: ctx.services, ports: { slack: port }, clock, logger };
    // While its lease holds nobody else touches it.
    expect(await drainOutboxOnce(deps, options)).toMatchObject({ sent: 0 });
    clock.advance(60_001);
    expect(await drainOutboxOnce(deps, options)).toMatchObject({ sent: 1 });
    expect(port.posts).toHaveLength(1);
    expect(port.updates.map((u) => u.messageId)).toEqual([messageId]);
    expect((await mine(run.id))[0]?.status).toBe('sent');
  });

  it('finds a post whose sender died before keeping its id, instead of posting it again', async () => {
    const { run } = await queued('in-doubt', ['C6']);
    const port = createMemoryPort();
    // A sender leases the row and posts it (the platform has it), then dies before keeping the id.
    const [leased] = await ctx.services.deliveries.claimDue('dead-replica', 10, 60_000);
    if (!leased) throw new Error('nothing leased');
    expect(
      await ctx.services.deliveries.renewLease(leased.id, 'dead-replica', 60_000, { attempt: true }),
    ).toBe(true);
    const binding = await ctx.services.channels.get(leased.bindingId as number);
    const messageId = await port.post(binding, leased.payload as never, {
      deliveryKey: `dmm-delivery-${leased.id}`,
    });
    clock.advance(60_001);
    const deps = { services: ctx.services, ports: { slack: port }, clock, logger };
    expect(await drainOutboxOnce(deps, options)).toMatchObject({ sent: 1 });
    expect(port.posts).toHaveLength(1);
    expect(port.updates).toHaveLength(0);
    expect((await mine(run.id))[0]).toMatchObject({ status: 'sent', messageId });
  });

  it('finds a direct message whose sender died before marking it sent, instead of sending it again', async () => {
    const f = await createUnitFixture(ctx.services, { code: 'dm-doubt' });
    const run = await ctx.services.deliveries.scheduleRun(
      {
        job: 'reminders',
        unitId: f.unit.id,
        localDate: '2026-01-20',
        dueAt: clock.now(),
        late: false,
        worker: 'w1',
      },
      [
        {
          personId: f.owner.personId,
          kind: 'reminder',
          payload: { title: 'Your actions due today', blocks: [] },
          marking: 'OFFICIAL' as const,
        },
      ],
    );
    if (!run) throw new Error('not scheduled');
    const port = createMemoryPort();
    port.reach(f.owner.personId);
    // A sender leases the row and sends the DM (the platform has it), then dies before marking it sent.
    const [leased] = await ctx.services.deliveries.claimDue('dead-replica', 10, 60_000, 'person');
    if (!leased) throw new Error('nothing leased');
    await ctx.services.deliveries.renewLease(leased.id, 'dead-replica', 60_000, { attempt: true });
    await port.direct(f.owner.personId, 'Your actions due today', leased.payload as never, {
      deliveryKey: `dmm-delivery-${leased.id}`,
    });
    clock.advance(60_001);
    const deps = { services: ctx.services, ports: { slack: port }, clock, logger };
    expect(await drainOutboxOnce(deps, options)).toMatchObject({ sent: 1 });
    expect(port.directs).toHaveLength(1);
    expect((await mine(run.id))[0]).toMatchObject({ status: 'sent', messageId: 'dm1' });
  });

  it('looks before retrying a post whose answer was lost (a timeout), and does not post it twice', async () => {
    const { run } = await queued('lost-answer', ['CT1']);
    const port = createMemoryPort();
    port.loseAnswerOfNextPost(new Error('socket hang up'));
    const deps = { services: ctx.services, ports: { slack: port }, clock, logger };
    expect(await drainOutboxOnce(deps, options)).toMatchObject({ retried: 1 });
    clock.advance(options.maxDelayMs);
    expect(await drainOutboxOnce(deps, options)).toMatchObject({ sent: 1 });
    expect(port.posts).toHaveLength(1);
    expect(port.lookups()).toBe(1);
    expect((await mine(run.id))[0]).toMatchObject({ status: 'sent', messageId: port.posts[0]?.messageId });
  });

  it('looks only where a call began without a definite answer: not for rows never tried, nor after a 429', async () => {
    const { run } = await queued('definite', ['CD1', 'CD2']);
    const port = createMemoryPort();
    const deps = { services: ctx.services, ports: { slack: port }, clock, logger };
    // A replica leased both rows and died before trying either.
    expect(await ctx.services.deliveries.claimDue('dead-replica', 10, 60_000)).toHaveLength(2);
    clock.advance(60_001);
    // One of them is refused with a 429 (the platform did not take it), then sent.
    port.failNext(new RateLimitedError('slack', 1_000));
    expect(await drainOutboxOnce(deps, options)).toMatchObject({ sent: 1, retried: 1 });
    clock.advance(options.maxDelayMs);
    expect(await drainOutboxOnce(deps, options)).toMatchObject({ sent: 1 });
    expect(port.lookups()).toBe(0);
    expect(port.posts.map((p) => p.conversationId).sort()).toEqual(['CD1', 'CD2']);
    expect((await mine(run.id)).every((d) => d.status === 'sent')).toBe(true);
  });

  it('ends a delivery that keeps failing as failed with its reason, and retries it on request', async () => {
    const { run } = await queued('failing', ['C7']);
    const port = createMemoryPort();
    const deps = { services: ctx.services, ports: { slack: port }, clock, logger };
    const few = { ...options, maxAttempts: 3 };
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      port.failNext(new Error('channel_not_found'));
      await drainOutboxOnce(deps, few);
      clock.advance(few.maxDelayMs);
    }
    const [row] = await mine(run.id);
    expect(row).toMatchObject({ status: 'failed', attempts: 3, lastError: 'channel_not_found' });
    expect((await ctx.services.deliveries.list({ status: 'failed' })).map((d) => d.id)).toContain(row?.id);
    expect(await ctx.services.deliveries.retry(operator, [row?.id as number])).toBe(1);
    expect(await drainOutboxOnce(deps, few)).toMatchObject({ sent: 1 });
    expect(port.posts).toHaveLength(1);
  });

  it('leaves the rows alone on a replica with no platform configured', async () => {
    const { run } = await queued('no-platform', ['CX']);
    const result = await drainOutboxOnce({ services: ctx.services, ports: {}, clock, logger }, options);
    expect(result).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(await mine(run.id)).toMatchObject([{ status: 'pending', attempts: 0 }]);
    // A replica that has the platform sends it.
    await drainOutboxOnce(
      { services: ctx.services, ports: { slack: createMemoryPort() }, clock, logger },
      options,
    );
    expect(await mine(run.id)).toMatchObject([{ status: 'sent' }]);
  });

  it('drops a row whose lease ran out before its turn came (another replica took it and sent it once)', async () => {
    const { run } = await queued('lapsed', ['CL1']);
    const port = createMemoryPort();
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let waiting: () => void = () => {};
    const queuedUp = new Promise<void>((resolve) => {
      waiting = resolve;
    });
    // Replica a leases the row, then its pacer holds the call (a long queue, a stalled process) past the lease.
    const stalled = drainOutboxOnce(
      {
        services: ctx.services,
        ports: { slack: port },
        clock,
        logger,
        pacer: {
          async run(_platform, _tenant, _conversation, fn) {
            waiting();
            await held;
            return fn();
          },
        },
      },
      { ...options, worker: 'a' },
    );
    await queuedUp;
    clock.advance(options.leaseMs + 1);
    const taken = await drainOutboxOnce(
      { services: ctx.services, ports: { slack: port }, clock, logger },
      { ...options, worker: 'b' },
    );
    expect(taken).toMatchObject({ sent: 1 });
    release();
    expect(await stalled).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(port.posts).toHaveLength(1);
    expect(await mine(run.id)).toMatchObject([{ status: 'sent', attempts: 0 }]);
  });

  it('keeps the lease alive while a slow call is in flight, so no other replica takes the row', async () => {
    const { run } = await queued('slow', ['CS1']);
    const port = createMemoryPort();
    let finish: () => void = () => {};
    const slowPort = {
      ...port,
      async post(...args: Parameters<typeof port.post>) {
        await new Promise<void>((resolve) => {
          finish = resolve;
        });
        return port.post(...args);
      },
    };
    const lease = { ...options, leaseMs: 300 };
    const lockedUntil = async () =>
      (
        await ctx.services.db
          .selectFrom('deliveries')
          .select('locked_until')
          .where('job_run_id', '=', run.id)
          .executeTakeFirstOrThrow()
      ).locked_until?.getTime() ?? 0;
    const sending = drainOutboxOnce(
      { services: ctx.services, ports: { slack: slowPort }, clock, logger },
      { ...lease, worker: 'a' },
    );
    /** Polls the row's lease until it reads `expected` (or gives up after 2 s, and the expectation fails). */
    const leaseReaches = async (expected: number) => {
      const deadline = Date.now() + 2_000;
      while ((await lockedUntil()) !== expected && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await lockedUntil()).toBe(expected);
    };
    await leaseReaches(clock.now().getTime() + 300);
    // The call is in flight past the lease it started with: the heartbeat has renewed it from the clock's now.
    clock.advance(250);
    await leaseReaches(clock.now().getTime() + 300);
    clock.advance(250);
    const other = await drainOutboxOnce(
      { services: ctx.services, ports: { slack: port }, clock, logger },
      { ...lease, worker: 'b' },
    );
    expect(other).toEqual({ sent: 0, retried: 0, failed: 0 });
    finish();
    expect(await sending).toMatchObject({ sent: 1 });
    expect(port.posts).toHaveLength(1);
    expect(port.posts[0]?.card.title).toBe('Brief for CS1');
  });

  it('drains each platform in its own lane: one platform never takes another platform turn; a missing one is left', async () => {
    const slackIds = ['CLA', 'CLB', 'CLC'];
    const teamsIds = ['19:la@thread.tacv2', '19:lb@thread.tacv2'];
    // Teams rows first, so a single lease in id order would hand this replica only Teams rows.
    const { run } = await queued('lanes', [...teamsIds.map((id) => `teams:${id}`), ...slackIds]);
    const slackPort = createMemoryPort('slack');
    // A replica with Slack only: its Slack rows go (a lane of 1 row at a time tops up until its rows are gone,
    // unless its time for topping up is spent), the Teams rows wait for a replica with Teams, attempts unspent.
    const slackOnly = { services: ctx.services, ports: { slack: slackPort }, clock, logger };
    expect(await drainOutboxOnce(slackOnly, { ...options, batch: 1, refillForMs: 0 })).toEqual({
      sent: 1,
      retried: 0,
      failed: 0,
    });
    expect(await drainOutboxOnce(slackOnly, { ...options, batch: 1 })).toEqual({
      sent: 2,
      retried: 0,
      failed: 0,
    });
    expect(slackPort.posts.map((p) => p.conversationId).sort()).toEqual(slackIds);
    const rows = await mine(run.id);
    expect(rows.filter((d) => d.status === 'pending').map((d) => d.attempts)).toEqual([0, 0]);
    // A replica with Teams sends them.
    const teamsPort = createMemoryPort('teams');
    expect(
      await drainOutboxOnce(
        { services: ctx.services, ports: { slack: slackPort, teams: teamsPort }, clock, logger },
        options,
      ),
    ).toEqual({ sent: 2, retried: 0, failed: 0 });
    expect(teamsPort.posts.map((p) => p.conversationId).sort()).toEqual(teamsIds);
  });

  it('lets concurrent senders share the rows without sending any twice', async () => {
    const conversations = Array.from({ length: 30 }, (_, i) => `CC${i}`);
    const { run } = await queued('shared', conversations);
    const port = createMemoryPort();
    const results = await Promise.all(
      ['a', 'b', 'c'].map((worker) =>
        drainOutboxOnce(
          { services: ctx.services, ports: { slack: port }, clock, logger },
          { ...options, worker, batch: 12 },
        ),
      ),
    );
    expect(results.reduce((n, r) => n + r.sent, 0)).toBe(30);
    expect(new Set(port.posts.map((p) => p.conversationId)).size).toBe(30);
    expect(port.posts).toHaveLength(30);
    expect((await mine(run.id)).every((d) => d.status === 'sent')).toBe(true);
  });
});
