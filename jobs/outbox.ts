/**
 * The outbox sender: leases due deliveries (`FOR UPDATE SKIP LOCKED`, so replicas share the work and never send
 * the same row at once), posts each through its platform's outbound port, keeps the message id the moment the
 * platform answers, and marks the row sent with a disclosure in the audit log. A failure is retried with
 * exponential backoff and full jitter, never sooner than the platform's Retry-After; after `maxAttempts` the
 * row ends as `failed` with the reason (`dmm deliveries --failed`, `dmm deliveries retry`). A row that already
 * has a message id (its sender died after posting) is updated, not posted again.
 *
 * Fencing: every platform call renews the row's lease first and keeps renewing it while the call is in flight.
 * A row whose lease ran out (it waited too long in the pacing queue, this replica stalled) may have been taken by
 * another replica, so it is dropped here instead of sent a second time.
 */
import { type OutboundPort, type Ports, RateLimitedError } from '../bot/core/outbound.js';
import type { Card } from '../cards/card.js';
import { createSystemActor } from '../services/access/actor.js';
import type { ChatPlatform } from '../services/channels/channel.service.js';
import type { Clock } from '../services/clock.js';
import type { Delivery, DeliveryLane } from '../services/deliveries/delivery.service.js';
import type { Services } from '../services/index.js';
import type { Logger } from '../services/logger.js';
import type { Metrics } from '../services/metrics.js';
import type { Pacer } from './pacing.js';

const sender = createSystemActor('job:outbox');

/** This replica's lease on a row ran out before its platform call: another replica may be sending it. */
class LeaseLostError extends Error {
  constructor(readonly deliveryId: number) {
    super(`lease on delivery ${deliveryId} ran out before sending`);
    this.name = 'LeaseLostError';
  }
}

export interface OutboxOptions {
  readonly worker: string;
  /** Most rows a lane holds at once; it tops up when half have gone. */
  readonly batch: number;
  /** A drain keeps topping up its lanes for this long, then finishes what it holds (so the next beat runs). */
  readonly refillForMs: number;
  /** How long a leased row is ours; past it another replica may take it (we died or hung). */
  readonly leaseMs: number;
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** For tests: the jitter's source. */
  readonly random?: () => number;
}

export const DEFAULT_OUTBOX_OPTIONS: Omit<OutboxOptions, 'worker'> = {
  batch: 200,
  refillForMs: 30_000,
  leaseMs: 60_000,
  maxAttempts: 8,
  baseDelayMs: 2_000,
  maxDelayMs: 10 * 60_000,
};

export interface DrainResult {
  readonly sent: number;
  readonly retried: number;
  readonly failed: number;
}

/** Exponential backoff with full jitter, at least the platform's Retry-After. */
export function nextDelayMs(attempts: number, options: OutboxOptions, retryAfterMs = 0): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  const jittered = Math.round(ceiling * (0.5 + (options.random ?? Math.random)() * 0.5));
  return Math.max(retryAfterMs, jittered);
}

export async function drainOutboxOnce(
  deps: { services: Services; ports: Ports; clock: Clock; logger: Logger; metrics?: Metrics; pacer?: Pacer },
  options: OutboxOptions,
): Promise<DrainResult> {
  const { services, ports, clock, logger, metrics, pacer } = deps;
  const paced = <T>(
    platform: ChatPlatform,
    tenantId: string,
    conversationId: string,
    fn: () => Promise<T>,
  ) => (pacer ? pacer.run(platform, tenantId, conversationId, fn) : fn());
  // A replica with no platform configured (the demo, a CLI) can deliver nothing: it leaves the rows to one that can
  // rather than spend their attempts.
  if (Object.values(ports).every((port) => !port)) return { sent: 0, retried: 0, failed: 0 };
  /** Runs a platform call for a leased row only while the lease holds, and keeps it alive during the call. */
  const holding = async <T>(delivery: Delivery, call: () => Promise<T>): Promise<T> => {
    const renew = () => services.deliveries.renewLease(delivery.id, options.worker, options.leaseMs);
    // The call is about to begin: from here until a definite answer the row is in doubt.
    if (
      !(await services.deliveries.renewLease(delivery.id, options.worker, options.leaseMs, { attempt: true }))
    )
      throw new LeaseLostError(delivery.id);
    const heartbeat = setInterval(
      () =>
        void renew().catch((error: unknown) =>
          logger.warn({ err: error, deliveryId: delivery.id }, 'could not renew a delivery lease'),
        ),
      Math.max(100, Math.floor(options.leaseMs / 3)),
    );
    try {
      return await call();
    } finally {
      clearInterval(heartbeat);
    }
  };
  const result = { sent: 0, retried: 0, failed: 0 };
  const sent = (delivery: Delivery, platform: string) => {
    result.sent += 1;
    metrics?.deliveriesSent.inc({ platform, kind: delivery.kind });
    metrics?.deliveryLatency.observe(
      { kind: delivery.kind },
      (clock.now().getTime() - delivery.createdAt.getTime()) / 1000,
    );
  };
  const sendOne = async (delivery: Delivery) => {
    let platform = 'unknown';
    try {
      const card = delivery.payload as Card;
      if (!delivery.bindingId) {
        // To a person: the first platform that can reach them directly (a DM, a personal chat).
        const personId = delivery.personId as number;
        const deliveryKey = `dmm-delivery-${delivery.id}`;
        let reached: OutboundPort | undefined;
        // In doubt (its sender died mid-send): look where the platform can tell before sending again.
        if (delivery.inDoubt)
          for (const port of Object.values(ports)) {
            const found =
              port?.findDirect &&
              (await holding(delivery, async () => port.findDirect?.(personId, deliveryKey)));
            if (port && found) {
              await services.deliveries.recordMessageId(delivery.id, options.worker, found);
              reached = port;
              break;
            }
          }
        for (const port of reached ? [] : Object.values(ports)) {
          if (
            port &&
            (await holding(delivery, () => port.direct(personId, card.title, card, { deliveryKey })))
          ) {
            reached = port;
            break;
          }
        }
        if (!reached)
          throw new Error(
            `no platform can reach person ${personId}: link their Slack or Teams identity, or have them open a chat with the bot`,
          );
        platform = reached.platform;
        const marked = await services.deliveries.markSent(delivery.id, options.worker, {
          actor: sender,
          recipients: [`person:${personId}`],
          channel: reached.platform,
        });
        if (marked) sent(delivery, platform);
        return;
      }
      const binding = await services.channels.get(delivery.bindingId);
      platform = binding.platform;
      const port: OutboundPort | undefined = ports[binding.platform];
      if (!port) throw new Error(`${binding.platform} is not configured on this replica`);
      const { tenantId, conversationId } = binding;
      const deliveryKey = `dmm-delivery-${delivery.id}`;
      // A row whose sender died mid-post may already be on the platform without its id: look before posting.
      const found =
        !delivery.messageId && delivery.inDoubt && port.findDelivered
          ? await holding(
              delivery,
              () => port.findDelivered?.(binding, deliveryKey) ?? Promise.resolve(undefined),
            )
          : undefined;
      if (found) {
        await services.deliveries.recordMessageId(delivery.id, options.worker, found);
      } else if (delivery.messageId) {
        const messageId = delivery.messageId;
        await paced(binding.platform, tenantId, conversationId, () =>
          holding(delivery, () => port.update(binding, messageId, card)),
        );
      } else {
        const messageId = await paced(binding.platform, tenantId, conversationId, () =>
          holding(delivery, () => port.post(binding, card, { deliveryKey })),
        );
        await services.deliveries.recordMessageId(delivery.id, options.worker, messageId);
      }
      const marked = await services.deliveries.markSent(delivery.id, options.worker, {
        actor: sender,
        recipients: [`${binding.platform}:${binding.tenantId}:${binding.conversationId}`],
        channel: binding.platform,
      });
      if (marked) sent(delivery, platform);
    } catch (error) {
      if (error instanceof LeaseLostError) {
        logger.info({ deliveryId: delivery.id }, 'delivery left to the replica that took it over');
        return;
      }
      const attempts = delivery.attempts + 1;
      const retryAfter = error instanceof RateLimitedError ? error.retryAfterMs : 0;
      const last = attempts >= options.maxAttempts;
      const nextAttemptAt = last
        ? null
        : new Date(clock.now().getTime() + nextDelayMs(attempts, options, retryAfter));
      const message = error instanceof Error ? error.message : String(error);
      await services.deliveries.markAttemptFailed(delivery.id, options.worker, {
        error: message,
        nextAttemptAt,
        // A 429 is the platform saying it did not take the message; anything else (a timeout, a dropped
        // connection, a 5xx) may have been taken, so the next attempt looks first.
        definite: error instanceof RateLimitedError,
      });
      if (last) {
        result.failed += 1;
        metrics?.deliveriesFailed.inc({ platform, kind: delivery.kind });
        logger.error({ deliveryId: delivery.id, attempts, err: error }, 'delivery failed for good');
      } else {
        result.retried += 1;
        metrics?.deliveriesRetried.inc({ platform, kind: delivery.kind });
        logger.warn(
          { deliveryId: delivery.id, attempts, nextAttemptAt, err: message },
          'delivery will be retried',
        );
      }
    }
  };
  // Lanes: each configured platform's channel posts, and the messages to people, leased and sent side by side,
  // so a slow platform (Teams at its tenant rate) does not hold a fast one's rows in the same round. A binding on
  // a platform this replica does not serve is left to a replica that does.
  const lanes: DeliveryLane[] = [...(Object.keys(ports) as ChatPlatform[]).filter((p) => ports[p]), 'person'];
  // A lane tops up when half its rows have gone, so a long fan-out never idles between rounds at the platform.
  const until = performance.now() + options.refillForMs;
  await Promise.all(
    lanes.map(async (lane) => {
      const running = new Set<Promise<void>>();
      let more = true;
      let first = true;
      for (;;) {
        if (more && running.size <= options.batch / 2 && (first || performance.now() < until)) {
          first = false;
          const room = options.batch - running.size;
          const leased = await services.deliveries.claimDue(options.worker, room, options.leaseMs, lane);
          if (leased.length < room) more = false;
          for (const delivery of leased) {
            const sending: Promise<void> = sendOne(delivery).finally(() => running.delete(sending));
            running.add(sending);
          }
        }
        if (running.size === 0) break;
        await Promise.race(running);
      }
    }),
  );
  return result;
}
