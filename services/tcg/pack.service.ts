/**
 * The TT&CG pack: what the fortnightly tactical tasking and coordination group reads of a unit's period. Each
 * priority with its owner, objective and review date, its incidents day by day, its results (the period against
 * the one before and the spread of the six before), the actions that deliver it and their results, and the
 * decisions that serve it; then the period's decisions and their reviews, the escalations, and the intelligence
 * requirements with their answers. Built with the reader's rights, up to a ceiling (anything above it is left out
 * and counted), marked with the highest marking it holds, and logged as a disclosure.
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../db/database.js';
import type { Actor } from '../access/actor.js';
import { assertCan } from '../access/permissions.js';
import type { Action, ActionService } from '../actions/action.service.js';
import { TERMINAL_STATUSES } from '../actions/transitions.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import type { Decision, DecisionReview, DecisionService } from '../decisions/decision.service.js';
import { isDomainError } from '../errors.js';
import type { Escalation, EscalationService } from '../escalations/escalation.service.js';
import { prioritySpec } from '../incidents/picture.service.js';
import type { IntelligenceRequirement, IntelligenceService } from '../intelligence/requirement.service.js';
import { personName } from '../people/names.js';
import type { Priority, PriorityService } from '../priorities/priority.service.js';
import { countMatching, type Results, type ResultsService } from '../results/results.service.js';
import { addDays, localDateOf, startOfLocalDay } from '../time.js';
import type { Unit, UnitService } from '../units/unit.service.js';
import {
  highestMarking,
  id,
  isoDate,
  type Marking,
  marking,
  parseInput,
  text,
  withinCeiling,
} from '../validation.js';

export interface PackAction {
  readonly action: Action;
  readonly owner: string;
  /** The local date it was closed (done or no further action), if it is. */
  readonly closedOn: string | null;
  /** Its results when closed and its priority can be measured; else why not. */
  readonly results: Results | null;
  readonly resultsNote: string | null;
}

export interface PackPriority {
  readonly priority: Priority;
  readonly owner: string | null;
  /** Matching incidents each day of the period (null: the priority has no matching rules). */
  readonly daily: ReadonlyArray<{ readonly date: string; readonly count: number }> | null;
  /** The period against the period before and the spread of the six before; null with a note when it cannot be. */
  readonly results: Results | null;
  readonly resultsNote: string | null;
  readonly actions: readonly PackAction[];
  readonly decisions: readonly Decision[];
}

export interface PackDecision {
  readonly decision: Decision;
  readonly decisionMaker: string;
  /** Reviews recorded in the period. */
  readonly reviews: readonly DecisionReview[];
}

export interface TcgPack {
  readonly unit: Pick<Unit, 'id' | 'code' | 'name' | 'timeZone'>;
  readonly from: string;
  readonly to: string;
  readonly days: number;
  readonly generatedAt: Date;
  readonly generatedBy: string;
  readonly ceiling: Marking;
  readonly marking: Marking;
  readonly priorities: readonly PackPriority[];
  readonly decisions: readonly PackDecision[];
  readonly escalations: readonly Escalation[];
  readonly intelligence: readonly IntelligenceRequirement[];
  /** Actions of the period that serve no priority. */
  readonly otherActions: readonly PackAction[];
  /** Items left out for being marked above the ceiling. */
  readonly withheld: number;
}

const packSchema = z
  .object({
    unitId: id,
    from: isoDate,
    to: isoDate,
    ceiling: marking.default('OFFICIAL-SENSITIVE'),
    recipients: z.array(text(200)).min(1, 'name at least one recipient (the TT&CG, a person or post)'),
    justification: text(500),
    destination: text(500),
    channel: text(40).default('cli'),
  })
  .refine((v) => v.from <= v.to, {
    message: `must be on or before the period's last date (to)`,
    path: ['from'],
  })
  .refine((v) => v.to <= addDays(v.from, 365), { message: 'a pack covers a year at most', path: ['to'] });

export interface TcgPackService {
  /** Builds the pack of a period and logs it as a disclosure (who, to whom, why, what it holds). */
  build(actor: Actor, input: z.input<typeof packSchema>): Promise<TcgPack>;
}

const within = (date: string, from: string, to: string) => date >= from && date <= to;

export function createTcgPackService(deps: {
  db: Kysely<Database>;
  audit: AuditService;
  clock: Clock;
  units: UnitService;
  priorities: PriorityService;
  actions: ActionService;
  decisions: DecisionService;
  escalations: EscalationService;
  intelligence: IntelligenceService;
  results: ResultsService;
}): TcgPackService {
  const { db, audit, clock, units, priorities, actions, decisions, escalations, intelligence, results } =
    deps;

  /** Results, or why there are none (a priority without rules, an action not measurable). */
  async function measured(
    run: () => Promise<Results>,
  ): Promise<{ results: Results | null; note: string | null }> {
    try {
      return { results: await run(), note: null };
    } catch (error) {
      if (isDomainError(error) && error.code === 'VALIDATION_FAILED')
        return { results: null, note: error.message };
      throw error;
    }
  }

  async function daily(unit: Unit, priority: Priority, from: string, to: string) {
    const spec = prioritySpec(priority);
    if (!spec.condition) return null;
    const dates: string[] = [];
    for (let d = from; d <= to; d = addDays(d, 1)) dates.push(d);
    const instant = (d: string) => startOfLocalDay(d, unit.timeZone).toISOString();
    const counts = await countMatching(
      db,
      unit.id,
      spec.condition,
      dates.map((d) => ({ start: instant(d), end: instant(addDays(d, 1)) })),
    );
    return dates.map((date, k) => ({ date, count: counts[k]?.count ?? 0 }));
  }

  return {
    async build(actor, input) {
      const data = parseInput(packSchema, input);
      assertCan(actor, 'records.export', data.unitId);
      const unit = await units.get(data.unitId);
      const { from, to, ceiling } = data;
      const days = Math.round(
        (Date.parse(`${addDays(to, 1)}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000,
      );
      const today = localDateOf(clock.now(), unit.timeZone);
      let withheld = 0;
      const keep = <T extends { readonly marking: Marking }>(items: readonly T[]): T[] => {
        const kept = items.filter((i) => withinCeiling(i.marking, ceiling));
        withheld += items.length - kept.length;
        return kept;
      };
      const localOf = (at: Date) => localDateOf(at, unit.timeZone);

      // Actions of the period: created by its end, and not closed before it began.
      // (An action last changed before the period began was closed before it, if it is closed: its history is not
      // read.)
      const allActions = (await actions.list(actor, unit.id, 'all')).filter(
        (a) =>
          localOf(a.createdAt) <= to &&
          (!TERMINAL_STATUSES.includes(a.status) || localOf(a.updatedAt) >= from),
      );
      const closedOn = new Map<number, string>();
      for (const a of allActions)
        if (TERMINAL_STATUSES.includes(a.status)) {
          const closing = (await actions.history(actor, a.id)).filter((u) => u.kind === 'status').at(-1);
          closedOn.set(a.id, localOf(closing?.at ?? a.updatedAt));
        }
      const periodActions = keep(
        allActions.filter((a) => {
          const closed = closedOn.get(a.id);
          return localOf(a.createdAt) <= to && (closed === undefined || closed >= from);
        }),
      ).sort((a, b) => a.id - b.id);
      const packAction = async (a: Action): Promise<PackAction> => {
        const closed = closedOn.get(a.id) ?? null;
        const m = closed
          ? await measured(() => results.ofAction(actor, a.id, { days }))
          : { results: null, note: null };
        return {
          action: a,
          owner: (await personName(db, a.ownerPersonId)) ?? a.ownerPost ?? 'unassigned',
          closedOn: closed,
          results: m.results,
          resultsNote: m.note,
        };
      };

      const periodDecisions = keep(await decisions.list(actor, unit.id, { from, to }));
      const decisionPriority = new Map(periodDecisions.map((d) => [d.id, d.priorityId]));
      // Decisions of earlier periods that the period's actions carry out.
      for (const a of periodActions)
        if (a.decisionId !== null && !decisionPriority.has(a.decisionId))
          decisionPriority.set(a.decisionId, (await decisions.get(actor, a.decisionId)).priorityId);
      const serves = (a: Action) =>
        a.priorityId ?? (a.decisionId === null ? null : (decisionPriority.get(a.decisionId) ?? null));

      // Priorities in force at any time in the period.
      const priorityRows = await db
        .selectFrom('priorities')
        .select('id')
        .where('unit_id', '=', unit.id)
        .where('starts_on', '<=', to)
        .where((eb) => eb.or([eb('ends_on', 'is', null), eb('ends_on', '>=', from)]))
        .orderBy('id')
        .execute();
      const inForce = keep(await Promise.all(priorityRows.map((r) => priorities.get(actor, r.id))));
      const packPriorities: PackPriority[] = [];
      for (const p of inForce) {
        const m = await measured(() => results.ofPriority(actor, p.id, { from, days }));
        packPriorities.push({
          priority: p,
          owner: (await personName(db, p.ownerPersonId)) ?? null,
          daily: await daily(unit, p, from, to),
          results: m.results,
          resultsNote: m.note,
          actions: await Promise.all(periodActions.filter((a) => serves(a) === p.id).map(packAction)),
          decisions: periodDecisions.filter((d) => d.priorityId === p.id),
        });
      }
      const shownPriorities = new Set(inForce.map((p) => p.id));

      const packDecisions: PackDecision[] = [];
      for (const d of periodDecisions)
        packDecisions.push({
          decision: d,
          decisionMaker: (await personName(db, d.decisionMakerId)) ?? `person ${d.decisionMakerId}`,
          reviews: (await decisions.reviews(actor, d.id)).filter((r) =>
            within(localOf(r.reviewedAt), from, to),
          ),
        });

      // Escalations raised in the period, and those still awaiting an answer from before it.
      const periodEscalations = keep(
        (await escalations.list(actor, unit.id)).filter((e) => {
          const raised = localOf(e.raisedAt);
          return raised <= to && (raised >= from || e.answeredAt === null || localOf(e.answeredAt) >= from);
        }),
      ).reverse();

      // Requirements approved by the period's end and still open at its start.
      const requirements = keep(
        (await intelligence.list(actor, unit.id)).filter(
          (r) =>
            r.approvedAt !== null &&
            localOf(r.approvedAt) <= to &&
            (r.closedAt === null || localOf(r.closedAt) >= from) &&
            (r.expiresOn === null || r.expiresOn >= from),
        ),
      )
        .reverse()
        .map((r) => ({
          ...r,
          answers: r.answers.filter((a) => withinCeiling(a.marking, ceiling) && localOf(a.at) <= to),
        }));

      const otherActions = await Promise.all(
        periodActions
          .filter((a) => {
            const p = serves(a);
            return p === null || !shownPriorities.has(p);
          })
          .map(packAction),
      );
      const pack: TcgPack = {
        unit: { id: unit.id, code: unit.code, name: unit.name, timeZone: unit.timeZone },
        from,
        to,
        days,
        generatedAt: clock.now(),
        generatedBy: (await personName(db, actor.personId)) ?? actor.label,
        ceiling,
        marking: highestMarking([
          ...inForce,
          ...periodActions,
          ...periodDecisions,
          ...periodEscalations,
          ...requirements,
          ...requirements.flatMap((r) => r.answers),
        ]),
        priorities: packPriorities,
        decisions: packDecisions,
        escalations: periodEscalations,
        intelligence: requirements,
        otherActions,
        withheld,
      };
      await audit.record(actor, {
        operation: 'disclosure',
        entityType: 'tcg_pack',
        entityId: `${unit.code}:${from}..${to}`,
        unitId: unit.id,
        after: {
          from,
          to,
          marking: pack.marking,
          ceiling,
          withheld,
          priorities: inForce.map((p) => p.id),
          actions: periodActions.map((a) => a.id),
          decisions: periodDecisions.map((d) => d.id),
          escalations: periodEscalations.map((e) => e.id),
          intelligenceRequirements: requirements.map((r) => r.id),
          justification: data.justification,
          destination: data.destination,
          asOf: today,
        },
        recipients: data.recipients,
        channel: data.channel,
      });
      return pack;
    },
  };
}
