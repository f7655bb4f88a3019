/**
 * The escalation register: what the DMM escalates to the TT&CG because it is beyond its resources, why, what
 * resources are asked for and to which TT&CG, raised by the chair (during the meeting it is tied to it), and the
 * TT&CG's answer recorded against it. Escalations are records: raised and answered once, audited, never edited.
 */

import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database, EscalationRow } from '../../db/database.js';
import type { Actor } from '../access/actor.js';
import { assertCan } from '../access/permissions.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import { DomainError, ValidationError } from '../errors.js';
import { openMeetingId } from '../meetings/open-meeting.js';
import { actorName } from '../people/names.js';
import { rowById } from '../rows.js';
import type { SubmissionLedger } from '../submissions/submission.ledger.js';
import { localDateOf } from '../time.js';
import type { UnitService } from '../units/unit.service.js';
import { id, type Marking, marking, optionalText, parseInput, submissionKey, text } from '../validation.js';

export interface Escalation {
  readonly id: number;
  readonly unitId: number;
  readonly meetingId: number | null;
  readonly actionId: number | null;
  readonly what: string;
  readonly why: string;
  readonly resources: string | null;
  readonly tcg: string;
  readonly marking: Marking;
  readonly raisedBy: string;
  readonly raisedAt: Date;
  /** The TT&CG's answer, when it has come. */
  readonly outcome: string | null;
  readonly answeredBy: string | null;
  readonly answeredAt: Date | null;
}

const raiseSchema = z.object({
  unitId: id,
  what: text(500),
  why: text(2000),
  resources: optionalText(2000),
  tcg: text(200),
  actionId: id.nullish(),
  marking: marking.default('OFFICIAL'),
  submissionKey,
});

const answerSchema = z.object({ outcome: text(2000), submissionKey });

export interface EscalationService {
  /** The chair escalates something beyond the DMM's resources to a TT&CG (tied to today's open meeting). */
  raise(actor: Actor, input: z.input<typeof raiseSchema>): Promise<Escalation>;
  /** Records the TT&CG's answer, once. */
  answer(actor: Actor, escalationId: number, input: z.input<typeof answerSchema>): Promise<Escalation>;
  /** The unit's escalations, newest first; `open` only those not yet answered. */
  list(actor: Actor, unitId: number, filter?: { open?: boolean; meetingId?: number }): Promise<Escalation[]>;
}

export function toEscalation(row: EscalationRow): Escalation {
  return {
    id: row.id,
    unitId: row.unit_id,
    meetingId: row.meeting_id,
    actionId: row.action_id,
    what: row.what,
    why: row.why,
    resources: row.resources,
    tcg: row.tcg,
    marking: row.marking as Marking,
    raisedBy: row.raised_by_label,
    raisedAt: row.raised_at,
    outcome: row.outcome,
    answeredBy: row.answered_by_label,
    answeredAt: row.answered_at,
  };
}

export function createEscalationService(deps: {
  db: Kysely<Database>;
  audit: AuditService;
  clock: Clock;
  units: UnitService;
  submissions: SubmissionLedger;
}): EscalationService {
  const { db, audit, clock, units, submissions } = deps;
  const asEntity = (e: Escalation) => ({ type: 'escalation', id: e.id });

  return {
    async raise(actor, input) {
      const data = parseInput(raiseSchema, input);
      assertCan(actor, 'meeting.run', data.unitId);
      return submissions.change(
        actor,
        { key: data.submissionKey, verb: 'escalation.raise' },
        asEntity,
        async (trx) => {
          const unit = await units.get(data.unitId, trx);
          if (data.actionId) {
            const a = await trx
              .selectFrom('actions')
              .select('unit_id')
              .where('id', '=', data.actionId)
              .executeTakeFirst();
            if (!a || a.unit_id !== unit.id)
              throw ValidationError.field('actionId', 'no such action on this unit');
          }
          const meetingId = await openMeetingId(trx, unit.id, localDateOf(clock.now(), unit.timeZone));
          const row = await trx
            .insertInto('escalations')
            .values({
              unit_id: unit.id,
              meeting_id: meetingId,
              action_id: data.actionId ?? null,
              what: data.what,
              why: data.why,
              resources: data.resources,
              tcg: data.tcg,
              marking: data.marking,
              raised_by_person_id: actor.personId,
              raised_by_label: await actorName(trx, actor),
              raised_at: clock.now(),
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          const escalation = toEscalation(row);
          await audit.append(trx, actor, {
            operation: 'collection',
            entityType: 'escalation',
            entityId: row.id,
            unitId: unit.id,
            after: escalation,
          });
          return escalation;
        },
      );
    },

    async answer(actor, escalationId, input) {
      const data = parseInput(answerSchema, input);
      return submissions.change(
        actor,
        { key: data.submissionKey, verb: 'escalation.answer' },
        asEntity,
        async (trx) => {
          const row = await rowById(trx, 'escalations', escalationId, 'Escalation', { forUpdate: true });
          assertCan(actor, 'meeting.run', row.unit_id);
          if (row.outcome !== null)
            throw new DomainError(
              'CONFLICT',
              `Escalation ${row.id} was answered already (${row.answered_by_label}): ${row.outcome}`,
              { escalationId: row.id },
            );
          const updated = await trx
            .updateTable('escalations')
            .set({
              outcome: data.outcome,
              answered_by_label: await actorName(trx, actor),
              answered_at: clock.now(),
            })
            .where('id', '=', escalationId)
            .returningAll()
            .executeTakeFirstOrThrow();
          await audit.append(trx, actor, {
            operation: 'alteration',
            entityType: 'escalation',
            entityId: row.id,
            unitId: row.unit_id,
            before: toEscalation(row),
            after: toEscalation(updated),
          });
          return toEscalation(updated);
        },
      );
    },

    async list(actor, unitId, filter = {}) {
      assertCan(actor, 'records.read', unitId);
      let q = db.selectFrom('escalations').selectAll().where('unit_id', '=', unitId);
      if (filter.open) q = q.where('outcome', 'is', null);
      if (filter.meetingId) q = q.where('meeting_id', '=', filter.meetingId);
      return (await q.orderBy('id', 'desc').limit(200).execute()).map(toEscalation);
    },
  };
}
