/**
 * Cards for the records the DMM writes: the decision form (National Decision Model rationale) and the decision
 * record; the action form, the action card with its status buttons, the status and due-date forms, and action
 * lists; help; errors (with the correlation id to quote).
 */
import type { Action } from '../services/actions/action.service.js';
import { ACTION_STATUSES, type ActionStatus, REQUIREMENTS } from '../services/actions/transitions.js';
import type { Decision } from '../services/decisions/decision.service.js';
import type { Marking } from '../services/validation.js';
import type { Card, CardAction, CardBlock, CardInput } from './card.js';
import { payload } from './card-actions.js';

const MARKINGS: ReadonlyArray<{ title: string; value: Marking }> = [
  { title: 'OFFICIAL', value: 'OFFICIAL' },
  { title: 'OFFICIAL-SENSITIVE', value: 'OFFICIAL-SENSITIVE' },
];

/** The marking of what a form records (OFFICIAL unless chosen otherwise). */
export const MARKING_INPUT: CardInput = {
  kind: 'choice',
  id: 'marking',
  label: 'Marking',
  choices: MARKINGS,
  value: 'OFFICIAL',
  required: true,
};

/** The last inputs of every record form: the incident it concerns, and its marking. */
const LINK_AND_MARKING: readonly CardInput[] = [
  { kind: 'text', id: 'incidentRef', label: 'Linked incident reference', maxLength: 200 },
  MARKING_INPUT,
];

/** How an action's status reads on its card. */
export const STATUS_LABEL: Readonly<Record<ActionStatus, string>> = {
  open: 'Open',
  in_progress: 'In progress',
  blocked: 'Blocked',
  done: 'Done',
  no_further_action: 'No further action',
  escalated: 'Escalated',
};

/** Button titles for a move to each status. */
const STATUS_BUTTON: Readonly<Record<ActionStatus, string>> = {
  open: 'Reopen',
  in_progress: 'Start',
  blocked: 'Block',
  done: 'Done…',
  no_further_action: 'No further action…',
  escalated: 'Escalate…',
};

/** The form for a note on the meeting's current section. */
export function buildNoteFormCard(input: { meetingId: number; sectionTitle: string | null }): Card {
  return {
    title: 'Add a note',
    blocks: [
      { type: 'heading', text: 'Add a note' },
      {
        type: 'text',
        text: input.sectionTitle
          ? `To the current section: ${input.sectionTitle}. Notes are kept in the minutes.`
          : 'To the meeting. Notes are kept in the minutes.',
        subtle: true,
      },
    ],
    form: {
      inputs: [
        { kind: 'text', id: 'text', label: 'Note', required: true, multiline: true, maxLength: 4000 },
        LINK_AND_MARKING[1] as CardInput,
      ],
      submit: {
        title: 'Add note',
        payload: payload({ verb: 'meeting.note', meetingId: input.meetingId }),
        style: 'positive',
      },
    },
  };
}

/** The form for apologies for a meeting. */
export function buildApologiesFormCard(input: { meetingId: number; localDate: string }): Card {
  return {
    title: 'Apologies',
    blocks: [{ type: 'heading', text: `Apologies for the DMM of ${input.localDate}` }],
    form: {
      inputs: [{ kind: 'text', id: 'apology', label: 'Reason (kept in the minutes)', maxLength: 500 }],
      submit: {
        title: 'Send apologies',
        payload: payload({ verb: 'meeting.apologies', meetingId: input.meetingId }),
        style: 'positive',
      },
    },
  };
}

export function buildDecisionFormCard(input: { unitId: number; sectionTitle?: string | null }): Card {
  const text = (id: string, label: string, required = true, multiline = true) => ({
    kind: 'text' as const,
    id,
    label,
    required,
    multiline,
    maxLength: 4000,
  });
  return {
    title: 'Record a decision',
    blocks: [
      { type: 'heading', text: 'Record a decision' },
      ...(input.sectionTitle
        ? [{ type: 'text' as const, text: `Agenda section: ${input.sectionTitle}`, subtle: true }]
        : []),
      {
        type: 'text',
        text: 'Record the rationale on the National Decision Model: it is kept with the decision for accountability.',
        subtle: true,
      },
    ],
    form: {
      inputs: [
        { ...text('text', 'Decision', true, false), maxLength: 1000 },
        text('information', 'Information and intelligence'),
        text('threatRisk', 'Threat, harm and risk'),
        text('powersPolicy', 'Powers and policy'),
        text('optionsConsidered', 'Options considered'),
        text('chosenOption', 'Option chosen, and why'),
        { ...text('reviewPoint', 'Review point', false, false), maxLength: 500 },
        { kind: 'date', id: 'reviewOn', label: 'Review on (the DMM of that day reviews it)' },
        ...LINK_AND_MARKING,
      ],
      submit: {
        title: 'Record decision',
        payload: payload({ verb: 'decision.record', unitId: input.unitId }),
        style: 'positive',
      },
    },
  };
}

export function buildDecisionCard(input: {
  decision: Decision;
  decisionMaker: string;
  zoneTime: string;
  /** Its reviews, oldest first, with their times in the unit's zone. */
  reviews?: ReadonlyArray<{
    at: string;
    reviewer: string;
    outcome: string;
    nextReviewOn: string | null;
    note: string | null;
  }>;
  /** The actions that carry it out (those this place may show), and how many more are above its marking. */
  actions?: ReadonlyArray<{ id: number; title: string; owner: string; status: ActionStatus }>;
  withheldActions?: number;
}): Card {
  const d = input.decision;
  const r = d.rationale;
  const blocks: CardBlock[] = [
    { type: 'heading', text: `Decision #${d.id}` },
    { type: 'text', text: d.text, strong: true },
    {
      type: 'facts',
      facts: [
        { label: 'Decision maker', value: input.decisionMaker },
        { label: 'Time', value: input.zoneTime },
        ...(d.incidentRef ? [{ label: 'Incident', value: d.incidentRef }] : []),
        ...(d.supersedesId
          ? [{ label: 'Corrects', value: `#${d.supersedesId}: ${d.correctionReason ?? ''}` }]
          : []),
      ],
    },
    {
      type: 'facts',
      facts: [
        { label: 'Information', value: r.information },
        { label: 'Threat and risk', value: r.threatRisk },
        { label: 'Powers and policy', value: r.powersPolicy },
        { label: 'Options considered', value: r.optionsConsidered },
        { label: 'Option chosen', value: r.chosenOption },
        ...(r.reviewPoint ? [{ label: 'Review point', value: r.reviewPoint }] : []),
        ...(d.reviewOn ? [{ label: 'Review on', value: d.reviewOn }] : []),
      ],
    },
    ...(input.reviews && input.reviews.length > 0
      ? [
          {
            type: 'text' as const,
            text: input.reviews
              .map(
                (v) =>
                  `Reviewed ${v.at} by ${v.reviewer}: ${v.outcome}${v.nextReviewOn ? `, next review ${v.nextReviewOn}` : ''}${v.note ? ` (${v.note})` : ''}`,
              )
              .join('\n'),
          },
        ]
      : []),
  ];
  if (input.actions) {
    const lines = input.actions.map((a) => `#${a.id} ${a.title}: ${a.owner}, ${STATUS_LABEL[a.status]}`);
    const more = input.withheldActions ? ` (${input.withheldActions} more above this place's marking)` : '';
    blocks.push(
      { type: 'text', strong: true, text: `Actions carrying it out (${input.actions.length})${more}` },
      {
        type: 'text',
        text:
          lines.length > 0 ? lines.join('\n') : 'None yet: link one from its form, or `dmm actions link`.',
      },
    );
  }
  if (d.supersededById)
    blocks.push({ type: 'notice', tone: 'attention', text: `Corrected by decision #${d.supersededById}.` });
  return { title: `Decision #${d.id}`, marking: d.marking, blocks };
}

export function buildActionFormCard(input: {
  unitId: number;
  people: ReadonlyArray<{ id: number; name: string }>;
  categories: readonly string[];
  defaultDue?: string;
  /** Active priorities and recent decisions it may deliver (only those the place may show). */
  priorities?: ReadonlyArray<{ id: number; title: string }>;
  decisions?: ReadonlyArray<{ id: number; text: string }>;
}): Card {
  const links: CardInput[] = [
    ...(input.decisions && input.decisions.length > 0
      ? [
          {
            kind: 'choice' as const,
            id: 'decisionId',
            label: 'Decision it carries out',
            choices: input.decisions.map((d) => ({ title: `#${d.id} ${d.text}`, value: String(d.id) })),
          },
        ]
      : []),
    ...(input.priorities && input.priorities.length > 0
      ? [
          {
            kind: 'choice' as const,
            id: 'priorityId',
            label: 'Priority it delivers',
            choices: input.priorities.map((p) => ({ title: p.title, value: String(p.id) })),
          },
        ]
      : []),
  ];
  return {
    title: 'New action',
    blocks: [{ type: 'heading', text: 'New action' }],
    form: {
      inputs: [
        { kind: 'text', id: 'title', label: 'Action', required: true, maxLength: 300 },
        {
          kind: 'choice',
          id: 'ownerPersonId',
          label: 'Owner',
          required: true,
          choices: input.people.map((p) => ({ title: p.name, value: String(p.id) })),
        },
        {
          kind: 'date',
          id: 'dueOn',
          label: 'Due',
          required: true,
          ...(input.defaultDue ? { value: input.defaultDue } : {}),
        },
        {
          kind: 'choice',
          id: 'category',
          label: 'Category',
          required: true,
          choices: input.categories.map((c) => ({ title: c, value: c })),
          ...(input.categories[0] ? { value: input.categories[0] } : {}),
        },
        { kind: 'text', id: 'description', label: 'Details', multiline: true, maxLength: 4000 },
        ...links,
        ...LINK_AND_MARKING,
      ],
      submit: {
        title: 'Create action',
        payload: payload({ verb: 'action.create', unitId: input.unitId }),
        style: 'positive',
      },
    },
  };
}

export interface ActionCardInput {
  readonly action: Action;
  readonly owner: string;
  /** Statuses the viewer may move the action to (empty: no buttons). */
  readonly allowed: readonly ActionStatus[];
  readonly canChangeDue: boolean;
}

export function buildActionCard(input: ActionCardInput): Card {
  const a = input.action;
  const buttons: CardAction[] = input.allowed.map((status) => ({
    title: STATUS_BUTTON[status],
    // A move that needs a result or a reason opens a form first; the others apply at once.
    payload: REQUIREMENTS[status]
      ? payload({ verb: 'action.status_form', actionId: a.id, version: a.version, status })
      : payload({ verb: 'action.status', actionId: a.id, version: a.version, status }),
    ...(status === 'done' ? { style: 'positive' as const } : {}),
  }));
  if (input.canChangeDue)
    buttons.push({
      title: 'Change due date',
      payload: payload({ verb: 'action.due_form', actionId: a.id, version: a.version }),
    });
  return {
    title: `Action #${a.id}`,
    marking: a.marking,
    subject: { type: 'action', id: a.id, version: a.version },
    blocks: [
      { type: 'heading', text: `Action #${a.id}: ${a.title}` },
      ...(a.description ? [{ type: 'text' as const, text: a.description }] : []),
      {
        type: 'facts',
        facts: [
          { label: 'Status', value: STATUS_LABEL[a.status] },
          { label: 'Owner', value: input.owner },
          { label: 'Due', value: a.dueOn ?? 'no date' },
          { label: 'Category', value: a.category },
          ...(a.incidentRef ? [{ label: 'Incident', value: a.incidentRef }] : []),
          ...(a.result ? [{ label: 'Result', value: a.result }] : []),
        ],
      },
      ...(buttons.length > 0 ? [{ type: 'actions' as const, actions: buttons }] : []),
    ],
  };
}

/** The form for a move that needs a result (done) or a reason (blocked, escalated, no further action). */
export function buildActionStatusFormCard(input: { action: Action; status: ActionStatus }): Card {
  const needs = REQUIREMENTS[input.status];
  const label = needs === 'result' ? 'Result' : 'Reason';
  return {
    title: `${STATUS_LABEL[input.status]}: #${input.action.id}`,
    marking: input.action.marking,
    blocks: [
      { type: 'heading', text: `${STATUS_LABEL[input.status]}: #${input.action.id} ${input.action.title}` },
    ],
    form: {
      inputs: [
        {
          kind: 'text',
          id: needs === 'result' ? 'result' : 'note',
          label,
          multiline: true,
          maxLength: 4000,
          required: needs !== undefined,
          errorMessage: `${label} is required to mark it ${STATUS_LABEL[input.status].toLowerCase()}.`,
        },
      ],
      submit: {
        title: STATUS_LABEL[input.status],
        payload: payload({
          verb: 'action.status',
          actionId: input.action.id,
          version: input.action.version,
          status: input.status,
        }),
      },
      cancel: { title: 'Cancel', payload: payload({ verb: 'action.show', actionId: input.action.id }) },
    },
  };
}

export function buildDueDateFormCard(input: { action: Action }): Card {
  return {
    title: `Due date: #${input.action.id}`,
    // The form shows the action's title: it carries the action's marking, like the card it came from.
    marking: input.action.marking,
    blocks: [{ type: 'heading', text: `New due date for #${input.action.id} ${input.action.title}` }],
    form: {
      inputs: [
        {
          kind: 'date',
          id: 'dueOn',
          label: 'Due',
          required: true,
          ...(input.action.dueOn ? { value: input.action.dueOn } : {}),
        },
        { kind: 'text', id: 'note', label: 'Why it moves', multiline: true, maxLength: 1000 },
      ],
      submit: {
        title: 'Change due date',
        payload: payload({ verb: 'action.due', actionId: input.action.id, version: input.action.version }),
      },
      cancel: { title: 'Cancel', payload: payload({ verb: 'action.show', actionId: input.action.id }) },
    },
  };
}

export interface ActionListItem {
  readonly action: Action;
  readonly owner: string;
}

/** A list of actions (mine, overdue, due today, by owner …), each with a button to open it. */
export function buildActionListCard(input: {
  title: string;
  items: readonly ActionListItem[];
  /** Actions not listed because of their marking. */
  withheld?: number;
  emptyText?: string;
  /** Group by owner (one table each) instead of one table. */
  byOwner?: boolean;
}): Card {
  const blocks: CardBlock[] = [{ type: 'heading', text: input.title }];
  if (input.withheld) {
    blocks.push({
      type: 'notice',
      tone: 'warning',
      text: `${input.withheld} action${input.withheld === 1 ? '' : 's'} withheld: above this channel's marking.`,
    });
  }
  if (input.items.length === 0) {
    blocks.push({ type: 'text', text: input.emptyText ?? 'No actions.' });
    return { title: input.title, blocks };
  }
  if (input.byOwner) {
    // One table per owner, owners in alphabetical order: the action manager's chasing list.
    const owners = [...new Set(input.items.map((i) => i.owner))].sort((a, b) => a.localeCompare(b));
    for (const owner of owners) {
      const theirs = input.items.filter((i) => i.owner === owner);
      blocks.push(
        { type: 'text', text: `${owner} (${theirs.length})`, strong: true },
        {
          type: 'table',
          columns: ['#', 'action', 'due', 'status'],
          rows: theirs.map(({ action: a }) => [String(a.id), a.title, a.dueOn ?? '', STATUS_LABEL[a.status]]),
        },
      );
    }
  } else {
    blocks.push({
      type: 'table',
      columns: ['#', 'action', 'owner', 'due', 'status'],
      rows: input.items.map(({ action: a, owner }) => [
        String(a.id),
        a.title,
        owner,
        a.dueOn ?? '',
        STATUS_LABEL[a.status],
      ]),
    });
  }
  blocks.push({
    type: 'actions',
    actions: input.items.slice(0, 10).map(({ action: a }) => ({
      title: `Open #${a.id}`,
      payload: payload({ verb: 'action.show', actionId: a.id }),
    })),
  });
  const marking: Marking = input.items.some((i) => i.action.marking === 'OFFICIAL-SENSITIVE')
    ? 'OFFICIAL-SENSITIVE'
    : 'OFFICIAL';
  return { title: input.title, marking, blocks };
}

export interface HelpEntry {
  readonly usage: string;
  readonly description: string;
}

export function buildHelpCard(input: { entries: readonly HelpEntry[]; intro?: string }): Card {
  return {
    title: 'dmm help',
    kind: 'help',
    blocks: [
      { type: 'heading', text: 'dmm: the Daily Management Meeting bot' },
      ...(input.intro ? [{ type: 'text' as const, text: input.intro }] : []),
      { type: 'facts', facts: input.entries.map((e) => ({ label: e.usage, value: e.description })) },
    ],
  };
}

export function buildErrorCard(input: { message: string; hint?: string; correlationId?: string }): Card {
  return {
    title: 'Something went wrong',
    kind: 'error',
    blocks: [
      { type: 'text', text: input.message, tone: 'attention', strong: true },
      ...(input.hint ? [{ type: 'text' as const, text: input.hint }] : []),
      ...(input.correlationId
        ? [{ type: 'text' as const, text: `Reference for support: ${input.correlationId}`, subtle: true }]
        : []),
    ],
  };
}

/** Every status an action can be in, for choices and tests. */
export const ALL_ACTION_STATUSES = ACTION_STATUSES;
