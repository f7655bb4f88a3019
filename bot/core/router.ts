/**
 * The router: commands (text) and card submissions (payload + form inputs) in, cards out, for every surface.
 * It calls the services with the person's own actor, so authorisation is always the services' role checks; it
 * passes on each submission's key (a repeat changes nothing) and each card's version (a stale card changes
 * nothing); and it turns every error into one error card through the one error map (bot/core/errors.ts). Where
 * the cards go is not its business: the chat core places them.
 */
import type { Card } from '../../cards/card.js';
import { type CardPayload, parseCardPayload } from '../../cards/card-actions.js';
import { buildBriefCard, buildIncidentsCard, buildPrioritiesCard } from '../../cards/daily-brief.card.js';
import { buildEscalationFormCard, buildEscalationsCard } from '../../cards/escalations.card.js';
import {
  buildAnswerFormCard,
  buildRequirementFormCard,
  buildRequirementsCard,
  irRef,
} from '../../cards/intelligence.card.js';
import { buildAttendanceCard } from '../../cards/meeting.card.js';
import { buildAddendumForm, buildMinutesCard } from '../../cards/minutes.card.js';
import {
  buildActionFormCard,
  buildActionListCard,
  buildActionStatusFormCard,
  buildApologiesFormCard,
  buildDecisionFormCard,
  buildDueDateFormCard,
  buildErrorCard,
  buildHelpCard,
  buildNoteFormCard,
} from '../../cards/records.card.js';
import { buildResultsCard } from '../../cards/results.card.js';
import { buildTcgPackCard } from '../../cards/tcg-pack.card.js';
import { announceRequirement } from '../../jobs/intelligence.job.js';
import { can } from '../../services/access/permissions.js';
import type { Action } from '../../services/actions/action.service.js';
import { REQUIREMENTS } from '../../services/actions/transitions.js';
import {
  AlreadySubmittedError,
  DomainError,
  ForbiddenError,
  isDomainError,
  type PriorSubmission,
  ValidationError,
} from '../../services/errors.js';
import type { Services } from '../../services/index.js';
import type { IntelligenceRequirement } from '../../services/intelligence/requirement.service.js';
import type { Logger } from '../../services/logger.js';
import type { Meeting } from '../../services/meetings/meeting.service.js';
import type { MinutesView } from '../../services/meetings/minutes.js';
import { addDays, formatLocal, localDateOf } from '../../services/time.js';
import { CATEGORY_SCHEMES } from '../../services/units/unit.service.js';
import { type Marking, withinCeiling } from '../../services/validation.js';
import { ChatError, errorCard } from './errors.js';
import { type Command, HELP, parseCommand } from './grammar.js';
import { helpCard } from './help.js';
import { KEY_REQUIRED } from './submission-keys.js';
import { createViews, type Viewer } from './views.js';

/** Where a command came from: who, on which unit, and what the place it answers to may show. */
export type Conversation = Viewer;

/** A card for someone other than the person acting (the new owner of an action), or for them directly. */
export interface Notification {
  readonly personId: number;
  readonly unitId: number;
  readonly text: string;
  readonly card: Card;
}

/** A record a command changed, so messages showing it elsewhere can be brought up to date. */
export interface Changed {
  readonly type: 'action';
  readonly id: number;
}

export interface Reply {
  readonly cards: readonly Card[];
  /** The whole answer is for the person alone (help, whoami, lists, a record looked up by text). */
  readonly personal?: boolean;
  /** People to tell, each on their own (a DM on the platform). */
  readonly notify?: readonly Notification[];
  /** For a rejected form: the message for each input that was wrong, by input id. */
  readonly fieldErrors?: Readonly<Record<string, string>>;
  readonly changed?: readonly Changed[];
  /** The submission had been made before: nothing changed, and the cards show the record as it now is. */
  readonly replayed?: boolean;
  /**
   * For a form opened from a card of the record it changes: that card's message id, as the form carried it
   * (the chat core checks it shows the record before replacing it).
   */
  readonly origin?: string;
}

interface Effects {
  notify: Notification[];
  changed: Changed[];
}

export interface Router {
  /** A typed command; `key` (a platform's id for the message) makes a repeat of it change nothing. */
  handleText(conversation: Conversation, text: string, key?: string): Promise<Reply>;
  /** A card button or form: the payload it carries and the form's inputs (by input id). */
  handleSubmit(
    conversation: Conversation,
    data: unknown,
    inputs: Readonly<Record<string, unknown>>,
  ): Promise<Reply>;
}

/** Commands whose answer is for the person alone, even in a channel. */
const PERSONAL_VERBS: ReadonlySet<string> = new Set([
  'help',
  'whoami',
  'actions',
  'action.show',
  'decision.show',
]);
/** Presses whose answer is for the person alone. */
const PERSONAL_PRESSES: ReadonlySet<string> = new Set(['help', 'actions.list', 'action.snooze']);

/** A record id chosen in a form (a choice's value), or null when none was chosen. */
const idInput = (value: unknown): number | null => {
  const n = Number(value);
  return value !== undefined && value !== null && value !== '' && Number.isSafeInteger(n) && n > 0 ? n : null;
};

const text = (value: unknown): string | undefined => {
  if (value === undefined || value === null) return undefined;
  const s = String(value).trim();
  return s === '' ? undefined : s;
};

/** The apology recorded when someone sends apologies without saying why. */
const APOLOGIES_SENT = 'Apologies sent';

/** A short note for the person alone. */
function notice(title: string, body: string): Card {
  return { title, kind: 'notice', blocks: [{ type: 'text', text: body }] };
}

export function createRouter(deps: { services: Services; logger: Logger }): Router {
  const { services, logger } = deps;
  const views = createViews({ services });

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
      if (!names.has(key)) names.set(key, await views.personName(action.ownerPersonId, action.ownerPost));
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

  async function closeMeeting(
    c: Conversation,
    meetingId: number,
    options: { expectedVersion?: number; submissionKey?: string },
  ): Promise<Card[]> {
    const { meeting, minutes } = await services.meetings.close(c.actor, meetingId, options);
    return [await views.meetingCard(c, meeting), minutesCard(c, minutes)];
  }

  /** The minutes with the buttons this person may use: the chair approves and adds addenda. */
  function minutesCard(c: Conversation, view: MinutesView): Card {
    const chair = can(c.actor, 'meeting.run', view.unitId);
    return buildMinutesCard(view, {
      canApprove: chair,
      canAddend: chair,
      pdfButton: c.surface === 'console',
    });
  }

  /** Where the PDF of the minutes is: the console can download it; elsewhere the server's command writes it. */
  function pdfNotice(view: MinutesView): Card {
    return notice(
      'Minutes as PDF',
      `The minutes of ${view.localDate} as a PDF for the file, with their marking on every page: the Download PDF button on the minutes in the console, or \`dmm minutes ${view.localDate} --format pdf --out FILE\` on the server.${view.status === 'approved' ? '' : ' They are not yet approved: the PDF says so on every page.'}`,
    );
  }

  /**
   * The meeting whose minutes a chair approves or adds to: of the date given; else today's, once it has started
   * (so an open meeting is told to close first); else the latest with minutes.
   */
  async function minutesTarget(c: Conversation, date: string | undefined): Promise<number> {
    const meeting = await services.meetings.findForDate(c.actor, c.unitId, date);
    if (meeting && (date || meeting.status !== 'scheduled')) return meeting.id;
    return (await services.meetings.getMinutes(c.actor, c.unitId, date)).meetingId;
  }

  /** The escalation form (chair): the unit's open actions it may concern, those this place may show. */
  async function escalationForm(c: Conversation): Promise<Card> {
    if (!can(c.actor, 'meeting.run', c.unitId))
      throw new ForbiddenError('Only the chair escalates to the TT&CG.', { permission: 'meeting.run' });
    const open = await services.actions.list(c.actor, c.unitId, 'open');
    return buildEscalationFormCard({
      unitId: c.unitId,
      actions: open
        .filter((a) => withinCeiling(a.marking, c.ceiling))
        .map((a) => ({ id: a.id, title: a.title })),
    });
  }

  /** The register (or one escalation of it), within what this place may show. */
  async function escalationsCard(c: Conversation, only?: number): Promise<Card> {
    const all = await services.escalations.list(c.actor, c.unitId);
    const wanted = only === undefined ? all : all.filter((e) => e.id === only);
    const shown = wanted.filter((e) => withinCeiling(e.marking, c.ceiling));
    const unit = await services.units.get(c.unitId);
    return buildEscalationsCard({
      escalations: shown,
      withheld: wanted.length - shown.length,
      zoneTime: (at) => formatLocal(at, unit.timeZone),
    });
  }

  /** The draft form of an intelligence requirement: the unit's priorities and people this place may show. */
  async function requirementForm(c: Conversation): Promise<Card> {
    if (!can(c.actor, 'intelligence.record', c.unitId))
      throw new ForbiddenError('Partners cannot draft intelligence requirements.', {
        permission: 'intelligence.record',
      });
    const [priorities, members] = await Promise.all([
      services.priorities.listActive(c.actor, c.unitId),
      services.people.membersOf(c.unitId),
    ]);
    return buildRequirementFormCard({
      unitId: c.unitId,
      priorities: priorities
        .filter((p) => withinCeiling(p.marking, c.ceiling))
        .map((p) => ({ id: p.id, title: p.title })),
      members: members
        .filter((m) => !m.roles.every((r) => r === 'partner'))
        .map((m) => ({ id: m.id, name: m.displayName })),
    });
  }

  /** The register (or one requirement of it), within what this place may show, with this person's buttons. */
  async function requirementsCard(
    c: Conversation,
    only?: IntelligenceRequirement,
    notice?: string,
  ): Promise<Card> {
    const all = only ? [only] : await services.intelligence.list(c.actor, c.unitId);
    if (only && only.unitId !== c.unitId)
      throw new DomainError(
        'NOT_FOUND',
        `${irRef(only.id)} is not on this unit: ask in one of its own channels.`,
        {
          requirementId: only.id,
        },
      );
    const shown = all.filter((r) => withinCeiling(r.marking, c.ceiling));
    const unit = await services.units.get(c.unitId);
    const card = buildRequirementsCard({
      requirements: shown,
      withheld: all.length - shown.length,
      ceiling: c.ceiling,
      rights: {
        approve: can(c.actor, 'intelligence.approve', c.unitId),
        record: can(c.actor, 'intelligence.record', c.unitId),
      },
      zoneTime: (at) => formatLocal(at, unit.timeZone),
      ...(only ? { single: only.id } : {}),
    });
    return notice
      ? { ...card, blocks: [...card.blocks, { type: 'notice', tone: 'accent', text: notice }] }
      : card;
  }

  /** Approves a requirement and queues it for the unit's channels; the card says where it went. */
  async function approveRequirement(c: Conversation, requirementId: number, key: { submissionKey?: string }) {
    const approved = await services.intelligence.approve(c.actor, requirementId, key);
    const sent = await announceRequirement(services, approved);
    const where =
      sent.channels > 0
        ? `Sent to ${sent.channels} channel${sent.channels === 1 ? '' : 's'} of the unit.`
        : sent.notCleared > 0
          ? 'No channel of the unit is cleared for it: nothing was sent.'
          : 'The unit has no linked channel yet, so nothing was sent (an admin links one with `dmm link <unit code>` in it).';
    const left =
      sent.notCleared > 0 ? ` ${sent.notCleared} not cleared for ${approved.marking} left out.` : '';
    return requirementsCard(c, approved, `${irRef(approved.id)} approved. ${where}${left}`);
  }

  /** The addendum form, for the chair only (the service checks again when it is sent). */
  function addendumForm(c: Conversation, view: MinutesView): Card {
    if (!can(c.actor, 'meeting.run', view.unitId))
      throw new ForbiddenError('Only the chair adds an addendum to the minutes.', {
        permission: 'meeting.run',
      });
    return buildAddendumForm(view);
  }

  function assertMayNote(c: Conversation): void {
    if (!can(c.actor, 'meeting.note', c.unitId))
      throw new ForbiddenError('Partners cannot add notes to the meeting.', { permission: 'meeting.note' });
  }

  function noteForm(c: Conversation, meeting: Meeting): Card {
    assertMayNote(c);
    if (meeting.status !== 'open')
      throw ValidationError.field(
        'meeting',
        `the meeting is ${meeting.status}: notes are taken while it is open`,
      );
    return buildNoteFormCard({ meetingId: meeting.id, sectionTitle: meeting.current?.title ?? null });
  }

  /** Adds a note to the current section and shows the meeting with it. */
  async function addNote(
    c: Conversation,
    meetingId: number,
    input: { text: string; marking?: Marking; submissionKey?: string },
  ): Promise<Card[]> {
    assertMayNote(c);
    await services.meetings.addNote(c.actor, meetingId, input);
    return [await views.meetingCard(c, await services.meetings.get(c.actor, meetingId))];
  }

  /** The meeting's attendance: every member of the unit (not partners), recorded or not. */
  async function attendanceCard(c: Conversation, meeting: Meeting): Promise<Card> {
    const [recorded, guests, members, unit] = await Promise.all([
      services.meetings.attendance(c.actor, meeting.id),
      services.meetings.guests(c.actor, meeting.id),
      services.people.membersOf(c.unitId),
      services.units.get(c.unitId),
    ]);
    const byPerson = new Map(recorded.map((a) => [a.personId, a]));
    const rows = members
      .filter((m) => !m.roles.every((r) => r === 'partner'))
      .map((m) => {
        const a = byPerson.get(m.id);
        return {
          personId: m.id,
          name: m.displayName,
          status: a ? (a.present ? 'present' : a.apology ? 'apologies' : 'absent') : null,
          apology: a?.apology ?? null,
          leftAt: a?.present ? a.leftAt : null,
        } as const;
      });
    return buildAttendanceCard({
      localDate: meeting.localDate,
      timeZone: unit.timeZone,
      rows,
      guests,
      canCorrect: can(c.actor, 'meeting.attendance', c.unitId),
    });
  }

  /** Records a person's attendance (present; or not, with apologies or without) and shows the attendance. */
  async function attend(
    c: Conversation,
    meeting: Meeting,
    personId: number | null,
    mark: { present: true } | { present: false; apology: string | null },
    key: { submissionKey?: string },
  ): Promise<Card[]> {
    if (personId === null) throw ValidationError.field('person', 'attendance is recorded for a person');
    await services.meetings.recordAttendance(c.actor, meeting.id, { personId, ...mark, ...key });
    return [await attendanceCard(c, meeting)];
  }

  async function actionForm(c: Conversation): Promise<Card> {
    if (!can(c.actor, 'action.create', c.unitId))
      throw new ForbiddenError('Partners cannot create actions.', { permission: 'action.create' });
    const unit = await services.units.get(c.unitId);
    const members = await services.people.membersOf(c.unitId);
    // What the action may deliver: today's priorities and the last week's standing decisions, those this place
    // may show (a form in a channel shows its choices to the channel).
    const since = addDays(localDateOf(services.clock.now(), unit.timeZone), -7);
    const [priorities, decisions] = await Promise.all([
      services.priorities.listActive(c.actor, c.unitId),
      services.decisions.list(c.actor, c.unitId, { from: since, includeSuperseded: false }),
    ]);
    return buildActionFormCard({
      priorities: priorities
        .filter((p) => withinCeiling(p.marking, c.ceiling))
        .map((p) => ({ id: p.id, title: p.title })),
      decisions: decisions
        .filter((d) => withinCeiling(d.marking, c.ceiling))
        .slice(-50)
        .map((d) => ({ id: d.id, text: d.text })),
      unitId: c.unitId,
      people: members
        .filter((m) => !m.roles.every((r) => r === 'partner'))
        .map((m) => ({ id: m.id, name: m.displayName })),
      categories: CATEGORY_SCHEMES[unit.categoryScheme],
      defaultDue: localDateOf(services.clock.now(), unit.timeZone),
    });
  }

  /** The forms that change an action open in place of its card where the platform can. */
  const inPlace = (card: Card): Card =>
    card.form ? { ...card, form: { ...card.form, inPlace: true } } : card;

  async function runCommand(c: Conversation, command: Command, fx: Effects, key?: string): Promise<Card[]> {
    const submissionKey = key ? { submissionKey: key } : {};
    switch (command.verb) {
      case 'help':
        return [helpCard(command.topic)];
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
        return [buildBriefCard(await views.briefView(c, command.date))];
      case 'meeting': {
        if (command.step === 'start')
          return [
            await views.meetingCard(c, await services.meetings.start(c.actor, c.unitId, submissionKey)),
          ];
        const meeting = await todaysMeeting(c);
        if (command.step === 'show') return [await views.meetingCard(c, meeting)];
        if (command.step === 'close') return closeMeeting(c, meeting.id, submissionKey);
        const moved = await services.meetings[command.step](c.actor, meeting.id, submissionKey);
        return [await views.meetingCard(c, moved)];
      }
      case 'note': {
        const meeting = await todaysMeeting(c);
        if (command.text === undefined) return [noteForm(c, meeting)];
        return addNote(c, meeting.id, { text: command.text, ...submissionKey });
      }
      case 'attend': {
        const meeting = await todaysMeeting(c);
        const mark =
          command.apology === undefined
            ? { present: true as const }
            : { present: false as const, apology: command.apology };
        return attend(c, meeting, c.actor.personId, mark, submissionKey);
      }
      case 'attendance':
        return [await attendanceCard(c, await todaysMeeting(c))];
      case 'attendance.set': {
        if (!can(c.actor, 'meeting.attendance', c.unitId))
          throw new ForbiddenError("Only the chair corrects someone else's attendance.", {
            permission: 'meeting.attendance',
          });
        const meeting = await todaysMeeting(c);
        const mark =
          command.status === 'present'
            ? { present: true as const }
            : {
                present: false as const,
                apology: command.status === 'apologies' ? (command.apology ?? APOLOGIES_SENT) : null,
              };
        return attend(c, meeting, command.personId, mark, submissionKey);
      }
      case 'decide': {
        if (!can(c.actor, 'decision.record', c.unitId))
          throw new ForbiddenError('Only the chair records decisions.', { permission: 'decision.record' });
        const meeting = await services.meetings.findForDate(c.actor, c.unitId);
        return [buildDecisionFormCard({ unitId: c.unitId, sectionTitle: meeting?.current?.title ?? null })];
      }
      case 'escalate':
        return [await escalationForm(c)];
      case 'escalations':
        return [await escalationsCard(c)];
      case 'escalation.answer': {
        const e = await services.escalations.answer(c.actor, command.escalationId, {
          outcome: command.outcome,
          ...submissionKey,
        });
        return [await escalationsCard(c, e.id)];
      }
      case 'tcg-pack': {
        if (!can(c.actor, 'records.export', c.unitId))
          throw new ForbiddenError('Only the chair or an action manager takes the TT&CG pack.', {
            permission: 'records.export',
          });
        const unit = await services.units.get(c.unitId);
        const yesterday = addDays(localDateOf(services.clock.now(), unit.timeZone), -1);
        // A fortnight from the date given, ending yesterday at the latest: a pack reports days that have passed.
        const fortnight = command.from ? addDays(command.from, 13) : yesterday;
        const to = command.to ?? (fortnight < yesterday ? fortnight : yesterday);
        const from = command.from ?? addDays(to, -13);
        if (from > yesterday)
          throw ValidationError.field(
            'from',
            `a pack reports days that have passed: give ${yesterday} or earlier`,
          );
        const pack = await services.tcgPacks.build(c.actor, {
          unitId: c.unitId,
          from,
          to,
          // Built for this place: what it may not show is left out and counted.
          ceiling: c.ceiling,
          recipients: [
            c.shared
              ? `the members of a ${c.surface ?? 'chat'} channel of ${unit.code}`
              : await views.personName(c.actor.personId, null),
          ],
          justification: 'TT&CG pack asked for in chat',
          destination: `${c.surface ?? 'chat'}${c.shared ? ' channel' : ''}`,
          channel: c.surface ?? 'chat',
        });
        const card = buildTcgPackCard(pack, { pdfButton: c.surface === 'console' });
        return [
          card,
          notice(
            'TT&CG pack for the file',
            `As a PDF with its marking on every page: ${c.surface === 'console' ? 'Download PDF on the pack, or ' : ''}\`dmm export tcg-pack --from ${from} --to ${to} --format pdf --out FILE --recipient … --justification …\` on the server.`,
          ),
        ];
      }
      case 'results': {
        const options = command.days ? { days: command.days } : {};
        const r =
          command.subject === 'priority'
            ? await services.results.ofPriority(c.actor, command.id, options)
            : command.subject === 'action'
              ? await services.results.ofAction(c.actor, command.id, options)
              : await services.results.ofDecision(c.actor, command.id, options);
        if (r.unitId !== c.unitId)
          throw new DomainError(
            'NOT_FOUND',
            `That ${command.subject} is not on this unit: ask in one of its own channels.`,
          );
        // Marked with the priority's marking: the chat core withholds it from a place below that (and sends it to
        // the person), as for every card.
        return [buildResultsCard(r)];
      }
      case 'ir.list':
        return [await requirementsCard(c)];
      case 'ir.new': {
        if (!command.question) return [await requirementForm(c)];
        const r = await services.intelligence.draft(c.actor, {
          unitId: c.unitId,
          question: command.question,
          ...submissionKey,
        });
        return [await requirementsCard(c, r)];
      }
      case 'ir.show':
        return [await requirementsCard(c, await services.intelligence.get(c.actor, command.requirementId))];
      case 'ir.approve':
        return [await approveRequirement(c, command.requirementId, submissionKey)];
      case 'ir.answer':
        return [
          await requirementsCard(
            c,
            await services.intelligence.answer(c.actor, command.requirementId, {
              answer: command.answer,
              ...submissionKey,
            }),
          ),
        ];
      case 'ir.close':
        return [
          await requirementsCard(
            c,
            await services.intelligence.close(c.actor, command.requirementId, {
              note: command.note ?? null,
              ...submissionKey,
            }),
          ),
        ];
      case 'decision.show':
        return [await views.decisionCard(c, command.decisionId)];
      case 'decision.review': {
        await services.decisions.review(c.actor, command.decisionId, {
          outcome: command.outcome,
          nextReviewOn: command.nextReviewOn ?? null,
          note: command.note ?? null,
          ...submissionKey,
        });
        return [await views.decisionCard(c, command.decisionId)];
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
        return [await views.actionCard(c, await services.actions.get(c.actor, command.actionId))];
      case 'action.status': {
        const action = await services.actions.get(c.actor, command.actionId);
        const needs = REQUIREMENTS[command.status];
        if (needs && !command.note) return [buildActionStatusFormCard({ action, status: command.status })];
        const changed = await services.actions.changeStatus(c.actor, action.id, {
          status: command.status,
          ...(needs === 'result' ? { result: command.note } : { note: command.note }),
          ...submissionKey,
        });
        fx.changed.push({ type: 'action', id: changed.id });
        return [await views.actionCard(c, changed)];
      }
      case 'action.due': {
        const changed = await services.actions.changeDue(c.actor, command.actionId, {
          dueOn: command.dueOn,
          ...(command.note ? { note: command.note } : {}),
          ...submissionKey,
        });
        fx.changed.push({ type: 'action', id: changed.id });
        return [await views.actionCard(c, changed)];
      }
      case 'minutes':
        return [minutesCard(c, await services.meetings.getMinutes(c.actor, c.unitId, command.date))];
      case 'minutes.approve':
        return [
          minutesCard(
            c,
            await services.meetings.approve(c.actor, await minutesTarget(c, command.date), submissionKey),
          ),
        ];
      case 'minutes.addendum': {
        const meetingId = await minutesTarget(c, command.date);
        if (command.text === undefined)
          return [addendumForm(c, await services.meetings.minutesOf(c.actor, meetingId))];
        return [
          minutesCard(
            c,
            await services.meetings.addAddendum(c.actor, meetingId, { text: command.text, ...submissionKey }),
          ),
        ];
      }
      case 'minutes.pdf':
        return [pdfNotice(await services.meetings.getMinutes(c.actor, c.unitId, command.date))];
      case 'incidents':
        return [buildIncidentsCard(await views.briefView(c), command.filter)];
      case 'priorities':
        return [buildPrioritiesCard(await views.briefView(c))];
      case 'priority.set': {
        const change =
          command.field === 'owner'
            ? { ownerPersonId: command.value as number | null }
            : command.field === 'marking'
              ? { marking: command.value as Marking }
              : command.field === 'objective'
                ? { objective: command.value as string | null }
                : { reviewOn: command.value as string | null };
        const p = await services.priorities.update(c.actor, command.priorityId, change);
        const owner = p.ownerPersonId === null ? 'none' : await views.personName(p.ownerPersonId, null);
        // The notice names the priority: it carries the priority's marking, so a sensitive title never reaches a
        // place below it (Teams posts a notice in the channel).
        return [
          {
            ...notice(
              `Priority ${p.id} updated`,
              `Priority ${p.id} updated. ${p.title} (${p.marking}): owner ${owner}; objective ${p.objective ?? 'none'}; TT&CG review ${p.reviewOn ?? 'none'}.${p.marking === 'OFFICIAL-SENSITIVE' ? ' Its title is withheld from OFFICIAL channels and partners.' : ''}`,
            ),
            marking: p.marking,
          },
          buildPrioritiesCard(await views.briefView(c)),
        ];
      }
      case 'link':
      case 'unlink':
        throw ValidationError.field(
          'channel',
          'linking binds a Slack channel or Teams conversation: type it there, in the channel to bind',
        );
    }
  }

  async function submit(
    c: Conversation,
    p: CardPayload,
    inputs: Readonly<Record<string, unknown>>,
    fx: Effects,
  ): Promise<Card[]> {
    const run = (command: Command) => runCommand(c, command, fx);
    if (KEY_REQUIRED.has(p.verb) && !p.k)
      throw new ChatError(
        'STALE_FORM',
        'This form is from an older card and cannot be sent: nothing was recorded.',
      );
    const key = p.k ? { submissionKey: p.k } : {};
    const step = 'version' in p ? { expectedVersion: p.version, ...key } : key;
    switch (p.verb) {
      case 'help':
        return run({ verb: 'help' });
      case 'brief.show':
        return run({ verb: 'brief', ...(p.date ? { date: p.date } : {}) });
      case 'meeting.show':
        return [await views.meetingCard(c, await services.meetings.get(c.actor, p.meetingId))];
      case 'meeting.start':
        return [await views.meetingCard(c, await services.meetings.start(c.actor, c.unitId, key))];
      case 'meeting.next':
      case 'meeting.back':
      case 'meeting.skip': {
        const name = p.verb.slice('meeting.'.length) as 'next' | 'back' | 'skip';
        return [await views.meetingCard(c, await services.meetings[name](c.actor, p.meetingId, step))];
      }
      case 'meeting.close':
        return closeMeeting(c, p.meetingId, step);
      case 'meeting.attend':
        return attend(
          c,
          await services.meetings.get(c.actor, p.meetingId),
          c.actor.personId,
          { present: true },
          key,
        );
      case 'meeting.apologies_form': {
        const meeting = await services.meetings.get(c.actor, p.meetingId);
        return [buildApologiesFormCard({ meetingId: meeting.id, localDate: meeting.localDate })];
      }
      case 'meeting.apologies':
        return attend(
          c,
          await services.meetings.get(c.actor, p.meetingId),
          c.actor.personId,
          { present: false, apology: text(inputs.apology) ?? APOLOGIES_SENT },
          key,
        );
      case 'meeting.note_form':
        return [noteForm(c, await services.meetings.get(c.actor, p.meetingId))];
      case 'meeting.note':
        return addNote(c, p.meetingId, {
          text: text(inputs.text) as string,
          marking: (text(inputs.marking) ?? 'OFFICIAL') as Marking,
          ...key,
        });
      case 'minutes.approve':
        return [minutesCard(c, await services.meetings.approve(c.actor, p.meetingId, step))];
      case 'minutes.addendum_form':
        return [addendumForm(c, await services.meetings.minutesOf(c.actor, p.meetingId))];
      case 'minutes.addendum':
        return [
          minutesCard(
            c,
            await services.meetings.addAddendum(c.actor, p.meetingId, {
              text: text(inputs.text) as string,
              marking: (text(inputs.marking) ?? 'OFFICIAL') as Marking,
              ...key,
            }),
          ),
        ];
      case 'minutes.pdf':
        return [pdfNotice(await services.meetings.minutesOf(c.actor, p.meetingId))];
      case 'escalation.form':
        return [await escalationForm(c)];
      case 'escalation.raise': {
        const e = await services.escalations.raise(c.actor, {
          unitId: c.unitId,
          what: text(inputs.what) as string,
          why: text(inputs.why) as string,
          resources: text(inputs.resources) ?? null,
          tcg: text(inputs.tcg) as string,
          actionId: idInput(inputs.actionId),
          marking: (text(inputs.marking) ?? 'OFFICIAL') as Marking,
          ...key,
        });
        return [await escalationsCard(c, e.id)];
      }
      case 'tcg.pdf':
        // The console downloads it by its own route; elsewhere the button is never offered.
        return run({ verb: 'tcg-pack', from: p.from, to: p.to });
      case 'intelligence.form':
        return [await requirementForm(c)];
      case 'intelligence.draft': {
        const r = await services.intelligence.draft(c.actor, {
          unitId: c.unitId,
          question: text(inputs.question) as string,
          priorityId: idInput(inputs.priorityId),
          ownerPersonId: idInput(inputs.ownerPersonId),
          expiresOn: text(inputs.expiresOn) ?? null,
          marking: (text(inputs.marking) ?? 'OFFICIAL') as Marking,
          ...key,
        });
        return [await requirementsCard(c, r)];
      }
      case 'intelligence.approve':
        return [await approveRequirement(c, p.requirementId, key)];
      case 'intelligence.answer_form': {
        const r = await services.intelligence.get(c.actor, p.requirementId);
        if (!withinCeiling(r.marking, c.ceiling)) return [await requirementsCard(c, r)];
        return [buildAnswerFormCard(r)];
      }
      case 'intelligence.answer':
        return [
          await requirementsCard(
            c,
            await services.intelligence.answer(c.actor, p.requirementId, {
              answer: text(inputs.answer) as string,
              marking: (text(inputs.marking) ?? 'OFFICIAL') as Marking,
              ...key,
            }),
          ),
        ];
      case 'intelligence.close':
        return [
          await requirementsCard(
            c,
            await services.intelligence.close(c.actor, p.requirementId, { note: null, ...key }),
          ),
        ];
      case 'decision.form':
        return run({ verb: 'decide' });
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
          reviewOn: text(inputs.reviewOn) ?? null,
          ...key,
        });
        return [await views.decisionCard(c, decision.id)];
      }
      case 'decision.show':
        return [await views.decisionCard(c, p.decisionId)];
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
          decisionId: idInput(inputs.decisionId),
          priorityId: idInput(inputs.priorityId),
          ...key,
        });
        if (action.ownerPersonId !== null && action.ownerPersonId !== c.actor.personId) {
          fx.notify.push({
            personId: action.ownerPersonId,
            unitId: action.unitId,
            text: `${c.actor.label} gave you action #${action.id}: ${action.title}`,
            // The owner's own copy: the moves are theirs.
            card: await views.actionCard({ ...c, shared: false }, action),
          });
        }
        return [await views.actionCard(c, action)];
      }
      case 'action.show':
        return [await views.actionCard(c, await services.actions.get(c.actor, p.actionId))];
      case 'action.refresh':
        // One person's own copy of a card in a channel (Teams per-user refresh): the moves they may make.
        return [
          await views.actionCard({ ...c, shared: false }, await services.actions.get(c.actor, p.actionId)),
        ];
      case 'action.status_form': {
        const action = await services.actions.get(c.actor, p.actionId);
        return [inPlace(buildActionStatusFormCard({ action, status: p.status }))];
      }
      case 'action.status': {
        const changed = await services.actions.changeStatus(c.actor, p.actionId, {
          status: p.status,
          expectedVersion: p.version,
          ...(text(inputs.result) ? { result: text(inputs.result) } : {}),
          ...(text(inputs.note) ? { note: text(inputs.note) } : {}),
          ...key,
        });
        fx.changed.push({ type: 'action', id: changed.id });
        return [await views.actionCard(c, changed)];
      }
      case 'action.due_form':
        return [inPlace(buildDueDateFormCard({ action: await services.actions.get(c.actor, p.actionId) }))];
      case 'action.due': {
        const changed = await services.actions.changeDue(c.actor, p.actionId, {
          dueOn: text(inputs.dueOn) as string,
          expectedVersion: p.version,
          ...(text(inputs.note) ? { note: text(inputs.note) } : {}),
          ...key,
        });
        fx.changed.push({ type: 'action', id: changed.id });
        return [await views.actionCard(c, changed)];
      }
      case 'actions.list':
        return run({ verb: 'actions', filter: p.filter });
      case 'action.snooze': {
        const { untilDate } = await services.reminders.snooze(c.actor, p.actionId, { days: p.days });
        return [
          notice(
            'Snoozed',
            `No reminders of action #${p.actionId} until ${untilDate}. It stays on the lists and in the brief.`,
          ),
        ];
      }
    }
  }

  /** A submission seen before: the record it made or changed, as it now is (read with the person's rights). */
  async function replay(c: Conversation, prior: PriorSubmission): Promise<Card[]> {
    const cards: Card[] = [];
    if (prior.entityType === 'action' && prior.entityId)
      cards.push(await views.actionCard(c, await services.actions.get(c.actor, prior.entityId)));
    else if (prior.entityType === 'decision' && prior.entityId)
      cards.push(await views.decisionCard(c, prior.entityId));
    else if (prior.entityType === 'meeting' && prior.entityId && prior.verb.startsWith('minutes.'))
      cards.push(minutesCard(c, await services.meetings.minutesOf(c.actor, prior.entityId)));
    else if (prior.entityType === 'meeting' && prior.entityId)
      cards.push(await views.meetingCard(c, await services.meetings.get(c.actor, prior.entityId)));
    if (prior.personId !== c.actor.personId) {
      const unit = await services.units.get(c.unitId);
      cards.push(
        notice(
          'Already done',
          `This card was already used by ${prior.actorLabel} at ${formatLocal(prior.at, unit.timeZone)}; nothing was changed again.`,
        ),
      );
    }
    return cards;
  }

  /** The answer to a failed command or press: the error, and where it helps the record as it now is. */
  async function failure(c: Conversation, error: unknown, payload?: CardPayload): Promise<Reply> {
    if (error instanceof AlreadySubmittedError) {
      try {
        return { cards: await replay(c, error.prior), replayed: true };
      } catch (readError) {
        // The key belongs to a record this person may not read (another unit's card): say no more than that.
        return { cards: [errorCard(readError, logger, { personId: c.actor.personId })] };
      }
    }
    const cards = [errorCard(error, logger, { personId: c.actor.personId })];
    if (error instanceof ValidationError && payload) {
      // Field paths are dotted (`rationale.information`); the form's input ids are their last part.
      const fieldErrors: Record<string, string> = {};
      for (const issue of error.issues) {
        const id = issue.field.split('.').pop() as string;
        fieldErrors[id] ??= issue.message;
      }
      return { cards, fieldErrors };
    }
    // After a conflict, show the record as it is now so the next press works on fresh data.
    if (isDomainError(error) && error.code === 'CONFLICT') {
      const { actionId, meetingId, requirementId } = error.details as {
        actionId?: number;
        meetingId?: number;
        requirementId?: number;
      };
      // A press on the minutes is answered with the minutes, not the meeting card (which would replace them).
      const onMinutes = payload?.verb.startsWith('minutes.') ?? false;
      const now = await (actionId
        ? services.actions.get(c.actor, actionId).then((a) => views.actionCard(c, a))
        : requirementId
          ? services.intelligence.get(c.actor, requirementId).then((r) => requirementsCard(c, r))
          : meetingId && onMinutes
            ? services.meetings.minutesOf(c.actor, meetingId).then((v) => minutesCard(c, v))
            : meetingId
              ? services.meetings.get(c.actor, meetingId).then((m) => views.meetingCard(c, m))
              : undefined
      )?.catch((readError: unknown) => {
        logger.warn({ err: readError }, 'could not read the record after a conflict');
        return undefined;
      });
      if (now) cards.push(now);
    }
    return { cards };
  }

  return {
    async handleText(c, input, key) {
      const parsed = parseCommand(input);
      if (!parsed.ok)
        return {
          cards: [buildErrorCard({ message: parsed.message }), buildHelpCard({ entries: parsed.help })],
          personal: true,
        };
      const fx: Effects = { notify: [], changed: [] };
      try {
        const cards = await runCommand(c, parsed.command, fx, key);
        return {
          cards,
          notify: fx.notify,
          changed: fx.changed,
          personal: PERSONAL_VERBS.has(parsed.command.verb),
        };
      } catch (error) {
        return failure(c, error);
      }
    },
    async handleSubmit(c, data, inputs) {
      const parsed = parseCardPayload(data);
      if (!parsed.ok)
        return {
          cards: [errorCard(new ChatError('BAD_PAYLOAD', parsed.error), logger)],
        };
      const fx: Effects = { notify: [], changed: [] };
      try {
        const cards = await submit(c, parsed.payload, inputs, fx);
        return {
          cards,
          notify: fx.notify,
          changed: fx.changed,
          personal: PERSONAL_PRESSES.has(parsed.payload.verb),
          ...(parsed.payload.o ? { origin: parsed.payload.o } : {}),
        };
      } catch (error) {
        const reply = await failure(c, error, parsed.payload);
        return parsed.payload.o ? { ...reply, origin: parsed.payload.o } : reply;
      }
    },
  };
}

export { HELP };
