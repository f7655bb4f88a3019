/**
 * The minutes of a DMM, from their structured record (services/meetings/minutes.ts), as one card every surface
 * renders: an Adaptive Card in Teams and the console, Block Kit in Slack, Markdown and PDF for the file. The
 * chat card adds the chair's buttons (approve, add an addendum); the file has none.
 */
import { ACTION_STATUSES, type ActionStatus } from '../services/actions/transitions.js';
import type { MinutesException, MinutesInput, MinutesView } from '../services/meetings/minutes.js';
import { formatLocal } from '../services/time.js';
import type { Card, CardAction, CardBlock } from './card.js';
import { payload } from './card-actions.js';
import { MARKING_INPUT, STATUS_LABEL } from './records.card.js';
import { renderCardPdf } from './render/pdf.js';
import { renderCardMarkdown } from './render/text.js';

const SECTION_STATUS: Record<MinutesInput['agenda'][number]['status'], string> = {
  done: 'covered',
  skipped: 'skipped',
  pending: 'not reached',
  current: 'in discussion',
};

const SENSITIVE = ' [OFFICIAL-SENSITIVE]';
const tag = (m: string) => (m === 'OFFICIAL-SENSITIVE' ? SENSITIVE : '');

/** An action status as a chair reads it ("Blocked"), and any other value as it is. */
function statusWord(status: string | null): string {
  return status !== null && (ACTION_STATUSES as readonly string[]).includes(status)
    ? STATUS_LABEL[status as ActionStatus]
    : (status ?? 'unknown');
}

/** Section 1: each previous action reviewed, with its status changes since the last DMM and their reasons. */
function previousActionLines(record: MinutesInput): string[] {
  const reviewed = record.previousActions ?? [];
  if (reviewed.length === 0) return ['• No previous action to review.'];
  const tz = record.unit.timeZone;
  return reviewed.map((a) => {
    const stands =
      a.standing && a.status !== 'open'
        ? ` since ${formatLocal(a.standing.at, tz)}${a.standing.note ? ` (${a.standing.note})` : ''}`
        : '';
    const changes =
      a.changes.length === 0
        ? `no change since the last DMM`
        : a.changes
            .map(
              (c) =>
                `${c.from === null ? `raised as ${statusWord(c.to ?? 'open')}` : `${statusWord(c.from)} → ${statusWord(c.to)}`} ${formatLocal(c.at, tz)} by ${c.by}${c.note ? `: ${c.note}` : ''}`,
            )
            .join('; ');
    return `• Reviewed A-${a.id}: ${a.title}${tag(a.marking)} (${a.owner}), now ${statusWord(a.status)}${a.changes.length === 0 ? stands : ''}; ${changes}`;
  });
}

/** The brief's exceptions discussed in a section: reference, then why, what, where and how it stands. */
function exceptionLines(record: MinutesInput, where: (e: MinutesException) => boolean): string[] {
  return (record.exceptions ?? [])
    .filter(where)
    .map((e) => `• Exception ${e.reference}: ${e.summary}${tag(e.marking)}`);
}

function attendanceFacts(record: MinutesInput) {
  const left = (a: MinutesInput['attendees'][number]) =>
    a.leftAt ? `left ${formatLocal(a.leftAt, record.unit.timeZone, 'HH:mm')}` : null;
  const named = (a: MinutesInput['attendees'][number]) => (left(a) ? `${a.name} (${left(a)})` : a.name);
  const present = record.attendees.filter((a) => a.present && !a.guest).map(named);
  const guests = record.attendees.filter((a) => a.present && a.guest).map(named);
  const apologies = record.attendees
    .filter((a) => !a.present && a.apology)
    .map((a) => `${a.name} (${a.apology as string})`);
  const absent = record.attendees.filter((a) => !a.present && !a.apology).map((a) => a.name);
  return [
    { label: 'Present', value: present.length > 0 ? present.join(', ') : 'none recorded' },
    ...(guests.length > 0 ? [{ label: 'Guests', value: guests.join(', ') }] : []),
    ...(apologies.length > 0 ? [{ label: 'Apologies', value: apologies.join('; ') }] : []),
    ...(absent.length > 0 ? [{ label: 'Absent', value: absent.join(', ') }] : []),
  ];
}

function recordBlocks(record: MinutesInput): CardBlock[] {
  const tz = record.unit.timeZone;
  const blocks: CardBlock[] = [
    {
      type: 'facts',
      facts: [
        { label: 'Chair', value: record.chairName },
        ...(record.startedAt
          ? [{ label: 'Opened', value: `${formatLocal(record.startedAt, tz)} (${tz})` }]
          : []),
        { label: 'Closed', value: `${formatLocal(record.closedAt, tz)} (${tz})` },
        ...attendanceFacts(record),
      ],
    },
    { type: 'heading', text: 'Agenda' },
  ];
  for (const item of record.agenda) {
    blocks.push({
      type: 'text',
      strong: true,
      text: `${item.position}. ${item.title} (${SECTION_STATUS[item.status]})`,
    });
    const lines = [
      ...(item.sectionKey === 'previous_actions' ? previousActionLines(record) : []),
      ...exceptionLines(record, (e) => e.sectionKey === item.sectionKey),
      ...(item.sectionKey === 'read_back'
        ? (record.escalations ?? []).map(
            (e) =>
              `• Escalated E-${e.id} to ${e.tcg}: ${e.what}; why: ${e.why}${e.resources ? `; resources asked for: ${e.resources}` : ''}${tag(e.marking)}`,
          )
        : []),
      ...item.notes.map((n) => `• ${n.text}${tag(n.marking)}`),
    ];
    if (lines.length > 0) blocks.push({ type: 'text', text: lines.join('\n') });
  }
  const keys = new Set(record.agenda.map((a) => a.sectionKey));
  const elsewhere = exceptionLines(record, (e) => !keys.has(e.sectionKey));
  if (elsewhere.length > 0)
    blocks.push(
      { type: 'text', strong: true, text: "Exceptions of the day's brief not on this agenda" },
      { type: 'text', text: elsewhere.join('\n') },
    );
  blocks.push({ type: 'heading', text: `Decisions (${record.decisions.length})` });
  if (record.decisions.length === 0) blocks.push({ type: 'text', text: 'No decisions recorded.' });
  for (const d of record.decisions) {
    const tags = [
      d.marking === 'OFFICIAL-SENSITIVE' ? 'OFFICIAL-SENSITIVE' : null,
      d.supersededById ? `superseded by D-${d.supersededById}` : null,
      d.supersedesId ? `corrects D-${d.supersedesId}` : null,
    ].filter(Boolean);
    blocks.push(
      {
        type: 'text',
        strong: true,
        text: `D-${d.id}: ${d.text}${tags.length > 0 ? ` (${tags.join('; ')})` : ''}`,
      },
      {
        type: 'facts',
        facts: [
          { label: 'Decision maker', value: `${d.decisionMaker}, ${formatLocal(d.decidedAt, tz)}` },
          ...(d.correctionReason ? [{ label: 'Reason for correction', value: d.correctionReason }] : []),
          { label: 'Information', value: d.information },
          { label: 'Threat, harm and risk', value: d.threatRisk },
          { label: 'Powers and policy', value: d.powersPolicy },
          { label: 'Options considered', value: d.optionsConsidered },
          { label: 'Chosen option', value: d.chosenOption },
          ...(d.reviewPoint ? [{ label: 'Review', value: d.reviewPoint }] : []),
        ],
      },
    );
  }
  blocks.push({ type: 'heading', text: `Actions (${record.actions.length})` });
  if (record.actions.length === 0) blocks.push({ type: 'text', text: 'No actions raised.' });
  else
    blocks.push({
      type: 'table',
      columns: ['Action', 'Owner', 'Due', 'Category', 'Status'],
      rows: record.actions.map((a) => [
        `A-${a.id}: ${a.title}${tag(a.marking)}`,
        a.owner,
        a.dueOn ?? 'no date',
        a.category,
        a.result ? `${statusWord(a.status)}: ${a.result}` : statusWord(a.status),
      ]),
    });
  return blocks;
}

/**
 * Minutes written before records were kept: from their Markdown (headings, lists and tables, user text escaped
 * with backslashes), headings as headings and the rest plain lines with the escapes removed.
 */
function legacyBlocks(markdown: string): CardBlock[] {
  const blocks: CardBlock[] = [];
  let lines: string[] = [];
  const flush = () => {
    const text = lines.join('\n').trim();
    if (text) blocks.push({ type: 'text', text });
    lines = [];
  };
  for (const line of markdown.split('\n')) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      blocks.push({ type: 'heading', text: unescapeMarkdown(heading[1] ?? '') });
    } else if (/^\|\s*-{3}/.test(line) || /^\*\*(OFFICIAL|OFFICIAL-SENSITIVE)\*\*$/.test(line)) {
      // Table rules and the marking line: the card shows its marking in its banner.
    } else {
      lines.push(unescapeMarkdown(line.replace(/^\|\s?|\s?\|$/g, '').replace(/ \| /g, ' · ')));
    }
  }
  flush();
  // The legacy Markdown starts with its own title.
  return blocks[0]?.type === 'heading' ? blocks.slice(1) : blocks;
}

/** Removes the backslash escapes Markdown writers put before punctuation. */
function unescapeMarkdown(text: string): string {
  return text.replace(/\\([\\`*_{}[\]()#+\-.!<>|~])/g, '$1');
}

export interface MinutesCardOptions {
  /** The chair's buttons: approve closed minutes. */
  readonly canApprove?: boolean;
  /** The chair's button: add an addendum (closed or approved minutes). */
  readonly canAddend?: boolean;
  /** A button that downloads the PDF (the console, which can). */
  readonly pdfButton?: boolean;
}

/** The minutes as a card: the record, its addenda and its approval; in chat with the buttons the options allow. */
export function buildMinutesCard(view: MinutesView, options: MinutesCardOptions = {}): Card {
  const unitName = view.record?.unit.name;
  const tz = view.record?.unit.timeZone ?? 'Europe/London';
  const blocks: CardBlock[] = [
    { type: 'heading', text: `DMM minutes: ${unitName ? `${unitName}, ` : ''}${view.localDate}` },
    view.approval
      ? {
          type: 'text',
          tone: 'good',
          text: `Approved by ${view.approval.by}, ${formatLocal(view.approval.at, tz)}. Approved minutes do not change: a correction is an addendum.`,
        }
      : {
          type: 'notice',
          tone: 'warning',
          text: 'Closed, not yet approved: the chair approves the minutes with `dmm minutes approve`.',
        },
    ...(view.record ? recordBlocks(view.record) : legacyBlocks(view.legacyMarkdown ?? '')),
  ];
  const after = (at: Date) => (view.approval && at > view.approval.at ? ', after approval' : '');
  if (view.addenda.length > 0) {
    blocks.push({ type: 'heading', text: `Addenda (${view.addenda.length})` });
    view.addenda.forEach((a, i) => {
      blocks.push({
        type: 'text',
        text: `Addendum ${i + 1} (${a.author}, ${formatLocal(a.at, tz)}${a.afterApproval ? ', after approval' : ''}): ${a.text}${tag(a.marking)}`,
      });
    });
  }
  if (view.corrections.length > 0) {
    blocks.push({ type: 'heading', text: `Decisions corrected since (${view.corrections.length})` });
    for (const c of view.corrections)
      blocks.push({
        type: 'text',
        text: `D-${c.decisionId} corrects D-${c.correctsId} (${c.by}, ${formatLocal(c.at, tz)}${after(c.at)}): ${c.text}${tag(c.marking)}${c.reason ? `. Reason: ${c.reason}` : ''}`,
      });
  }
  // The whole signed checkpoint: copied into a file, `dmm audit verify --checkpoints FILE` holds the log to it.
  const checkpoints = [
    ...(view.record?.auditCheckpoint ? [['at close', view.record.auditCheckpoint] as const] : []),
    ...(view.approval?.checkpoint ? [['at approval', view.approval.checkpoint] as const] : []),
  ];
  // Each on a line of its own, so it can be copied whole into a checkpoints file.
  for (const [moment, c] of checkpoints)
    blocks.push(
      {
        type: 'text',
        subtle: true,
        text: `Audit checkpoint ${moment} (event ${c.seq}; copied into a file, \`dmm audit verify --checkpoints FILE\` checks it):`,
      },
      { type: 'text', text: JSON.stringify(c) },
    );
  const buttons: CardAction[] = [];
  if (options.canApprove && view.status === 'closed')
    buttons.push({
      title: 'Approve minutes',
      style: 'positive',
      payload: payload({ verb: 'minutes.approve', meetingId: view.meetingId, version: view.version }),
    });
  if (options.canAddend)
    buttons.push({
      title: 'Add an addendum',
      payload: payload({ verb: 'minutes.addendum_form', meetingId: view.meetingId }),
    });
  if (options.pdfButton)
    buttons.push({
      title: 'Download PDF',
      payload: payload({ verb: 'minutes.pdf', meetingId: view.meetingId }),
    });
  if (buttons.length > 0) blocks.push({ type: 'actions', actions: buttons });
  return { title: `Minutes ${view.localDate}`, marking: view.marking, blocks };
}

/** The addendum form: what to add or correct, and its marking. */
export function buildAddendumForm(view: Pick<MinutesView, 'meetingId' | 'localDate' | 'status'>): Card {
  return {
    title: 'Add an addendum',
    blocks: [
      { type: 'heading', text: `Addendum to the minutes of ${view.localDate}` },
      {
        type: 'text',
        text:
          view.status === 'approved'
            ? 'The approved minutes stay as they were; the addendum is shown after them, with your name and the time.'
            : 'The addendum is shown after the minutes, with your name and the time.',
      },
    ],
    form: {
      inputs: [
        { kind: 'text', id: 'text', label: 'Addendum', multiline: true, required: true, maxLength: 4000 },
        MARKING_INPUT,
      ],
      submit: { title: 'Add', payload: payload({ verb: 'minutes.addendum', meetingId: view.meetingId }) },
    },
  };
}

/** The minutes for the file as Markdown: the same card, without buttons, its marking above and below. */
export function minutesMarkdown(view: MinutesView): string {
  return renderCardMarkdown(buildMinutesCard(view));
}

/** The minutes for the file as a PDF: the marking in the header and footer of every page, the approval below it. */
export function minutesPdf(view: MinutesView): Promise<Buffer> {
  const tz = view.record?.unit.timeZone ?? 'Europe/London';
  return renderCardPdf(buildMinutesCard(view), {
    title: `DMM minutes${view.record ? ` ${view.record.unit.name}` : ''} ${view.localDate}`,
    footerNote: view.approval
      ? `Minutes approved by ${view.approval.by}, ${formatLocal(view.approval.at, tz)}`
      : 'Minutes closed, NOT YET APPROVED',
    ...(view.approval
      ? { createdAt: view.approval.at }
      : view.record
        ? { createdAt: view.record.closedAt }
        : {}),
  });
}
