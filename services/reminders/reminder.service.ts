/**
 * Reminders: who is told what about open actions on a local date. Owners: their actions due that day or
 * overdue, and those due `daysBefore` days later (a reminder ahead of the due date), unless they snoozed them; action managers: a digest of the unit's overdue, due and blocked actions
 * by owner; chairs: actions overdue by at least `escalateAfterDays`. A snooze (owner, action manager or chair)
 * is audited against the action.
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../db/database.js';
import type { Actor } from '../access/actor.js';
import { assertCan, can } from '../access/permissions.js';
import { type Action, selectActionsWithOwner } from '../actions/action.service.js';
import { TERMINAL_STATUSES } from '../actions/transitions.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import { ForbiddenError, NotFoundError } from '../errors.js';
import { addDays, localDateOf } from '../time.js';
import type { UnitService } from '../units/unit.service.js';
import { parseInput } from '../validation.js';

export interface ReminderAction {
  readonly id: number;
  readonly title: string;
  readonly owner: string;
  readonly ownerPersonId: number | null;
  readonly dueOn: string;
  readonly status: Action['status'];
  readonly marking: Action['marking'];
  /** Whole days past due (0 = due today; negative: due in that many days, a reminder ahead). */
  readonly daysOverdue: number;
}

export interface ReminderPlan {
  readonly localDate: string;
  readonly owners: ReadonlyArray<{ readonly personId: number; readonly actions: readonly ReminderAction[] }>;
  readonly managers: ReadonlyArray<{ readonly personId: number }>;
  /** Everything open and due by the date, for the managers' digest. */
  readonly due: readonly ReminderAction[];
  readonly chairs: ReadonlyArray<{ readonly personId: number }>;
  readonly escalated: readonly ReminderAction[];
}

const snoozeSchema = z.object({
  days: z.coerce
    .number()
    .int('must be a whole number of days')
    .min(1, 'must be 1 to 14')
    .max(14, 'must be 1 to 14'),
});

export interface ReminderService {
  /**
   * Who is reminded of what on a local date; with `daysBefore` (1 or more), owners are also reminded once of
   * each action due that many days later.
   */
  plan(
    unitId: number,
    localDate: string,
    escalateAfterDays: number,
    daysBefore?: number,
  ): Promise<ReminderPlan>;
  /** No reminders of the action to the person for `days` days (until today + days, exclusive). */
  snooze(
    actor: Actor,
    actionId: number,
    input: { days: number },
  ): Promise<{ actionId: number; untilDate: string }>;
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

export function createReminderService(deps: {
  db: Kysely<Database>;
  audit: AuditService;
  clock: Clock;
  units: UnitService;
}): ReminderService {
  const { db, audit, clock, units } = deps;

  return {
    async plan(unitId, localDate, escalateAfterDays, daysBefore = 0) {
      const ahead = daysBefore > 0 ? addDays(localDate, daysBefore) : null;
      const rows = await selectActionsWithOwner(db)
        .where('a.unit_id', '=', unitId)
        .where('a.status', 'not in', [...TERMINAL_STATUSES])
        .where('a.due_on', 'is not', null)
        .where((eb) =>
          ahead
            ? eb.or([eb('a.due_on', '<=', localDate), eb('a.due_on', '=', ahead)])
            : eb('a.due_on', '<=', localDate),
        )
        .orderBy('a.due_on')
        .orderBy('a.id')
        .execute();
      const listed: ReminderAction[] = rows.map((r) => ({
        id: r.id,
        title: r.title,
        owner: r.owner_name ?? r.owner_post ?? 'unassigned',
        ownerPersonId: r.owner_person_id,
        dueOn: r.due_on as string,
        status: r.status as Action['status'],
        marking: r.marking as Action['marking'],
        daysOverdue: daysBetween(r.due_on as string, localDate),
      }));
      // Due or overdue (for everyone), and due ahead (for their owners only).
      const due = listed.filter((a) => a.daysOverdue >= 0);
      const snoozed = await db
        .selectFrom('reminder_snoozes')
        .select(['action_id', 'person_id'])
        .where('until_date', '>', localDate)
        .where('action_id', 'in', listed.length > 0 ? listed.map((d) => d.id) : [-1])
        .execute();
      const isSnoozed = new Set(snoozed.map((s) => `${s.action_id}:${s.person_id}`));
      const byOwner = new Map<number, ReminderAction[]>();
      for (const action of listed) {
        if (action.ownerPersonId === null || isSnoozed.has(`${action.id}:${action.ownerPersonId}`)) continue;
        byOwner.set(action.ownerPersonId, [...(byOwner.get(action.ownerPersonId) ?? []), action]);
      }
      const roles = await db
        .selectFrom('memberships')
        .select(['person_id', 'role'])
        .where('unit_id', '=', unitId)
        .where('role', 'in', ['action_manager', 'chair'])
        .orderBy('person_id')
        .execute();
      const withRole = (role: string) =>
        [...new Set(roles.filter((r) => r.role === role).map((r) => r.person_id))].map((personId) => ({
          personId,
        }));
      return {
        localDate,
        owners: [...byOwner.entries()].map(([personId, actions]) => ({ personId, actions })),
        managers: due.length > 0 ? withRole('action_manager') : [],
        due,
        chairs: withRole('chair'),
        escalated: due.filter((d) => d.daysOverdue >= escalateAfterDays),
      };
    },

    async snooze(actor, actionId, input) {
      const { days } = parseInput(snoozeSchema, input);
      return db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('actions').selectAll().where('id', '=', actionId).executeTakeFirst();
        if (!row) throw new NotFoundError('Action', actionId);
        assertCan(actor, 'records.read', row.unit_id);
        const mine =
          actor.personId !== null &&
          (row.owner_person_id === actor.personId || row.action_manager_id === actor.personId);
        if (actor.kind === 'person' && !mine && !can(actor, 'action.manage', row.unit_id))
          throw new ForbiddenError(
            `Only the owner, the action manager or the chair may snooze action ${row.id}.`,
            {
              actionId: row.id,
            },
          );
        const personId = actor.personId ?? row.owner_person_id;
        if (personId === null)
          throw new ForbiddenError('Only a person can snooze reminders.', { actionId: row.id });
        const unit = await units.get(row.unit_id, trx);
        const untilDate = addDays(localDateOf(clock.now(), unit.timeZone), days);
        const before = await trx
          .selectFrom('reminder_snoozes')
          .select('until_date')
          .where('action_id', '=', row.id)
          .where('person_id', '=', personId)
          .executeTakeFirst();
        await trx
          .insertInto('reminder_snoozes')
          .values({ action_id: row.id, person_id: personId, until_date: untilDate, created_at: clock.now() })
          .onConflict((oc) =>
            oc
              .columns(['action_id', 'person_id'])
              .doUpdateSet({ until_date: untilDate, created_at: clock.now() }),
          )
          .execute();
        await audit.append(trx, actor, {
          operation: 'alteration',
          entityType: 'action',
          entityId: row.id,
          unitId: row.unit_id,
          before: { reminderSnoozedUntil: before?.until_date ?? null, personId },
          after: { reminderSnoozedUntil: untilDate, personId },
        });
        return { actionId: row.id, untilDate };
      });
    },
  };
}
