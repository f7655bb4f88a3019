/**
 * The router: commands (text) and card submissions (payload + form inputs) in, cards out, for every channel.
 * It calls the services with the person's own actor, so authorisation is always the services' role checks; it
 * picks the brief view for the channel's audience and marking ceiling; and it turns every error into one error
 * card (domain errors in words, anything else with a correlation id that is also logged).
 */
import { randomUUID } from 'node:crypto';
import type { Card } from '../../cards/card.js';
import { type CardPayload, parseCardPayload } from '../../cards/card-actions.js';
import { buildBriefCard, buildIncidentsCard, buildPrioritiesCard } from '../../cards/daily-brief.card.js';
import { buildMeetingCard } from '../../cards/meeting.card.js';
import {
  buildActionCard,
  buildActionFormCard,
  buildActionListCard,
  buildActionStatusFormCard,
  buildDecisionCard,
  buildDecisionFormCard,
  buildDueDateFormCard,
  buildErrorCard,
  buildHelpCard,
  buildMinutesCard,
} from '../../cards/records.card.js';
import type { PersonActor } from '../../services/access/actor.js';
import { can } from '../../services/access/permissions.js';
import type { Action } from '../../services/actions/action.service.js';
import { REQUIREMENTS, TRANSITIONS } from '../../services/actions/transitions.js';
import { type Audience, viewBrief } from '../../services/briefs/brief.model.js';
import { ForbiddenError, isDomainError, ValidationError } from '../../services/errors.js';
import type { Services } from '../../services/index.js';
import type { Logger } from '../../services/logger.js';
import type { Meeting } from '../../services/meetings/meeting.service.js';
import { formatLocal, localDateOf } from '../../services/time.js';
import { CATEGORY_SCHEMES } from '../../services/units/unit.service.js';
import { type Marking, withinCeiling } from '../../services/validation.js';
import { ALL_HELP, type Command, HELP, parseCommand } from './grammar.js';

/** Where a command came from: who, on which unit, and what the channel may show. */
export interface Conversation {
  readonly actor: PersonActor;
  readonly unitId: number;
  readonly audience: Audience;
  readonly ceiling: Marking;
  /**
   * The reply goes to a channel that others see (not the person's own screen): cards offer every move the
   * record allows, since whoever presses is checked by the services then.
   */
  readonly shared?: boolean;
}

/** A card for someone other than the person acting (the new owner of an action). */
export interface Notification {
  readonly personId: number;
  readonly unitId: number;
  readonly text: string;
  readonly card: Card;
}

export interface Reply {
  readonly cards: readonly Card[];
  /** People to tell, each on their own (a DM on the platform). */
  readonly notify?: readonly Notification[];
  /** For a rejected form: the message for each input that was wrong, by input id. */
  readonly fieldErrors?: Readonly<Record<string, string>>;
  /** Records this command changed, so messages showing them elsewhere can be brought up to date. */
  readonly changed?: ReadonlyArray<{ readonly type: 'action'; readonly id: number }>;
}

interface Effects {
  notify: Notification[];
  changed: Array<{ type: 'action'; id: number }>;
}

export interface Router {
  handleText(conversation: Conversation, text: string): Promise<Reply>;
  /** A card button or form: the payload it carries and the form's inputs (by input id). */
  handleSubmit(
    conversation: Conversation,
    data: unknown,
    inputs: Readonly<Record<string, unknown>>,
  ): Promise<Reply>;
}

/** Messages for domain error codes: say what happened and what to do next. */
const HINTS: Readonly<Record<string, string>> = {
  FORBIDDEN: 'Ask someone with that role on the unit, or an admin to give you the role.',
  NOT_FOUND: 'Check the number; `dmm actions all` lists actions.',
  CONFLICT: 'Someone changed it first: the card below shows it as it is now. Try again on it.',
  INVALID_TRANSITION: 'The buttons on a fresh card show the moves that are allowed.',
  MEETING_NOT_OPEN: "Start today's meeting with `dmm meeting start` (chair).",
  MEETING_ALREADY_OPEN: 'Type `dmm meeting` to see it.',
  MEETING_CLOSED: "Today's meeting is closed; `dmm minutes` shows its minutes.",
  AGENDA_AT_START: 'This is the first section.',
  AGENDA_AT_END: 'This is the last section: close the meeting with `dmm meeting close`.',
  VALIDATION_FAILED: 'Correct the field named and send it again.',
};

const text = (value: unknown): string | undefined => {
  if (value === undefined || value === null) return undefined;
  const s = String(value).trim();
  return s === '' ? undefined : s;
};

export function createRouter(deps: { services: Services; logger: Logger }): Router {
  const { services, logger } = deps;

  async function personName(personId: number | null, post: string | null): Promise<string> {
    if (personId) return (await services.people.get(personId)).displayName;
    return post ?? 'unassigned';
  }

  async function briefView(c: Conversation, date?: string) {
    const brief = await services.briefs.get(c.actor, c.unitId, date);
    return viewBrief(brief, { audience: c.audience, ceiling: c.ceiling });
  }

  async function meetingCard(c: Conversation, meeting: Meeting): Promise<Card> {
    const unit = await services.units.get(c.unitId);
    // No brief to show (a partner before the first import, say) is not an error for the meeting card; a
    // failure of the database is, and goes on to the error card.
    const brief = await briefView(c).catch((error: unknown) => {
      if (isDomainError(error)) return null;
      throw error;
    });
    return buildMeetingCard({
      meeting,
      unitName: unit.name,
      brief,
      canRun: can(c.actor, 'meeting.run', c.unitId),
      canAct: can(c.actor, 'action.create', c.unitId),
    });
  }

  function allowedMoves(c: Conversation, action: Action) {
    const manager = can(c.actor, 'action.manage', action.unitId);
    const mine = action.ownerPersonId === c.actor.personId || action.actionManagerId === c.actor.personId;
    if (c.shared && can(c.actor, 'records.read', action.unitId)) return TRANSITIONS[action.status];
    if (!manager && !mine) return [];
    if (action.status === 'escalated' && !manager) return [];
    return TRANSITIONS[action.status];
  }

  async function actionCard(c: Conversation, action: Action): Promise<Card> {
    const allowed = allowedMoves(c, action);
    return buildActionCard({
      action,
      owner: await personName(action.ownerPersonId, action.ownerPost),
      allowed,
      canChangeDue: allowed.length > 0 && !['done', 'no_further_action'].includes(action.status),
    });
  }

  async function actionList(
    c: Conversation,
    title: string,
    actions: readonly Action[],
    empty: string,
    byOwner = false,
  ) {
    const shown = actions.filter((a) => withinCeiling(a.marking, c.ceiling));
    const names = new Map<string, string>();
    const items = [];
    for (const action of shown) {
      const key = `${action.ownerPersonId}:${action.ownerPost}`;
      if (!names.has(key)) names.set(key, await personName(action.ownerPersonId, action.ownerPost));
      items.push({ action, owner: names.get(key) as string });
    }
    return buildActionListCard({
      title,
      items,
      withheld: actions.length - shown.length,
      emptyText: empty,
      byOwner,
    });
  }

  async function todaysMeeting(c: Conversation): Promise<Meeting> {
    const meeting = await services.meetings.findForDate(c.actor, c.unitId);
    if (!meeting)
      throw new ValidationError([
        {
          field: 'meeting',
          message: 'there is no meeting today yet; the chair starts it with `dmm meeting start`',
        },
      ]);
    return meeting;
  }

  async function runCommand(c: Conversation, command: Command, fx: Effects): Promise<Card[]> {
    switch (command.verb) {
      case 'help':
        return [
          buildHelpCard({ entries: ALL_HELP, intro: 'Type a command, or use the buttons on the cards.' }),
        ];
      case 'whoami': {
        const unit = await services.units.get(c.unitId);
        return [
          buildHelpCard({
            intro: `You are ${c.actor.label} on ${unit.name}, with the role${c.actor.roles.length === 1 ? '' : 's'} ${c.actor.roles.join(', ') || 'none'}.`,
            entries: [],
          }),
        ];
      }
      case 'brief':
        return [buildBriefCard(await briefView(c, command.date))];
      case 'meeting': {
        if (command.step === 'start')
          return [await meetingCard(c, await services.meetings.start(c.actor, c.unitId))];
        const meeting = await todaysMeeting(c);
        if (command.step === 'show') return [await meetingCard(c, meeting)];
        if (command.step === 'close') return closeMeeting(c, meeting.id);
        const moved = await services.meetings[command.step](c.actor, meeting.id);
        return [await meetingCard(c, moved)];
      }
      case 'decide': {
        if (!can(c.actor, 'decision.record', c.unitId))
          throw new ForbiddenError('Only the chair records decisions.', { permission: 'decision.record' });
        const meeting = await services.meetings.findForDate(c.actor, c.unitId);
        return [buildDecisionFormCard({ unitId: c.unitId, sectionTitle: meeting?.current?.title ?? null })];
      }
      case 'action.new':
        return [await actionForm(c)];
      case 'actions': {
        const titles = {
          mine: 'My actions',
          overdue: 'Overdue actions',
          due_today: 'Actions due today',
          open: 'Open actions',
          all: 'All actions',
          by_owner: 'Open actions by owner',
        };
        const byOwner = command.filter === 'by_owner';
        const actions = await services.actions.list(c.actor, c.unitId, byOwner ? 'open' : command.filter);
        const empty = command.filter === 'mine' ? 'You have no open actions.' : 'No actions.';
        return [await actionList(c, titles[command.filter], actions, empty, byOwner)];
      }
      case 'action.show':
        return [await actionCard(c, await services.actions.get(c.actor, command.actionId))];
      case 'action.status': {
        const action = await services.actions.get(c.actor, command.actionId);
        const needs = REQUIREMENTS[command.status];
        if (needs && !command.note) return [buildActionStatusFormCard({ action, status: command.status })];
        const changed = await services.actions.changeStatus(c.actor, action.id, {
          status: command.status,
          ...(needs === 'result' ? { result: command.note } : { note: command.note }),
        });
        fx.changed.push({ type: 'action', id: changed.id });
        return [await actionCard(c, changed)];
      }
      case 'action.due': {
        const changed = await services.actions.changeDue(c.actor, command.actionId, {
          dueOn: command.dueOn,
          ...(command.note ? { note: command.note } : {}),
        });
        fx.changed.push({ type: 'action', id: changed.id });
        return [await actionCard(c, changed)];
      }
      case 'minutes': {
        const { localDate, minutes } = await services.meetings.getMinutes(c.actor, c.unitId, command.date);
        return [buildMinutesCard({ localDate, markdown: minutes, marking: minutesMarking(minutes) })];
      }
      case 'incidents':
        return [buildIncidentsCard(await briefView(c), command.filter)];
      case 'priorities':
        return [buildPrioritiesCard(await briefView(c))];
      case 'link':
      case 'unlink':
        throw ValidationError.field(
          'channel',
          'linking binds a Slack channel or Teams conversation: type it there, in the channel to bind',
        );
    }
  }

  /** Minutes carry the highest marking of what they record; the service writes it on the first line. */
  function minutesMarking(minutes: string): Marking {
    return minutes.includes('OFFICIAL-SENSITIVE') ? 'OFFICIAL-SENSITIVE' : 'OFFICIAL';
  }

  async function closeMeeting(c: Conversation, meetingId: number): Promise<Card[]> {
    const { meeting, minutes } = await services.meetings.close(c.actor, meetingId);
    return [
      await meetingCard(c, meeting),
      buildMinutesCard({ localDate: meeting.localDate, markdown: minutes, marking: minutesMarking(minutes) }),
    ];
  }

  async function actionForm(c: Conversation): Promise<Card> {
    if (!can(c.actor, 'action.create', c.unitId))
      throw new ForbiddenError('Partners cannot create actions.', { permission: 'action.create' });
    const unit = await services.units.get(c.unitId);
    const members = await services.people.membersOf(c.unitId);
    return buildActionFormCard({
      unitId: c.unitId,
      people: members
        .filter((m) => !m.roles.every((r) => r === 'partner'))
        .map((m) => ({ id: m.id, name: m.displayName })),
      categories: CATEGORY_SCHEMES[unit.categoryScheme],
      defaultDue: localDateOf(services.clock.now(), unit.timeZone),
    });
  }

  async function submit(
    c: Conversation,
    p: CardPayload,
    inputs: Readonly<Record<string, unknown>>,
    fx: Effects,
  ): Promise<Card[]> {
    const run = (c: Conversation, command: Command) => runCommand(c, command, fx);
    switch (p.verb) {
      case 'help':
        return run(c, { verb: 'help' });
      case 'brief.show':
        return run(c, { verb: 'brief', ...(p.date ? { date: p.date } : {}) });
      case 'meeting.show':
        return [await meetingCard(c, await services.meetings.get(c.actor, p.meetingId))];
      case 'meeting.start':
        return run(c, { verb: 'meeting', step: 'start' });
      case 'meeting.next':
      case 'meeting.back':
      case 'meeting.skip': {
        const step = p.verb.slice('meeting.'.length) as 'next' | 'back' | 'skip';
        return [await meetingCard(c, await services.meetings[step](c.actor, p.meetingId))];
      }
      case 'meeting.close':
        return closeMeeting(c, p.meetingId);
      case 'decision.form':
        return run(c, { verb: 'decide' });
      case 'decision.record': {
        const decision = await services.decisions.record(c.actor, {
          unitId: c.unitId,
          text: text(inputs.text) as string,
          rationale: {
            information: text(inputs.information) as string,
            threatRisk: text(inputs.threatRisk) as string,
            powersPolicy: text(inputs.powersPolicy) as string,
            optionsConsidered: text(inputs.optionsConsidered) as string,
            chosenOption: text(inputs.chosenOption) as string,
            reviewPoint: text(inputs.reviewPoint) ?? null,
          },
          incidentRef: text(inputs.incidentRef) ?? null,
          marking: (text(inputs.marking) ?? 'OFFICIAL') as Marking,
        });
        return [await decisionCard(c, decision.id)];
      }
      case 'decision.show':
        return [await decisionCard(c, p.decisionId)];
      case 'action.form':
        return [await actionForm(c)];
      case 'action.create': {
        const owner = Number(text(inputs.ownerPersonId));
        const action = await services.actions.create(c.actor, {
          unitId: c.unitId,
          title: text(inputs.title) as string,
          description: text(inputs.description) ?? null,
          ownerPersonId: Number.isSafeInteger(owner) && owner > 0 ? owner : null,
          dueOn: text(inputs.dueOn) ?? null,
          category: text(inputs.category) as string,
          incidentRef: text(inputs.incidentRef) ?? null,
          marking: (text(inputs.marking) ?? 'OFFICIAL') as Marking,
        });
        if (action.ownerPersonId !== null && action.ownerPersonId !== c.actor.personId) {
          fx.notify.push({
            personId: action.ownerPersonId,
            unitId: action.unitId,
            text: `${c.actor.label} gave you action #${action.id}: ${action.title}`,
            // The owner's own copy: the moves are theirs.
            card: await actionCard({ ...c, shared: false }, action),
          });
        }
        return [await actionCard(c, action)];
      }
      case 'action.show':
        return [await actionCard(c, await services.actions.get(c.actor, p.actionId))];
      case 'action.status_form': {
        const action = await services.actions.get(c.actor, p.actionId);
        return [buildActionStatusFormCard({ action, status: p.status })];
      }
      case 'action.status': {
        const changed = await services.actions.changeStatus(c.actor, p.actionId, {
          status: p.status,
          expectedVersion: p.version,
          ...(text(inputs.result) ? { result: text(inputs.result) } : {}),
          ...(text(inputs.note) ? { note: text(inputs.note) } : {}),
        });
        fx.changed.push({ type: 'action', id: changed.id });
        return [await actionCard(c, changed)];
      }
      case 'action.due_form':
        return [buildDueDateFormCard({ action: await services.actions.get(c.actor, p.actionId) })];
      case 'action.due': {
        const changed = await services.actions.changeDue(c.actor, p.actionId, {
          dueOn: text(inputs.dueOn) as string,
          expectedVersion: p.version,
          ...(text(inputs.note) ? { note: text(inputs.note) } : {}),
        });
        fx.changed.push({ type: 'action', id: changed.id });
        return [await actionCard(c, changed)];
      }
      case 'actions.list':
        return run(c, { verb: 'actions', filter: p.filter });
      case 'action.snooze': {
        const { untilDate } = await services.reminders.snooze(c.actor, p.actionId, { days: p.days });
        return [
          {
            title: 'Snoozed',
            kind: 'help',
            blocks: [
              {
                type: 'text',
                text: `No reminders of action #${p.actionId} until ${untilDate}. It stays on the lists and in the brief.`,
              },
            ],
          },
        ];
      }
    }
  }

  async function decisionCard(c: Conversation, decisionId: number): Promise<Card> {
    const decision = await services.decisions.get(c.actor, decisionId);
    const unit = await services.units.get(c.unitId);
    return buildDecisionCard({
      decision,
      decisionMaker: await personName(decision.decisionMakerId, null),
      zoneTime: formatLocal(decision.decidedAt, unit.timeZone),
    });
  }

  function errorCard(error: unknown, c: Conversation): Card {
    if (isDomainError(error)) {
      return buildErrorCard({
        message: error.message,
        ...(HINTS[error.code] ? { hint: HINTS[error.code] } : {}),
      });
    }
    const correlationId = randomUUID().slice(0, 8);
    logger.error({ err: error, correlationId, personId: c.actor.personId }, 'command failed');
    return buildErrorCard({
      message: 'Something went wrong on our side; nothing was changed by the part that failed.',
      hint: 'Try again; if it happens again, quote the reference below.',
      correlationId,
    });
  }

  return {
    async handleText(c, input) {
      const parsed = parseCommand(input);
      if (!parsed.ok)
        return {
          cards: [buildErrorCard({ message: parsed.message }), buildHelpCard({ entries: parsed.help })],
        };
      const fx: Effects = { notify: [], changed: [] };
      try {
        const cards = await runCommand(c, parsed.command, fx);
        return { cards, notify: fx.notify, changed: fx.changed };
      } catch (error) {
        return { cards: [errorCard(error, c)] };
      }
    },
    async handleSubmit(c, data, inputs) {
      const parsed = parseCardPayload(data);
      if (!parsed.ok)
        return {
          cards: [buildErrorCard({ message: parsed.error, hint: 'Type `dmm help` to start again.' })],
        };
      const fx: Effects = { notify: [], changed: [] };
      try {
        const cards = await submit(c, parsed.payload, inputs, fx);
        return { cards, notify: fx.notify, changed: fx.changed };
      } catch (error) {
        const cards = [errorCard(error, c)];
        if (error instanceof ValidationError) {
          // Field paths are dotted (`rationale.information`); the form's input ids are their last part.
          const fieldErrors: Record<string, string> = {};
          for (const issue of error.issues) {
            const id = issue.field.split('.').pop() as string;
            fieldErrors[id] ??= issue.message;
          }
          return { cards, fieldErrors };
        }
        // After a conflict, show the record as it is now so the next press works on fresh data.
        if (isDomainError(error) && error.code === 'CONFLICT' && 'actionId' in parsed.payload) {
          cards.push(await actionCard(c, await services.actions.get(c.actor, parsed.payload.actionId)));
        }
        return { cards };
      }
    },
  };
}

export { HELP };
