/**
 * The minutes of a meeting as a structured record: written once when the meeting closes (attendance, each agenda
 * section with its notes and the previous actions it reviewed, every decision with its rationale, every action),
 * stored as JSON, then rendered for each surface by the card builder (`cards/minutes.card.ts`): a card in Slack,
 * Teams and the console, Markdown and PDF for the file. The chair approves the record (closed -> approved); an
 * approved record never changes, and a correction is an addendum.
 */

import { z } from 'zod';
import type { AuditCheckpoint } from '../audit/audit-keys.js';
import { canonicalJson } from '../canonical-json.js';
import type { Unit } from '../units/unit.service.js';
import { highestMarking, MARKINGS, type Marking } from '../validation.js';

/** An exception of the day's brief as the minutes record it. */
export interface MinutesException {
  readonly sectionKey: string;
  /** What a person can use to find it: the force's reference, or time · type · place. */
  readonly reference: string;
  /** Why it is an exception, what and where, and whether it is still open or how it ended. */
  readonly summary: string;
  readonly marking: Marking;
}

export interface MinutesInput {
  readonly unit: Pick<Unit, 'name' | 'code' | 'timeZone'>;
  readonly localDate: string;
  readonly chairName: string;
  readonly startedAt: Date | null;
  readonly closedAt: Date;
  /**
   * Members recorded present, absent or with apologies; then guests of the meeting (participants who are not linked
   * members of the unit, by the name the meeting showed). `leftAt`: present, but left before the meeting closed.
   */
  readonly attendees: ReadonlyArray<{
    name: string;
    present: boolean;
    apology?: string | null;
    guest?: boolean;
    leftAt?: Date;
  }>;
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
    /** Its latest change of status, at any time: when and why it came to stand where it is. */
    standing?: { at: Date; note: string | null } | null;
    changes: ReadonlyArray<{
      at: Date;
      from: string | null;
      to: string | null;
      by: string;
      note: string | null;
    }>;
  }>;
  /**
   * The exceptions of the day's brief, each with the section of the agenda where the DMM discussed it (shown
   * under that section; under "not on this agenda" when the unit's agenda has no such section).
   */
  readonly exceptions?: ReadonlyArray<MinutesException>;
  /** What this meeting escalated to the TT&CG (minuted under the read-back, section 10). */
  readonly escalations?: ReadonlyArray<{
    readonly id: number;
    readonly what: string;
    readonly why: string;
    readonly resources: string | null;
    readonly tcg: string;
    readonly marking: Marking;
  }>;
  /** The audit chain's head as the meeting closed, signed: the minutes carry it outside the database. */
  readonly auditCheckpoint?: AuditCheckpoint | undefined;
}

const markingField = z.enum(MARKINGS);
const when = z.coerce.date();
const checkpointSchema = z.object({
  seq: z.number(),
  hash: z.string(),
  at: z.string(),
  keyedFrom: z.number().nullable(),
  keyId: z.string(),
  mac: z.string(),
});

/** The stored record, read back: dates revived, and a record that is not one refused rather than half shown. */
const minutesRecordSchema = z.object({
  unit: z.object({ name: z.string(), code: z.string(), timeZone: z.string() }),
  localDate: z.string(),
  chairName: z.string(),
  startedAt: when.nullable(),
  closedAt: when,
  attendees: z.array(
    z.object({
      name: z.string(),
      present: z.boolean(),
      apology: z.string().nullable().optional(),
      guest: z.boolean().optional(),
      leftAt: when.optional(),
    }),
  ),
  agenda: z.array(
    z.object({
      sectionKey: z.string().optional(),
      position: z.number(),
      title: z.string(),
      status: z.enum(['pending', 'current', 'done', 'skipped']),
      notes: z.array(z.object({ text: z.string(), marking: markingField })),
    }),
  ),
  decisions: z.array(
    z.object({
      id: z.number(),
      text: z.string(),
      decisionMaker: z.string(),
      decidedAt: when,
      marking: markingField,
      information: z.string(),
      threatRisk: z.string(),
      powersPolicy: z.string(),
      optionsConsidered: z.string(),
      chosenOption: z.string(),
      reviewPoint: z.string().nullable(),
      supersedesId: z.number().nullable(),
      correctionReason: z.string().nullable(),
      supersededById: z.number().nullable(),
    }),
  ),
  actions: z.array(
    z.object({
      id: z.number(),
      title: z.string(),
      owner: z.string(),
      dueOn: z.string().nullable(),
      category: z.string(),
      status: z.string(),
      result: z.string().nullable(),
      marking: markingField,
    }),
  ),
  previousActions: z
    .array(
      z.object({
        id: z.number(),
        title: z.string(),
        owner: z.string(),
        status: z.string(),
        marking: markingField,
        standing: z.object({ at: when, note: z.string().nullable() }).nullable().optional(),
        changes: z.array(
          z.object({
            at: when,
            from: z.string().nullable(),
            to: z.string().nullable(),
            by: z.string(),
            note: z.string().nullable(),
          }),
        ),
      }),
    )
    .optional(),
  escalations: z
    .array(
      z.object({
        id: z.number(),
        what: z.string(),
        why: z.string(),
        resources: z.string().nullable(),
        tcg: z.string(),
        marking: markingField,
      }),
    )
    .optional(),
  exceptions: z
    .array(
      z.object({ sectionKey: z.string(), reference: z.string(), summary: z.string(), marking: markingField }),
    )
    .optional(),
  auditCheckpoint: checkpointSchema.optional(),
});

/** A checkpoint as stored with minutes (its signature is checked by `dmm audit verify`, not here). */
export function readCheckpoint(stored: unknown): AuditCheckpoint {
  return checkpointSchema.parse(typeof stored === 'string' ? JSON.parse(stored) : stored);
}

/** The record as stored (JSON text: dates as ISO strings). */
export function storeMinutesRecord(record: MinutesInput): string {
  return JSON.stringify(record);
}

/** The stored record as the renderers take it; throws when the stored value is not a minutes record. */
export function readMinutesRecord(stored: unknown): MinutesInput {
  return minutesRecordSchema.parse(typeof stored === 'string' ? JSON.parse(stored) : stored);
}

/** The digest the audit log keeps of a record: SHA-256 of its canonical JSON. */
export function minutesDigestInput(record: MinutesInput): string {
  return canonicalJson(JSON.parse(storeMinutesRecord(record))) ?? '';
}

/** A correction or addition to closed or approved minutes, by the chair: kept beside the record, never in it. */
export interface MinutesAddendum {
  readonly id: number;
  readonly author: string;
  readonly at: Date;
  readonly text: string;
  readonly marking: Marking;
  /** Added to approved minutes (a correction after sign-off), not to closed ones awaiting approval. */
  readonly afterApproval: boolean;
}

/** A decision of the meeting corrected after its minutes were written: the correction supersedes it. */
export interface MinutesCorrection {
  readonly decisionId: number;
  readonly correctsId: number;
  readonly text: string;
  readonly reason: string | null;
  readonly by: string;
  readonly at: Date;
  readonly marking: Marking;
}

/** The chair's approval: who, when, and the audit chain's head of that moment (signed; null without keys). */
export interface MinutesApproval {
  readonly at: Date;
  readonly by: string;
  readonly checkpoint: AuditCheckpoint | null;
}

/** Everything a surface shows of a meeting's minutes. */
export interface MinutesView {
  readonly meetingId: number;
  readonly unitId: number;
  readonly localDate: string;
  readonly status: 'closed' | 'approved';
  /** The meeting's version, for an approval pressed from a card drawn at it. */
  readonly version: number;
  /** The record; null for minutes written before records were kept (then `legacyMarkdown` holds them). */
  readonly record: MinutesInput | null;
  readonly legacyMarkdown: string | null;
  readonly approval: MinutesApproval | null;
  readonly addenda: readonly MinutesAddendum[];
  /** Decisions of the meeting corrected since its minutes were written (shown after them, like addenda). */
  readonly corrections: readonly MinutesCorrection[];
  /** The highest marking of anything the minutes hold, addenda included. */
  readonly marking: Marking;
}

/** The highest marking in a record and its addenda: the minutes carry it in every banner, header and footer. */
export function minutesMarking(
  record: MinutesInput | null,
  addenda: readonly { marking: Marking }[],
  legacyMarkdown: string | null = null,
): Marking {
  const legacy: Marking[] = legacyMarkdown?.includes('OFFICIAL-SENSITIVE') ? ['OFFICIAL-SENSITIVE'] : [];
  return highestMarking([
    ...(record?.agenda.flatMap((a) => a.notes) ?? []),
    ...(record?.decisions ?? []),
    ...(record?.actions ?? []),
    ...(record?.previousActions ?? []),
    ...(record?.exceptions ?? []),
    ...(record?.escalations ?? []),
    ...addenda,
    ...legacy.map((m) => ({ marking: m })),
  ]);
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
