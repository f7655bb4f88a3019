/**
 * Results analysis: did the incidents a priority is about change after a point (the priority's start, an action
 * closed, a decision made)? The incidents matching the priority's rules are counted in equal windows of whole
 * local days before and after the point, and the window after is judged against the spread of the windows before
 * (the brief's rule for "unusual": more than 2 * max(sd, sqrt(mean)) and at least 3 from the mean), so a change
 * within the noise is called noise. A window in which the unit recorded no incident at all is a gap in the data,
 * not a quiet spell: it is left out of the baseline, and said so.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import type { Actor } from '../access/actor.js';
import type { ActionService } from '../actions/action.service.js';
import { TERMINAL_STATUSES } from '../actions/transitions.js';
import type { Clock } from '../clock.js';
import type { DecisionService } from '../decisions/decision.service.js';
import { DomainError } from '../errors.js';
import { classify, prioritySpec } from '../incidents/picture.service.js';
import type { Priority, PriorityService } from '../priorities/priority.service.js';
import { addDays, localDateOf, startOfLocalDay } from '../time.js';
import type { UnitService } from '../units/unit.service.js';
import { highestMarking, type Marking } from '../validation.js';

/** Windows of the baseline: the window just before the point and the ones before it. */
export const BASELINE_WINDOWS = 6;
export const DEFAULT_RESULT_DAYS = 14;

export interface ResultWindow {
  /** First local date of the window. */
  readonly from: string;
  /** Last local date of the window (inclusive). */
  readonly to: string;
  /** Incidents matching the priority's rules. */
  readonly count: number;
  /** All the unit's incidents (0: a gap in the data). */
  readonly total: number;
}

export type Verdict = 'fell' | 'rose' | 'noise' | 'too_early' | 'no_baseline';

export interface Results {
  readonly subject: {
    readonly kind: 'priority' | 'action' | 'decision';
    readonly id: number;
    readonly title: string;
  };
  /** The priority whose rules say which incidents count. */
  readonly priority: { readonly id: number; readonly title: string };
  readonly unitId: number;
  readonly marking: Marking;
  /** The first local date after the point. */
  readonly pivot: string;
  /** What the point is, in words: "P3 started", "action #42 closed (done)". */
  readonly pivotLabel: string;
  readonly days: number;
  readonly before: ResultWindow;
  /** The window after; `complete` false while it has not ended yet (counted so far). */
  readonly after: ResultWindow & { readonly complete: boolean };
  /** The windows before the point, nearest first (the first is `before`). */
  readonly baseline: readonly ResultWindow[];
  /** Baseline windows left out as gaps (no incident of any kind). */
  readonly gaps: number;
  readonly mean: number;
  readonly sd: number;
  readonly verdict: Verdict;
}

export interface ResultsService {
  /** From the priority's start (or `from`): what changed since. */
  ofPriority(actor: Actor, priorityId: number, options?: { from?: string; days?: number }): Promise<Results>;
  /** From the day a closed action was closed, by the rules of the priority it (or its decision) serves. */
  ofAction(actor: Actor, actionId: number, options?: { days?: number }): Promise<Results>;
  /** From the day of a decision, by the rules of the priority it (or its actions) serves. */
  ofDecision(actor: Actor, decisionId: number, options?: { days?: number }): Promise<Results>;
}

export interface MatchCount {
  /** Incidents matching the condition. */
  readonly count: number;
  /** All the unit's incidents (0: no data at all). */
  readonly total: number;
}

/**
 * The unit's incidents in each window (from `start`, before `end`: ISO instants), those matching `condition`
 * (a priority's rules, see prioritySpec) and all of them, in the windows' order: one read for every window.
 */
export async function countMatching(
  db: Kysely<Database>,
  unitId: number,
  condition: RawBuilder<boolean>,
  windows: ReadonlyArray<{ readonly start: string; readonly end: string }>,
): Promise<MatchCount[]> {
  const { rows } = await sql<{ k: string; count: number; total: number }>`
    select w.k, count(i.id) filter (where ${condition})::int as count, count(i.id)::int as total
    from unnest(${windows.map((w) => w.start)}::timestamptz[], ${windows.map((w) => w.end)}::timestamptz[])
      with ordinality as w(s, e, k)
    left join incidents i on i.unit_id = ${unitId} and i.event_at >= w.s and i.event_at < w.e
    group by w.k`.execute(db);
  const byWindow = new Map(rows.map((r) => [Number(r.k), r]));
  return windows.map((_, k) => {
    const row = byWindow.get(k + 1);
    return { count: row?.count ?? 0, total: row?.total ?? 0 };
  });
}

/** The verdict in words. */
export function verdictText(r: Pick<Results, 'verdict' | 'mean' | 'days'>): string {
  switch (r.verdict) {
    case 'fell':
      return `fell: below the usual range (mean ${r.mean} per ${r.days} days)`;
    case 'rose':
      return `rose: above the usual range (mean ${r.mean} per ${r.days} days)`;
    case 'noise':
      return `no change beyond the noise (mean ${r.mean} per ${r.days} days)`;
    case 'too_early':
      return 'too early to say: the window after has not ended';
    case 'no_baseline':
      return 'no baseline: no incident data before the point';
  }
}

function noMeasure(message: string, details: Record<string, unknown>): DomainError {
  return new DomainError('VALIDATION_FAILED', message, details);
}

export function createResultsService(deps: {
  db: Kysely<Database>;
  clock: Clock;
  units: UnitService;
  priorities: PriorityService;
  actions: ActionService;
  decisions: DecisionService;
}): ResultsService {
  const { db, clock, units, priorities, actions, decisions } = deps;

  async function measure(
    priority: Priority,
    pivot: string,
    days: number,
    subject: Results['subject'],
    pivotLabel: string,
    markings: readonly Marking[],
  ): Promise<Results> {
    if (!Number.isSafeInteger(days) || days < 1 || days > 366)
      throw noMeasure(`days: must be a whole number from 1 to 366 (got ${days})`, { days });
    const spec = prioritySpec(priority);
    if (!spec.condition)
      throw noMeasure(
        `P${priority.id} ${priority.title} has no matching rules, so no incidents can be counted for it: set its types, chapters, qualifiers, areas or keywords first.`,
        { priorityId: priority.id },
      );
    const unit = await units.get(priority.unitId);
    const today = localDateOf(clock.now(), unit.timeZone);
    // Window 0 is the one after the point; windows 1..N before it, nearest first.
    const starts = Array.from({ length: BASELINE_WINDOWS + 1 }, (_, k) =>
      addDays(pivot, (k === 0 ? 0 : -k) * days),
    );
    const bounds = starts.map((from) => ({ from, to: addDays(from, days - 1) }));
    const afterEnd = addDays(pivot, days);
    // The window after ends today at the latest (counted so far).
    const instant = (date: string) => startOfLocalDay(date, unit.timeZone).toISOString();
    const ends = bounds.map((b, k) =>
      instant(k === 0 && afterEnd > addDays(today, 1) ? addDays(today, 1) : addDays(b.to, 1)),
    );
    const counts = await countMatching(
      db,
      unit.id,
      spec.condition,
      bounds.map((b, k) => ({ start: instant(b.from), end: ends[k] as string })),
    );
    const windows: ResultWindow[] = bounds.map((b, k) => ({ ...b, ...(counts[k] as MatchCount) }));
    const [after, ...baseline] = windows as [ResultWindow, ...ResultWindow[]];
    const usable = baseline.filter((w) => w.total > 0);
    const { mean, sd, flag } = classify(
      after.count,
      usable.map((w) => w.count),
    );
    const complete = afterEnd <= addDays(today, 1);
    const verdict: Verdict =
      pivot > today || !complete
        ? 'too_early'
        : usable.length === 0
          ? 'no_baseline'
          : flag === 'high'
            ? 'rose'
            : flag === 'low'
              ? 'fell'
              : 'noise';
    return {
      subject,
      priority: { id: priority.id, title: priority.title },
      unitId: unit.id,
      marking: highestMarking([{ marking: priority.marking }, ...markings.map((marking) => ({ marking }))]),
      pivot,
      pivotLabel,
      days,
      before: baseline[0] as ResultWindow,
      after: { ...after, complete },
      baseline,
      gaps: baseline.length - usable.length,
      mean,
      sd,
      verdict,
    };
  }

  return {
    async ofPriority(actor, priorityId, options = {}) {
      const priority = await priorities.get(actor, priorityId);
      const pivot = options.from ?? priority.startsOn;
      return measure(
        priority,
        pivot,
        options.days ?? DEFAULT_RESULT_DAYS,
        { kind: 'priority', id: priority.id, title: priority.title },
        options.from ? `from ${pivot}` : `P${priority.id} started`,
        [],
      );
    },

    async ofAction(actor, actionId, options = {}) {
      const action = await actions.get(actor, actionId);
      if (!TERMINAL_STATUSES.includes(action.status))
        throw noMeasure(
          `Action #${action.id} is ${action.status.replaceAll('_', ' ')}: results are measured from the day an action is closed (done or no further action).`,
          { actionId: action.id },
        );
      let priorityId = action.priorityId;
      if (priorityId === null && action.decisionId !== null)
        priorityId = (await decisions.get(actor, action.decisionId)).priorityId;
      if (priorityId === null)
        throw noMeasure(
          `Action #${action.id} serves no priority, so there is nothing to measure it by: link one with \`dmm actions link ${action.id} --priority <id>\`.`,
          { actionId: action.id },
        );
      const history = await actions.history(actor, action.id);
      const closing = history.filter((u) => u.kind === 'status').at(-1);
      const unit = await units.get(action.unitId);
      const closedOn = localDateOf(closing?.at ?? action.updatedAt, unit.timeZone);
      return measure(
        await priorities.get(actor, priorityId),
        addDays(closedOn, 1),
        options.days ?? DEFAULT_RESULT_DAYS,
        { kind: 'action', id: action.id, title: action.title },
        `action #${action.id} closed on ${closedOn} (${action.status.replaceAll('_', ' ')})`,
        [action.marking],
      );
    },

    async ofDecision(actor, decisionId, options = {}) {
      const decision = await decisions.get(actor, decisionId);
      let priorityId = decision.priorityId;
      if (priorityId === null) {
        const served = new Set(
          (await actions.ofDecision(actor, decision.id)).map((a) => a.priorityId).filter((p) => p !== null),
        );
        if (served.size === 1) priorityId = [...served][0] as number;
      }
      if (priorityId === null)
        throw noMeasure(
          `Decision D-${decision.id} serves no priority (nor do its actions, or they serve several), so there is nothing to measure it by.`,
          { decisionId: decision.id },
        );
      const unit = await units.get(decision.unitId);
      const decidedOn = localDateOf(decision.decidedAt, unit.timeZone);
      return measure(
        await priorities.get(actor, priorityId),
        addDays(decidedOn, 1),
        options.days ?? DEFAULT_RESULT_DAYS,
        { kind: 'decision', id: decision.id, title: decision.text },
        `decision D-${decision.id} made on ${decidedOn}`,
        [decision.marking],
      );
    },
  };
}
