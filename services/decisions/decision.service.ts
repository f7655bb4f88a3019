/**
 * Decisions: immutable records with a rationale structured on the National Decision Model. A correction is a
 * new decision that supersedes the old one; the old one stays readable and points to its correction.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import { z } from 'zod';
import type { Database, DecisionRow } from '../../db/database.js';
import type { Actor } from '../access/actor.js';
import { assertCan } from '../access/permissions.js';
import type { AuditService } from '../audit/audit.service.js';
import { markBriefsStaleFrom } from '../briefs/stale.js';
import type { Clock } from '../clock.js';
import { DomainError, NotFoundError, ValidationError } from '../errors.js';
import { openMeetingId } from '../meetings/open-meeting.js';
import { actorName } from '../people/names.js';
import type { SubmissionLedger } from '../submissions/submission.ledger.js';
import { addDays, localDateOf, startOfLocalDay } from '../time.js';
import type { UnitService } from '../units/unit.service.js';
import {
  id,
  isoDate,
  isStorableId,
  type Marking,
  marking,
  optionalText,
  parseInput,
  submissionKey,
  text,
} from '../validation.js';

/** The rationale, following the National Decision Model's stages. */
export interface Rationale {
  /** Information and intelligence considered. */
  readonly information: string;
  /** Threat, harm and risk assessment. */
  readonly threatRisk: string;
  /** Powers and policy relied on. */
  readonly powersPolicy: string;
  /** Options considered. */
  readonly optionsConsidered: string;
  /** The option chosen, and why. */
  readonly chosenOption: string;
  /** When and how the decision will be reviewed. */
  readonly reviewPoint: string | null;
}

export interface Decision {
  readonly id: number;
  readonly unitId: number;
  readonly meetingId: number | null;
  readonly agendaItemId: number | null;
  readonly text: string;
  readonly decisionMakerId: number;
  readonly decidedAt: Date;
  readonly rationale: Rationale;
  readonly priorityId: number | null;
  readonly incidentRef: string | null;
  readonly marking: Marking;
  readonly supersedesId: number | null;
  readonly correctionReason: string | null;
  /** The decision that corrected this one, if any. */
  readonly supersededById: number | null;
  /** When it is to be reviewed (the DMM of that day reviews it until a review is recorded). */
  readonly reviewOn: string | null;
}

/** A review of a decision: confirmed (with the next review date, if any) or closed. */
export interface DecisionReview {
  readonly id: number;
  readonly decisionId: number;
  readonly outcome: 'confirmed' | 'closed';
  readonly nextReviewOn: string | null;
  readonly note: string | null;
  readonly reviewer: string;
  readonly reviewedAt: Date;
}

/** A decision due for review on a date: its latest review date came and no review has answered it. */
export interface DecisionDue {
  readonly id: number;
  readonly text: string;
  readonly reviewOn: string;
  readonly marking: Marking;
}

const reviewSchema = z
  .object({
    outcome: z.enum(['confirmed', 'closed'], { error: 'must be confirmed or closed' }),
    nextReviewOn: isoDate.nullish(),
    note: optionalText(2000),
    submissionKey,
  })
  .refine((r) => r.outcome === 'confirmed' || !r.nextReviewOn, {
    message: 'a closed decision has no next review date',
    path: ['nextReviewOn'],
  });

const rationaleSchema = z.object(
  {
    information: text(4000),
    threatRisk: text(4000),
    powersPolicy: text(4000),
    optionsConsidered: text(4000),
    chosenOption: text(4000),
    reviewPoint: optionalText(500),
  },
  { error: 'is required: information, threatRisk, powersPolicy, optionsConsidered, chosenOption' },
);

export const recordDecisionSchema = z.object({
  unitId: id,
  meetingId: id.nullish(),
  text: text(2000),
  rationale: rationaleSchema,
  priorityId: id.nullish(),
  incidentRef: optionalText(64),
  marking: marking.default('OFFICIAL'),
  /** When the decision is to be reviewed. */
  reviewOn: isoDate.nullish(),
  submissionKey,
});

export const supersedeSchema = recordDecisionSchema.omit({ unitId: true, meetingId: true }).extend({
  reason: text(1000),
});

const listSchema = z.object({
  from: isoDate.optional(),
  to: isoDate.optional(),
  meetingId: id.optional(),
  includeSuperseded: z.boolean().default(true),
});

export interface DecisionService {
  record(actor: Actor, input: z.input<typeof recordDecisionSchema>): Promise<Decision>;
  supersede(actor: Actor, decisionId: number, input: z.input<typeof supersedeSchema>): Promise<Decision>;
  get(actor: Actor, decisionId: number): Promise<Decision>;
  /** Decisions on a unit, oldest first; `from`/`to` are inclusive local dates in the unit's zone. */
  list(actor: Actor, unitId: number, filter?: z.input<typeof listSchema>): Promise<Decision[]>;
  /**
   * Records a review of a standing decision (chair): confirmed, with the next review date if there is one, or
   * closed. A decision changed by a new one is corrected instead (`supersede`), which ends its reviews.
   */
  review(actor: Actor, decisionId: number, input: z.input<typeof reviewSchema>): Promise<DecisionReview>;
  reviews(actor: Actor, decisionId: number): Promise<DecisionReview[]>;
  /** The unit's standing decisions whose review date is on or before a local date and not yet answered. */
  dueForReview(actor: Actor, unitId: number, localDate: string): Promise<DecisionDue[]>;
}

/**
 * The unit's standing decisions due for review on a local date. The review date a decision stands at is its own,
 * or the latest review's next date (none once closed, or confirmed without one); a corrected decision is not
 * reviewed (its correction is). Shared by the service and the brief.
 */
export async function decisionsDueForReview(
  q: Kysely<Database> | Transaction<Database>,
  unitId: number,
  localDate: string,
): Promise<DecisionDue[]> {
  const rows = await sql<{ id: number; text: string; marking: string; due_on: string }>`
    select d.id, d.text, d.marking,
           coalesce(r.next_review_on, case when r.id is null then d.review_on end)::text as due_on
    from decisions d
    left join lateral (
      select id, next_review_on from decision_reviews where decision_id = d.id order by id desc limit 1
    ) r on true
    where d.unit_id = ${unitId}
      and (d.review_on is not null or exists (select 1 from decision_reviews x where x.decision_id = d.id))
      and not exists (select 1 from decisions c where c.supersedes_id = d.id)
      and coalesce(r.next_review_on, case when r.id is null then d.review_on end) <= ${localDate}::date
    order by due_on, d.id`.execute(q);
  return rows.rows.map((r) => ({
    id: r.id,
    text: r.text,
    reviewOn: r.due_on,
    marking: r.marking as Marking,
  }));
}

/** The unit of a decision the actor may read (records.read there); NOT_FOUND for no such decision. */
export async function readableDecisionUnit(
  q: Kysely<Database>,
  actor: Actor,
  decisionId: number,
): Promise<number> {
  if (!isStorableId(decisionId)) throw new NotFoundError('Decision', decisionId);
  const decision = await q
    .selectFrom('decisions')
    .select('unit_id')
    .where('id', '=', decisionId)
    .executeTakeFirst();
  if (!decision) throw new NotFoundError('Decision', decisionId);
  assertCan(actor, 'records.read', decision.unit_id);
  return decision.unit_id;
}

function toReview(row: {
  id: number;
  decision_id: number;
  outcome: string;
  next_review_on: string | null;
  note: string | null;
  reviewer_label: string;
  reviewed_at: Date;
}): DecisionReview {
  return {
    id: row.id,
    decisionId: row.decision_id,
    outcome: row.outcome as DecisionReview['outcome'],
    nextReviewOn: row.next_review_on,
    note: row.note,
    reviewer: row.reviewer_label,
    reviewedAt: row.reviewed_at,
  };
}

type DecisionWithCorrection = DecisionRow & { superseded_by_id: number | null };

/**
 * Decisions (`d`) with the decision maker's name (`decision_maker_name`) and the id of the decision that
 * corrected each one (`superseded_by_id`). Shared by the service, the minutes and the exports.
 */
export function selectDecisions(q: Kysely<Database> | Transaction<Database>) {
  return q
    .selectFrom('decisions as d')
    .innerJoin('people as p', 'p.id', 'd.decision_maker_id')
    .leftJoin('decisions as c', 'c.supersedes_id', 'd.id')
    .selectAll('d')
    .select(['p.display_name as decision_maker_name', 'c.id as superseded_by_id']);
}

function toDecision(row: DecisionWithCorrection): Decision {
  return {
    id: row.id,
    unitId: row.unit_id,
    meetingId: row.meeting_id,
    agendaItemId: row.agenda_item_id,
    text: row.text,
    decisionMakerId: row.decision_maker_id,
    decidedAt: row.decided_at,
    rationale: {
      information: row.information,
      threatRisk: row.threat_risk,
      powersPolicy: row.powers_policy,
      optionsConsidered: row.options_considered,
      chosenOption: row.chosen_option,
      reviewPoint: row.review_point,
    },
    priorityId: row.priority_id,
    incidentRef: row.incident_ref,
    marking: row.marking as Marking,
    supersedesId: row.supersedes_id,
    correctionReason: row.correction_reason,
    supersededById: row.superseded_by_id,
    reviewOn: row.review_on,
  };
}

export function createDecisionService(deps: {
  db: Kysely<Database>;
  audit: AuditService;
  clock: Clock;
  units: UnitService;
  submissions: SubmissionLedger;
}): DecisionService {
  const { db, audit, clock, units, submissions } = deps;
  const asEntity = (d: Decision) => ({ type: 'decision', id: d.id });

  async function checkLinks(
    trx: Transaction<Database>,
    unitId: number,
    priorityId: number | null | undefined,
  ) {
    if (!priorityId) return;
    const p = await trx
      .selectFrom('priorities')
      .select('unit_id')
      .where('id', '=', priorityId)
      .executeTakeFirst();
    if (!p || p.unit_id !== unitId)
      throw ValidationError.field('priorityId', 'no such priority on this unit');
  }

  async function insert(
    trx: Transaction<Database>,
    actor: Actor,
    values: {
      unitId: number;
      meetingId: number | null;
      agendaItemId: number | null;
      data: z.output<typeof supersedeSchema> | z.output<typeof recordDecisionSchema>;
      supersedesId: number | null;
      reason: string | null;
    },
  ): Promise<Decision> {
    if (actor.kind !== 'person') {
      throw ValidationError.field(
        'actor',
        'a decision needs a decision maker: record it as the chair, not the system',
      );
    }
    const { data } = values;
    const row = await trx
      .insertInto('decisions')
      .values({
        unit_id: values.unitId,
        meeting_id: values.meetingId,
        agenda_item_id: values.agendaItemId,
        text: data.text,
        decision_maker_id: actor.personId,
        decided_at: clock.now(),
        information: data.rationale.information,
        threat_risk: data.rationale.threatRisk,
        powers_policy: data.rationale.powersPolicy,
        options_considered: data.rationale.optionsConsidered,
        chosen_option: data.rationale.chosenOption,
        review_point: data.rationale.reviewPoint,
        priority_id: data.priorityId ?? null,
        incident_ref: data.incidentRef,
        marking: data.marking,
        supersedes_id: values.supersedesId,
        correction_reason: values.reason,
        review_on: data.reviewOn ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const decision = toDecision({ ...row, superseded_by_id: null });
    await audit.append(trx, actor, {
      operation: 'collection',
      entityType: 'decision',
      entityId: decision.id,
      unitId: decision.unitId,
      after: decision,
    });
    return decision;
  }

  return {
    async record(actor, input) {
      const data = parseInput(recordDecisionSchema, input);
      assertCan(actor, 'decision.record', data.unitId);
      const unit = await units.get(data.unitId);
      return submissions.change(
        actor,
        { key: data.submissionKey, verb: 'decision.record' },
        asEntity,
        async (trx) => {
          await checkLinks(trx, unit.id, data.priorityId);
          // A decision belongs to the given meeting, or else to today's open meeting if there is one; it is
          // linked to the agenda section being discussed.
          let meeting = data.meetingId
            ? await trx
                .selectFrom('meetings')
                .select(['id', 'unit_id', 'status'])
                .where('id', '=', data.meetingId)
                .executeTakeFirst()
            : await trx
                .selectFrom('meetings')
                .select(['id', 'unit_id', 'status'])
                .where('unit_id', '=', unit.id)
                .where('local_date', '=', localDateOf(clock.now(), unit.timeZone))
                .where('status', '=', 'open')
                .executeTakeFirst();
          if (data.meetingId) {
            if (!meeting || meeting.unit_id !== unit.id)
              throw ValidationError.field('meetingId', 'no such meeting on this unit');
            if (meeting.status !== 'open') {
              throw new DomainError(
                'MEETING_NOT_OPEN',
                `Meeting ${meeting.id} is ${meeting.status}; decisions are recorded in an open meeting.`,
              );
            }
          }
          meeting = meeting?.status === 'open' ? meeting : undefined;
          const item = meeting
            ? await trx
                .selectFrom('agenda_items')
                .select('id')
                .where('meeting_id', '=', meeting.id)
                .where('status', '=', 'current')
                .executeTakeFirst()
            : undefined;
          return insert(trx, actor, {
            unitId: unit.id,
            meetingId: meeting?.id ?? null,
            agendaItemId: item?.id ?? null,
            data,
            supersedesId: null,
            reason: null,
          });
        },
      );
    },

    async supersede(actor, decisionId, input) {
      const data = parseInput(supersedeSchema, input);
      return submissions.change(
        actor,
        { key: data.submissionKey, verb: 'decision.supersede' },
        asEntity,
        async (trx) => {
          const old = await trx
            .selectFrom('decisions')
            .selectAll()
            .where('id', '=', isStorableId(decisionId) ? decisionId : 0)
            .forUpdate()
            .executeTakeFirst();
          if (!old) throw new NotFoundError('Decision', decisionId);
          assertCan(actor, 'decision.record', old.unit_id);
          const existing = await trx
            .selectFrom('decisions')
            .select('id')
            .where('supersedes_id', '=', decisionId)
            .executeTakeFirst();
          if (existing) {
            throw new DomainError(
              'DECISION_ALREADY_SUPERSEDED',
              `Decision ${decisionId} was already corrected by decision ${existing.id}; correct that one instead.`,
              { decisionId, supersededById: existing.id },
            );
          }
          await checkLinks(trx, old.unit_id, data.priorityId);
          const correction = await insert(trx, actor, {
            unitId: old.unit_id,
            meetingId: old.meeting_id,
            agendaItemId: old.agenda_item_id,
            data,
            supersedesId: old.id,
            reason: data.reason,
          });
          await audit.append(trx, actor, {
            operation: 'alteration',
            entityType: 'decision',
            entityId: old.id,
            unitId: old.unit_id,
            before: { supersededById: null },
            after: { supersededById: correction.id, reason: data.reason },
          });
          return correction;
        },
      );
    },

    async get(actor, decisionId) {
      if (!isStorableId(decisionId)) throw new NotFoundError('Decision', decisionId);
      const row = await selectDecisions(db).where('d.id', '=', decisionId).executeTakeFirst();
      if (!row) throw new NotFoundError('Decision', decisionId);
      assertCan(actor, 'records.read', row.unit_id);
      // DPA 2018 s.62: reading a full decision record is a consultation and is logged.
      await audit.record(actor, {
        operation: 'consultation',
        entityType: 'decision',
        entityId: row.id,
        unitId: row.unit_id,
      });
      return toDecision(row);
    },

    async list(actor, unitId, filter = {}) {
      assertCan(actor, 'records.read', unitId);
      const f = parseInput(listSchema, filter);
      const unit = await units.get(unitId);
      let q = selectDecisions(db).where('d.unit_id', '=', unitId);
      if (f.meetingId) q = q.where('d.meeting_id', '=', f.meetingId);
      if (f.from) q = q.where('d.decided_at', '>=', startOfLocalDay(f.from, unit.timeZone));
      if (f.to) q = q.where('d.decided_at', '<', startOfLocalDay(addDays(f.to, 1), unit.timeZone));
      if (!f.includeSuperseded) q = q.where('c.id', 'is', null);
      return (await q.orderBy('d.decided_at').orderBy('d.id').execute()).map(toDecision);
    },

    async review(actor, decisionId, input) {
      const data = parseInput(reviewSchema, input);
      if (!isStorableId(decisionId)) throw new NotFoundError('Decision', decisionId);
      return submissions.change(
        actor,
        { key: data.submissionKey, verb: 'decision.review' },
        (r: DecisionReview) => ({ type: 'decision', id: r.decisionId }),
        async (trx) => {
          const row = await selectDecisions(trx).where('d.id', '=', decisionId).executeTakeFirst();
          if (!row) throw new NotFoundError('Decision', decisionId);
          assertCan(actor, 'meeting.run', row.unit_id);
          if (row.superseded_by_id !== null)
            throw new DomainError(
              'DECISION_ALREADY_SUPERSEDED',
              `Decision ${row.id} was changed by decision ${row.superseded_by_id}; review that one.`,
              { decisionId: row.id, supersededById: row.superseded_by_id },
            );
          const unit = await units.get(row.unit_id, trx);
          const today = localDateOf(clock.now(), unit.timeZone);
          if (data.nextReviewOn && data.nextReviewOn <= today)
            throw ValidationError.field('nextReviewOn', `must be after today (${today})`);
          const meetingId = await openMeetingId(trx, row.unit_id, today);
          const reviewer = await actorName(trx, actor);
          const added = await trx
            .insertInto('decision_reviews')
            .values({
              decision_id: row.id,
              outcome: data.outcome,
              next_review_on: data.nextReviewOn ?? null,
              note: data.note,
              reviewer_person_id: actor.personId,
              reviewer_label: reviewer,
              meeting_id: meetingId,
              reviewed_at: clock.now(),
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          const review = toReview(added);
          await audit.append(trx, actor, {
            operation: 'alteration',
            entityType: 'decision',
            entityId: row.id,
            unitId: row.unit_id,
            after: { review },
          });
          // Briefs from today on list the decisions due for review: they are built again when next read.
          await markBriefsStaleFrom(trx, row.unit_id, today, clock.now());
          return review;
        },
      );
    },

    async reviews(actor, decisionId) {
      await readableDecisionUnit(db, actor, decisionId);
      const rows = await db
        .selectFrom('decision_reviews')
        .selectAll()
        .where('decision_id', '=', decisionId)
        .orderBy('id')
        .execute();
      return rows.map(toReview);
    },

    async dueForReview(actor, unitId, localDate) {
      assertCan(actor, 'records.read', unitId);
      const day = parseInput(isoDate, localDate);
      return decisionsDueForReview(db, unitId, day);
    },
  };
}
