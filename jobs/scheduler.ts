/**
 * The scheduler of one replica. node-cron beats once a minute (in UTC: the beat carries no local-time meaning);
 * each beat asks every job whether anything is due by the units' own local times (DST-safe, see brief.job.ts),
 * claims what is (once across all replicas, by the database), and sends the outbox. Between beats the outbox is
 * drained every few seconds, so retries and other replicas' leftovers go out without waiting a minute. On start a
 * beat runs at once: a brief missed while the service was down is sent if still within the catch-up window.
 */
import { type ScheduledTask, schedule } from 'node-cron';
import type { Ports } from '../bot/core/outbound.js';
import type { Clock } from '../services/clock.js';
import type { Services } from '../services/index.js';
import type { Logger } from '../services/logger.js';
import type { Metrics } from '../services/metrics.js';
import { addDays, localDateOf } from '../services/time.js';
import { briefJob } from './brief.job.js';
import { type DailyJob, dueAt, runDailyJob } from './daily.js';
import { DEFAULT_OUTBOX_OPTIONS, type DrainResult, drainOutboxOnce, type OutboxOptions } from './outbox.js';
import { createPacer } from './pacing.js';
import { remindersJob } from './reminders.job.js';

export interface SchedulerOptions {
  readonly worker: string;
  readonly catchUpMs: number;
  readonly lateAfterMs: number;
  readonly drainIntervalMs: number;
  readonly outbox?: Partial<Omit<OutboxOptions, 'worker'>>;
  /** Reminders to owners, digest to action managers, escalation to chairs: local time and threshold. */
  readonly reminders: {
    readonly time: string;
    readonly escalateAfterDays: number;
    /** Owners are also reminded this many days before an action is due (0: not). */
    readonly daysBefore?: number;
  };
}

export interface UnitJobStatus {
  readonly unitId: number;
  readonly unitCode: string;
  readonly job: string;
  readonly timeZone: string;
  /** The next time the job is due (today's if not yet run, else tomorrow's). */
  readonly nextDueAt: Date;
  readonly todayRun: 'not yet' | 'done' | 'missed';
}

export interface Scheduler {
  /** One beat: due jobs claimed and queued, then the outbox drained. */
  tick(): Promise<{ claimed: number; drained: DrainResult }>;
  /** Sends what is due in the outbox until nothing more is. */
  drain(): Promise<DrainResult>;
  status(): Promise<UnitJobStatus[]>;
  start(): void;
  stop(): Promise<void>;
}

/** Each unit's daily jobs: when each is next due and whether today's ran (for `dmm jobs status`). */
export async function jobStatus(
  services: Services,
  clock: Clock,
  jobs: readonly DailyJob[],
  catchUpMs: number,
): Promise<UnitJobStatus[]> {
  const now = clock.now();
  const out: UnitJobStatus[] = [];
  for (const unit of await services.units.list()) {
    const today = localDateOf(now, unit.timeZone);
    for (const job of jobs) {
      const dueToday = dueAt(job.time(unit), unit, today);
      const done = await services.deliveries.hasRun(job.name, unit.id, today);
      const past = now.getTime() > dueToday.getTime() + catchUpMs;
      out.push({
        unitId: unit.id,
        unitCode: unit.code,
        job: job.name,
        timeZone: unit.timeZone,
        nextDueAt: done || past ? dueAt(job.time(unit), unit, addDays(today, 1)) : dueToday,
        todayRun: done ? 'done' : past ? 'missed' : 'not yet',
      });
    }
  }
  return out;
}

/** The daily jobs every replica runs. */
export function dailyJobs(
  services: Services,
  clock: Clock,
  reminders: SchedulerOptions['reminders'],
): DailyJob[] {
  return [briefJob(services, clock), remindersJob(services, reminders)];
}

export function createScheduler(
  baseDeps: { services: Services; ports: Ports; clock: Clock; logger: Logger; metrics?: Metrics },
  options: SchedulerOptions,
): Scheduler {
  // One pacer per replica: every round of the outbox shares the platforms' rates.
  const deps = { ...baseDeps, pacer: createPacer() };
  const { services, clock, logger, metrics } = deps;
  const log = logger.child({ component: 'scheduler', worker: options.worker });
  const outboxOptions: OutboxOptions = {
    ...DEFAULT_OUTBOX_OPTIONS,
    ...options.outbox,
    worker: options.worker,
  };
  let task: ScheduledTask | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let draining = false;

  async function drain(): Promise<DrainResult> {
    const total = { sent: 0, retried: 0, failed: 0 };
    // Round after round while rows keep coming; each round leases at most a batch.
    for (let round = 0; round < 1_000; round += 1) {
      const r = await drainOutboxOnce(deps, outboxOptions);
      total.sent += r.sent;
      total.retried += r.retried;
      total.failed += r.failed;
      if (r.sent + r.retried + r.failed === 0) break;
    }
    return total;
  }

  const jobs = dailyJobs(services, clock, options.reminders);

  async function tick() {
    const outcomes = [];
    for (const job of jobs) {
      const results = await runDailyJob(services, clock, job, {
        catchUpMs: options.catchUpMs,
        lateAfterMs: options.lateAfterMs,
        worker: options.worker,
      });
      outcomes.push(...results.map((r) => ({ ...r, job: job.name })));
    }
    const claimed = outcomes.filter((o) => o.outcome === 'claimed');
    for (const o of claimed) {
      if (o.outcome !== 'claimed') continue;
      if (o.job === 'brief') metrics?.briefsBuilt.inc({ late: String(o.run.late) });
      log.info(
        {
          job: o.job,
          unitId: o.unitId,
          localDate: o.run.localDate,
          late: o.run.late,
          deliveries: o.run.deliveries,
        },
        'job queued',
      );
    }
    for (const o of outcomes.filter((x) => x.outcome === 'missed'))
      log.debug({ job: o.job, unitId: o.unitId, dueAt: o.dueAt }, 'missed: past the catch-up window');
    return { claimed: claimed.length, drained: await drain() };
  }

  /** Runs one beat at a time on this replica; a beat that fails is logged and the next one tries again. */
  function beat(what: () => Promise<unknown>) {
    running = running
      .then(what)
      .catch((error: unknown) => log.error({ err: error }, 'scheduled work failed'));
    return running;
  }

  return {
    tick,
    drain,
    status: () => jobStatus(services, clock, jobs, options.catchUpMs),
    start() {
      if (task) return;
      task = schedule('* * * * *', () => beat(tick), {
        timezone: 'Etc/UTC',
        noOverlap: true,
        name: 'dmm-jobs',
      });
      timer = setInterval(() => {
        if (draining) return;
        draining = true;
        void beat(drain).finally(() => {
          draining = false;
        });
      }, options.drainIntervalMs);
      timer.unref();
      void beat(tick);
    },
    async stop() {
      await task?.stop();
      task = undefined;
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
