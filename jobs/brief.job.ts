/**
 * The morning brief: for each unit, at its brief time in its own time zone, one run per local date. The due
 * instant comes from luxon (a time that does not exist on the spring-forward day moves forward with the clocks:
 * 01:30 becomes 02:30 BST; an ambiguous one on the fall-back day resolves to one instant: 01:30 is taken as
 * 01:30 GMT), and the claim is per local date, so it fires once on every day of the year.
 * After downtime a run is still made while within the catch-up window, marked late. The brief is built (or read,
 * if stored) before the claim, then the claim and one delivery per bound conversation, each with that
 * binding's audience and marking ceiling, are written in one transaction.
 */
import type { Card } from '../cards/card.js';
import { buildBriefCard } from '../cards/daily-brief.card.js';
import { createSystemActor } from '../services/access/actor.js';
import { viewBrief } from '../services/briefs/brief.model.js';
import type { Clock } from '../services/clock.js';
import type { JobRun } from '../services/deliveries/delivery.service.js';
import type { Services } from '../services/index.js';
import { formatLocal, localDateOf, localDateTime } from '../services/time.js';
import type { Unit } from '../services/units/unit.service.js';

export const BRIEF_JOB = 'brief';
const jobActor = createSystemActor('job:daily-brief');

export interface BriefJobOptions {
  /** How long after the brief time a missed run is still made (late), e.g. after a restart. */
  readonly catchUpMs: number;
  /** A run made more than this after its time is marked late. */
  readonly lateAfterMs: number;
  /** Names this replica in the claim. */
  readonly worker: string;
}

export type BriefJobOutcome =
  | { readonly unitId: number; readonly outcome: 'not_due'; readonly dueAt: Date }
  | { readonly unitId: number; readonly outcome: 'missed'; readonly dueAt: Date }
  | { readonly unitId: number; readonly outcome: 'already_claimed'; readonly dueAt: Date }
  | { readonly unitId: number; readonly outcome: 'claimed'; readonly dueAt: Date; readonly run: JobRun };

/** When the unit's brief is due on a local date. */
export function briefDueAt(unit: Pick<Unit, 'briefTime' | 'timeZone'>, localDate: string): Date {
  return localDateTime(localDate, unit.briefTime, unit.timeZone);
}

function lateNotice(card: Card, dueAt: Date, zone: string, now: Date): Card {
  return {
    ...card,
    blocks: [
      {
        type: 'notice',
        tone: 'warning',
        text: `Sent late: due at ${formatLocal(dueAt, zone)}, sent at ${formatLocal(now, zone)} (the service was not running).`,
      },
      ...card.blocks,
    ],
  };
}

export async function runBriefJob(
  services: Services,
  clock: Clock,
  options: BriefJobOptions,
): Promise<BriefJobOutcome[]> {
  const outcomes: BriefJobOutcome[] = [];
  for (const unit of await services.units.list()) {
    const now = clock.now();
    const localDate = localDateOf(now, unit.timeZone);
    const dueAt = briefDueAt(unit, localDate);
    const since = now.getTime() - dueAt.getTime();
    if (since < 0) {
      outcomes.push({ unitId: unit.id, outcome: 'not_due', dueAt });
      continue;
    }
    if (since > options.catchUpMs) {
      outcomes.push({ unitId: unit.id, outcome: 'missed', dueAt });
      continue;
    }
    if (await services.deliveries.hasRun(BRIEF_JOB, unit.id, localDate)) {
      outcomes.push({ unitId: unit.id, outcome: 'already_claimed', dueAt });
      continue;
    }
    const bindings = await services.channels.forUnit(unit.id);
    const brief = await services.briefs.get(jobActor, unit.id, localDate);
    const late = since > options.lateAfterMs;
    const deliveries = bindings.map((binding) => {
      const view = viewBrief(brief, { audience: binding.audience, ceiling: binding.ceiling });
      const card = buildBriefCard(view);
      return {
        bindingId: binding.id,
        kind: 'brief',
        payload: late ? lateNotice(card, dueAt, unit.timeZone, now) : card,
        marking: view.marking,
      };
    });
    const run = await services.deliveries.scheduleRun(
      { job: BRIEF_JOB, unitId: unit.id, localDate, dueAt, late, worker: options.worker },
      deliveries,
    );
    outcomes.push(
      run
        ? { unitId: unit.id, outcome: 'claimed', dueAt, run }
        : { unitId: unit.id, outcome: 'already_claimed', dueAt },
    );
  }
  return outcomes;
}
