/**
 * The daily brief as a card: internal (with its marking, withheld-item pointer and every section) or partner
 * (aggregates and themes only — the partner view carries nothing else, so nothing else can be shown).
 */
import type {
  BriefAction,
  BriefIncident,
  BriefPriority,
  BriefView,
  InternalBriefView,
  PartnerBriefView,
} from '../services/briefs/brief.model.js';
import type { CountWithBaseline } from '../services/incidents/picture.service.js';
import { formatLocal } from '../services/time.js';
import type { Card, CardBlock } from './card.js';

export function flagText(flag: 'high' | 'low' | null): string {
  return flag === 'high' ? ' ▲ unusually high' : flag === 'low' ? ' ▼ unusually low' : '';
}

/** Counts against the 28-day baseline as a table. */
export function countsTable(title: string, rows: readonly CountWithBaseline[]): CardBlock[] {
  if (rows.length === 0) return [];
  return [
    { type: 'text', text: title, strong: true },
    {
      type: 'table',
      columns: ['', 'last 24 h', '28-day mean'],
      rows: rows.map((r) => [r.key, String(r.count), `${r.baselineMean}${flagText(r.flag)}`]),
    },
  ];
}

/** Exceptions as a table (time, reference, what, why); `empty` when there are none. */
export function exceptionsTable(items: readonly BriefIncident[], zone: string, empty: string): CardBlock[] {
  if (items.length === 0) return [{ type: 'text', text: empty }];
  return [
    {
      type: 'table',
      columns: ['time', 'reference', 'what', 'why'],
      rows: items.map((e) => [
        formatLocal(new Date(e.eventAt), zone),
        e.reference,
        [e.type ?? 'unknown type', e.area].filter(Boolean).join(', '),
        e.reasons.join(', '),
      ]),
    },
  ];
}

/** Priorities against their baseline as a table; `empty` (or nothing) when there are none. */
export function prioritiesTable(priorities: readonly BriefPriority[], empty?: string): CardBlock[] {
  if (priorities.length === 0) return empty ? [{ type: 'text', text: empty }] : [];
  return [
    {
      type: 'table',
      columns: ['priority', 'last 24 h', '28-day mean'],
      rows: priorities.map((p) => [p.title, String(p.count), `${p.baselineMean}${flagText(p.flag)}`]),
    },
  ];
}

export function actionLine(a: BriefAction): string {
  return `#${a.id} ${a.title} (${a.owner}${a.dueOn ? `, due ${a.dueOn}` : ''}, ${a.status.replace(/_/g, ' ')})`;
}

/** "Updated 10:42: 3 incidents arrived late (first built 07:00)", for a brief built again after late data. */
export function revisionText(view: BriefView, zone: string): string | null {
  const r = view.revision;
  if (!r) return null;
  const late =
    r.lateIncidents === 0
      ? 'incidents in its window changed'
      : `${r.lateIncidents} incident${r.lateIncidents === 1 ? '' : 's'} arrived late`;
  return `Updated ${formatLocal(new Date(r.updatedAt), zone)}: ${late} (first built ${formatLocal(new Date(r.previousBuiltAt), zone)}).`;
}

function windowText(view: BriefView, zone: string): string {
  const start = formatLocal(new Date(view.window.start), zone);
  const end = formatLocal(new Date(view.window.end), zone);
  return `Window: ${start} to ${end} (${view.window.hours} h, ${zone})`;
}

function internalBlocks(v: InternalBriefView): CardBlock[] {
  const zone = v.unit.timeZone;
  const t = v.incidents.total;
  const blocks: CardBlock[] = [
    { type: 'heading', text: `Daily brief: ${v.unit.name}, ${v.localDate}` },
    { type: 'text', text: windowText(v, zone), subtle: true },
  ];
  const revised = revisionText(v, zone);
  if (revised) blocks.push({ type: 'notice', tone: 'accent', text: revised });
  if (v.withheld.pointer) blocks.push({ type: 'notice', tone: 'warning', text: v.withheld.pointer });
  blocks.push(
    { type: 'heading', text: 'Incidents' },
    {
      type: 'text',
      text: `${t.count} incidents (28-day mean ${t.baselineMean})${flagText(t.flag)}; ${v.incidents.responseBreaches} response-target breaches.`,
    },
    ...countsTable('By grade', v.incidents.byGrade),
    ...countsTable('Hotspots', v.incidents.hotspots),
    { type: 'heading', text: `Exceptions (${v.exceptions.count})` },
  );
  blocks.push(...exceptionsTable(v.exceptions.items, zone, 'None.'));
  blocks.push({ type: 'heading', text: 'Control-strategy priorities' });
  blocks.push(...prioritiesTable(v.priorities, 'No active priorities.'));
  const actionGroups: Array<[string, readonly BriefAction[]]> = [
    ['Overdue', v.actions.overdue],
    ['Due today', v.actions.dueToday],
    ['Blocked', v.actions.blocked],
    ['Updated in the last 24 h', v.actions.updated],
  ];
  blocks.push({ type: 'heading', text: 'Actions' });
  for (const [title, list] of actionGroups) {
    blocks.push({
      type: 'text',
      text: `${title}: ${list.length === 0 ? 'none' : list.map(actionLine).join('; ')}`,
    });
  }
  blocks.push({ type: 'heading', text: 'Next 24 hours' });
  blocks.push({
    type: 'text',
    text:
      v.forwardLook.length === 0
        ? 'Nothing planned.'
        : v.forwardLook
            .map(
              (f) =>
                `${formatLocal(new Date(f.startsAt), zone)} ${f.kind}: ${f.title}${f.location ? `, ${f.location}` : ''}`,
            )
            .join('\n'),
  });
  blocks.push({ type: 'heading', text: "Yesterday's decisions" });
  blocks.push({
    type: 'text',
    text:
      v.decisions.length === 0
        ? 'None recorded.'
        : v.decisions
            .map(
              (d) =>
                `#${d.id} ${d.text} (${d.decisionMaker})${d.supersededById ? ` — corrected by #${d.supersededById}` : ''}`,
            )
            .join('\n'),
  });
  blocks.push({ type: 'text', text: `Unusual means: ${v.rule}.`, subtle: true });
  return blocks;
}

function partnerBlocks(v: PartnerBriefView): CardBlock[] {
  const t = v.incidents.total;
  const themes = Object.entries(v.exceptionThemes);
  const kinds = Object.entries(v.forwardLook);
  return [
    { type: 'heading', text: `Partner brief: ${v.unit.name}, ${v.localDate}` },
    {
      type: 'text',
      text: `${v.window.hours} hours to ${v.window.end.slice(0, 16).replace('T', ' ')} UTC`,
      subtle: true,
    },
    ...(revisionText(v, 'UTC')
      ? [{ type: 'notice' as const, tone: 'accent' as const, text: revisionText(v, 'UTC') as string }]
      : []),
    { type: 'text', text: `${t.count} incidents (28-day mean ${t.baselineMean})${flagText(t.flag)}.` },
    ...countsTable('By type of incident', v.incidents.byChapter),
    ...countsTable('By area', v.incidents.hotspots),
    {
      type: 'facts',
      facts:
        themes.length === 0
          ? [{ label: 'Themes', value: 'none' }]
          : themes.map(([theme, n]) => ({ label: theme, value: String(n) })),
    },
    {
      type: 'text',
      text: `Actions: ${v.actions.overdue} overdue, ${v.actions.dueToday} due today, ${v.actions.blocked} blocked. Decisions yesterday: ${v.decisions}.`,
    },
    {
      type: 'text',
      text: `Planned in the next 24 hours: ${kinds.length === 0 ? 'nothing' : kinds.map(([k, n]) => `${n} ${k}`).join(', ')}.`,
    },
    ...prioritiesTable(v.priorities),
  ];
}

/** The brief view (already cut to its audience and ceiling by `viewBrief`) as a card. */
export function buildBriefCard(view: BriefView): Card {
  return view.audience === 'partner'
    ? {
        title: `Partner brief ${view.localDate}`,
        marking: view.marking,
        blocks: partnerBlocks(view),
        sanitised: true,
      }
    : { title: `Daily brief ${view.localDate}`, marking: view.marking, blocks: internalBlocks(view) };
}

/** Keeps rows whose key names the filter word (case-insensitive); every row without a filter. */
function matching<T>(rows: readonly T[], filter: string | undefined, text: (row: T) => string): T[] {
  if (!filter) return [...rows];
  const needle = filter.toLowerCase();
  return rows.filter((r) => text(r).toLowerCase().includes(needle));
}

/** `dmm incidents [word]`: the last 24 hours against the baseline, from the brief view of this audience. */
export function buildIncidentsCard(view: BriefView, filter?: string): Card {
  const key = (r: CountWithBaseline) => r.key;
  const t = view.incidents.total;
  const blocks: CardBlock[] = [
    { type: 'heading', text: `Incidents, last ${view.window.hours} hours${filter ? `: '${filter}'` : ''}` },
    { type: 'text', text: `${t.count} incidents in all (28-day mean ${t.baselineMean})${flagText(t.flag)}.` },
  ];
  if (view.audience === 'partner') {
    blocks.push(
      ...countsTable('By type of incident', matching(view.incidents.byChapter, filter, key)),
      ...countsTable('By area', matching(view.incidents.hotspots, filter, key)),
    );
  } else {
    const zone = view.unit.timeZone;
    if (view.withheld.pointer) blocks.push({ type: 'notice', tone: 'warning', text: view.withheld.pointer });
    blocks.push(
      ...countsTable('By grade', matching(view.incidents.byGrade, filter, key)),
      ...countsTable('By type', matching(view.incidents.byType, filter, key)),
      ...countsTable('Hotspots', matching(view.incidents.hotspots, filter, key)),
      { type: 'heading', text: 'Exceptions' },
      ...exceptionsTable(
        matching(view.exceptions.items, filter, (e) =>
          [e.reference, e.type, e.area, e.grade, ...e.reasons].join(' '),
        ),
        zone,
        filter ? `No exceptions naming '${filter}'.` : 'None.',
      ),
    );
  }
  if (filter && blocks.every((b) => b.type !== 'table'))
    blocks.push({
      type: 'text',
      text: `Nothing in the last 24 hours names '${filter}'. Try \`dmm incidents\`.`,
    });
  return {
    title: `Incidents ${view.localDate}`,
    marking: view.marking,
    blocks,
    ...(view.audience === 'partner' ? { sanitised: true } : {}),
  };
}

/** `dmm priorities`: the control-strategy priorities against their baseline. */
export function buildPrioritiesCard(view: BriefView): Card {
  return {
    title: `Priorities ${view.localDate}`,
    marking: view.marking,
    ...(view.audience === 'partner' ? { sanitised: true } : {}),
    blocks: [
      { type: 'heading', text: 'Control-strategy priorities, last 24 hours' },
      ...(view.audience === 'internal' && view.withheld.pointer
        ? [{ type: 'notice' as const, tone: 'warning' as const, text: view.withheld.pointer }]
        : []),
      ...prioritiesTable(view.priorities, 'No active priorities.'),
    ],
  };
}
