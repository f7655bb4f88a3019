/**
 * Reminder cards, sent to each person on their own: an owner's actions due today or overdue (each with Open and
 * Snooze), the action manager's daily digest by owner, and the chair's escalation of long-overdue actions.
 */
import type { ReminderAction } from '../services/reminders/reminder.service.js';
import { type Marking, withinCeiling } from '../services/validation.js';
import type { Card, CardBlock } from './card.js';
import { payload } from './card-actions.js';

const when = (a: ReminderAction) =>
  a.daysOverdue < 0
    ? `due in ${-a.daysOverdue} day${a.daysOverdue === -1 ? '' : 's'}`
    : a.daysOverdue === 0
      ? 'due today'
      : `${a.daysOverdue} day${a.daysOverdue === 1 ? '' : 's'} overdue`;

/** The highest marking among the actions shown: the card carries it. */
function markingOf(actions: readonly ReminderAction[]): Marking {
  return actions.some((a) => !withinCeiling(a.marking, 'OFFICIAL')) ? 'OFFICIAL-SENSITIVE' : 'OFFICIAL';
}

/** "2 due or overdue", "1 due soon", "2 due or overdue, 1 due soon". */
function headline(actions: readonly ReminderAction[]): string {
  const soon = actions.filter((a) => a.daysOverdue < 0).length;
  const now = actions.length - soon;
  return [now > 0 ? `${now} due or overdue` : null, soon > 0 ? `${soon} due soon` : null]
    .filter(Boolean)
    .join(', ');
}

export function buildReminderCard(input: { localDate: string; actions: readonly ReminderAction[] }): Card {
  const blocks: CardBlock[] = [
    {
      type: 'heading',
      text: `Your actions, ${input.localDate}: ${headline(input.actions)}`,
    },
  ];
  for (const a of input.actions) {
    blocks.push(
      {
        type: 'text',
        text: `#${a.id} ${a.title} (${when(a)}, due ${a.dueOn}, ${a.status.replace(/_/g, ' ')})`,
      },
      {
        type: 'actions',
        actions: [
          { title: `Open #${a.id}`, payload: payload({ verb: 'action.show', actionId: a.id }) },
          { title: 'Snooze 1 day', payload: payload({ verb: 'action.snooze', actionId: a.id, days: 1 }) },
          { title: 'Snooze 3 days', payload: payload({ verb: 'action.snooze', actionId: a.id, days: 3 }) },
        ],
      },
    );
  }
  return { title: `Reminder: ${input.actions.length} action(s)`, marking: markingOf(input.actions), blocks };
}

export function buildDigestCard(input: {
  localDate: string;
  unitId: number;
  unitName: string;
  due: readonly ReminderAction[];
}): Card {
  const overdue = input.due.filter((a) => a.daysOverdue > 0).length;
  const blocked = input.due.filter((a) => a.status === 'blocked').length;
  return {
    title: `Action digest ${input.localDate}`,
    marking: markingOf(input.due),
    blocks: [
      { type: 'heading', text: `Action digest: ${input.unitName}, ${input.localDate}` },
      {
        type: 'text',
        text: `${input.due.length} open actions due by today: ${overdue} overdue, ${input.due.length - overdue} due today, ${blocked} blocked.`,
      },
      {
        type: 'table',
        columns: ['owner', 'action', 'due', 'status'],
        rows: [...input.due]
          .sort((a, b) => a.owner.localeCompare(b.owner) || b.daysOverdue - a.daysOverdue)
          .map((a) => [a.owner, `#${a.id} ${a.title}`, when(a), a.status.replace(/_/g, ' ')]),
      },
      {
        type: 'actions',
        actions: [
          {
            title: 'Open actions by owner',
            payload: payload({ verb: 'actions.list', unitId: input.unitId, filter: 'by_owner' }),
          },
        ],
      },
    ],
  };
}

export function buildEscalationCard(input: {
  localDate: string;
  unitName: string;
  escalated: readonly ReminderAction[];
  afterDays: number;
}): Card {
  return {
    title: `Escalation ${input.localDate}`,
    marking: markingOf(input.escalated),
    blocks: [
      {
        type: 'heading',
        text: `Escalation: ${input.escalated.length} action(s) overdue by ${input.afterDays} days or more`,
      },
      {
        type: 'text',
        text: `${input.unitName}, ${input.localDate}. Decide whether to reassign, re-date or close them.`,
      },
      {
        type: 'table',
        columns: ['action', 'owner', 'overdue'],
        rows: input.escalated.map((a) => [`#${a.id} ${a.title}`, a.owner, `${a.daysOverdue} days`]),
      },
      ...input.escalated.slice(0, 5).map(
        (a): CardBlock => ({
          type: 'actions',
          actions: [{ title: `Open #${a.id}`, payload: payload({ verb: 'action.show', actionId: a.id }) }],
        }),
      ),
    ],
  };
}
