/**
 * Minutes of a closed meeting as Markdown: attendance, each agenda section with its notes, every decision with
 * its rationale (corrections shown), and every action with owner, due date, category and status. User text is
 * escaped so it shows literally and cannot break the document's structure.
 */

import type { AuditCheckpoint } from '../audit/audit-keys.js';
import { formatLocal } from '../time.js';
import type { Unit } from '../units/unit.service.js';
import { highestMarking, type Marking } from '../validation.js';

export interface MinutesInput {
  readonly unit: Pick<Unit, 'name' | 'code' | 'timeZone'>;
  readonly localDate: string;
  readonly chairName: string;
  readonly startedAt: Date | null;
  readonly closedAt: Date;
  readonly attendees: ReadonlyArray<{ name: string; present: boolean; apology?: string | null }>;
  readonly agenda: ReadonlyArray<{
    /** The section's key: the previous actions reviewed are minuted under `previous_actions`. */
    sectionKey?: string;
    position: number;
    title: string;
    status: 'pending' | 'current' | 'done' | 'skipped';
    notes: ReadonlyArray<{ text: string; marking: Marking }>;
  }>;
  readonly decisions: ReadonlyArray<{
    id: number;
    text: string;
    decisionMaker: string;
    decidedAt: Date;
    marking: Marking;
    information: string;
    threatRisk: string;
    powersPolicy: string;
    optionsConsidered: string;
    chosenOption: string;
    reviewPoint: string | null;
    supersedesId: number | null;
    correctionReason: string | null;
    supersededById: number | null;
  }>;
  readonly actions: ReadonlyArray<{
    id: number;
    title: string;
    owner: string;
    dueOn: string | null;
    category: string;
    status: string;
    result: string | null;
    marking: Marking;
  }>;
  /**
   * The actions raised before this meeting that it reviewed: open ones, and those that changed since the last
   * DMM, each with its status changes since then and their reasons.
   */
  readonly previousActions?: ReadonlyArray<{
    id: number;
    title: string;
    owner: string;
    status: string;
    marking: Marking;
    changes: ReadonlyArray<{
      at: Date;
      from: string | null;
      to: string | null;
      by: string;
      note: string | null;
    }>;
  }>;
  /** The audit chain's head as the meeting closed, signed: the minutes carry it outside the database. */
  readonly auditCheckpoint?: AuditCheckpoint | undefined;
}

/**
 * Escapes user text so Markdown shows it literally: emphasis, code, links, HTML, tables and headings anywhere,
 * and list markers at the start of a line. Line breaks stay as hard breaks inside the surrounding list item.
 */
export function escapeMarkdown(value: string): string {
  return value
    .split(/\r?\n/)
    .map((line) =>
      line
        .replace(/[\\`*_[\]<>|~#]/g, (c) => `\\${c}`)
        .replace(/^(\s*)([-+])/, '$1\\$2')
        .replace(/^(\s*\d+)([.)])/, '$1\\$2'),
    )
    .join('  \n   ');
}

const SECTION_STATUS: Record<MinutesInput['agenda'][number]['status'], string> = {
  done: 'covered',
  skipped: 'skipped',
  pending: 'not reached',
  current: 'in discussion',
};

/** Section 1: each previous action reviewed, with its status changes since the last DMM and their reasons. */
function previousActionLines(input: MinutesInput, esc: (s: string) => string): string[] {
  const reviewed = input.previousActions ?? [];
  if (reviewed.length === 0) return ['   - No previous action to review.'];
  const tz = input.unit.timeZone;
  return reviewed.map((a) => {
    const mark = a.marking === 'OFFICIAL-SENSITIVE' ? ' [OFFICIAL-SENSITIVE]' : '';
    const changes =
      a.changes.length === 0
        ? 'no change since the last DMM'
        : a.changes
            .map(
              (c) =>
                `${c.from === null ? `raised as ${c.to ?? 'open'}` : `${c.from} → ${c.to ?? '?'}`} ${formatLocal(c.at, tz)} by ${esc(c.by)}${c.note ? `: ${esc(c.note)}` : ''}`,
            )
            .join('; ');
    return `   - Reviewed A-${a.id}: ${esc(a.title)}${mark} (${esc(a.owner)}), now ${a.status}; ${changes}`;
  });
}

export function buildMinutes(input: MinutesInput): string {
  const esc = escapeMarkdown;
  const tz = input.unit.timeZone;
  const allNotes = input.agenda.flatMap((a) => a.notes);
  const marking = highestMarking([
    ...allNotes,
    ...input.decisions,
    ...input.actions,
    ...(input.previousActions ?? []),
  ]);
  const lines: string[] = [];
  lines.push(`**${marking}**`, '');
  lines.push(`# DMM minutes: ${esc(input.unit.name)}, ${input.localDate}`, '');
  lines.push(`- Chair: ${esc(input.chairName)}`);
  if (input.startedAt) lines.push(`- Opened: ${formatLocal(input.startedAt, tz)} (${tz})`);
  lines.push(`- Closed: ${formatLocal(input.closedAt, tz)} (${tz})`);
  const present = input.attendees.filter((a) => a.present).map((a) => esc(a.name));
  const apologies = input.attendees
    .filter((a) => !a.present && a.apology)
    .map((a) => `${esc(a.name)} (${esc(a.apology as string)})`);
  const absent = input.attendees.filter((a) => !a.present && !a.apology).map((a) => esc(a.name));
  lines.push(`- Present: ${present.length > 0 ? present.join(', ') : 'none recorded'}`);
  if (apologies.length > 0) lines.push(`- Apologies: ${apologies.join('; ')}`);
  if (absent.length > 0) lines.push(`- Absent: ${absent.join(', ')}`);
  lines.push('', '## Agenda', '');
  for (const item of input.agenda) {
    lines.push(`${item.position}. ${esc(item.title)} (${SECTION_STATUS[item.status]})`);
    if (item.sectionKey === 'previous_actions') lines.push(...previousActionLines(input, esc));
    for (const note of item.notes) {
      const mark = note.marking === 'OFFICIAL-SENSITIVE' ? ' [OFFICIAL-SENSITIVE]' : '';
      lines.push(`   - ${esc(note.text)}${mark}`);
    }
  }
  lines.push('', `## Decisions (${input.decisions.length})`, '');
  if (input.decisions.length === 0) lines.push('No decisions recorded.');
  for (const d of input.decisions) {
    const tags = [
      d.marking === 'OFFICIAL-SENSITIVE' ? 'OFFICIAL-SENSITIVE' : null,
      d.supersededById ? `superseded by D-${d.supersededById}` : null,
      d.supersedesId ? `corrects D-${d.supersedesId}` : null,
    ].filter(Boolean);
    lines.push(`### D-${d.id}: ${esc(d.text)}${tags.length > 0 ? ` (${tags.join('; ')})` : ''}`, '');
    lines.push(`- Decision maker: ${esc(d.decisionMaker)}, ${formatLocal(d.decidedAt, tz)}`);
    if (d.correctionReason) lines.push(`- Reason for correction: ${esc(d.correctionReason)}`);
    lines.push(`- Information: ${esc(d.information)}`);
    lines.push(`- Threat, harm and risk: ${esc(d.threatRisk)}`);
    lines.push(`- Powers and policy: ${esc(d.powersPolicy)}`);
    lines.push(`- Options considered: ${esc(d.optionsConsidered)}`);
    lines.push(`- Chosen option: ${esc(d.chosenOption)}`);
    if (d.reviewPoint) lines.push(`- Review: ${esc(d.reviewPoint)}`);
    lines.push('');
  }
  lines.push(`## Actions (${input.actions.length})`, '');
  if (input.actions.length === 0) lines.push('No actions raised.');
  else {
    lines.push('| Action | Owner | Due | Category | Status |', '| --- | --- | --- | --- | --- |');
    for (const a of input.actions) {
      const status = a.result ? `${a.status}: ${esc(a.result)}` : a.status;
      const mark = a.marking === 'OFFICIAL-SENSITIVE' ? ' [OFFICIAL-SENSITIVE]' : '';
      lines.push(
        `| A-${a.id}: ${esc(a.title)}${mark} | ${esc(a.owner)} | ${a.dueOn ?? 'no date'} | ${a.category} | ${status} |`,
      );
    }
  }
  if (input.auditCheckpoint) {
    // The whole signed checkpoint: copied into a file, `dmm audit verify --checkpoints FILE` holds the log to it.
    lines.push(
      '',
      `Audit checkpoint at close (event ${input.auditCheckpoint.seq}; \`dmm audit verify --checkpoints FILE\` checks it):`,
      '',
      `    ${JSON.stringify(input.auditCheckpoint)}`,
    );
  }
  lines.push('', `**${marking}**`, '');
  return lines.join('\n');
}
