/**
 * A job that runs once a day per unit at a local time: the due instant comes from luxon (a time that does not
 * exist on the spring-forward day moves forward with the clocks: 01:30 becomes 02:30 BST; an ambiguous one on
 * the fall-back day resolves to one instant: 01:30 is taken as 01:30 GMT), and the claim is per local date, so
 * it runs once on every day of the year. After downtime a run is still made while within the catch-up window,
 * marked late. What to deliver is built before the claim; the claim and its deliveries are written in one
 * transaction, so a run is claimed with all its deliveries or not at all.
 */
import type { Clock } from '../services/clock.js';
import type { JobRun, NewDelivery } from '../services/deliveries/delivery.service.js';
import type { Services } from '../services/index.js';
import { localDateOf, localDateTime } from '../services/time.js';
import type { Unit } from '../services/units/unit.service.js';

export interface DailyJobOptions {
  /** How long after its time a missed run is still made (late), e.g. after a restart. */
  readonly catchUpMs: number;
  /** A run made more than this after its time is marked late. */
  readonly lateAfterMs: number;
  /** Names this replica in the claim. */
  readonly worker: string;
}

export interface DailyJob {
  readonly name: string;
  /** The unit's local time of day for the job, HH:MM. */
  time(unit: Unit): string;
  /** What to deliver for the unit on the date (may be nothing). */
  build(
    unit: Unit,
    localDate: string,
    context: { readonly dueAt: Date; readonly late: boolean },
  ): Promise<NewDelivery[]>;
}

export type DailyJobOutcome =
  | {
      readonly unitId: number;
      readonly outcome: 'not_due' | 'missed' | 'already_claimed';
      readonly dueAt: Date;
    }
  | { readonly unitId: number; readonly outcome: 'claimed'; readonly dueAt: Date; readonly run: JobRun };

export function dueAt(time: string, unit: Pick<Unit, 'timeZone'>, localDate: string): Date {
  return localDateTime(localDate, time, unit.timeZone);
}

export async function runDailyJob(
  services: Services,
  clock: Clock,
  job: DailyJob,
  options: DailyJobOptions,
): Promise<DailyJobOutcome[]> {
  const outcomes: DailyJobOutcome[] = [];
  for (const unit of await services.units.list()) {
    const now = clock.now();
    const localDate = localDateOf(now, unit.timeZone);
    const due = dueAt(job.time(unit), unit, localDate);
    const since = now.getTime() - due.getTime();
    if (since < 0 || since > options.catchUpMs) {
      outcomes.push({ unitId: unit.id, outcome: since < 0 ? 'not_due' : 'missed', dueAt: due });
      continue;
    }
    if (await services.deliveries.hasRun(job.name, unit.id, localDate)) {
      outcomes.push({ unitId: unit.id, outcome: 'already_claimed', dueAt: due });
      continue;
    }
    const late = since > options.lateAfterMs;
    const deliveries = await job.build(unit, localDate, { dueAt: due, late });
    const run = await services.deliveries.scheduleRun(
      { job: job.name, unitId: unit.id, localDate, dueAt: due, late, worker: options.worker },
      deliveries,
    );
    outcomes.push(
      run
        ? { unitId: unit.id, outcome: 'claimed', dueAt: due, run }
        : { unitId: unit.id, outcome: 'already_claimed', dueAt: due },
    );
  }
  return outcomes;
}
