/**
 * The DMM itself: one meeting per unit per local day, scheduled -> open -> closed -> approved; the agenda is
 * stepped with next / back / skip; notes and attendance are recorded on the way; closing writes the minutes as a
 * structured record; the chair approves them, after which they never change (a correction is an addendum).
 * Every step locks the meeting row, so two people pressing "next" at once move the agenda once each, in order.
 */

import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import type { AgendaItemRow, AttendanceRow, Database, MeetingRow } from '../../db/database.js';
import type { Actor } from '../access/actor.js';
import { assertCan } from '../access/permissions.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import { ConflictError, DomainError, NotFoundError, ValidationError } from '../errors.js';
import { actorName, personName } from '../people/names.js';
import { rowById } from '../rows.js';
import type { SubmissionLedger } from '../submissions/submission.ledger.js';
import { localDateOf } from '../time.js';
import type { Unit, UnitService } from '../units/unit.service.js';
import {
  id,
  isoDate,
  isStorableId,
  type Marking,
  marking,
  parseInput,
  submissionKey,
  text,
} from '../validation.js';
import type { AgendaFeed } from './default-agenda.js';
import {
  type MinutesAddendum,
  type MinutesCorrection,
  type MinutesException,
  type MinutesInput,
  type MinutesView,
  minutesDigestInput,
  minutesMarking,
  readCheckpoint,
  readMinutesRecord,
  storeMinutesRecord,
} from './minutes.js';

export const MEETING_STATUSES = ['scheduled', 'open', 'closed', 'approved'] as const;
export type MeetingStatus = (typeof MEETING_STATUSES)[number];
export type AgendaItemStatus = 'pending' | 'current' | 'done' | 'skipped';

export interface AgendaItem {
  readonly id: number;
  readonly position: number;
  readonly sectionKey: string;
  readonly title: string;
  readonly feed: AgendaFeed;
  readonly status: AgendaItemStatus;
  readonly startedAt: Date | null;
  readonly endedAt: Date | null;
}

export interface MeetingNote {
  readonly id: number;
  readonly agendaItemId: number | null;
  readonly authorPersonId: number | null;
  readonly text: string;
  readonly marking: Marking;
  readonly createdAt: Date;
}

export interface Attendee {
  readonly personId: number;
  readonly displayName: string;
  readonly present: boolean;
  /** Not present, with apologies (what they said); null when present or absent without apologies. */
  readonly apology: string | null;
  /** From the meeting itself (a Teams meeting): when they first joined and last left; null otherwise. */
  readonly joinedAt: Date | null;
  readonly leftAt: Date | null;
}

/** Someone in the meeting who is not a linked member of the unit, by the name the meeting showed. */
export interface MeetingGuest {
  readonly name: string;
  readonly joinedAt: Date;
  /** When they last left; null while in the meeting. */
  readonly leftAt: Date | null;
}

/** One participant of a meeting's call joining or leaving, as the platform named them. */
export interface Participant {
  /** The platform's own id for them (matches a leave with its join; never shown). */
  readonly ref: string;
  /** The name the meeting showed. */
  readonly name: string;
  /** The person they are linked as, if any; a person who is not a member of the unit is a guest. */
  readonly personId: number | null;
}

export interface Meeting {
  readonly id: number;
  readonly unitId: number;
  readonly localDate: string;
  readonly status: MeetingStatus;
  readonly chairPersonId: number | null;
  readonly startedAt: Date | null;
  readonly closedAt: Date | null;
  /** When the chair approved the minutes (status approved). */
  readonly approvedAt: Date | null;
  readonly version: number;
  readonly agenda: readonly AgendaItem[];
  /** The section under discussion, if the meeting is open and not past its last section. */
  readonly current: AgendaItem | null;
}

/**
 * What a press on a meeting card carries: the meeting's version when the card was drawn (a stale card is
 * refused with the meeting as it now is) and the card's submission key (a repeat changes nothing).
 */
export interface StepOptions {
  readonly expectedVersion?: number | undefined;
  readonly submissionKey?: string | undefined;
}

const stepOptionsSchema = z.object({ expectedVersion: z.number().int().optional(), submissionKey });

export interface MeetingService {
  /** Creates a scheduled meeting for a local date (default today) with the unit's agenda. */
  schedule(actor: Actor, unitId: number, localDate?: string): Promise<Meeting>;
  /** Opens today's meeting (creating it if none is scheduled) with the actor as chair. */
  start(actor: Actor, unitId: number, options?: StepOptions): Promise<Meeting>;
  get(actor: Actor, meetingId: number): Promise<Meeting>;
  /** The unit's meeting for a local date (default today), if any. */
  findForDate(actor: Actor, unitId: number, localDate?: string): Promise<Meeting | undefined>;
  /** Ends the current section and opens the next; refused on the last section (close the meeting instead). */
  next(actor: Actor, meetingId: number, options?: StepOptions): Promise<Meeting>;
  back(actor: Actor, meetingId: number, options?: StepOptions): Promise<Meeting>;
  skip(actor: Actor, meetingId: number, options?: StepOptions): Promise<Meeting>;
  addNote(
    actor: Actor,
    meetingId: number,
    input: { text: string; marking?: Marking; submissionKey?: string },
  ): Promise<MeetingNote>;
  notes(actor: Actor, meetingId: number): Promise<MeetingNote[]>;
  recordAttendance(
    actor: Actor,
    meetingId: number,
    input: { personId: number; present: boolean; apology?: string | null; submissionKey?: string },
  ): Promise<void>;
  attendance(actor: Actor, meetingId: number): Promise<Attendee[]>;
  /**
   * Participants of the meeting's call joined or left (a Teams meeting): a member of the unit is recorded present,
   * with when they first joined and last left; anyone else is kept as a guest by the name the meeting showed.
   * Leaving does not undo attendance. Refused once the meeting has ended (its minutes are written).
   */
  recordParticipation(
    actor: Actor,
    meetingId: number,
    input: {
      event: 'joined' | 'left';
      participants: readonly Participant[];
      at?: Date;
      submissionKey?: string;
    },
  ): Promise<{ members: number; guests: number }>;
  /** The meeting's guests (participants who are not linked members of the unit), by name. */
  guests(actor: Actor, meetingId: number): Promise<MeetingGuest[]>;
  /** Closes the meeting and stores its minutes (a structured record). */
  close(
    actor: Actor,
    meetingId: number,
    options?: StepOptions,
  ): Promise<{ meeting: Meeting; minutes: MinutesView }>;
  /**
   * Minutes of the meeting on a local date, or of the latest closed or approved meeting if no date is given.
   * Reading them is a consultation and is logged.
   */
  getMinutes(actor: Actor, unitId: number, localDate?: string): Promise<MinutesView>;
  /** Minutes of a meeting by id (a press on a minutes card); logged as a consultation like `getMinutes`. */
  minutesOf(actor: Actor, meetingId: number): Promise<MinutesView>;
  /**
   * The chair approves closed minutes (closed -> approved): from then on they never change. The approval carries
   * the audit chain's head of that moment, signed (when the installation has audit keys).
   */
  approve(actor: Actor, meetingId: number, options?: StepOptions): Promise<MinutesView>;
  /** The chair adds a correction or addition to closed or approved minutes; the record itself is unchanged. */
  addAddendum(
    actor: Actor,
    meetingId: number,
    input: { text: string; marking?: Marking; submissionKey?: string },
  ): Promise<MinutesView>;
}

function toItem(row: AgendaItemRow): AgendaItem {
  return {
    id: row.id,
    position: row.position,
    sectionKey: row.section_key,
    title: row.title,
    feed: row.feed as AgendaFeed,
    status: row.status as AgendaItemStatus,
    startedAt: row.started_at,
    endedAt: row.ended_at,
  };
}

function toMeeting(row: MeetingRow, items: AgendaItemRow[]): Meeting {
  const agenda = items.map(toItem);
  return {
    id: row.id,
    unitId: row.unit_id,
    localDate: row.local_date,
    status: row.status as MeetingStatus,
    chairPersonId: row.chair_person_id,
    startedAt: row.started_at,
    closedAt: row.closed_at,
    approvedAt: row.approved_at,
    version: row.version,
    agenda,
    current: agenda.find((i) => i.status === 'current') ?? null,
  };
}

/** Adapters show these hints; they name the command that gets the user unstuck. */
const HINT_CLOSE = 'close the meeting with `meeting close`';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Closed or approved: the meeting is over and its minutes are written. */
const isEnded = (row: { status: string }) => row.status === 'closed' || row.status === 'approved';

export function createMeetingService(deps: {
  db: Kysely<Database>;
  audit: AuditService;
  clock: Clock;
  units: UnitService;
  submissions: SubmissionLedger;
  /** Reads decisions and actions for the minutes; injected to keep this service free of their internals. */
  minutesSource: (
    trx: Transaction<Database>,
    meetingId: number,
  ) => Promise<Pick<MinutesInput, 'decisions' | 'actions' | 'previousActions' | 'escalations'>>;
  /**
   * The exceptions of the unit's brief for a date, each with its section: read before the close's transaction
   * (a brief may be built and stored on the way), so the minutes record what the meeting discussed.
   */
  agendaExceptions?: (unitId: number, localDate: string) => Promise<readonly MinutesException[]>;
}): MeetingService {
  const { db, audit, clock, units, submissions, minutesSource } = deps;
  const asEntity = (m: { id: number } | { meeting: { id: number } }) => ({
    type: 'meeting',
    id: 'meeting' in m ? m.meeting.id : m.id,
  });
  const options = (input: StepOptions | undefined) => parseInput(stepOptionsSchema, input ?? {});

  function agendaRows(
    q: Kysely<Database> | Transaction<Database>,
    meetingId: number,
  ): Promise<AgendaItemRow[]> {
    return q
      .selectFrom('agenda_items')
      .selectAll()
      .where('meeting_id', '=', meetingId)
      .orderBy('position')
      .execute();
  }

  async function load(q: Kysely<Database> | Transaction<Database>, row: MeetingRow): Promise<Meeting> {
    const items = await agendaRows(q, row.id);
    return toMeeting(row, items);
  }

  function guestRows(q: Kysely<Database> | Transaction<Database>, meetingId: number) {
    return q
      .selectFrom('meeting_guests')
      .select(['name', 'joined_at', 'left_at'])
      .where('meeting_id', '=', meetingId)
      .orderBy('name')
      .orderBy('joined_at')
      .execute();
  }

  /**
   * Records a member's attendance at a meeting (added, or replacing what was recorded: `values` is given what was)
   * and audits the change with `note` beside the new values.
   */
  async function writeAttendance(
    trx: Transaction<Database>,
    actor: Actor,
    meeting: MeetingRow,
    personId: number,
    values: (previous: Pick<AttendanceRow, 'present' | 'apology' | 'joined_at' | 'left_at'> | undefined) => {
      present: boolean;
      apology: string | null;
      joined_at?: Date | null;
      left_at?: Date | null;
    },
    note: Record<string, unknown> = {},
  ): Promise<void> {
    const previous = await trx
      .selectFrom('attendance')
      .select(['present', 'apology', 'joined_at', 'left_at'])
      .where('meeting_id', '=', meeting.id)
      .where('person_id', '=', personId)
      .executeTakeFirst();
    const after = values(previous);
    const recorded = { recorded_by: actor.personId, recorded_at: clock.now() };
    await trx
      .insertInto('attendance')
      .values({ meeting_id: meeting.id, person_id: personId, ...after, ...recorded })
      .onConflict((oc) => oc.columns(['meeting_id', 'person_id']).doUpdateSet({ ...after, ...recorded }))
      .execute();
    await audit.append(trx, actor, {
      operation: previous ? 'alteration' : 'collection',
      entityType: 'attendance',
      entityId: `${meeting.id}:${personId}`,
      unitId: meeting.unit_id,
      before: previous ?? null,
      after: { ...after, ...note },
    });
  }

  function lockMeeting(trx: Transaction<Database>, meetingId: number): Promise<MeetingRow> {
    return rowById(trx, 'meetings', meetingId, 'Meeting', { forUpdate: true });
  }

  /** A press on a card drawn at another version changes nothing: the caller shows the meeting as it is now. */
  function assertVersion(row: MeetingRow, expectedVersion: number | undefined) {
    if (expectedVersion === undefined || expectedVersion === row.version) return;
    throw new ConflictError(
      `The meeting moved on since that card was drawn (it is now at version ${row.version}); nothing was changed.`,
      { meetingId: row.id, expectedVersion, currentVersion: row.version },
    );
  }

  /** Locks an open meeting for a step or a close: only its chair, and only from a card drawn at its version. */
  async function lockForChair(
    trx: Transaction<Database>,
    actor: Actor,
    meetingId: number,
    expectedVersion: number | undefined,
  ): Promise<MeetingRow> {
    const row = await lockMeeting(trx, meetingId);
    assertCan(actor, 'meeting.run', row.unit_id);
    assertVersion(row, expectedVersion);
    assertOpen(row);
    return row;
  }

  function assertOpen(row: MeetingRow) {
    if (row.status === 'open') return;
    throw new DomainError(
      isEnded(row) ? 'MEETING_CLOSED' : 'MEETING_NOT_OPEN',
      isEnded(row)
        ? `The meeting of ${row.local_date} is ${row.status}; its minutes are with \`minutes ${row.local_date}\`.`
        : `The meeting of ${row.local_date} has not started; start it with \`meeting start\`.`,
      { meetingId: row.id, status: row.status },
    );
  }

  /** The minutes of a closed or approved meeting as every surface shows them. */
  async function viewOf(q: Kysely<Database> | Transaction<Database>, row: MeetingRow): Promise<MinutesView> {
    if (!isEnded(row))
      throw new DomainError(
        'MEETING_NOT_OPEN',
        `The meeting of ${row.local_date} is ${row.status}; minutes are written when it closes.`,
        { status: row.status },
      );
    const addenda: MinutesAddendum[] = (
      await q
        .selectFrom('minutes_addenda')
        .selectAll()
        .where('meeting_id', '=', row.id)
        .orderBy('id')
        .execute()
    ).map((a) => ({
      id: a.id,
      author: a.author_label,
      at: a.created_at,
      text: a.text,
      marking: a.marking as Marking,
      afterApproval: a.minutes_status === 'approved',
    }));
    const corrections: MinutesCorrection[] = (
      await q
        .selectFrom('decisions')
        .innerJoin('people', 'people.id', 'decisions.decision_maker_id')
        .select([
          'decisions.id',
          'decisions.supersedes_id',
          'decisions.text',
          'decisions.correction_reason',
          'decisions.created_at',
          'decisions.marking',
          'people.display_name',
        ])
        .where('decisions.meeting_id', '=', row.id)
        .where('decisions.supersedes_id', 'is not', null)
        .where('decisions.created_at', '>', row.closed_at ?? new Date(0))
        .orderBy('decisions.id')
        .execute()
    ).map((d) => ({
      decisionId: d.id,
      correctsId: d.supersedes_id as number,
      text: d.text,
      reason: d.correction_reason,
      by: d.display_name,
      at: d.created_at,
      marking: d.marking as Marking,
    }));
    const record = row.minutes === null ? null : readMinutesRecord(row.minutes);
    return {
      meetingId: row.id,
      unitId: row.unit_id,
      localDate: row.local_date,
      status: row.status as MinutesView['status'],
      version: row.version,
      record,
      legacyMarkdown: record ? null : row.minutes_md,
      approval:
        row.status === 'approved' && row.approved_at
          ? {
              at: row.approved_at,
              by: row.approved_by_label ?? 'the operator',
              checkpoint: row.approval_checkpoint ? readCheckpoint(row.approval_checkpoint) : null,
            }
          : null,
      addenda,
      corrections,
      marking: minutesMarking(record, [...addenda, ...corrections], record ? null : row.minutes_md),
    };
  }

  /** The brief's exceptions for an open meeting about to close; none when there is no brief to read. */
  async function exceptionsBeforeClose(meetingId: number): Promise<readonly MinutesException[]> {
    if (!deps.agendaExceptions || !isStorableId(meetingId)) return [];
    const row = await db
      .selectFrom('meetings')
      .select(['unit_id', 'local_date', 'status'])
      .where('id', '=', meetingId)
      .executeTakeFirst();
    if (row?.status !== 'open') return [];
    return deps.agendaExceptions(row.unit_id, row.local_date).catch((error: unknown) => {
      // No brief for the day (no unit data yet, say) is not a reason to keep the meeting open.
      if (error instanceof DomainError) return [];
      throw error;
    });
  }

  /** Reads the minutes for someone: DPA 2018 s.62, reading the full record is a consultation and is logged. */
  async function consult(actor: Actor, row: MeetingRow): Promise<MinutesView> {
    const view = await viewOf(db, row);
    await audit.record(actor, {
      operation: 'consultation',
      entityType: 'minutes',
      entityId: row.id,
      unitId: row.unit_id,
      after: { localDate: row.local_date },
    });
    return view;
  }

  async function createMeeting(
    trx: Transaction<Database>,
    unit: Unit,
    localDate: string,
    status: MeetingStatus,
  ) {
    const row = await trx
      .insertInto('meetings')
      .values({
        unit_id: unit.id,
        local_date: localDate,
        status,
        chair_person_id: null,
        started_at: null,
        closed_at: null,
        minutes_md: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('agenda_items')
      .values(
        unit.agenda.map((s, i) => ({
          meeting_id: row.id,
          position: i + 1,
          section_key: s.key,
          title: s.title,
          feed: s.feed,
          status: 'pending',
          started_at: null,
          ended_at: null,
        })),
      )
      .execute();
    return row;
  }

  /** Runs one agenda step under the meeting lock and audits the before/after position. */
  async function step(
    actor: Actor,
    meetingId: number,
    name: 'next' | 'back' | 'skip',
    move: (trx: Transaction<Database>, items: AgendaItemRow[], now: Date) => Promise<void>,
    input: StepOptions | undefined,
  ): Promise<Meeting> {
    const opts = options(input);
    return submissions.change(
      actor,
      { key: opts.submissionKey, verb: `meeting.${name}` },
      asEntity,
      async (trx) => {
        const row = await lockForChair(trx, actor, meetingId, opts.expectedVersion);
        const before = await load(trx, row);
        const items = await agendaRows(trx, meetingId);
        await move(trx, items, clock.now());
        const updated = await trx
          .updateTable('meetings')
          .set({ version: row.version + 1 })
          .where('id', '=', meetingId)
          .returningAll()
          .executeTakeFirstOrThrow();
        const after = await load(trx, updated);
        await audit.append(trx, actor, {
          operation: 'alteration',
          entityType: 'meeting',
          entityId: meetingId,
          unitId: row.unit_id,
          before: { step: name, current: before.current?.position ?? null },
          after: { step: name, current: after.current?.position ?? null },
        });
        return after;
      },
    );
  }

  async function setItem(
    trx: Transaction<Database>,
    item: AgendaItemRow,
    status: AgendaItemStatus,
    now: Date,
  ) {
    await trx
      .updateTable('agenda_items')
      .set({
        status,
        ...(status === 'current' ? { started_at: item.started_at ?? now, ended_at: null } : {}),
        ...(status === 'done' || status === 'skipped' ? { ended_at: now } : {}),
      })
      .where('id', '=', item.id)
      .execute();
  }

  function advance(endAs: 'done' | 'skipped') {
    return async (trx: Transaction<Database>, items: AgendaItemRow[], now: Date) => {
      const index = items.findIndex((i) => i.status === 'current');
      const current = items[index];
      const following = items[index + 1];
      if (!current || !following) {
        // The last section ends with the meeting itself: closing marks it done and writes the minutes.
        throw new DomainError(
          'AGENDA_AT_END',
          current
            ? `${current.position}. ${current.title} is the last section; ${HINT_CLOSE}.`
            : `Every agenda section has been covered; ${HINT_CLOSE}.`,
        );
      }
      await setItem(trx, current, endAs, now);
      await setItem(trx, following, 'current', now);
    };
  }

  async function back(trx: Transaction<Database>, items: AgendaItemRow[], now: Date) {
    const index = items.findIndex((i) => i.status === 'current');
    const current = items[index];
    if (current) {
      const previous = items[index - 1];
      if (!previous)
        throw new DomainError(
          'AGENDA_AT_START',
          'This is the first agenda section; there is nothing before it.',
        );
      await setItem(trx, current, 'pending', now);
      await setItem(trx, previous, 'current', now);
      return;
    }
    // Past the last section: going back reopens the last one.
    const last = items[items.length - 1];
    if (!last) throw new DomainError('AGENDA_AT_START', 'The agenda is empty.');
    await setItem(trx, last, 'current', now);
  }

  async function findForDate(actor: Actor, unitId: number, localDate?: string) {
    assertCan(actor, 'sanitised.read', unitId);
    const unit = await units.get(unitId);
    const date = localDate ? parseInput(isoDate, localDate) : localDateOf(clock.now(), unit.timeZone);
    const row = await db
      .selectFrom('meetings')
      .selectAll()
      .where('unit_id', '=', unitId)
      .where('local_date', '=', date)
      .executeTakeFirst();
    return row ? load(db, row) : undefined;
  }

  return {
    findForDate,

    async schedule(actor, unitId, localDate) {
      assertCan(actor, 'meeting.run', unitId);
      const unit = await units.get(unitId);
      const date = localDate ? parseInput(isoDate, localDate) : localDateOf(clock.now(), unit.timeZone);
      return db.transaction().execute(async (trx) => {
        const existing = await trx
          .selectFrom('meetings')
          .selectAll()
          .where('unit_id', '=', unitId)
          .where('local_date', '=', date)
          .executeTakeFirst();
        if (existing) return load(trx, existing);
        const row = await createMeeting(trx, unit, date, 'scheduled');
        const meeting = await load(trx, row);
        await audit.append(trx, actor, {
          operation: 'collection',
          entityType: 'meeting',
          entityId: row.id,
          unitId,
          after: { localDate: date, status: 'scheduled' },
        });
        return meeting;
      });
    },

    async start(actor, unitId, input) {
      const opts = options(input);
      assertCan(actor, 'meeting.run', unitId);
      const unit = await units.get(unitId);
      const date = localDateOf(clock.now(), unit.timeZone);
      return submissions.change(
        actor,
        { key: opts.submissionKey, verb: 'meeting.start' },
        asEntity,
        async (trx) => {
          let row = await trx
            .selectFrom('meetings')
            .selectAll()
            .where('unit_id', '=', unitId)
            .where('local_date', '=', date)
            .forUpdate()
            .executeTakeFirst();
          if (row?.status === 'open') {
            throw new DomainError(
              'MEETING_ALREADY_OPEN',
              `Today's meeting is already open; see it with \`meeting agenda\`.`,
              {
                meetingId: row.id,
              },
            );
          }
          if (row && isEnded(row)) {
            throw new DomainError(
              'MEETING_CLOSED',
              `Today's meeting was closed; its minutes are with \`minutes ${date}\`.`,
              {
                meetingId: row.id,
              },
            );
          }
          row ??= await createMeeting(trx, unit, date, 'scheduled');
          const now = clock.now();
          const first = await trx
            .selectFrom('agenda_items')
            .selectAll()
            .where('meeting_id', '=', row.id)
            .orderBy('position')
            .executeTakeFirstOrThrow();
          await setItem(trx, first, 'current', now);
          const opened = await trx
            .updateTable('meetings')
            .set({
              status: 'open',
              chair_person_id: actor.personId,
              started_at: now,
              version: row.version + 1,
            })
            .where('id', '=', row.id)
            .returningAll()
            .executeTakeFirstOrThrow();
          if (actor.personId !== null) {
            await trx
              .insertInto('attendance')
              .values({
                meeting_id: row.id,
                person_id: actor.personId,
                present: true,
                recorded_by: actor.personId,
                recorded_at: now,
              })
              .onConflict((oc) => oc.columns(['meeting_id', 'person_id']).doUpdateSet({ present: true }))
              .execute();
          }
          await audit.append(trx, actor, {
            operation: 'alteration',
            entityType: 'meeting',
            entityId: row.id,
            unitId,
            before: { status: row.status },
            after: { status: 'open', chairPersonId: actor.personId },
          });
          return load(trx, opened);
        },
      );
    },

    async get(actor, meetingId) {
      if (!isStorableId(meetingId)) throw new NotFoundError('Meeting', meetingId);
      const row = await db.selectFrom('meetings').selectAll().where('id', '=', meetingId).executeTakeFirst();
      if (!row) throw new NotFoundError('Meeting', meetingId);
      assertCan(actor, 'sanitised.read', row.unit_id);
      return load(db, row);
    },

    next: (actor, meetingId, input) => step(actor, meetingId, 'next', advance('done'), input),
    skip: (actor, meetingId, input) => step(actor, meetingId, 'skip', advance('skipped'), input),
    back: (actor, meetingId, input) => step(actor, meetingId, 'back', back, input),

    async addNote(actor, meetingId, input) {
      const data = parseInput(
        z.object({ text: text(4000), marking: marking.default('OFFICIAL'), submissionKey }),
        input,
      );
      return submissions.change(
        actor,
        { key: data.submissionKey, verb: 'meeting.note' },
        (n: MeetingNote) => ({ type: 'meeting_note', id: n.id }),
        async (trx) => {
          const row = await lockMeeting(trx, meetingId);
          assertCan(actor, 'meeting.note', row.unit_id);
          assertOpen(row);
          const current = await trx
            .selectFrom('agenda_items')
            .select('id')
            .where('meeting_id', '=', meetingId)
            .where('status', '=', 'current')
            .executeTakeFirst();
          const note = await trx
            .insertInto('meeting_notes')
            .values({
              meeting_id: meetingId,
              agenda_item_id: current?.id ?? null,
              author_person_id: actor.personId,
              text: data.text,
              marking: data.marking,
              created_at: clock.now(),
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          const result: MeetingNote = {
            id: note.id,
            agendaItemId: note.agenda_item_id,
            authorPersonId: note.author_person_id,
            text: note.text,
            marking: note.marking as Marking,
            createdAt: note.created_at,
          };
          await audit.append(trx, actor, {
            operation: 'collection',
            entityType: 'meeting_note',
            entityId: note.id,
            unitId: row.unit_id,
            after: result,
          });
          return result;
        },
      );
    },

    async notes(actor, meetingId) {
      const meeting = await this.get(actor, meetingId);
      assertCan(actor, 'records.read', meeting.unitId);
      const rows = await db
        .selectFrom('meeting_notes')
        .selectAll()
        .where('meeting_id', '=', meetingId)
        .orderBy('id')
        .execute();
      return rows.map((n) => ({
        id: n.id,
        agendaItemId: n.agenda_item_id,
        authorPersonId: n.author_person_id,
        text: n.text,
        marking: n.marking as Marking,
        createdAt: n.created_at,
      }));
    },

    async recordAttendance(actor, meetingId, input) {
      const data = parseInput(
        z
          .object({
            personId: id,
            present: z.boolean({ error: 'must be true or false' }),
            apology: text(500).nullish(),
            submissionKey,
          })
          .refine((d) => !(d.present && d.apology), {
            path: ['apology'],
            message: 'apologies are for someone not present',
          }),
        input,
      );
      const apology = data.present ? null : (data.apology ?? null);
      await submissions.change(
        actor,
        { key: data.submissionKey, verb: 'meeting.attendance' },
        () => ({ type: 'meeting', id: meetingId }),
        async (trx) => {
          const row = await lockMeeting(trx, meetingId);
          // The chair records anyone; anyone else may only record themselves.
          if (actor.personId !== data.personId) assertCan(actor, 'meeting.attendance', row.unit_id);
          else assertCan(actor, 'sanitised.read', row.unit_id);
          if (isEnded(row)) assertOpen(row);
          const member = await trx
            .selectFrom('memberships')
            .select('person_id')
            .where('unit_id', '=', row.unit_id)
            .where('person_id', '=', data.personId)
            .executeTakeFirst();
          if (!member)
            throw ValidationError.field('personId', `person ${data.personId} is not a member of this unit`);
          await writeAttendance(trx, actor, row, data.personId, () => ({ present: data.present, apology }));
        },
      );
    },

    async recordParticipation(actor, meetingId, input) {
      const data = parseInput(
        z.object({
          event: z.enum(['joined', 'left'], { error: 'must be joined or left' }),
          participants: z
            .array(
              z.object({
                ref: text(500),
                // The name the meeting showed; one with none is kept as "Guest".
                name: z.string().transform(
                  (v) =>
                    v
                      .replace(/\p{Cc}/gu, ' ')
                      .trim()
                      .slice(0, 200) || 'Guest',
                ),
                personId: id.nullable(),
              }),
            )
            .max(500, 'at most 500 participants in one event'),
          at: z.date().optional(),
          submissionKey,
        }),
        input,
      );
      const at = data.at ?? clock.now();
      const joined = data.event === 'joined';
      return submissions.change(
        actor,
        { key: data.submissionKey, verb: 'meeting.participation' },
        () => ({ type: 'meeting', id: meetingId }),
        async (trx) => {
          const row = await lockMeeting(trx, meetingId);
          assertCan(actor, 'meeting.attendance', row.unit_id);
          if (isEnded(row)) assertOpen(row);
          const linked = data.participants.flatMap((p) => (p.personId === null ? [] : [p.personId]));
          const members = new Set(
            linked.length === 0
              ? []
              : (
                  await trx
                    .selectFrom('memberships')
                    .select('person_id')
                    .where('unit_id', '=', row.unit_id)
                    .where('person_id', 'in', linked)
                    .execute()
                ).map((m) => m.person_id),
          );
          let counted = { members: 0, guests: 0 };
          for (const p of data.participants) {
            if (p.personId !== null && members.has(p.personId)) {
              await writeAttendance(
                trx,
                actor,
                row,
                p.personId,
                (previous) => ({
                  present: true,
                  apology: null,
                  joined_at: previous?.joined_at ?? (joined ? at : null),
                  left_at: joined ? null : at,
                }),
                { event: data.event },
              );
              counted = { ...counted, members: counted.members + 1 };
              continue;
            }
            const previous = await trx
              .selectFrom('meeting_guests')
              .select(['name', 'joined_at', 'left_at'])
              .where('meeting_id', '=', meetingId)
              .where('ref', '=', p.ref)
              .executeTakeFirst();
            const after = {
              name: p.name,
              joined_at: previous?.joined_at ?? at,
              left_at: joined ? null : at,
            };
            await trx
              .insertInto('meeting_guests')
              .values({ meeting_id: meetingId, ref: p.ref, ...after })
              .onConflict((oc) => oc.columns(['meeting_id', 'ref']).doUpdateSet(after))
              .execute();
            await audit.append(trx, actor, {
              operation: previous ? 'alteration' : 'collection',
              entityType: 'meeting_guest',
              entityId: `${meetingId}:${sha256(p.ref).slice(0, 16)}`,
              unitId: row.unit_id,
              before: previous ?? null,
              after: { ...after, event: data.event },
            });
            counted = { ...counted, guests: counted.guests + 1 };
          }
          return counted;
        },
      );
    },

    async guests(actor, meetingId) {
      const meeting = await this.get(actor, meetingId);
      assertCan(actor, 'records.read', meeting.unitId);
      return (await guestRows(db, meetingId)).map((g) => ({
        name: g.name,
        joinedAt: g.joined_at,
        leftAt: g.left_at,
      }));
    },

    async attendance(actor, meetingId) {
      const meeting = await this.get(actor, meetingId);
      assertCan(actor, 'records.read', meeting.unitId);
      const rows = await db
        .selectFrom('attendance')
        .innerJoin('people', 'people.id', 'attendance.person_id')
        .select([
          'attendance.person_id',
          'people.display_name',
          'attendance.present',
          'attendance.apology',
          'attendance.joined_at',
          'attendance.left_at',
        ])
        .where('attendance.meeting_id', '=', meetingId)
        .orderBy('people.display_name')
        .execute();
      return rows.map((r) => ({
        personId: r.person_id,
        displayName: r.display_name,
        present: r.present,
        apology: r.apology,
        joinedAt: r.joined_at,
        leftAt: r.left_at,
      }));
    },

    async close(actor, meetingId, input) {
      const opts = options(input);
      const exceptions = await exceptionsBeforeClose(meetingId);
      return submissions.change(
        actor,
        { key: opts.submissionKey, verb: 'meeting.close' },
        asEntity,
        async (trx) => {
          const row = await lockForChair(trx, actor, meetingId, opts.expectedVersion);
          const now = clock.now();
          const current = await trx
            .selectFrom('agenda_items')
            .selectAll()
            .where('meeting_id', '=', meetingId)
            .where('status', '=', 'current')
            .executeTakeFirst();
          if (current) await setItem(trx, current, 'done', now);
          const unit = await units.get(row.unit_id, trx);
          const items = await agendaRows(trx, meetingId);
          const notes = await trx
            .selectFrom('meeting_notes')
            .selectAll()
            .where('meeting_id', '=', meetingId)
            .orderBy('id')
            .execute();
          const attendees = await trx
            .selectFrom('attendance')
            .innerJoin('people', 'people.id', 'attendance.person_id')
            .select(['people.display_name', 'attendance.present', 'attendance.apology', 'attendance.left_at'])
            .where('attendance.meeting_id', '=', meetingId)
            .orderBy('people.display_name')
            .execute();
          const guests = await guestRows(trx, meetingId);
          const chairName = await personName(trx, actor.personId ?? row.chair_person_id);
          const source = await minutesSource(trx, meetingId);
          const record: MinutesInput = {
            unit: { name: unit.name, code: unit.code, timeZone: unit.timeZone },
            localDate: row.local_date,
            chairName: chairName ?? actor.label,
            startedAt: row.started_at,
            closedAt: now,
            agenda: items.map((i) => ({
              sectionKey: i.section_key,
              position: i.position,
              title: i.title,
              status: i.status as AgendaItemStatus,
              notes: notes
                .filter((n) => n.agenda_item_id === i.id)
                .map((n) => ({ text: n.text, marking: n.marking as Marking })),
            })),
            attendees: [
              ...attendees.map((a) => ({
                name: a.display_name,
                present: a.present,
                apology: a.apology,
                ...(a.present && a.left_at ? { leftAt: a.left_at } : {}),
              })),
              ...guests.map((g) => ({
                name: g.name,
                present: true,
                guest: true,
                ...(g.left_at ? { leftAt: g.left_at } : {}),
              })),
            ],
            ...source,
            ...(exceptions.length > 0 ? { exceptions } : {}),
            // The day's minutes carry the audit chain's head, signed, outside the database.
            ...(audit.keyed ? { auditCheckpoint: await audit.checkpoint(trx) } : {}),
          };
          const closed = await trx
            .updateTable('meetings')
            .set({
              status: 'closed',
              closed_at: now,
              minutes: storeMinutesRecord(record),
              version: row.version + 1,
            })
            .where('id', '=', meetingId)
            .returningAll()
            .executeTakeFirstOrThrow();
          await audit.append(trx, actor, {
            operation: 'alteration',
            entityType: 'meeting',
            entityId: meetingId,
            unitId: row.unit_id,
            before: { status: 'open' },
            after: { status: 'closed', minutesSha256: sha256(minutesDigestInput(record)) },
          });
          return { meeting: await load(trx, closed), minutes: await viewOf(trx, closed) };
        },
      );
    },

    async getMinutes(actor, unitId, localDate) {
      assertCan(actor, 'records.read', unitId);
      let q = db.selectFrom('meetings').selectAll().where('unit_id', '=', unitId);
      q = localDate
        ? q.where('local_date', '=', parseInput(isoDate, localDate))
        : q.where('status', 'in', ['closed', 'approved']).orderBy('local_date', 'desc').limit(1);
      const row = await q.executeTakeFirst();
      if (!row) {
        if (localDate) throw new NotFoundError('Meeting on', localDate);
        throw new DomainError(
          'NOT_FOUND',
          'No meeting has been closed yet; minutes are written when a meeting closes.',
          { entity: 'Minutes' },
        );
      }
      return consult(actor, row);
    },

    async minutesOf(actor, meetingId) {
      if (!isStorableId(meetingId)) throw new NotFoundError('Meeting', meetingId);
      const row = await db.selectFrom('meetings').selectAll().where('id', '=', meetingId).executeTakeFirst();
      if (!row) throw new NotFoundError('Meeting', meetingId);
      assertCan(actor, 'records.read', row.unit_id);
      return consult(actor, row);
    },

    async approve(actor, meetingId, input) {
      const opts = options(input);
      return submissions.change(
        actor,
        { key: opts.submissionKey, verb: 'minutes.approve' },
        (v: MinutesView) => ({ type: 'meeting', id: v.meetingId }),
        async (trx) => {
          const row = await lockMeeting(trx, meetingId);
          assertCan(actor, 'meeting.run', row.unit_id);
          assertVersion(row, opts.expectedVersion);
          if (row.status === 'approved')
            throw new DomainError(
              'MINUTES_APPROVED',
              `The minutes of ${row.local_date} were approved already; a correction is an addendum (\`minutes addendum ${row.local_date} <text>\`).`,
              { meetingId: row.id },
            );
          if (row.status !== 'closed')
            throw new DomainError(
              'MEETING_NOT_CLOSED',
              `The meeting of ${row.local_date} is ${row.status}: minutes are approved once it is closed (\`meeting close\`).`,
              { meetingId: row.id, status: row.status },
            );
          const now = clock.now();
          const view = await viewOf(trx, row);
          // The approval is logged first, so the checkpoint that the approved minutes carry covers it.
          await audit.append(trx, actor, {
            operation: 'alteration',
            entityType: 'meeting',
            entityId: meetingId,
            unitId: row.unit_id,
            before: { status: 'closed' },
            after: {
              status: 'approved',
              ...(view.record ? { minutesSha256: sha256(minutesDigestInput(view.record)) } : {}),
              addenda: view.addenda.map((a) => a.id),
            },
          });
          const checkpoint = audit.keyed ? await audit.checkpoint(trx) : null;
          const approved = await trx
            .updateTable('meetings')
            .set({
              status: 'approved',
              approved_at: now,
              approved_by_person_id: actor.personId,
              approved_by_label: await actorName(trx, actor),
              approval_checkpoint: checkpoint === null ? null : JSON.stringify(checkpoint),
              version: row.version + 1,
            })
            .where('id', '=', meetingId)
            .returningAll()
            .executeTakeFirstOrThrow();
          return viewOf(trx, approved);
        },
      );
    },

    async addAddendum(actor, meetingId, input) {
      const data = parseInput(
        z.object({ text: text(4000), marking: marking.default('OFFICIAL'), submissionKey }),
        input,
      );
      return submissions.change(
        actor,
        { key: data.submissionKey, verb: 'minutes.addendum' },
        (v: MinutesView) => ({ type: 'meeting', id: v.meetingId }),
        async (trx) => {
          const row = await lockMeeting(trx, meetingId);
          assertCan(actor, 'meeting.run', row.unit_id);
          if (!isEnded(row))
            throw new DomainError(
              'MEETING_NOT_CLOSED',
              `The meeting of ${row.local_date} is ${row.status}: while it runs, add a note (\`note <text>\`); addenda are for minutes already written.`,
              { meetingId: row.id, status: row.status },
            );
          const added = await trx
            .insertInto('minutes_addenda')
            .values({
              meeting_id: meetingId,
              author_person_id: actor.personId,
              author_label: await actorName(trx, actor),
              text: data.text,
              marking: data.marking,
              minutes_status: row.status,
              created_at: clock.now(),
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          await audit.append(trx, actor, {
            operation: 'collection',
            entityType: 'minutes_addendum',
            entityId: added.id,
            unitId: row.unit_id,
            after: { meetingId, text: added.text, marking: added.marking, minutesStatus: row.status },
          });
          return viewOf(trx, row);
        },
      );
    },
  };
}
