/**
 * Reminders, once a day per unit at the reminder time (default 08:00 local): each owner gets their actions due
 * today or overdue, and those due `daysBefore` days later (unless snoozed), each action manager a digest, each chair the actions overdue by at least
 * the escalation threshold. All go to the person directly (their DM or personal chat).
 */
import type { Card } from '../cards/card.js';
import { buildDigestCard, buildEscalationCard, buildReminderCard } from '../cards/reminders.card.js';
import type { NewDelivery } from '../services/deliveries/delivery.service.js';
import type { Services } from '../services/index.js';
import type { DailyJob } from './daily.js';

export const REMINDERS_JOB = 'reminders';

export function remindersJob(
  services: Services,
  options: { time: string; escalateAfterDays: number; daysBefore?: number },
): DailyJob {
  return {
    name: REMINDERS_JOB,
    time: () => options.time,
    async build(unit, localDate) {
      const plan = await services.reminders.plan(
        unit.id,
        localDate,
        options.escalateAfterDays,
        options.daysBefore ?? 0,
      );
      const out: NewDelivery[] = [];
      const to = (personId: number, kind: string, card: Card) =>
        out.push({ personId, kind, payload: card, marking: card.marking ?? 'OFFICIAL' });
      for (const owner of plan.owners)
        to(owner.personId, 'reminder', buildReminderCard({ localDate, actions: owner.actions }));
      if (plan.due.length > 0)
        for (const manager of plan.managers)
          to(
            manager.personId,
            'digest',
            buildDigestCard({ localDate, unitId: unit.id, unitName: unit.name, due: plan.due }),
          );
      if (plan.escalated.length > 0)
        for (const chair of plan.chairs)
          to(
            chair.personId,
            'escalation',
            buildEscalationCard({
              localDate,
              unitName: unit.name,
              escalated: plan.escalated,
              afterDays: options.escalateAfterDays,
            }),
          );
      // One message per person and kind: someone who is both owner and chair gets both, each once.
      return out;
    },
  };
}
