/**
 * Operational metrics in Prometheus form (prom-client), one registry per app (no globals): the jobs and the
 * outbox count briefs and deliveries, the chat core times commands, and the outbox depth is read from the
 * database when scraped. `GET /metrics` serves them.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  readonly briefsBuilt: Counter<'late'>;
  readonly deliveriesSent: Counter<'platform' | 'kind'>;
  readonly deliveriesRetried: Counter<'platform' | 'kind'>;
  readonly deliveriesFailed: Counter<'platform' | 'kind'>;
  readonly deliveryLatency: Histogram<'kind'>;
  readonly commandLatency: Histogram<'platform' | 'kind'>;
}

export function createMetrics(options: { outboxDepth?: () => Promise<number> } = {}): Metrics {
  const registry = new Registry();
  const { outboxDepth } = options;
  if (outboxDepth)
    new Gauge({
      name: 'dmm_outbox_depth',
      help: 'Deliveries waiting to be sent (pending or being sent)',
      registers: [registry],
      async collect() {
        this.set(await outboxDepth());
      },
    });
  return {
    registry,
    briefsBuilt: new Counter({
      name: 'dmm_briefs_built_total',
      help: 'Morning brief runs claimed and queued, by whether they were late',
      labelNames: ['late'],
      registers: [registry],
    }),
    deliveriesSent: new Counter({
      name: 'dmm_deliveries_sent_total',
      help: 'Messages delivered from the outbox',
      labelNames: ['platform', 'kind'],
      registers: [registry],
    }),
    deliveriesRetried: new Counter({
      name: 'dmm_deliveries_retried_total',
      help: 'Delivery attempts that failed and will be retried',
      labelNames: ['platform', 'kind'],
      registers: [registry],
    }),
    deliveriesFailed: new Counter({
      name: 'dmm_deliveries_failed_total',
      help: 'Deliveries that failed for good (after every attempt)',
      labelNames: ['platform', 'kind'],
      registers: [registry],
    }),
    deliveryLatency: new Histogram({
      name: 'dmm_delivery_latency_seconds',
      help: 'From queued to delivered',
      labelNames: ['kind'],
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900],
      registers: [registry],
    }),
    commandLatency: new Histogram({
      name: 'dmm_command_duration_seconds',
      help: 'Chat commands and card presses, from arrival to the reply being ready',
      labelNames: ['platform', 'kind'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}
