/**
 * The daily brief as data. Built once per unit per local day and stored as JSON, so every time in it is an ISO
 * string. `viewBrief` makes what one target may see: items above the target's marking ceiling are withheld
 * (counted, with a pointer), and the partner audience gets aggregates and themes only.
 */
import type {
  BaselineCoverage,
  CountWithBaseline,
  ResponseTime,
  TrendPoint,
} from '../incidents/picture.service.js';
import { highestMarking, type Marking, withinCeiling } from '../validation.js';

/** 2: labels instead of codes, exceptions by risk with state and outcome, response times, trend, data quality. */
export const BRIEF_VERSION = 4;

/** A count against its baseline, with the words a chair reads for its key (and those a partner reads). */
export interface BriefCount extends CountWithBaseline {
  readonly label: string;
  readonly partnerLabel?: string;
}

export interface BriefIncident {
  readonly id: number;
  /** What a person can use to find it: the force's own reference, or "time · type · place" when it has none. */
  readonly reference: string;
  /** The source's own reference; null when the source has none (the import derived one). */
  readonly sourceReference: string | null;
  readonly eventAt: string;
  readonly grade: string | null;
  readonly type: string | null;
  readonly place: string | null;
  /** Why it is an exception, in words, highest risk first. */
  readonly reasons: readonly string[];
  /** The same as codes (`critical`, `g1`, `thrive_high`, qualifiers), for routing to agenda sections. */
  readonly reasonCodes: readonly string[];
  /** The same in plain English, for partner themes. */
  readonly themes: readonly string[];
  readonly state: 'open' | 'closed';
  /** How it ended (closing type, final grade), when closed and the source says. */
  readonly outcome: string | null;
  readonly closedAt: string | null;
  readonly marking: Marking;
}

export interface BriefBreach {
  readonly id: number;
  readonly reference: string;
  readonly eventAt: string;
  readonly grade: string | null;
  readonly type: string | null;
  readonly place: string | null;
  readonly minutesToArrive: number;
  readonly targetMinutes: number;
  readonly marking: Marking;
}

/** An incident behind a repeat location or a series: a reference a person can use, and when. */
export interface BriefIncidentRef {
  readonly reference: string;
  readonly eventAt: string;
}

export interface BriefRepeatLocation {
  readonly place: string;
  readonly day: number;
  readonly week: number;
  readonly incidents: readonly BriefIncidentRef[];
  readonly marking: Marking;
}

export interface BriefSeries {
  readonly type: string;
  readonly place: string;
  readonly count: number;
  readonly baselineMean: number;
  readonly incidents: readonly BriefIncidentRef[];
  readonly marking: Marking;
}

export interface BriefResponseTime extends ResponseTime {
  readonly label: string;
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

export interface BriefDecisionDue {
  readonly id: number;
  readonly text: string;
  /** The review date it stands at (on or before the brief's date). */
  readonly reviewOn: string;
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
  /** Who is responsible for its delivery plan; null when the TT&CG named no one. */
  readonly owner: string | null;
  /** The TT&CG objective it serves. */
  readonly objective: string | null;
  /** When the TT&CG reviews it. */
  readonly reviewOn: string | null;
  readonly count: number;
  readonly baselineMean: number;
  readonly flag: 'high' | 'low' | null;
  readonly trend: readonly TrendPoint[];
  /** A priority's title can itself be sensitive (an operation name, a target): it is withheld above the ceiling. */
  readonly marking: Marking;
}

/** What the counts could not see, said in the brief rather than hidden in it. */
export interface BriefDataQuality {
  readonly baseline: BaselineCoverage;
  /** Incidents of the window opened at exactly 00:00: most likely a date without a time. */
  readonly placeholderTimes: number;
  /** Incidents of the window whose location says it is not given ("Restricted Address"). */
  readonly placeholderPlaces: number;
  /** The unit's source is demonstration data, not a force's records. */
  readonly demo: boolean;
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
    /** The total of each of the 29 windows, oldest first (null: left out of the baseline). */
    readonly trend: readonly TrendPoint[];
    readonly byGrade: readonly BriefCount[];
    readonly byChapter: readonly BriefCount[];
    readonly byType: readonly BriefCount[];
    readonly hotspots: readonly BriefCount[];
    /** Places with repeat calls in the window or over the last 7 days. */
    readonly repeatLocations: readonly BriefRepeatLocation[];
    /** Types at a place above their own baseline: possible series. */
    readonly emergingSeries: readonly BriefSeries[];
    readonly responseTimes: readonly BriefResponseTime[];
    readonly responseBreaches: { readonly count: number; readonly items: readonly BriefBreach[] };
  };
  readonly dataQuality: BriefDataQuality;
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
  /** Standing decisions due for review on the brief's date (until a review is recorded). */
  readonly decisionsDue: readonly BriefDecisionDue[];
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

/** Counts below this are never shown to partners (statistical disclosure control). */
export const PARTNER_SMALL_COUNT = 3;
export const PARTNER_SUPPRESSION_RULE = `Counts of 1 or 2 are shown as "fewer than ${PARTNER_SMALL_COUNT}" so that no one can be recognised from them.`;

/** A count as a partner sees it: null when it is 1 or 2 (suppressed). */
export interface PartnerCount {
  readonly label: string;
  readonly count: number | null;
  readonly baselineMean: number;
  readonly flag: 'high' | 'low' | null;
}

/** Aggregates and themes only, in plain English: no references, names, addresses, free text or small counts. */
export interface PartnerBriefView {
  readonly audience: 'partner';
  readonly marking: 'OFFICIAL';
  readonly unit: { readonly name: string; readonly timeZone: string };
  readonly localDate: string;
  readonly window: Brief['window'];
  readonly revision?: Brief['revision'];
  readonly rule: string;
  readonly suppression: string;
  readonly demo: boolean;
  readonly incidents: {
    readonly total: PartnerCount;
    readonly trend: readonly TrendPoint[];
    readonly byChapter: readonly PartnerCount[];
    readonly byGrade: readonly PartnerCount[];
    readonly hotspots: readonly PartnerCount[];
  };
  readonly themes: readonly PartnerCount[];
  readonly priorities: readonly PartnerCount[];
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
export function visibleCounts(rows: readonly BriefCount[], ceiling: Marking, limit: number): BriefCount[] {
  const shown: BriefCount[] = [];
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
  if (hidden > 0) {
    const label = `Other (marked above ${ceiling})`;
    visible.push({ key: label, label, count: hidden, baselineMean: hiddenMean, baselineSd: 0, flag: null });
  }
  return visible;
}

/** A count for partners: 1 and 2 suppressed. */
function partnerCount(row: {
  label: string;
  partnerLabel?: string;
  count: number;
  baselineMean: number;
  flag: 'high' | 'low' | null;
}): PartnerCount {
  return {
    label: row.partnerLabel ?? row.label,
    count: row.count > 0 && row.count < PARTNER_SMALL_COUNT ? null : row.count,
    baselineMean: row.baselineMean,
    flag: row.flag,
  };
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
  const breaches = keep(brief.incidents.responseBreaches.items);
  const repeatLocations = keep(brief.incidents.repeatLocations ?? []);
  const emergingSeries = keep(brief.incidents.emergingSeries ?? []);
  const actions = {
    overdue: keep(brief.actions.overdue),
    dueToday: keep(brief.actions.dueToday),
    blocked: keep(brief.actions.blocked),
    updated: keep(brief.actions.updated),
  };
  const forwardLook = keep(brief.forwardLook);
  const decisions = keep(brief.decisions);
  // A brief stored before decisions came back for review has none.
  const decisionsDue = keep(brief.decisionsDue ?? []);
  const priorities = keep(brief.priorities);

  if (target.audience === 'partner') {
    const themes = new Map<string, number>();
    for (const e of exceptions) for (const t of e.themes) themes.set(t, (themes.get(t) ?? 0) + 1);
    const kinds: Record<string, number> = {};
    for (const f of forwardLook) kinds[f.kind] = (kinds[f.kind] ?? 0) + 1;
    const small = (n: number | null) => (n !== null && n > 0 && n < PARTNER_SMALL_COUNT ? null : n);
    return {
      audience: 'partner',
      marking: 'OFFICIAL',
      unit: { name: brief.unit.name, timeZone: brief.unit.timeZone },
      localDate: brief.localDate,
      window: brief.window,
      ...(brief.revision ? { revision: brief.revision } : {}),
      rule: brief.rule,
      suppression: PARTNER_SUPPRESSION_RULE,
      demo: brief.dataQuality.demo,
      incidents: {
        total: partnerCount({ ...brief.incidents.total, label: 'Incidents' }),
        trend: brief.incidents.trend.map((p) => ({ date: p.date, count: small(p.count) })),
        byChapter: brief.incidents.byChapter.map(partnerCount),
        byGrade: brief.incidents.byGrade.map(partnerCount),
        hotspots: hotspots.map(partnerCount),
      },
      themes: [...themes]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .map(([label, count]) => partnerCount({ label, count, baselineMean: 0, flag: null })),
      priorities: priorities.map((p) => partnerCount({ ...p, label: p.title })),
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
    ...breaches,
    ...repeatLocations,
    ...emergingSeries,
    ...Object.values(actions).flat(),
    ...forwardLook,
    ...decisions,
    ...decisionsDue,
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
    incidents: {
      ...brief.incidents,
      byType,
      hotspots,
      repeatLocations,
      emergingSeries,
      responseBreaches: { count: brief.incidents.responseBreaches.count, items: breaches },
    },
    exceptions: { count: brief.exceptions.count, items: exceptions },
    actions,
    forwardLook,
    decisions,
    decisionsDue,
    priorities,
  };
}
