/**
 * Builds the daily brief for a unit and local date once, and stores it; later calls (and other replicas) get
 * the stored brief. Building combines incidents, actions, the forward look and decisions, so it is audited as
 * a "combination" (DPA 2018 s.62).
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import type { Actor } from '../access/actor.js';
import { assertCan } from '../access/permissions.js';
import { selectActionsWithOwner } from '../actions/action.service.js';
import { TERMINAL_STATUSES } from '../actions/transitions.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import { selectDecisions } from '../decisions/decision.service.js';
import type { ForwardLookService } from '../forward-look/forward-look.service.js';
import { type PictureService, pictureWindows } from '../incidents/picture.service.js';
import { addDays, localDateOf, startOfLocalDay } from '../time.js';
import type { UnitService } from '../units/unit.service.js';
import { isoDate, type Marking, parseInput } from '../validation.js';
import { BRIEF_VERSION, type Brief, type BriefAction } from './brief.model.js';

export interface BriefService {
  /** The unit's brief for a local date (default today): the stored one, or built and stored now. */
  get(actor: Actor, unitId: number, localDate?: string, options?: { rebuild?: boolean }): Promise<Brief>;
}

const MAX_ITEMS = 50;

export function createBriefService(deps: {
  db: Kysely<Database>;
  audit: AuditService;
  clock: Clock;
  units: UnitService;
  pictures: PictureService;
  forwardLook: ForwardLookService;
}): BriefService {
  const { db, audit, clock, units, pictures, forwardLook } = deps;

  async function build(actor: Actor, unitId: number, date: string): Promise<Brief> {
    const unit = await units.get(unitId);
    const { start, end } = pictureWindows(date, unit.briefTime, unit.timeZone, 0)[0] as {
      start: Date;
      end: Date;
    };

    const open = () =>
      selectActionsWithOwner(db)
        .where('a.unit_id', '=', unitId)
        .where('a.status', 'not in', [...TERMINAL_STATUSES]);
    const toAction = (a: {
      id: number;
      title: string;
      owner_name: string | null;
      owner_post: string | null;
      due_on: string | null;
      status: string;
      category: string;
      marking: string;
    }): BriefAction => ({
      id: a.id,
      title: a.title,
      owner: a.owner_name ?? a.owner_post ?? 'unassigned',
      dueOn: a.due_on,
      status: a.status,
      category: a.category,
      marking: a.marking as Marking,
    });
    const yesterday = addDays(date, -1);
    // The sections are independent reads: they run at once (on PostgreSQL each on its own connection) while the
    // incident picture, the slowest, is counted.
    const [picture, overdue, dueToday, blocked, updated, upcoming, decisions] = await Promise.all([
      pictures.build(actor, unitId, date),
      open().where('a.due_on', '<', date).orderBy('a.due_on').orderBy('a.id').limit(MAX_ITEMS).execute(),
      open().where('a.due_on', '=', date).orderBy('a.id').limit(MAX_ITEMS).execute(),
      open().where('a.status', '=', 'blocked').orderBy('a.id').limit(MAX_ITEMS).execute(),
      selectActionsWithOwner(db)
        .where('a.unit_id', '=', unitId)
        .where('a.updated_at', '>=', start)
        .where('a.updated_at', '<', end)
        .where(sql<boolean>`a.version > 1`)
        .orderBy('a.updated_at')
        .limit(MAX_ITEMS)
        .execute(),
      forwardLook.listBetween(actor, unitId, end, new Date(end.getTime() + 24 * 3_600_000)),
      selectDecisions(db)
        .where('d.unit_id', '=', unitId)
        .where('d.decided_at', '>=', startOfLocalDay(yesterday, unit.timeZone))
        .where('d.decided_at', '<', startOfLocalDay(date, unit.timeZone))
        .orderBy('d.decided_at')
        .limit(MAX_ITEMS)
        .execute(),
    ]);

    const brief: Brief = {
      version: BRIEF_VERSION,
      unit: { id: unit.id, code: unit.code, name: unit.name, timeZone: unit.timeZone },
      localDate: date,
      window: { start: start.toISOString(), end: end.toISOString(), hours: picture.windowHours },
      builtAt: clock.now().toISOString(),
      rule: picture.rule,
      incidents: {
        total: picture.total,
        byGrade: picture.byGrade,
        byChapter: picture.byChapter,
        byType: picture.byType.slice(0, 20),
        hotspots: picture.hotspots,
        responseBreaches: picture.responseBreaches.count,
      },
      exceptions: {
        count: picture.exceptions.count,
        items: picture.exceptions.items.slice(0, MAX_ITEMS).map((e) => ({
          reference: e.reference,
          eventAt: e.eventAt.toISOString(),
          grade: e.grade,
          type: e.type,
          area: e.area,
          reasons: e.reasons,
          marking: e.marking as Marking,
        })),
      },
      priorities: picture.priorities.map((p) => ({
        title: p.priority.title,
        count: p.count,
        baselineMean: p.baselineMean,
        flag: p.flag,
        marking: p.priority.marking,
      })),
      actions: {
        overdue: overdue.map(toAction),
        dueToday: dueToday.map(toAction),
        blocked: blocked.map(toAction),
        updated: updated.map(toAction),
      },
      forwardLook: upcoming.map((f) => ({
        id: f.id,
        kind: f.kind,
        title: f.title,
        startsAt: f.startsAt.toISOString(),
        location: f.location,
        marking: f.marking,
      })),
      decisions: decisions.map((d) => ({
        id: d.id,
        text: d.text,
        decisionMaker: d.decision_maker_name,
        decidedAt: d.decided_at.toISOString(),
        supersededById: d.superseded_by_id,
        marking: d.marking as Marking,
      })),
    };
    return JSON.parse(JSON.stringify(brief)) as Brief;
  }

  return {
    async get(actor, unitId, localDate, options = {}) {
      assertCan(actor, 'sanitised.read', unitId);
      const unit = await units.get(unitId);
      const date = localDate ? parseInput(isoDate, localDate) : localDateOf(clock.now(), unit.timeZone);
      const findStored = async (q: Kysely<Database>) =>
        (
          await q
            .selectFrom('brief_runs')
            .select('content')
            .where('unit_id', '=', unitId)
            .where('local_date', '=', date)
            .executeTakeFirst()
        )?.content as Brief | undefined;
      if (!options.rebuild) {
        const stored = await findStored(db);
        if (stored) return stored;
      }
      const brief = await build(actor, unitId, date);
      return db.transaction().execute(async (trx) => {
        const content = JSON.stringify(brief);
        // Race guard: two replicas may build at once; the first stored brief wins and both return it.
        // A rebuild replaces the stored brief on purpose.
        const inserted = await trx
          .insertInto('brief_runs')
          .values({ unit_id: unitId, local_date: date, content, built_at: clock.now() })
          .onConflict((oc) => {
            const target = oc.columns(['unit_id', 'local_date']);
            return options.rebuild
              ? target.doUpdateSet({ content, built_at: clock.now() })
              : target.doNothing();
          })
          .returning('id')
          .executeTakeFirst();
        if (!inserted) return (await findStored(trx)) as Brief;
        await audit.append(trx, actor, {
          operation: 'combination',
          entityType: 'brief',
          entityId: `${unit.code}:${date}`,
          unitId,
          after: {
            localDate: date,
            rebuilt: Boolean(options.rebuild),
            incidents: brief.incidents.total.count,
            exceptions: brief.exceptions.count,
            actions: Object.values(brief.actions).reduce((n, list) => n + list.length, 0),
            decisions: brief.decisions.length,
          },
        });
        return brief;
      });
    },
  };
}
