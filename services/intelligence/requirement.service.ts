/**
 * The intelligence requirements register: what the DMM needs to know to deliver a priority, as a question with an
 * owner, an expiry and a marking. Anyone of the unit drafts one; the chair approves it (the approval is what is
 * communicated to the unit's channels, see jobs/intelligence.job.ts) or closes it; analysts and members record
 * answers against an approved one until it expires or is closed. Every change is audited; answers are added,
 * never changed.
 */

import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import type { Database, IntelligenceAnswerRow, IntelligenceRequirementRow } from '../../db/database.js';
import type { Actor } from '../access/actor.js';
import { assertCan } from '../access/permissions.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import { DomainError, ValidationError } from '../errors.js';
import { openMeetingId } from '../meetings/open-meeting.js';
import { assertInternalMember } from '../people/members.js';
import { actorName, personName } from '../people/names.js';
import { rowById } from '../rows.js';
import type { SubmissionLedger } from '../submissions/submission.ledger.js';
import { localDateOf } from '../time.js';
import type { Unit, UnitService } from '../units/unit.service.js';
import {
  highestMarking,
  id,
  isoDate,
  type Marking,
  marking,
  optionalText,
  parseInput,
  submissionKey,
  text,
} from '../validation.js';

export type RequirementStatus = 'draft' | 'approved' | 'closed';

export interface IntelligenceAnswer {
  readonly id: number;
  readonly requirementId: number;
  readonly answer: string;
  readonly marking: Marking;
  readonly by: string;
  readonly at: Date;
  readonly meetingId: number | null;
}

export interface IntelligenceRequirement {
  readonly id: number;
  readonly unitId: number;
  readonly question: string;
  readonly priorityId: number | null;
  /** The title of the priority it serves (the priority's own marking is not above the requirement's). */
  readonly priorityTitle: string | null;
  readonly ownerPersonId: number | null;
  readonly owner: string | null;
  readonly expiresOn: string | null;
  readonly marking: Marking;
  readonly status: RequirementStatus;
  /** Approved, and its expiry date has passed in the unit's time zone: no more answers are taken. */
  readonly expired: boolean;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly approvedBy: string | null;
  readonly approvedAt: Date | null;
  readonly closedBy: string | null;
  readonly closedAt: Date | null;
  readonly closeNote: string | null;
  readonly version: number;
  readonly answers: readonly IntelligenceAnswer[];
}

const draftSchema = z.object({
  unitId: id,
  question: text(1000),
  priorityId: id.nullish(),
  ownerPersonId: id.nullish(),
  expiresOn: isoDate.nullish(),
  marking: marking.default('OFFICIAL'),
  submissionKey,
});

const approveSchema = z.object({ submissionKey });
const answerSchema = z.object({ answer: text(4000), marking: marking.optional(), submissionKey });
const closeSchema = z.object({ note: optionalText(2000), submissionKey });

export interface IntelligenceService {
  /** Drafts a requirement (anyone of the unit); it takes answers once the chair approves it. */
  draft(actor: Actor, input: z.input<typeof draftSchema>): Promise<IntelligenceRequirement>;
  /** The chair approves a draft, once. */
  approve(
    actor: Actor,
    requirementId: number,
    input: z.input<typeof approveSchema>,
  ): Promise<IntelligenceRequirement>;
  /** Records an answer against an approved, unexpired requirement; marked at least as the requirement is. */
  answer(
    actor: Actor,
    requirementId: number,
    input: z.input<typeof answerSchema>,
  ): Promise<IntelligenceRequirement>;
  /** The chair closes a requirement (answered, or no longer needed), once. */
  close(
    actor: Actor,
    requirementId: number,
    input: z.input<typeof closeSchema>,
  ): Promise<IntelligenceRequirement>;
  get(actor: Actor, requirementId: number): Promise<IntelligenceRequirement>;
  /**
   * The unit's register, newest first: all, or those of one status; `activeOn` keeps the approved ones not expired
   * on that local date (what section 7 of the meeting reviews).
   */
  list(
    actor: Actor,
    unitId: number,
    filter?: { readonly status?: RequirementStatus; readonly activeOn?: string },
  ): Promise<IntelligenceRequirement[]>;
}

function toAnswer(row: IntelligenceAnswerRow): IntelligenceAnswer {
  return {
    id: row.id,
    requirementId: row.requirement_id,
    answer: row.answer,
    marking: row.marking as Marking,
    by: row.by_label,
    at: row.at,
    meetingId: row.meeting_id,
  };
}

type Q = Kysely<Database> | Transaction<Database>;

const REQUIREMENT = 'Intelligence requirement';

export function createIntelligenceService(deps: {
  db: Kysely<Database>;
  audit: AuditService;
  clock: Clock;
  units: UnitService;
  submissions: SubmissionLedger;
}): IntelligenceService {
  const { db, audit, clock, units, submissions } = deps;
  const asEntity = (r: IntelligenceRequirement) => ({ type: 'intelligence_requirement', id: r.id });

  async function view(q: Q, row: IntelligenceRequirementRow): Promise<IntelligenceRequirement> {
    const unit = await units.get(row.unit_id, q);
    const [answers, priority] = await Promise.all([
      q
        .selectFrom('intelligence_answers')
        .selectAll()
        .where('requirement_id', '=', row.id)
        .orderBy('id')
        .execute(),
      row.priority_id === null
        ? undefined
        : q.selectFrom('priorities').select('title').where('id', '=', row.priority_id).executeTakeFirst(),
    ]);
    return {
      id: row.id,
      unitId: row.unit_id,
      question: row.question,
      priorityId: row.priority_id,
      priorityTitle: priority?.title ?? null,
      ownerPersonId: row.owner_person_id,
      owner: (await personName(q, row.owner_person_id)) ?? null,
      expiresOn: row.expires_on,
      marking: row.marking as Marking,
      status: row.status as RequirementStatus,
      expired: row.status === 'approved' && pastExpiry(row, unit),
      createdBy: row.created_by_label,
      createdAt: row.created_at,
      approvedBy: row.approved_by_label,
      approvedAt: row.approved_at,
      closedBy: row.closed_by_label,
      closedAt: row.closed_at,
      closeNote: row.close_note,
      version: row.version,
      answers: answers.map(toAnswer),
    };
  }

  function lock(trx: Transaction<Database>, requirementId: number) {
    return rowById(trx, 'intelligence_requirements', requirementId, REQUIREMENT, { forUpdate: true });
  }

  /** Whether an approved requirement's expiry date has passed in its unit's time zone. */
  const pastExpiry = (row: Pick<IntelligenceRequirementRow, 'expires_on'>, unit: Unit) =>
    row.expires_on !== null && row.expires_on < localDateOf(clock.now(), unit.timeZone);

  /**
   * A change of one requirement: once per submission key, on its locked row, by whoever holds the verb's permission
   * on its unit (the chair approves and closes; anyone of the unit answers).
   */
  function changeRequirement(
    actor: Actor,
    verb: 'intelligence.approve' | 'intelligence.answer' | 'intelligence.close',
    key: string | undefined,
    requirementId: number,
    change: (
      trx: Transaction<Database>,
      row: IntelligenceRequirementRow,
      unit: Unit,
    ) => Promise<IntelligenceRequirement>,
  ): Promise<IntelligenceRequirement> {
    return submissions.change(actor, { key, verb }, asEntity, async (trx) => {
      const row = await lock(trx, requirementId);
      assertCan(
        actor,
        verb === 'intelligence.answer' ? 'intelligence.record' : 'intelligence.approve',
        row.unit_id,
      );
      return change(trx, row, await units.get(row.unit_id, trx));
    });
  }

  /** Applies a change to a locked requirement, audited with before and after. */
  async function alter(
    trx: Transaction<Database>,
    actor: Actor,
    row: IntelligenceRequirementRow,
    set: Partial<
      Pick<
        IntelligenceRequirementRow,
        'status' | 'approved_by_label' | 'approved_at' | 'closed_by_label' | 'closed_at' | 'close_note'
      >
    >,
  ): Promise<IntelligenceRequirement> {
    const before = await view(trx, row);
    const updated = await trx
      .updateTable('intelligence_requirements')
      .set({ ...set, version: row.version + 1 })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const after = await view(trx, updated);
    await audit.append(trx, actor, {
      operation: 'alteration',
      entityType: 'intelligence_requirement',
      entityId: row.id,
      unitId: row.unit_id,
      before: { ...before, answers: before.answers.length },
      after: { ...after, answers: after.answers.length },
    });
    return after;
  }

  return {
    async draft(actor, input) {
      const data = parseInput(draftSchema, input);
      assertCan(actor, 'intelligence.record', data.unitId);
      return submissions.change(
        actor,
        { key: data.submissionKey, verb: 'intelligence.draft' },
        asEntity,
        async (trx) => {
          const unit = await units.get(data.unitId, trx);
          if (data.priorityId) {
            const p = await trx
              .selectFrom('priorities')
              .select(['unit_id', 'marking'])
              .where('id', '=', data.priorityId)
              .executeTakeFirst();
            if (!p || p.unit_id !== unit.id)
              throw ValidationError.field(
                'priorityId',
                'no such priority on this unit: `dmm priorities` lists them',
              );
            if (p.marking === 'OFFICIAL-SENSITIVE' && data.marking === 'OFFICIAL')
              throw ValidationError.field(
                'marking',
                'the priority it serves is OFFICIAL-SENSITIVE: mark the requirement OFFICIAL-SENSITIVE too',
              );
          }
          if (data.ownerPersonId)
            await assertInternalMember(
              trx,
              unit.id,
              data.ownerPersonId,
              'ownerPersonId',
              'own an intelligence requirement',
            );
          if (data.expiresOn && data.expiresOn < localDateOf(clock.now(), unit.timeZone))
            throw ValidationError.field(
              'expiresOn',
              `${data.expiresOn} has passed: give today or a later date`,
            );
          const row = await trx
            .insertInto('intelligence_requirements')
            .values({
              unit_id: unit.id,
              question: data.question,
              priority_id: data.priorityId ?? null,
              owner_person_id: data.ownerPersonId ?? null,
              expires_on: data.expiresOn ?? null,
              marking: data.marking,
              status: 'draft',
              created_by_person_id: actor.personId,
              created_by_label: await actorName(trx, actor),
              created_at: clock.now(),
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          const requirement = await view(trx, row);
          await audit.append(trx, actor, {
            operation: 'collection',
            entityType: 'intelligence_requirement',
            entityId: row.id,
            unitId: unit.id,
            after: { ...requirement, answers: 0 },
          });
          return requirement;
        },
      );
    },

    async approve(actor, requirementId, input) {
      const data = parseInput(approveSchema, input);
      return changeRequirement(
        actor,
        'intelligence.approve',
        data.submissionKey,
        requirementId,
        async (trx, row, unit) => {
          if (row.status !== 'draft')
            throw new DomainError(
              'CONFLICT',
              row.status === 'approved'
                ? `IR-${row.id} was approved already (${row.approved_by_label}).`
                : `IR-${row.id} is closed: draft a new requirement if the question stands.`,
              { requirementId: row.id, status: row.status },
            );
          if (pastExpiry(row, unit))
            throw new DomainError(
              'CONFLICT',
              `IR-${row.id} expired on ${row.expires_on} before it was approved: draft it again with a new expiry.`,
              { requirementId: row.id },
            );
          return alter(trx, actor, row, {
            status: 'approved',
            approved_by_label: await actorName(trx, actor),
            approved_at: clock.now(),
          });
        },
      );
    },

    async answer(actor, requirementId, input) {
      const data = parseInput(answerSchema, input);
      return changeRequirement(
        actor,
        'intelligence.answer',
        data.submissionKey,
        requirementId,
        async (trx, row, unit) => {
          const refuse = (why: string) =>
            new DomainError('CONFLICT', `IR-${row.id} ${why}`, { requirementId: row.id });
          if (row.status === 'draft')
            throw refuse('is a draft: the chair approves it before it takes answers.');
          if (row.status === 'closed')
            throw refuse(`is closed (${row.closed_by_label}); it takes no more answers.`);
          if (pastExpiry(row, unit))
            throw refuse(
              `expired on ${row.expires_on}; it takes no more answers (the chair may draft it again).`,
            );
          const answerMarking = highestMarking([
            { marking: row.marking as Marking },
            { marking: data.marking },
          ]);
          const added = await trx
            .insertInto('intelligence_answers')
            .values({
              requirement_id: row.id,
              answer: data.answer,
              marking: answerMarking,
              by_person_id: actor.personId,
              by_label: await actorName(trx, actor),
              meeting_id: await openMeetingId(trx, row.unit_id, localDateOf(clock.now(), unit.timeZone)),
              at: clock.now(),
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          // The requirement's version moves with each answer, so a card showing it is known to be stale.
          const updated = await trx
            .updateTable('intelligence_requirements')
            .set({ version: row.version + 1 })
            .where('id', '=', row.id)
            .returningAll()
            .executeTakeFirstOrThrow();
          await audit.append(trx, actor, {
            operation: 'collection',
            entityType: 'intelligence_answer',
            entityId: added.id,
            unitId: row.unit_id,
            after: toAnswer(added),
          });
          return view(trx, updated);
        },
      );
    },

    async close(actor, requirementId, input) {
      const data = parseInput(closeSchema, input);
      return changeRequirement(
        actor,
        'intelligence.close',
        data.submissionKey,
        requirementId,
        async (trx, row) => {
          if (row.status === 'closed')
            throw new DomainError('CONFLICT', `IR-${row.id} was closed already (${row.closed_by_label}).`, {
              requirementId: row.id,
            });
          return alter(trx, actor, row, {
            status: 'closed',
            closed_by_label: await actorName(trx, actor),
            closed_at: clock.now(),
            close_note: data.note,
          });
        },
      );
    },

    async get(actor, requirementId) {
      const row = await rowById(db, 'intelligence_requirements', requirementId, REQUIREMENT);
      assertCan(actor, 'records.read', row.unit_id);
      return view(db, row);
    },

    async list(actor, unitId, filter = {}) {
      assertCan(actor, 'records.read', unitId);
      let q = db.selectFrom('intelligence_requirements').selectAll().where('unit_id', '=', unitId);
      if (filter.status) q = q.where('status', '=', filter.status);
      if (filter.activeOn) {
        const on = filter.activeOn;
        q = q
          .where('status', '=', 'approved')
          .where((eb) => eb.or([eb('expires_on', 'is', null), eb('expires_on', '>=', on)]));
      }
      const rows = await q.orderBy('id', 'desc').limit(200).execute();
      return Promise.all(rows.map((row) => view(db, row)));
    },
  };
}
