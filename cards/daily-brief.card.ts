/**
 * The daily brief as a card: the one definition of what the brief shows, in the order a chair reads it at 08:30
 * (policing by exception: what needs a decision first, then the picture, then what the figures could not see).
 * Every surface renders this card — Teams and the console as an Adaptive Card, Slack as Block Kit, the CLI as
 * text or Markdown — so every surface shows the same sections; a surface that must shorten says so.
 *
 * Internal (with its marking and withheld-item pointer) or partner (aggregates and themes in plain English,
 * small counts suppressed: the partner view carries nothing else, so nothing else can be shown).
 */
import type {
  BriefAction,
  BriefCount,
  BriefDecisionDue,
  BriefIncident,
  BriefPriority,
  BriefView,
  InternalBriefView,
  PartnerBriefView,
  PartnerCount,
} from '../services/briefs/brief.model.js';
import { PARTNER_SMALL_COUNT, PARTNER_SUPPRESSION_RULE } from '../services/briefs/brief.model.js';
import { type TrendPoint, UNUSUAL_RULE } from '../services/incidents/picture.service.js';
import { formatLocal } from '../services/time.js';
import type { Card, CardBlock } from './card.js';

/** Shown beside a count, never beside the mean: "▲ unusually high". */
export function flagText(flag: 'high' | 'low' | null): string {
  return flag === 'high' ? ' ▲ unusually high' : flag === 'low' ? ' ▼ unusually low' : '';
}

const countCell = (count: number, flag: 'high' | 'low' | null) => `${count}${flagText(flag)}`;

/** What the ▲ and ▼ mean, in one line; the rule itself is in `dmm help brief`. */
export const FLAG_NOTE =
  '▲ ▼ mark a count far from its usual level (the same hours on the previous 28 days). `dmm help brief` gives the rule.';

/** Rows against the 28-day baseline as a table, each count shown by `shown`, the usual level apart. */
function baselineTable<R extends { label: string; baselineMean: number }>(
  title: string,
  rows: readonly R[],
  shown: (row: R) => string,
): CardBlock[] {
  if (rows.length === 0) return [];
  return [
    { type: 'text', text: title, strong: true },
    {
      type: 'table',
      columns: ['', 'last 24 h', 'usual (28-day mean)'],
      rows: rows.map((r) => [r.label, shown(r), String(r.baselineMean)]),
    },
  ];
}

/** Counts against the 28-day baseline: the flag beside the count. */
export const countsTable = (title: string, rows: readonly BriefCount[]) =>
  baselineTable(title, rows, (r) => countCell(r.count, r.flag));

/** Exceptions as a table, highest risk first: what, when, where, why, and whether it is still open. */
export function exceptionsTable(items: readonly BriefIncident[], zone: string, empty: string): CardBlock[] {
  if (items.length === 0) return [{ type: 'text', text: empty }];
  return [
    {
      type: 'table',
      columns: ['why', 'reference', 'what', 'when', 'where', 'now'],
      rows: items.map((e) => [
        e.reasons.join(', '),
        e.reference,
        [e.type ?? 'Type not recorded', e.grade].filter(Boolean).join(', '),
        formatLocal(new Date(e.eventAt), zone),
        e.place ?? 'Not recorded',
        stateText(e, zone),
      ]),
    },
  ];
}

/** "Open", or "Closed 09:40: Arrest made". */
export function stateText(e: BriefIncident, zone: string): string {
  if (e.state === 'open') return 'Open';
  const at = e.closedAt ? ` ${formatLocal(new Date(e.closedAt), zone).slice(-5)}` : '';
  return `Closed${at}${e.outcome ? `: ${e.outcome}` : ''}`;
}

/** Priorities against their baseline as a table, each with its 28-day trend; `empty` when there are none. */
export function prioritiesTable(priorities: readonly BriefPriority[], empty?: string): CardBlock[] {
  if (priorities.length === 0) return empty ? [{ type: 'text', text: empty }] : [];
  return [
    {
      type: 'table',
      columns: ['priority', 'owner', 'last 24 h', 'usual (28-day mean)', '28 days', 'TT&CG review'],
      rows: priorities.map((p) => [
        p.objective ? `${p.title} (objective: ${p.objective})` : p.title,
        p.owner ?? 'no owner named',
        countCell(p.count, p.flag),
        String(p.baselineMean),
        sparkline(p.trend ?? []),
        p.reviewOn ?? '–',
      ]),
    },
  ];
}

/** Standing decisions whose review date has come: the DMM reviews them (confirm or close) or corrects them. */
export function decisionsDueText(due: readonly BriefDecisionDue[]): string {
  if (due.length === 0) return 'None.';
  return [
    ...due.map((d) => `#${d.id} ${d.text} (review due ${d.reviewOn})`),
    'The chair records each review: `dmm decision <id> review confirm [next date] [note]` or `… review close [note]`.',
  ].join('\n');
}

export function actionLine(a: BriefAction): string {
  return `#${a.id} ${a.title} (${a.owner}${a.dueOn ? `, due ${a.dueOn}` : ''}, ${a.status.replace(/_/g, ' ')})`;
}

const BARS = '▁▂▃▄▅▆▇█';

/** A text sparkline of a trend, oldest first: one bar a day, a gap (·) for a day left out of the baseline. */
export function sparkline(points: readonly TrendPoint[]): string {
  const values = points.map((p) => p.count).filter((v): v is number => v !== null);
  if (values.length === 0) return '';
  const max = Math.max(...values);
  const min = Math.min(...values);
  return points
    .map((p) => {
      if (p.count === null) return '·';
      if (max === min) return BARS[3];
      return BARS[Math.round(((p.count - min) / (max - min)) * (BARS.length - 1))];
    })
    .join('');
}

/** The 28-day trend as a chart where the surface can draw one, and its sparkline (and range) where it cannot. */
export function trendChart(title: string, points: readonly TrendPoint[]): CardBlock {
  const values = points.map((p) => p.count).filter((v): v is number => v !== null);
  const range = values.length === 0 ? '' : ` (lowest ${Math.min(...values)}, highest ${Math.max(...values)})`;
  return {
    type: 'chart',
    title,
    xTitle: 'day',
    yTitle: 'incidents',
    points: points.map((p) => ({ label: p.date.slice(5), value: p.count })),
    summary: `${title}: ${sparkline(points)}${range}`,
  };
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
  return `Window: ${start} to ${end} (${view.window.hours} hours, ${zone} time)`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** What the figures could not see: baseline gaps, a partial first window, placeholder times and places. */
function dataQualityLines(v: InternalBriefView): string[] {
  const q = v.dataQuality;
  const lines: string[] = [];
  if (q.demo) lines.push('Demo data: generated for demonstration, not a force’s records.');
  const b = q.baseline;
  if (b.used === 0)
    lines.push('No baseline: the source has no usable data in the previous 28 days, so nothing is flagged.');
  else if (b.used < b.windows) {
    const left: string[] = [];
    if (b.beforeData > 0) left.push(`${plural(b.beforeData, 'day')} before the data begins`);
    if (b.partial) left.push(`${b.partial}, when the data begins part-way through the day's window`);
    if (b.gaps.length > 0)
      left.push(
        `${plural(b.gaps.length, 'day')} with no data at all, where a day usually has many (a gap in the source, not a quiet day): ${b.gaps.join(', ')}`,
      );
    lines.push(
      `The usual level is the mean of ${b.used} of ${b.windows} days; left out: ${left.join('; ')}.`,
    );
  }
  if (q.placeholderTimes > 0)
    lines.push(
      `${plural(q.placeholderTimes, 'incident')} opened at exactly 00:00: most likely a date without a time; counted in the window, but their hour is not known.`,
    );
  if (q.placeholderPlaces > 0)
    lines.push(
      `${plural(q.placeholderPlaces, 'incident')} with no real location ("Restricted Address" and the like): counted, never ranked as a hotspot.`,
    );
  return lines;
}

function responseBlocks(v: InternalBriefView, zone: string): CardBlock[] {
  const times = v.incidents.responseTimes;
  const breaches = v.incidents.responseBreaches;
  const blocks: CardBlock[] = [{ type: 'heading', text: 'Response times' }];
  if (times.length === 0) {
    blocks.push({
      type: 'text',
      text: 'No incident in the window has both an opening and an arrival time.',
    });
    return blocks;
  }
  blocks.push({
    type: 'table',
    columns: ['grade', 'attended', 'median', '90th percentile', 'target', 'late'],
    rows: times.map((r) => [
      r.label,
      String(r.attended),
      r.medianMinutes === null ? '–' : `${r.medianMinutes} min`,
      r.p90Minutes === null ? '–' : `${r.p90Minutes} min`,
      r.targetMinutes === null ? 'none set' : `${r.targetMinutes} min`,
      r.targetMinutes === null ? '–' : String(r.breaches),
    ]),
  });
  if (breaches.items.length > 0) {
    blocks.push(
      { type: 'text', text: `Late against target (${breaches.count})`, strong: true },
      {
        type: 'table',
        columns: ['reference', 'grade', 'when', 'where', 'arrived after'],
        rows: breaches.items.map((b) => [
          b.reference,
          b.grade ?? 'Not recorded',
          formatLocal(new Date(b.eventAt), zone),
          b.place ?? 'Not recorded',
          `${b.minutesToArrive} min (target ${b.targetMinutes})`,
        ]),
      },
    );
  }
  return blocks;
}

/** Repeat locations and possible series, each with the incidents behind it. */
function patternBlocks(v: InternalBriefView, zone: string): CardBlock[] {
  const repeats = v.incidents.repeatLocations ?? [];
  const series = v.incidents.emergingSeries ?? [];
  const refs = (list: readonly { reference: string; eventAt: string }[]) =>
    list.length === 0
      ? 'none in the last 24 h'
      : list.map((i) => `${i.reference} (${formatLocal(new Date(i.eventAt), zone).slice(-5)})`).join('; ');
  return [
    { type: 'heading', text: 'Repeat locations and possible series' },
    repeats.length === 0
      ? { type: 'text', text: 'No usually quiet place with repeat calls (2 in 24 hours, or 3 in 7 days).' }
      : {
          type: 'table',
          columns: ['place', 'last 24 h', 'last 7 days', 'latest'],
          rows: repeats.map((r) => [r.place, String(r.day), String(r.week), refs(r.incidents)]),
        },
    series.length === 0
      ? { type: 'text', text: 'No type of incident unusually high at one place.' }
      : {
          type: 'table',
          columns: ['type', 'place', 'last 24 h', 'usual (28-day mean)', 'incidents'],
          rows: series.map((c) => [
            c.type,
            c.place,
            `${c.count} ▲`,
            String(c.baselineMean),
            refs(c.incidents),
          ]),
        },
  ];
}

function internalBlocks(v: InternalBriefView): CardBlock[] {
  const zone = v.unit.timeZone;
  const t = v.incidents.total;
  const blocks: CardBlock[] = [
    {
      type: 'heading',
      text: `Daily brief: ${v.unit.name}, ${v.localDate}${v.dataQuality.demo ? ' (demo data)' : ''}`,
    },
    { type: 'text', text: windowText(v, zone), subtle: true },
  ];
  const revised = revisionText(v, zone);
  if (revised) blocks.push({ type: 'notice', tone: 'accent', text: revised });
  if (v.withheld.pointer) blocks.push({ type: 'notice', tone: 'warning', text: v.withheld.pointer });
  const open = v.exceptions.items.filter((e) => e.state === 'open').length;
  const late = v.incidents.responseBreaches.count;
  blocks.push(
    { type: 'heading', text: 'At a glance' },
    {
      type: 'facts',
      facts: [
        { label: 'Incidents', value: `${countCell(t.count, t.flag)} (usual ${t.baselineMean})` },
        {
          label: 'Exceptions',
          value:
            v.exceptions.count === 0 ? 'none' : `${v.exceptions.count} (${open} of those listed still open)`,
        },
        { label: 'Late responses', value: String(late) },
        {
          label: 'Actions',
          value: `${v.actions.overdue.length} overdue, ${v.actions.dueToday.length} due today, ${v.actions.blocked.length} blocked`,
        },
        {
          label: 'Next 24 hours',
          value: v.forwardLook.length === 0 ? 'nothing planned' : `${v.forwardLook.length} planned`,
        },
      ],
    },
    trendChart('Incidents a day, last 28 days and today', v.incidents.trend ?? []),
    { type: 'heading', text: `Exceptions (${v.exceptions.count}), highest risk first` },
    ...exceptionsTable(v.exceptions.items, zone, 'None.'),
  );
  if (v.exceptions.count > v.exceptions.items.length)
    blocks.push({
      type: 'text',
      subtle: true,
      text: `${v.exceptions.count - v.exceptions.items.length} more not listed here.`,
    });
  blocks.push(
    { type: 'heading', text: 'Control-strategy priorities' },
    ...prioritiesTable(v.priorities, 'No active priorities.'),
    ...responseBlocks(v, zone),
    { type: 'heading', text: 'The last 24 hours' },
    ...countsTable('By grade', v.incidents.byGrade),
    ...countsTable('By NSIR chapter', v.incidents.byChapter),
    ...countsTable('Top types', v.incidents.byType),
    ...countsTable('Hotspots', v.incidents.hotspots),
    ...patternBlocks(v, zone),
  );
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
  blocks.push({ type: 'heading', text: 'Decisions due for review' });
  blocks.push({ type: 'text', text: decisionsDueText(v.decisionsDue ?? []) });
  blocks.push({ type: 'heading', text: 'About these figures' });
  for (const line of dataQualityLines(v)) blocks.push({ type: 'text', text: line });
  blocks.push({ type: 'text', text: FLAG_NOTE, subtle: true });
  return blocks;
}

/** A partner count: "fewer than 3" for the suppressed ones. */
function partnerNumber(c: PartnerCount): string {
  return c.count === null ? `fewer than ${PARTNER_SMALL_COUNT}` : countCell(c.count, c.flag);
}

/** A partner's counts: suppressed ones as "fewer than 3". */
const partnerTable = (title: string, rows: readonly PartnerCount[]) =>
  baselineTable(title, rows, partnerNumber);

function partnerBlocks(v: PartnerBriefView): CardBlock[] {
  const zone = v.unit.timeZone;
  const kinds = Object.entries(v.forwardLook);
  const blocks: CardBlock[] = [
    {
      type: 'heading',
      text: `Partner brief: ${v.unit.name}, ${v.localDate}${v.demo ? ' (demo data)' : ''}`,
    },
    {
      type: 'text',
      text: `Counts and themes only, for partner agencies. ${windowText(v, zone)}`,
      subtle: true,
    },
  ];
  const revised = revisionText(v, zone);
  if (revised) blocks.push({ type: 'notice', tone: 'accent', text: revised });
  blocks.push(
    {
      type: 'text',
      text: `Incidents reported to the police: ${partnerNumber(v.incidents.total)} (usual ${v.incidents.total.baselineMean}).`,
    },
    trendChart('Incidents a day, last 28 days and today', v.incidents.trend),
    { type: 'heading', text: 'Themes' },
    v.themes.length === 0
      ? { type: 'text', text: 'No incident needing special attention.' }
      : {
          type: 'facts',
          facts: v.themes.map((t) => ({ label: t.label, value: partnerNumber(t) })),
        },
    ...partnerTable('What kind of incident', v.incidents.byChapter),
    ...partnerTable('How urgent', v.incidents.byGrade),
    ...partnerTable('Where', v.incidents.hotspots),
    ...partnerTable('Shared priorities', v.priorities),
    {
      type: 'text',
      text: `Actions: ${v.actions.overdue} overdue, ${v.actions.dueToday} due today, ${v.actions.blocked} blocked. Decisions recorded yesterday: ${v.decisions}.`,
    },
    {
      type: 'text',
      text: `Planned in the next 24 hours: ${kinds.length === 0 ? 'nothing' : kinds.map(([k, n]) => `${n} ${k}`).join(', ')}.`,
    },
    { type: 'text', text: v.suppression, subtle: true },
    { type: 'text', text: FLAG_NOTE, subtle: true },
  );
  return blocks;
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

/** Keeps rows whose text names the filter word (case-insensitive); every row without a filter. */
function matching<T>(rows: readonly T[], filter: string | undefined, text: (row: T) => string): T[] {
  if (!filter) return [...rows];
  const needle = filter.toLowerCase();
  return rows.filter((r) => text(r).toLowerCase().includes(needle));
}

/** `dmm incidents [word]`: the last 24 hours against the baseline, from the brief view of this audience. */
export function buildIncidentsCard(view: BriefView, filter?: string): Card {
  const blocks: CardBlock[] = [
    { type: 'heading', text: `Incidents, last ${view.window.hours} hours${filter ? `: '${filter}'` : ''}` },
  ];
  if (view.audience === 'partner') {
    const label = (r: PartnerCount) => r.label;
    const t = view.incidents.total;
    blocks.push(
      { type: 'text', text: `${partnerNumber(t)} incidents in all (usual ${t.baselineMean}).` },
      ...partnerTable('What kind of incident', matching(view.incidents.byChapter, filter, label)),
      ...partnerTable('Where', matching(view.incidents.hotspots, filter, label)),
    );
  } else {
    const zone = view.unit.timeZone;
    const words = (r: BriefCount) => `${r.label} ${r.key}`;
    const t = view.incidents.total;
    blocks.push({
      type: 'text',
      text: `${countCell(t.count, t.flag)} incidents in all (usual ${t.baselineMean}).`,
    });
    if (view.withheld.pointer) blocks.push({ type: 'notice', tone: 'warning', text: view.withheld.pointer });
    blocks.push(
      ...countsTable('By grade', matching(view.incidents.byGrade, filter, words)),
      ...countsTable('By NSIR chapter', matching(view.incidents.byChapter, filter, words)),
      ...countsTable('By type', matching(view.incidents.byType, filter, words)),
      ...countsTable('Hotspots', matching(view.incidents.hotspots, filter, words)),
      { type: 'heading', text: 'Exceptions' },
      ...exceptionsTable(
        matching(view.exceptions.items, filter, (e) =>
          [e.reference, e.type, e.place, e.grade, ...e.reasons].join(' '),
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
      ...(view.audience === 'internal'
        ? prioritiesTable(view.priorities, 'No active priorities.')
        : partnerTable('Shared priorities', view.priorities)),
    ],
  };
}

/** `dmm help brief`: how to read the brief, and the rules behind its marks (kept out of the brief itself). */
export function buildBriefHelpCard(): Card {
  return {
    title: 'dmm help brief',
    kind: 'help',
    blocks: [
      { type: 'heading', text: 'Reading the daily brief' },
      {
        type: 'text',
        text: 'The brief covers the 24 hours to the unit’s brief time (23 or 25 on the days the clocks change), policing by exception: what needs a decision first, then the picture.',
      },
      {
        type: 'facts',
        facts: [
          {
            label: '▲ ▼',
            value: `A count unusually high or low against the same hours on each of the previous 28 days. The rule: ${UNUSUAL_RULE}.`,
          },
          {
            label: 'usual',
            value:
              'The mean of those days. Days with no data at all, and the day the data begins, are left out and named under "About these figures".',
          },
          {
            label: 'Exceptions',
            value:
              'Highest risk first: critical incidents, then emergency (G1), then assessed high risk (THRIVE), then domestic abuse, mental health, missing people, child protection, hate and firearms. "now" says whether each is still open and how it ended.',
          },
          {
            label: 'Response times',
            value:
              'From opening to arrival, median and 90th percentile per grade, against the unit’s targets (`dmm units targets` sets them); late ones are listed.',
          },
          {
            label: 'Repeat locations',
            value:
              'Places that usually see fewer than one call in two days, with 2 calls in the last 24 hours or 3 in the last 7 days. A possible series is a type of incident at one place at least 3 times and unusually high against its own 28 days.',
          },
          {
            label: 'Partners',
            value: `The partner summary has counts and themes only, in plain English; ${PARTNER_SUPPRESSION_RULE}`,
          },
        ],
      },
    ],
  };
}
