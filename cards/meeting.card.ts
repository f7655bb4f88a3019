/**
 * The meeting card: status, progress through the agenda, and the current section with the data that feeds it
 * (taken from the day's brief view, so a section never shows more than its audience may see).
 */
import type { BriefView } from '../services/briefs/brief.model.js';
import { exceptionSectionKey } from '../services/meetings/default-agenda.js';
import type { AgendaItem, Meeting } from '../services/meetings/meeting.service.js';
import { formatLocal } from '../services/time.js';
import type { Card, CardAction, CardBlock } from './card.js';
import { payload } from './card-actions.js';
import {
  actionLine,
  countsTable,
  decisionsDueText,
  exceptionsTable,
  flagText,
  prioritiesTable,
} from './daily-brief.card.js';

/** Whether an exception is discussed under critical incidents (else under threat to life and vulnerability). */
const isCritical = (codes: readonly string[]) => exceptionSectionKey(codes) === 'critical_incidents';

/** A note of a section as the card shows it. */
export interface SectionNote {
  readonly author: string;
  readonly text: string;
  readonly at: string;
}

/** What the read-back section reads back: the decisions and actions recorded in this meeting. */
export interface ReadBack {
  /** As they stand: a corrected decision is read back as corrected. */
  readonly decisions: ReadonlyArray<{ id: number; text: string; by: string }>;
  readonly actions: ReadonlyArray<{ id: number; title: string; owner: string; dueOn: string | null }>;
  /** What this meeting escalated to the TT&CG. */
  readonly escalations?: ReadonlyArray<{ id: number; what: string; tcg: string }>;
  /** Records above what this place may show, counted only. */
  readonly withheld: number;
}

function readBackBlocks(r: ReadBack): CardBlock[] {
  const list = (title: string, lines: readonly string[], none: string): CardBlock[] => [
    { type: 'heading', text: `${title} (${lines.length})` },
    { type: 'text', text: lines.length === 0 ? none : lines.join('\n') },
  ];
  return [
    ...list(
      'Decisions recorded',
      r.decisions.map((d) => `#${d.id} ${d.text} (${d.by})`),
      'No decision recorded in this meeting.',
    ),
    ...list(
      'Actions raised',
      r.actions.map((a) => `#${a.id} ${a.title}: ${a.owner}, due ${a.dueOn ?? 'no date'}`),
      'No action raised in this meeting.',
    ),
    ...list(
      'Escalations to the TT&CG',
      (r.escalations ?? []).map((e) => `E-${e.id} ${e.what} (to ${e.tcg})`),
      'Nothing escalated in this meeting (`dmm escalate`, chair).',
    ),
    ...(r.withheld > 0
      ? [
          {
            type: 'text' as const,
            text: `${r.withheld} more above this channel's marking, not shown here.`,
            subtle: true,
          },
        ]
      : []),
  ];
}

/** What section 7 (intelligence) reviews: the unit's open intelligence requirements and drafts awaiting approval. */
export interface IntelligenceSection {
  readonly open: ReadonlyArray<{
    id: number;
    question: string;
    owner: string | null;
    expiresOn: string | null;
    answers: number;
  }>;
  readonly drafts: ReadonlyArray<{ id: number; question: string }>;
  /** Requirements above what this place may show, counted only. */
  readonly withheld: number;
}

function intelligenceBlocks(i: IntelligenceSection): CardBlock[] {
  return [
    { type: 'heading', text: `Intelligence requirements open (${i.open.length})` },
    {
      type: 'text',
      text:
        i.open.length === 0
          ? 'None open (`dmm ir new` drafts one).'
          : i.open
              .map(
                (r) =>
                  `IR-${r.id} ${r.question} (${r.owner ?? 'no owner'}; ${r.answers} answer${r.answers === 1 ? '' : 's'}${r.expiresOn ? `; until ${r.expiresOn}` : ''})`,
              )
              .join('\n'),
    },
    ...(i.drafts.length > 0
      ? [
          { type: 'heading' as const, text: `Drafts awaiting the chair's approval (${i.drafts.length})` },
          { type: 'text' as const, text: i.drafts.map((r) => `IR-${r.id} ${r.question}`).join('\n') },
        ]
      : []),
    ...(i.withheld > 0
      ? [
          {
            type: 'text' as const,
            subtle: true,
            text: `${i.withheld} more above this channel's marking, not shown here.`,
          },
        ]
      : []),
  ];
}

/** The notes taken in a section, under its data. */
function noteBlocks(notes: readonly SectionNote[]): CardBlock[] {
  if (notes.length === 0) return [];
  return [
    { type: 'heading', text: 'Notes' },
    ...notes.map((n): CardBlock => ({ type: 'text', text: `${n.at} ${n.author}: ${n.text}` })),
  ];
}

/** The blocks of one agenda section, fed by its data source, with the notes taken in it. */
export function buildAgendaSectionBlocks(
  item: AgendaItem,
  brief: BriefView | null,
  notes: readonly SectionNote[] = [],
  readBack?: ReadBack,
  intelligence?: IntelligenceSection,
): CardBlock[] {
  return [
    ...sectionData(item, brief),
    ...(item.sectionKey === 'intelligence_tension' && intelligence ? intelligenceBlocks(intelligence) : []),
    ...(item.feed === 'generated' && readBack ? readBackBlocks(readBack) : []),
    ...noteBlocks(notes),
  ];
}

function sectionData(item: AgendaItem, brief: BriefView | null): CardBlock[] {
  const blocks: CardBlock[] = [{ type: 'heading', text: `${item.position}. ${item.title}` }];
  if (!brief) return [...blocks, { type: 'text', text: 'No brief for today yet.', subtle: true }];
  if (brief.audience === 'partner') {
    return [...blocks, { type: 'text', text: 'Partners see the sanitised brief only.', subtle: true }];
  }
  const zone = brief.unit.timeZone;
  const incidents = (keep: (reasonCodes: readonly string[]) => boolean): CardBlock[] =>
    exceptionsTable(
      brief.exceptions.items.filter((e) => keep(e.reasonCodes ?? [])),
      zone,
      'Nothing to report.',
    );
  switch (item.sectionKey) {
    case 'previous_actions': {
      const groups = [
        ['Overdue', brief.actions.overdue],
        ['Blocked', brief.actions.blocked],
        ['Due today', brief.actions.dueToday],
      ] as const;
      return [
        ...blocks,
        ...groups.map(
          ([title, list]): CardBlock => ({
            type: 'text',
            text: `${title}: ${list.length === 0 ? 'none' : list.map(actionLine).join('; ')}`,
          }),
        ),
        { type: 'text', strong: true, text: 'Decisions due for review' },
        { type: 'text', text: decisionsDueText(brief.decisionsDue ?? []) },
      ];
    }
    case 'critical_incidents':
      return [...blocks, ...incidents(isCritical)];
    case 'threat_vulnerability':
      return [...blocks, ...incidents((codes) => !isCritical(codes))];
    case 'demand_service': {
      const t = brief.incidents.total;
      return [
        ...blocks,
        {
          type: 'text',
          text: `${t.count}${flagText(t.flag)} incidents (usual ${t.baselineMean}); ${brief.incidents.responseBreaches.count} late against the response targets.`,
        },
        ...countsTable('By grade', brief.incidents.byGrade),
      ];
    }
    case 'priorities':
      return [
        ...blocks,
        ...prioritiesTable(brief.priorities, 'No active priorities.'),
        ...countsTable('Hotspots', brief.incidents.hotspots),
      ];
    case 'next_24h':
      return [
        ...blocks,
        {
          type: 'text',
          text:
            brief.forwardLook.length === 0
              ? 'Nothing planned.'
              : brief.forwardLook
                  .map((f) => `${formatLocal(new Date(f.startsAt), zone)} ${f.kind}: ${f.title}`)
                  .join('\n'),
        },
      ];
    default:
      return [
        ...blocks,
        {
          type: 'text',
          text:
            item.feed === 'generated'
              ? 'Read back the decisions and actions recorded in this meeting (below), then close it.'
              : 'Discuss and record decisions or actions; add a note with `dmm note <text>` or Add a note.',
          subtle: true,
        },
      ];
  }
}

export interface MeetingCardInput {
  readonly meeting: Meeting;
  readonly unitName: string;
  readonly brief: BriefView | null;
  /** Whether the viewer may run the meeting (the chair): shows the step buttons. */
  readonly canRun: boolean;
  /** Whether the viewer may record actions (every role but partner). */
  readonly canAct: boolean;
  /** Whether the viewer may add notes to the meeting. */
  readonly canNote?: boolean;
  /** The notes of the current section the viewer may see, oldest first. */
  readonly notes?: readonly SectionNote[];
  /** For the read-back section: what this meeting recorded. */
  readonly readBack?: ReadBack;
  /** For the intelligence section: the intelligence requirements under review. */
  readonly intelligence?: IntelligenceSection;
}

/** The meeting as a card: where it is, and (to the chair) the buttons that move it on. */
export function buildMeetingCard(input: MeetingCardInput): Card {
  const { meeting } = input;
  const done = meeting.agenda.filter((a) => a.status === 'done' || a.status === 'skipped').length;
  const blocks: CardBlock[] = [
    { type: 'heading', text: `DMM ${meeting.localDate}: ${input.unitName}` },
    {
      type: 'facts',
      facts: [
        { label: 'Status', value: meeting.status },
        { label: 'Progress', value: `${done} of ${meeting.agenda.length} sections` },
      ],
    },
  ];
  if (meeting.status === 'open' && meeting.current) {
    blocks.push(
      ...buildAgendaSectionBlocks(
        meeting.current,
        input.brief,
        input.notes,
        input.readBack,
        input.intelligence,
      ),
    );
  } else if (meeting.status === 'open') {
    blocks.push({
      type: 'text',
      text: 'Every section has been covered: close the meeting to write the minutes.',
    });
  } else if (meeting.status === 'closed') {
    blocks.push({
      type: 'text',
      text: 'The meeting is closed. `dmm minutes` shows the minutes; the chair approves them with `dmm minutes approve`.',
    });
  } else if (meeting.status === 'approved') {
    blocks.push({
      type: 'text',
      text: 'The meeting is closed and its minutes approved: `dmm minutes` shows them.',
    });
  }
  const step = (verb: 'meeting.next' | 'meeting.back' | 'meeting.skip' | 'meeting.close', title: string) => ({
    title,
    payload: payload({ verb, meetingId: meeting.id, version: meeting.version }),
  });
  const buttons: CardAction[] = [];
  if (meeting.status === 'scheduled' && input.canRun) {
    buttons.push({
      title: 'Start meeting',
      payload: payload({ verb: 'meeting.start', unitId: meeting.unitId }),
      style: 'positive',
    });
  }
  // Only the moves that can be made from here: no Back on the first section, no Next or Skip on the last (the
  // last section ends with the meeting itself, so Close is the way on).
  const position = meeting.current?.position;
  const first = meeting.agenda[0]?.position;
  const last = meeting.agenda[meeting.agenda.length - 1]?.position;
  const atLast = position === undefined || position === last;
  if (meeting.status === 'open' && input.canRun) {
    if (!atLast) buttons.push({ ...step('meeting.next', 'Next section'), style: 'positive' });
    if (position !== first) buttons.push(step('meeting.back', 'Back'));
    if (!atLast) buttons.push(step('meeting.skip', 'Skip'));
    buttons.push({
      title: 'Record a decision',
      payload: payload({ verb: 'decision.form', unitId: meeting.unitId }),
    });
  }
  if (meeting.status === 'open' && input.canAct) {
    buttons.push({ title: 'New action', payload: payload({ verb: 'action.form', unitId: meeting.unitId }) });
  }
  if (meeting.status === 'open' && input.canNote) {
    buttons.push({
      title: 'Add a note',
      payload: payload({ verb: 'meeting.note_form', meetingId: meeting.id }),
    });
  }
  if (meeting.status !== 'closed' && input.canNote) {
    buttons.push({ title: "I'm here", payload: payload({ verb: 'meeting.attend', meetingId: meeting.id }) });
    buttons.push({
      title: 'Apologies…',
      payload: payload({ verb: 'meeting.apologies_form', meetingId: meeting.id }),
    });
  }
  if (meeting.status === 'open' && input.canRun) {
    buttons.push({ ...step('meeting.close', 'Close meeting'), style: atLast ? 'positive' : 'destructive' });
  }
  if (buttons.length > 0) blocks.push({ type: 'actions', actions: buttons });
  return {
    title: `DMM ${meeting.localDate}`,
    ...(input.brief ? { marking: input.brief.marking } : {}),
    blocks,
  };
}

/** A person's attendance as the attendance card shows it. */
export interface AttendanceRow {
  readonly personId: number;
  readonly name: string;
  /** Null: not recorded yet. */
  readonly status: 'present' | 'apologies' | 'absent' | null;
  readonly apology: string | null;
  /** Present, but has left the meeting's call (a Teams meeting). */
  readonly leftAt?: Date | null;
}

const ATTENDANCE_WORDS = { present: 'present', apologies: 'apologies', absent: 'absent' } as const;

/** Who is recorded at today's meeting (members, then the meeting's guests), and (to the chair) how to correct it. */
export function buildAttendanceCard(input: {
  localDate: string;
  timeZone: string;
  rows: readonly AttendanceRow[];
  /** Participants of the meeting's call who are not linked members of the unit, by the name the meeting showed. */
  guests?: ReadonlyArray<{ name: string; leftAt: Date | null }>;
  canCorrect: boolean;
}): Card {
  const left = (at: Date | null | undefined) =>
    at ? `, left ${formatLocal(at, input.timeZone, 'HH:mm')}` : '';
  const line = (r: AttendanceRow) =>
    `#${r.personId} ${r.name}: ${r.status === null ? 'not recorded' : ATTENDANCE_WORDS[r.status]}${left(
      r.leftAt,
    )}${r.apology ? ` (${r.apology})` : ''}`;
  const guests = input.guests ?? [];
  return {
    title: `Attendance ${input.localDate}`,
    blocks: [
      { type: 'heading', text: `Attendance, DMM ${input.localDate}` },
      {
        type: 'text',
        text: input.rows.length === 0 ? 'Nobody recorded yet.' : input.rows.map(line).join('\n'),
      },
      ...(guests.length > 0
        ? [
            {
              type: 'text' as const,
              text: `Guests (in the meeting, not members of the unit):\n${guests
                .map((g) => `${g.name}: present${left(g.leftAt)}`)
                .join('\n')}`,
            },
          ]
        : []),
      {
        type: 'text',
        text: input.canCorrect
          ? 'Correct it with `dmm attendance <id> present | absent | apologies [reason]`.'
          : "Record yourself with `dmm here` or `dmm apologies [reason]`, or the meeting card's buttons.",
        subtle: true,
      },
    ],
  };
}
