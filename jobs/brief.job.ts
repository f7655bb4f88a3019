/**
 * The morning brief: for each unit at its brief time, one delivery per bound conversation, each with that
 * binding's audience and marking ceiling (see daily.ts for when and how often it runs).
 */
import type { Card } from '../cards/card.js';
import { buildBriefCard } from '../cards/daily-brief.card.js';
import { createSystemActor } from '../services/access/actor.js';
import { viewBrief } from '../services/briefs/brief.model.js';
import type { Clock } from '../services/clock.js';
import type { Services } from '../services/index.js';
import { formatLocal } from '../services/time.js';
import type { Unit } from '../services/units/unit.service.js';
import { type DailyJob, type DailyJobOptions, type DailyJobOutcome, dueAt, runDailyJob } from './daily.js';

export const BRIEF_JOB = 'brief';
const jobActor = createSystemActor('job:daily-brief');

export type BriefJobOptions = DailyJobOptions;
export type BriefJobOutcome = DailyJobOutcome;

/** When the unit's brief is due on a local date. */
export function briefDueAt(unit: Pick<Unit, 'briefTime' | 'timeZone'>, localDate: string): Date {
  return dueAt(unit.briefTime, unit, localDate);
}

function lateNotice(card: Card, due: Date, zone: string, now: Date): Card {
  return {
    ...card,
    blocks: [
      {
        type: 'notice',
        tone: 'warning',
        text: `Sent late: due at ${formatLocal(due, zone)}, sent at ${formatLocal(now, zone)} (the service was not running).`,
      },
      ...card.blocks,
    ],
  };
}

export function briefJob(services: Services, clock: Clock): DailyJob {
  return {
    name: BRIEF_JOB,
    time: (unit) => unit.briefTime,
    async build(unit, localDate, { dueAt: due, late }) {
      const bindings = await services.channels.forUnit(unit.id);
      const brief = await services.briefs.get(jobActor, unit.id, localDate);
      return bindings.map((binding) => {
        const view = viewBrief(brief, { audience: binding.audience, ceiling: binding.ceiling });
        const card = buildBriefCard(view);
        return {
          bindingId: binding.id,
          kind: 'brief',
          payload: late ? lateNotice(card, due, unit.timeZone, clock.now()) : card,
          marking: view.marking,
        };
      });
    },
  };
}

export function runBriefJob(
  services: Services,
  clock: Clock,
  options: BriefJobOptions,
): Promise<BriefJobOutcome[]> {
  return runDailyJob(services, clock, briefJob(services, clock), options);
}

/**
 * After an import: each stored brief of the unit that late incidents made stale and that was already posted is
 * built again (saying what arrived late) and every posted copy is updated in place through the outbox, in each
 * channel's own view (audience and ceiling); nothing is posted twice. Returns the local dates updated.
 */
export async function refreshPostedBriefs(services: Services, unitId: number): Promise<string[]> {
  const updated: string[] = [];
  for (const date of await services.briefs.staleDates(unitId)) {
    const posted = await services.deliveries.postedBy(BRIEF_JOB, unitId, date);
    if (posted.length === 0) continue;
    const brief = await services.briefs.get(jobActor, unitId, date);
    const updates = [];
    for (const copy of posted) {
      const binding = await services.channels.get(copy.bindingId as number).catch(() => null);
      if (!binding) continue;
      const view = viewBrief(brief, { audience: binding.audience, ceiling: binding.ceiling });
      updates.push({ id: copy.id, payload: buildBriefCard(view), marking: view.marking });
    }
    await services.deliveries.resend(updates);
    updated.push(date);
  }
  return updated;
}
