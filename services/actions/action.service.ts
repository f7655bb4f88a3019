/**
 * Actions from the DMM: create/assign (to a person or a post), due dates, PIER/4P categories, the status
 * machine with its rules, optimistic concurrency by version, full update history, and the usual lists.
 */

import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import type { ActionRow, Database } from '../../db/database.js';
import type { Actor } from '../access/actor.js';
import { assertCan, can } from '../access/permissions.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import { readableDecisionUnit } from '../decisions/decision.service.js';
import { ConflictError, DomainError, ForbiddenError, ValidationError } from '../errors.js';
import { openMeetingId } from '../meetings/open-meeting.js';
import { assertInternalMember } from '../people/members.js';
import { rowById } from '../rows.js';
import type { SubmissionLedger } from '../submissions/submission.ledger.js';
import { localDateOf } from '../time.js';
import { CATEGORY_SCHEMES, type Unit, type UnitService } from '../units/unit.service.js';
import {
  id,
  isoDate,
  type Marking,
  marking,
  optionalText,
  parseInput,
  submissionKey,
  text,
} from '../validation.js';
import {
  ACTION_STATUSES,
  type ActionStatus,
  canTransition,
  REQUIREMENTS,
  STATUS_LABELS,
  TERMINAL_STATUSES,
  TRANSITIONS,
} from './transitions.js';

export interface Action {
  readonly id: number;
  readonly unitId: number;
  readonly title: string;
  readonly description: string | null;
  readonly ownerPersonId: number | null;
  readonly ownerPost: string | null;
  readonly actionManagerId: number | null;
  readonly dueOn: string | null;
  readonly category: string;
  readonly status: ActionStatus;
  readonly result: string | null;
  readonly meetingId: number | null;
  readonly decisionId: number | null;
  readonly priorityId: number | null;
  readonly incidentRef: string | null;
  readonly marking: Marking;
  readonly version: number;
  readonly createdBy: number | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface ActionUpdate {
  readonly version: number;
  readonly actorPersonId: number | null;
  readonly actorLabel: string;
  readonly at: Date;
  readonly kind: 'created' | 'status' | 'due' | 'owner' | 'note' | 'link';
  readonly fromStatus: ActionStatus | null;
  readonly toStatus: ActionStatus | null;
  readonly note: string | null;
  readonly changes: Record<string, unknown>;
}

export const createActionSchema = z
  .object({
    unitId: id,
    title: text(200),
    description: optionalText(2000),
    ownerPersonId: id.nullish(),
    ownerPost: optionalText(120),
    actionManagerId: id.nullish(),
    dueOn: isoDate.nullish(),
    category: z.string({ error: 'is required' }).trim().toLowerCase(),
    meetingId: id.nullish(),
    decisionId: id.nullish(),
    priorityId: id.nullish(),
    incidentRef: optionalText(64),
    marking: marking.default('OFFICIAL'),
    submissionKey,
  })
  .refine((v) => Boolean(v.ownerPersonId) !== Boolean(v.ownerPost), {
    message: 'give either an owner person or an owner post (e.g. "Duty Inspector, Response"), not both',
    path: ['owner'],
  });

export const statusChangeSchema = z.object({
  status: z.enum(ACTION_STATUSES, { error: `must be one of ${ACTION_STATUSES.join(', ')}` }),
  expectedVersion: z.number().int().positive().optional(),
  note: optionalText(2000),
  result: optionalText(2000),
  submissionKey,
});

const dueChangeSchema = z.object({
  dueOn: isoDate,
  expectedVersion: z.number().int().positive().optional(),
  note: optionalText(2000),
  submissionKey,
});

/** What an action delivers, changed after it was made: a field left out stays; null unlinks. */
const linkSchema = z
  .object({
    decisionId: id.nullable().optional(),
    priorityId: id.nullable().optional(),
    expectedVersion: z.number().int().positive().optional(),
    submissionKey,
  })
  .refine((d) => d.decisionId !== undefined || d.priorityId !== undefined, {
    message: 'give the decision or the priority the action delivers (or none)',
  });

const reassignSchema = z
  .object({
    ownerPersonId: id.nullish(),
    ownerPost: optionalText(120),
    expectedVersion: z.number().int().positive().optional(),
    note: optionalText(2000),
    submissionKey,
  })
  .refine((v) => Boolean(v.ownerPersonId) !== Boolean(v.ownerPost), {
    message: 'give either an owner person or an owner post, not both',
    path: ['owner'],
  });

export const ACTION_LIST_FILTERS = ['mine', 'overdue', 'due_today', 'open', 'all'] as const;
export type ActionListFilter = (typeof ACTION_LIST_FILTERS)[number];

export interface ActionSummary {
  readonly total: number;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly byCategory: Readonly<Record<string, number>>;
  readonly overdue: number;
}

export interface ActionService {
  create(actor: Actor, input: z.input<typeof createActionSchema>): Promise<Action>;
  get(actor: Actor, actionId: number): Promise<Action>;
  history(actor: Actor, actionId: number): Promise<ActionUpdate[]>;
  changeStatus(actor: Actor, actionId: number, input: z.input<typeof statusChangeSchema>): Promise<Action>;
  changeDue(actor: Actor, actionId: number, input: z.input<typeof dueChangeSchema>): Promise<Action>;
  reassign(actor: Actor, actionId: number, input: z.input<typeof reassignSchema>): Promise<Action>;
  /** Ties an action to the decision it carries out and the priority it delivers (audited; in its history). */
  link(actor: Actor, actionId: number, input: z.input<typeof linkSchema>): Promise<Action>;
  /** The actions that carry out a decision, oldest first. */
  ofDecision(actor: Actor, decisionId: number): Promise<Action[]>;
  list(actor: Actor, unitId: number, filter: ActionListFilter): Promise<Action[]>;
  /** The actions raised at a meeting of the unit, in the order they were raised. */
  ofMeeting(actor: Actor, unitId: number, meetingId: number): Promise<Action[]>;
  /** Counts only, for partners and summaries: no titles, owners or references. */
  summarise(actor: Actor, unitId: number): Promise<ActionSummary>;
}

/** Actions (`a`) with the owner's name (`owner_name`, null when owned by a post). Shared by the minutes and exports. */
export function selectActionsWithOwner(q: Kysely<Database> | Transaction<Database>) {
  return q
    .selectFrom('actions as a')
    .leftJoin('people as p', 'p.id', 'a.owner_person_id')
    .selectAll('a')
    .select('p.display_name as owner_name');
}

function toAction(row: ActionRow): Action {
  return {
    id: row.id,
    unitId: row.unit_id,
    title: row.title,
    description: row.description,
    ownerPersonId: row.owner_person_id,
    ownerPost: row.owner_post,
    actionManagerId: row.action_manager_id,
    dueOn: row.due_on,
    category: row.category,
    status: row.status as ActionStatus,
    result: row.result,
    meetingId: row.meeting_id,
    decisionId: row.decision_id,
    priorityId: row.priority_id,
    incidentRef: row.incident_ref,
    marking: row.marking as Marking,
    version: row.version,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function createActionService(deps: {
  db: Kysely<Database>;
  audit: AuditService;
  clock: Clock;
  units: UnitService;
  submissions: SubmissionLedger;
}): ActionService {
  const { db, audit, clock, units, submissions } = deps;
  const asEntity = (a: Action) => ({ type: 'action', id: a.id });

  function today(unit: Unit): string {
    return localDateOf(clock.now(), unit.timeZone);
  }

  function lockAction(trx: Transaction<Database>, actionId: number): Promise<ActionRow> {
    return rowById(trx, 'actions', actionId, 'Action', { forUpdate: true });
  }

  function assertVersion(row: ActionRow, expectedVersion: number | undefined) {
    if (expectedVersion !== undefined && row.version !== expectedVersion) {
      throw new ConflictError(
        `Action ${row.id} was changed by someone else (you had version ${expectedVersion}, it is now ${row.version}, ` +
          `status ${STATUS_LABELS[row.status as ActionStatus]}). Reload it and try again.`,
        { actionId: row.id, expectedVersion, currentVersion: row.version, currentStatus: row.status },
      );
    }
  }

  /** Owner, the action's manager, or a chair / action manager of the unit may change an action. */
  function assertMayUpdate(actor: Actor, row: ActionRow) {
    if (actor.kind === 'system') return;
    assertCan(actor, 'records.read', row.unit_id);
    const isOwner = row.owner_person_id !== null && row.owner_person_id === actor.personId;
    const isManager = row.action_manager_id !== null && row.action_manager_id === actor.personId;
    if (isOwner || isManager || can(actor, 'action.manage', row.unit_id)) return;
    throw new ForbiddenError(`Only the owner, the action manager or the chair may update action ${row.id}.`, {
      actionId: row.id,
    });
  }

  /** The decision and the priority an action is tied to must be of the action's unit. */
  async function assertLinks(
    trx: Transaction<Database>,
    unitId: number,
    links: { decisionId?: number | null | undefined; priorityId?: number | null | undefined },
  ) {
    if (links.decisionId) {
      const d = await trx
        .selectFrom('decisions')
        .select('unit_id')
        .where('id', '=', links.decisionId)
        .executeTakeFirst();
      if (!d || d.unit_id !== unitId)
        throw ValidationError.field('decisionId', 'no such decision on this unit');
    }
    if (links.priorityId) {
      const p = await trx
        .selectFrom('priorities')
        .select('unit_id')
        .where('id', '=', links.priorityId)
        .executeTakeFirst();
      if (!p || p.unit_id !== unitId)
        throw ValidationError.field('priorityId', 'no such priority on this unit');
    }
  }

  /** Writes the new state, its history entry and the audit event; bumps the version. */
  async function applyUpdate(
    trx: Transaction<Database>,
    actor: Actor,
    before: ActionRow,
    set: Partial<
      Pick<
        ActionRow,
        'status' | 'result' | 'due_on' | 'owner_person_id' | 'owner_post' | 'decision_id' | 'priority_id'
      >
    >,
    history: { kind: ActionUpdate['kind']; note: string | null; changes: Record<string, unknown> },
  ): Promise<Action> {
    const now = clock.now();
    const after = await trx
      .updateTable('actions')
      .set({ ...set, version: before.version + 1, updated_at: now })
      .where('id', '=', before.id)
      // Race guard: the row is locked, but the version predicate keeps the update correct on its own.
      .where('version', '=', before.version)
      .returningAll()
      .executeTakeFirst();
    if (!after)
      throw new ConflictError(`Action ${before.id} changed while updating; try again.`, {
        actionId: before.id,
      });
    await trx
      .insertInto('action_updates')
      .values({
        action_id: before.id,
        version: after.version,
        actor_person_id: actor.personId,
        actor_label: actor.label,
        at: now,
        kind: history.kind,
        from_status: before.status,
        to_status: after.status,
        note: history.note,
        changes: JSON.stringify(history.changes),
      })
      .execute();
    await audit.append(trx, actor, {
      operation: 'alteration',
      entityType: 'action',
      entityId: before.id,
      unitId: before.unit_id,
      before: toAction(before),
      after: toAction(after),
    });
    return toAction(after);
  }

  /** Inserts a validated action with its first history entry and its audit event. */
  async function insertAction(
    trx: Transaction<Database>,
    actor: Actor,
    unit: Unit,
    data: z.output<typeof createActionSchema>,
  ): Promise<Action> {
    if (data.ownerPersonId)
      await assertInternalMember(trx, unit.id, data.ownerPersonId, 'ownerPersonId', 'own an action');
    let actionManagerId = data.actionManagerId ?? null;
    if (actionManagerId) {
      await assertInternalMember(trx, unit.id, actionManagerId, 'actionManagerId', 'own an action');
    } else {
      // Default: the unit's action manager (the lowest id if there are several).
      const manager = await trx
        .selectFrom('memberships')
        .select('person_id')
        .where('unit_id', '=', unit.id)
        .where('role', '=', 'action_manager')
        .orderBy('person_id')
        .executeTakeFirst();
      actionManagerId = manager?.person_id ?? null;
    }
    let meetingId = data.meetingId ?? null;
    if (meetingId) {
      const meeting = await trx
        .selectFrom('meetings')
        .select('unit_id')
        .where('id', '=', meetingId)
        .executeTakeFirst();
      if (!meeting || meeting.unit_id !== unit.id)
        throw ValidationError.field('meetingId', 'no such meeting on this unit');
    } else {
      // Actions raised while today's meeting is open belong to it (they appear in its minutes).
      meetingId = await openMeetingId(trx, unit.id, today(unit));
    }
    await assertLinks(trx, unit.id, data);
    const now = clock.now();
    const row = await trx
      .insertInto('actions')
      .values({
        unit_id: unit.id,
        title: data.title,
        description: data.description,
        owner_person_id: data.ownerPersonId ?? null,
        owner_post: data.ownerPost,
        action_manager_id: actionManagerId,
        due_on: data.dueOn ?? null,
        category: data.category,
        status: 'open',
        result: null,
        meeting_id: meetingId,
        decision_id: data.decisionId ?? null,
        priority_id: data.priorityId ?? null,
        incident_ref: data.incidentRef,
        marking: data.marking,
        created_by: actor.personId,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const action = toAction(row);
    await trx
      .insertInto('action_updates')
      .values({
        action_id: action.id,
        version: action.version,
        actor_person_id: actor.personId,
        actor_label: actor.label,
        at: now,
        kind: 'created',
        from_status: null,
        to_status: 'open',
        note: null,
        changes: JSON.stringify({}),
      })
      .execute();
    await audit.append(trx, actor, {
      operation: 'collection',
      entityType: 'action',
      entityId: action.id,
      unitId: unit.id,
      after: action,
    });
    return action;
  }

  return {
    async create(actor, input) {
      const data = parseInput(createActionSchema, input);
      assertCan(actor, 'action.create', data.unitId);
      const unit = await units.get(data.unitId);
      const allowed: readonly string[] = CATEGORY_SCHEMES[unit.categoryScheme];
      if (!allowed.includes(data.category)) {
        throw ValidationError.field(
          'category',
          `must be one of ${allowed.join(', ')} (${unit.categoryScheme})`,
        );
      }
      if (data.dueOn && data.dueOn < today(unit)) {
        throw ValidationError.field('dueOn', `must be today (${today(unit)}) or later`);
      }
      return submissions.change(actor, { key: data.submissionKey, verb: 'action.create' }, asEntity, (trx) =>
        insertAction(trx, actor, unit, data),
      );
    },

    async get(actor, actionId) {
      const row = await rowById(db, 'actions', actionId, 'Action');
      assertCan(actor, 'records.read', row.unit_id);
      return toAction(row);
    },

    async history(actor, actionId) {
      const action = await this.get(actor, actionId);
      // DPA 2018 s.62: reading an action's full history is a consultation and is logged.
      await audit.record(actor, {
        operation: 'consultation',
        entityType: 'action',
        entityId: actionId,
        unitId: action.unitId,
      });
      const rows = await db
        .selectFrom('action_updates')
        .selectAll()
        .where('action_id', '=', actionId)
        .orderBy('version')
        .execute();
      return rows.map((r) => ({
        version: r.version,
        actorPersonId: r.actor_person_id,
        actorLabel: r.actor_label,
        at: r.at,
        kind: r.kind as ActionUpdate['kind'],
        fromStatus: r.from_status as ActionStatus | null,
        toStatus: r.to_status as ActionStatus | null,
        note: r.note,
        changes: r.changes as Record<string, unknown>,
      }));
    },

    async changeStatus(actor, actionId, input) {
      const data = parseInput(statusChangeSchema, input);
      return submissions.change(
        actor,
        { key: data.submissionKey, verb: 'action.status' },
        asEntity,
        async (trx) => {
          const row = await lockAction(trx, actionId);
          assertMayUpdate(actor, row);
          assertVersion(row, data.expectedVersion);
          const from = row.status as ActionStatus;
          const to = data.status;
          if (!canTransition(from, to)) {
            const next = TRANSITIONS[from];
            throw new DomainError(
              'INVALID_TRANSITION',
              next.length === 0
                ? `Action ${row.id} is ${STATUS_LABELS[from]} and cannot change any more; raise a new action instead.`
                : `Action ${row.id} cannot go from ${STATUS_LABELS[from]} to ${STATUS_LABELS[to]}; ` +
                    `it can go to ${next.map((s) => STATUS_LABELS[s]).join(', ')}.`,
              { actionId: row.id, from, to, allowed: next },
            );
          }
          if (from === 'escalated' && actor.kind === 'person' && !can(actor, 'action.manage', row.unit_id)) {
            throw new ForbiddenError(
              `Action ${row.id} is escalated: only the chair or the action manager may move it on.`,
              {
                actionId: row.id,
              },
            );
          }
          const requirement = REQUIREMENTS[to];
          if (requirement === 'result' && !data.result) {
            throw ValidationError.field(
              'result',
              `is required to mark an action ${STATUS_LABELS[to]}: say what was achieved`,
            );
          }
          if (requirement === 'note' && !data.note) {
            throw ValidationError.field(
              'note',
              `is required to mark an action ${STATUS_LABELS[to]}: give the reason`,
            );
          }
          return applyUpdate(
            trx,
            actor,
            row,
            { status: to, ...(to === 'done' ? { result: data.result } : {}) },
            {
              kind: 'status',
              note: data.note,
              changes: { status: [from, to], ...(to === 'done' ? { result: data.result } : {}) },
            },
          );
        },
      );
    },

    async changeDue(actor, actionId, input) {
      const data = parseInput(dueChangeSchema, input);
      return submissions.change(
        actor,
        { key: data.submissionKey, verb: 'action.due' },
        asEntity,
        async (trx) => {
          const row = await lockAction(trx, actionId);
          assertMayUpdate(actor, row);
          assertVersion(row, data.expectedVersion);
          if (TERMINAL_STATUSES.includes(row.status as ActionStatus)) {
            throw new DomainError(
              'INVALID_TRANSITION',
              `Action ${row.id} is closed; its due date cannot change.`,
              {
                actionId: row.id,
              },
            );
          }
          const unit = await units.get(row.unit_id, trx);
          if (data.dueOn < today(unit)) throw ValidationError.field('dueOn', 'must be today or later');
          return applyUpdate(
            trx,
            actor,
            row,
            { due_on: data.dueOn },
            { kind: 'due', note: data.note, changes: { dueOn: [row.due_on, data.dueOn] } },
          );
        },
      );
    },

    async reassign(actor, actionId, input) {
      const data = parseInput(reassignSchema, input);
      return submissions.change(
        actor,
        { key: data.submissionKey, verb: 'action.reassign' },
        asEntity,
        async (trx) => {
          const row = await lockAction(trx, actionId);
          assertCan(actor, 'action.manage', row.unit_id);
          assertVersion(row, data.expectedVersion);
          if (TERMINAL_STATUSES.includes(row.status as ActionStatus)) {
            throw new DomainError(
              'INVALID_TRANSITION',
              `Action ${row.id} is closed; it cannot be reassigned.`,
              {
                actionId: row.id,
              },
            );
          }
          if (data.ownerPersonId)
            await assertInternalMember(
              trx,
              row.unit_id,
              data.ownerPersonId,
              'ownerPersonId',
              'own an action',
            );
          return applyUpdate(
            trx,
            actor,
            row,
            { owner_person_id: data.ownerPersonId ?? null, owner_post: data.ownerPost },
            {
              kind: 'owner',
              note: data.note,
              changes: {
                ownerPersonId: [row.owner_person_id, data.ownerPersonId ?? null],
                ownerPost: [row.owner_post, data.ownerPost],
              },
            },
          );
        },
      );
    },

    async list(actor, unitId, filter) {
      assertCan(actor, 'records.read', unitId);
      const unit = await units.get(unitId);
      const day = today(unit);
      let q = db.selectFrom('actions').selectAll().where('unit_id', '=', unitId);
      if (filter !== 'all') q = q.where('status', 'not in', [...TERMINAL_STATUSES]);
      if (filter === 'mine') {
        if (actor.kind !== 'person')
          throw ValidationError.field('filter', "'mine' needs a person, not a system actor");
        q = q.where('owner_person_id', '=', actor.personId);
      }
      if (filter === 'overdue') q = q.where('due_on', '<', day);
      if (filter === 'due_today') q = q.where('due_on', '=', day);
      const rows = await q
        .orderBy('due_on', (ob) => ob.asc().nullsLast())
        .orderBy('id')
        .execute();
      return rows.map(toAction);
    },

    async link(actor, actionId, input) {
      const data = parseInput(linkSchema, input);
      return submissions.change(
        actor,
        { key: data.submissionKey, verb: 'action.link' },
        asEntity,
        async (trx) => {
          const row = await lockAction(trx, actionId);
          assertMayUpdate(actor, row);
          assertVersion(row, data.expectedVersion);
          await assertLinks(trx, row.unit_id, data);
          const set = {
            ...(data.decisionId !== undefined ? { decision_id: data.decisionId } : {}),
            ...(data.priorityId !== undefined ? { priority_id: data.priorityId } : {}),
          };
          return applyUpdate(trx, actor, row, set, {
            kind: 'link',
            note: null,
            changes: {
              ...(data.decisionId !== undefined ? { decisionId: [row.decision_id, data.decisionId] } : {}),
              ...(data.priorityId !== undefined ? { priorityId: [row.priority_id, data.priorityId] } : {}),
            },
          });
        },
      );
    },

    async ofDecision(actor, decisionId) {
      const unitId = await readableDecisionUnit(db, actor, decisionId);
      const rows = await db
        .selectFrom('actions')
        .selectAll()
        .where('unit_id', '=', unitId)
        .where('decision_id', '=', decisionId)
        .orderBy('id')
        .execute();
      return rows.map(toAction);
    },

    async ofMeeting(actor, unitId, meetingId) {
      assertCan(actor, 'records.read', unitId);
      const rows = await db
        .selectFrom('actions')
        .selectAll()
        .where('unit_id', '=', unitId)
        .where('meeting_id', '=', meetingId)
        .orderBy('id')
        .execute();
      return rows.map(toAction);
    },

    async summarise(actor, unitId) {
      assertCan(actor, 'sanitised.read', unitId);
      const unit = await units.get(unitId);
      const day = today(unit);
      const rows = await db
        .selectFrom('actions')
        .select((eb) => [
          'status',
          'category',
          eb.fn.countAll<number>().as('total'),
          eb.fn
            .countAll<number>()
            .filterWhere((w) => w.and([w('due_on', '<', day), w('status', 'not in', [...TERMINAL_STATUSES])]))
            .as('overdue'),
        ])
        .where('unit_id', '=', unitId)
        .groupBy(['status', 'category'])
        .execute();
      const byStatus: Record<string, number> = {};
      const byCategory: Record<string, number> = {};
      let total = 0;
      let overdue = 0;
      for (const r of rows) {
        byStatus[r.status] = (byStatus[r.status] ?? 0) + r.total;
        byCategory[r.category] = (byCategory[r.category] ?? 0) + r.total;
        total += r.total;
        overdue += r.overdue;
      }
      return { total, byStatus, byCategory, overdue };
    },
  };
}
