/**
 * Builds the daily brief for a unit and local date once, and stores it; later calls (and other replicas) get
 * the stored brief. Building combines incidents, actions, the forward look and decisions, so it is audited as
 * a "combination" (DPA 2018 s.62).
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../db/database.js';
import type { Actor } from '../access/actor.js';
import { assertCan } from '../access/permissions.js';
import { selectActionsWithOwner } from '../actions/action.service.js';
import { TERMINAL_STATUSES } from '../actions/transitions.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import { decisionsDueForReview, selectDecisions } from '../decisions/decision.service.js';
import type { ForwardLookService } from '../forward-look/forward-look.service.js';
import { type CountWithBaseline, type PictureService, pictureWindows } from '../incidents/picture.service.js';
import type { PriorityService } from '../priorities/priority.service.js';
import { addDays, localDateOf, startOfLocalDay } from '../time.js';
import type { Unit, UnitService } from '../units/unit.service.js';
import { highestMarking, isoDate, type Marking, parseInput } from '../validation.js';

const markingOf = (i: { marking: string }) => ({ marking: i.marking as Marking });

import { BRIEF_VERSION, type Brief, type BriefAction, type BriefCount } from './brief.model.js';
import { briefIncident, incidentRef, placeLabel } from './brief-incidents.js';
import { type BriefLabels, DEFAULT_LABELS, labelOf } from './labels.js';

/** The source name of generated demonstration incidents: a brief over them says "demo data". */
export const DEMO_SOURCE = 'dmm-demo';

export interface BriefService {
  /**
   * The unit's brief for a local date (default today): the stored one, or built and stored now. A stored brief
   * an import made stale (late incidents in its window) is built again and says so (`revision`).
   */
  get(actor: Actor, unitId: number, localDate?: string, options?: { rebuild?: boolean }): Promise<Brief>;
  /** The local dates of the unit's stored briefs that an import made stale, oldest first. */
  staleDates(unitId: number): Promise<string[]>;
}

/**
 * Marks the unit's stored briefs whose window holds any instant from `from` to `to` as stale, in the
 * transaction of the import chunk that changed those incidents.
 */
export async function markBriefsStale(
  trx: Transaction<Database>,
  unitId: number,
  from: Date,
  to: Date,
  now: Date,
): Promise<void> {
  await trx
    .updateTable('brief_runs')
    .set({ stale_at: now })
    .where('unit_id', '=', unitId)
    .where('stale_at', 'is', null)
    .where('window_end', '>', from)
    .where('window_start', '<=', to)
    .execute();
}

const MAX_ITEMS = 50;

export function createBriefService(deps: {
  db: Kysely<Database>;
  audit: AuditService;
  clock: Clock;
  units: UnitService;
  pictures: PictureService;
  priorities: PriorityService;
  forwardLook: ForwardLookService;
  /** The words for codes (defaults, with the force's renames from its labels.json). */
  labels?: BriefLabels;
}): BriefService {
  const { db, audit, clock, units, pictures, priorities, forwardLook } = deps;
  const labels = deps.labels ?? DEFAULT_LABELS;

  async function build(actor: Actor, unit: Unit, date: string): Promise<Brief> {
    const unitId = unit.id;
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
    // incident picture, the slowest, is counted. The priorities are read first, so that the picture's count is
    // the first query sent rather than queued behind the others (it waited 10 ms for them).
    const activePriorities = await priorities.listActive(actor, unitId, date);
    const ownerIds = [
      ...new Set(activePriorities.map((p) => p.ownerPersonId).filter((v): v is number => v !== null)),
    ];
    const [picture, overdue, dueToday, blocked, updated, upcoming, decisions, demo, owners, decisionsDue] =
      await Promise.all([
        pictures.build(actor, unit, date, { activePriorities }),
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
        db
          .selectFrom('incidents')
          .select('id')
          .where('unit_id', '=', unitId)
          .where('source', '=', DEMO_SOURCE)
          .limit(1)
          .executeTakeFirst(),
        ownerIds.length === 0
          ? []
          : db.selectFrom('people').select(['id', 'display_name']).where('id', 'in', ownerIds).execute(),
        decisionsDueForReview(db, unitId, date),
      ]);
    const ownerName = new Map(owners.map((o) => [o.id, o.display_name]));
    const priorityById = new Map(activePriorities.map((p) => [p.id, p]));
    /** A priority's owner, objective and review date, as the TT&CG set them. */
    const tcg = (id: number) => {
      const p = priorityById.get(id);
      const owner = p?.ownerPersonId ?? null;
      return {
        owner: owner === null ? null : (ownerName.get(owner) ?? null),
        objective: p?.objective ?? null,
        reviewOn: p?.reviewOn ?? null,
      };
    };
    const zone = unit.timeZone;
    const labelled = (
      rows: readonly CountWithBaseline[],
      label: (key: string) => string,
      partnerLabel?: (key: string) => string,
    ): BriefCount[] =>
      rows.map((r) => ({
        ...r,
        label: label(r.key),
        ...(partnerLabel ? { partnerLabel: partnerLabel(r.key) } : {}),
      }));
    const code = (key: string) => (key === 'not recorded' ? '' : key);

    const brief: Brief = {
      version: BRIEF_VERSION,
      unit: { id: unit.id, code: unit.code, name: unit.name, timeZone: unit.timeZone },
      localDate: date,
      window: { start: start.toISOString(), end: end.toISOString(), hours: picture.windowHours },
      builtAt: clock.now().toISOString(),
      rule: picture.rule,
      incidents: {
        total: picture.total,
        trend: picture.trend,
        byGrade: labelled(
          picture.byGrade,
          (k) => labelOf(labels, 'grade', code(k)),
          (k) => labels.partnerGrade[k] ?? labelOf(labels, 'grade', code(k)),
        ),
        byChapter: labelled(picture.byChapter, (k) => labelOf(labels, 'chapter', code(k))),
        byType: labelled(picture.byType.slice(0, 20), (k) => labelOf(labels, 'type', code(k))),
        hotspots: labelled(picture.hotspots, placeLabel),
        repeatLocations: picture.repeatLocations.map((r) => ({
          place: placeLabel(r.key),
          day: r.day,
          week: r.week,
          incidents: r.incidents.map((i) => incidentRef(i, labels, zone, placeLabel(r.key))),
          marking: highestMarking([{ marking: r.marking ?? 'OFFICIAL' }, ...r.incidents.map(markingOf)]),
        })),
        emergingSeries: picture.emergingSeries.map((c) => ({
          type: labelOf(labels, 'type', c.type),
          place: placeLabel(c.place),
          count: c.count,
          baselineMean: c.baselineMean,
          incidents: c.incidents.map((i) => incidentRef(i, labels, zone, placeLabel(c.place))),
          marking: highestMarking([{ marking: c.marking ?? 'OFFICIAL' }, ...c.incidents.map(markingOf)]),
        })),
        responseTimes: picture.responseTimes.map((r) => ({ ...r, label: labelOf(labels, 'grade', r.grade) })),
        responseBreaches: {
          count: picture.responseBreaches.count,
          items: picture.responseBreaches.items.slice(0, MAX_ITEMS).map((b) => {
            const i = briefIncident(b, labels, zone);
            return {
              id: i.id,
              reference: i.reference,
              eventAt: i.eventAt,
              grade: i.grade,
              type: i.type,
              place: i.place,
              minutesToArrive: b.minutesToArrive,
              targetMinutes: b.targetMinutes,
              marking: i.marking,
            };
          }),
        },
      },
      dataQuality: {
        baseline: picture.baseline,
        placeholderTimes: picture.placeholderTimes,
        placeholderPlaces: picture.placeholderPlaces,
        demo: demo !== undefined,
      },
      exceptions: {
        count: picture.exceptions.count,
        items: picture.exceptions.items.slice(0, MAX_ITEMS).map((e) => briefIncident(e, labels, zone)),
      },
      priorities: picture.priorities.map((p) => ({
        title: p.priority.title,
        ...tcg(p.priority.id),
        count: p.count,
        baselineMean: p.baselineMean,
        flag: p.flag,
        trend: p.trend,
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
      decisionsDue: decisionsDue.slice(0, MAX_ITEMS),
    };
    return JSON.parse(JSON.stringify(brief)) as Brief;
  }

  /** A build combines incidents, actions, the forward look and decisions: audited as a combination. */
  async function auditBuild(
    trx: Transaction<Database>,
    actor: Actor,
    unitCode: string,
    brief: Brief,
    how: Record<string, unknown>,
  ): Promise<void> {
    await audit.append(trx, actor, {
      operation: 'combination',
      entityType: 'brief',
      entityId: `${unitCode}:${brief.localDate}`,
      unitId: brief.unit.id,
      after: {
        localDate: brief.localDate,
        ...how,
        incidents: brief.incidents.total.count,
        exceptions: brief.exceptions.count,
        actions: Object.values(brief.actions).reduce((n, list) => n + list.length, 0),
        decisions: brief.decisions.length,
      },
    });
  }

  return {
    async staleDates(unitId) {
      const rows = await db
        .selectFrom('brief_runs')
        .select(sql<string>`to_char(local_date, 'YYYY-MM-DD')`.as('date'))
        .where('unit_id', '=', unitId)
        .where('stale_at', 'is not', null)
        .orderBy('local_date')
        .execute();
      return rows.map((r) => r.date);
    },

    async get(actor, unitId, localDate, options = {}) {
      assertCan(actor, 'sanitised.read', unitId);
      const unit = await units.get(unitId);
      const date = localDate ? parseInput(isoDate, localDate) : localDateOf(clock.now(), unit.timeZone);
      const findRow = (q: Kysely<Database>) =>
        q
          .selectFrom('brief_runs')
          .select(['id', 'content', 'built_at', 'stale_at', 'window_start', 'window_end'])
          .where('unit_id', '=', unitId)
          .where('local_date', '=', date)
          .executeTakeFirst();
      const findStored = async (q: Kysely<Database>) => (await findRow(q))?.content as Brief | undefined;
      const stored = options.rebuild ? undefined : await findRow(db);
      if (stored) {
        // A brief stored in an earlier format is built again (below) rather than shown half-understood.
        const current = (stored.content as Brief).version === BRIEF_VERSION;
        if (!stored.stale_at && current) return stored.content as Brief;
        if (stored.stale_at) {
          // Late data: incidents of the window that arrived after the stored brief was built.
          const { n } = await db
            .selectFrom('incidents')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('unit_id', '=', unitId)
            .where('event_at', '>=', stored.window_start ?? new Date(0))
            .where('event_at', '<', stored.window_end ?? new Date(0))
            .where('created_at', '>', stored.built_at)
            .executeTakeFirstOrThrow();
          const rebuilt = await build(actor, unit, date);
          const brief: Brief = {
            ...rebuilt,
            revision: {
              updatedAt: rebuilt.builtAt,
              lateIncidents: Number(n),
              previousBuiltAt: stored.built_at.toISOString(),
            },
          };
          return db.transaction().execute(async (trx) => {
            // Race guard: only the reader that finds it still stale stores its build; the others read that one.
            const updated = await trx
              .updateTable('brief_runs')
              .set({ content: JSON.stringify(brief), built_at: clock.now(), stale_at: null })
              .where('id', '=', stored.id)
              .where('stale_at', '=', stored.stale_at as Date)
              .returning('id')
              .executeTakeFirst();
            if (!updated) return (await findStored(trx)) as Brief;
            await auditBuild(trx, actor, unit.code, brief, {
              rebuilt: 'late incidents',
              lateIncidents: Number(n),
            });
            return brief;
          });
        }
      }
      const brief = await build(actor, unit, date);
      // Replaces the stored brief: asked for, or stored in an earlier format.
      const replace = Boolean(options.rebuild) || stored !== undefined;
      return db.transaction().execute(async (trx) => {
        const content = JSON.stringify(brief);
        // Race guard: two replicas may build at once; the first stored brief wins and both return it.
        // A rebuild replaces the stored brief on purpose.
        const inserted = await trx
          .insertInto('brief_runs')
          .values({
            unit_id: unitId,
            local_date: date,
            content,
            built_at: clock.now(),
            window_start: brief.window.start,
            window_end: brief.window.end,
            stale_at: null,
          })
          .onConflict((oc) => {
            const target = oc.columns(['unit_id', 'local_date']);
            return replace
              ? target.doUpdateSet({ content, built_at: clock.now(), stale_at: null })
              : target.doNothing();
          })
          .returning('id')
          .executeTakeFirst();
        if (!inserted) return (await findStored(trx)) as Brief;
        await auditBuild(trx, actor, unit.code, brief, { rebuilt: Boolean(options.rebuild) });
        return brief;
      });
    },
  };
}
