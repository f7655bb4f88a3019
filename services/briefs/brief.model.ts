/**
 * The daily brief as data. Built once per unit per local day and stored as JSON, so every time in it is an ISO
 * string. `viewBrief` makes what one target may see: items above the target's marking ceiling are withheld
 * (counted, with a pointer), and the partner audience gets aggregates and themes only.
 */
import type { CountWithBaseline } from '../incidents/picture.service.js';
import { highestMarking, type Marking, withinCeiling } from '../validation.js';

export const BRIEF_VERSION = 1;

export interface BriefIncident {
  readonly reference: string;
  readonly eventAt: string;
  readonly grade: string | null;
  readonly type: string | null;
  readonly area: string | null;
  readonly reasons: readonly string[];
  readonly marking: Marking;
}

export interface BriefAction {
  readonly id: number;
  readonly title: string;
  readonly owner: string;
  readonly dueOn: string | null;
  readonly status: string;
  readonly category: string;
  readonly marking: Marking;
}

export interface BriefDecision {
  readonly id: number;
  readonly text: string;
  readonly decisionMaker: string;
  readonly decidedAt: string;
  readonly supersededById: number | null;
  readonly marking: Marking;
}

export interface BriefForwardItem {
  readonly id: number;
  readonly kind: string;
  readonly title: string;
  readonly startsAt: string;
  readonly location: string | null;
  readonly marking: Marking;
}

export interface BriefPriority {
  readonly title: string;
  readonly count: number;
  readonly baselineMean: number;
  readonly flag: 'high' | 'low' | null;
  /** A priority's title can itself be sensitive (an operation name, a target): it is withheld above the ceiling. */
  readonly marking: Marking;
}

export interface Brief {
  readonly version: typeof BRIEF_VERSION;
  readonly unit: {
    readonly id: number;
    readonly code: string;
    readonly name: string;
    readonly timeZone: string;
  };
  readonly localDate: string;
  readonly window: { readonly start: string; readonly end: string; readonly hours: number };
  readonly builtAt: string;
  /**
   * Present when the brief was built again because incidents in its window arrived (or changed) after it was
   * first built: when, and how many arrived since the brief it replaces.
   */
  readonly revision?: {
    readonly updatedAt: string;
    readonly lateIncidents: number;
    readonly previousBuiltAt: string;
  };
  readonly rule: string;
  readonly incidents: {
    readonly total: CountWithBaseline;
    readonly byGrade: readonly CountWithBaseline[];
    readonly byChapter: readonly CountWithBaseline[];
    readonly byType: readonly CountWithBaseline[];
    readonly hotspots: readonly CountWithBaseline[];
    readonly responseBreaches: number;
  };
  readonly exceptions: { readonly count: number; readonly items: readonly BriefIncident[] };
  readonly priorities: readonly BriefPriority[];
  readonly actions: {
    readonly overdue: readonly BriefAction[];
    readonly dueToday: readonly BriefAction[];
    readonly blocked: readonly BriefAction[];
    readonly updated: readonly BriefAction[];
  };
  readonly forwardLook: readonly BriefForwardItem[];
  readonly decisions: readonly BriefDecision[];
}

export type Audience = 'internal' | 'partner';

export interface Withheld {
  readonly count: number;
  readonly pointer: string | null;
}

export interface InternalBriefView extends Omit<Brief, 'version'> {
  readonly audience: 'internal';
  readonly marking: Marking;
  readonly ceiling: Marking;
  readonly withheld: Withheld;
}

/** Aggregates and themes only: no references, names, addresses or free text. */
export interface PartnerBriefView {
  readonly audience: 'partner';
  readonly marking: 'OFFICIAL';
  readonly unit: { readonly name: string };
  readonly localDate: string;
  readonly window: Brief['window'];
  readonly revision?: Brief['revision'];
  readonly rule: string;
  readonly incidents: {
    readonly total: Omit<CountWithBaseline, 'key'>;
    readonly byChapter: readonly CountWithBaseline[];
    readonly byGrade: readonly CountWithBaseline[];
    readonly hotspots: readonly CountWithBaseline[];
  };
  readonly exceptionThemes: Readonly<Record<string, number>>;
  readonly priorities: Brief['priorities'];
  readonly actions: {
    readonly overdue: number;
    readonly dueToday: number;
    readonly blocked: number;
    readonly updated: number;
  };
  readonly forwardLook: Readonly<Record<string, number>>;
  readonly decisions: number;
}

export type BriefView = InternalBriefView | PartnerBriefView;

/** Rows shown of the by-type and hotspot tables. */
const TYPE_ROWS = 10;
const HOTSPOT_ROWS = 5;

/**
 * A by-type or hotspot table as a target may see it: rows whose free text comes from incidents marked above the
 * ceiling are left out (their count is kept in one row that names no type or place), the rest cut to `rows`.
 */
export function visibleCounts(
  rows: readonly CountWithBaseline[],
  ceiling: Marking,
  limit: number,
): CountWithBaseline[] {
  const shown: CountWithBaseline[] = [];
  let hidden = 0;
  let hiddenMean = 0;
  for (const row of rows) {
    if (withinCeiling(row.marking, ceiling)) shown.push(row);
    else {
      hidden += row.count;
      hiddenMean += row.baselineMean;
    }
  }
  const visible = shown.slice(0, limit);
  if (hidden > 0)
    visible.push({
      key: `other (marked above ${ceiling})`,
      count: hidden,
      baselineMean: hiddenMean,
      baselineSd: 0,
      flag: null,
    });
  return visible;
}

export function viewBrief(brief: Brief, target: { audience: Audience; ceiling: Marking }): BriefView {
  // Partners never receive anything above OFFICIAL, whatever their channel's ceiling says.
  const ceiling: Marking = target.audience === 'partner' ? 'OFFICIAL' : target.ceiling;
  const byType = visibleCounts(brief.incidents.byType, ceiling, TYPE_ROWS);
  const hotspots = visibleCounts(brief.incidents.hotspots, ceiling, HOTSPOT_ROWS);
  let withheld = 0;
  // An item with no marking (a brief stored before the item had one) is treated as above every ceiling.
  const keep = <T extends { marking: Marking }>(items: readonly T[]): T[] =>
    items.filter((i) => {
      // withinCeiling takes an unknown marking as above every ceiling; a missing one must be too here.
      const ok = withinCeiling(i.marking ?? ('unmarked' as Marking), ceiling);
      if (!ok) withheld += 1;
      return ok;
    });
  const exceptions = keep(brief.exceptions.items);
  const actions = {
    overdue: keep(brief.actions.overdue),
    dueToday: keep(brief.actions.dueToday),
    blocked: keep(brief.actions.blocked),
    updated: keep(brief.actions.updated),
  };
  const forwardLook = keep(brief.forwardLook);
  const decisions = keep(brief.decisions);
  const priorities = keep(brief.priorities);

  if (target.audience === 'partner') {
    const themes: Record<string, number> = {};
    for (const e of exceptions) for (const r of e.reasons) themes[r] = (themes[r] ?? 0) + 1;
    const kinds: Record<string, number> = {};
    for (const f of forwardLook) kinds[f.kind] = (kinds[f.kind] ?? 0) + 1;
    const { key: _key, ...total } = brief.incidents.total;
    return {
      audience: 'partner',
      marking: 'OFFICIAL',
      unit: { name: brief.unit.name },
      localDate: brief.localDate,
      window: brief.window,
      ...(brief.revision ? { revision: brief.revision } : {}),
      rule: brief.rule,
      incidents: {
        total,
        byChapter: brief.incidents.byChapter,
        byGrade: brief.incidents.byGrade,
        hotspots,
      },
      exceptionThemes: themes,
      priorities,
      actions: {
        overdue: actions.overdue.length,
        dueToday: actions.dueToday.length,
        blocked: actions.blocked.length,
        updated: actions.updated.length,
      },
      forwardLook: kinds,
      decisions: decisions.length,
    };
  }

  const included = [
    ...exceptions,
    ...Object.values(actions).flat(),
    ...forwardLook,
    ...decisions,
    ...priorities,
    ...byType,
    ...hotspots,
  ];
  const marking = highestMarking(included);
  const { version: _version, ...rest } = brief;
  return {
    ...rest,
    audience: 'internal',
    marking,
    ceiling,
    withheld: {
      count: withheld,
      pointer:
        withheld === 0
          ? null
          : `${withheld} item${withheld === 1 ? '' : 's'} withheld: above ${ceiling}. See the full brief where ${'OFFICIAL-SENSITIVE'} may be shown (\`dmm brief --ceiling OFFICIAL-SENSITIVE\`).`,
    },
    incidents: { ...brief.incidents, byType, hotspots },
    exceptions: { count: brief.exceptions.count, items: exceptions },
    actions,
    forwardLook,
    decisions,
    priorities,
  };
}
