/**
 * Results as a card: the incidents a priority is about, counted in equal windows before and after a point, the
 * spread of the windows before, and the verdict (noise, rose, fell). The same blocks go into the TT&CG pack.
 */
import type { Results, ResultWindow } from '../services/results/results.service.js';
import { verdictText } from '../services/results/results.service.js';
import type { Card, CardBlock } from './card.js';
import { sparkline } from './daily-brief.card.js';

const span = (w: Pick<ResultWindow, 'from' | 'to'>) => `${w.from} to ${w.to}`;

/** "+4 (+25%)", "-3 (-20%)", "0". */
export function changeText(before: number, after: number): string {
  const change = after - before;
  if (change === 0) return '0';
  const sign = change > 0 ? '+' : '−';
  const pct = before === 0 ? '' : ` (${sign}${Math.round((Math.abs(change) / before) * 100)}%)`;
  return `${sign}${Math.abs(change)}${pct}`;
}

/** The windows, oldest first, as a chart where the surface can draw one and a sparkline where it cannot. */
function windowsChart(r: Results): CardBlock {
  const windows = [...r.baseline].reverse();
  const points = [
    ...windows.map((w) => ({ label: w.from.slice(5), value: w.total > 0 ? w.count : null })),
    { label: `${r.after.from.slice(5)} (after)`, value: r.after.count },
  ];
  return {
    type: 'chart',
    title: `Matching incidents per ${r.days} days`,
    xTitle: 'Window starting',
    yTitle: 'Incidents',
    points,
    summary: `${sparkline(points.map((p) => ({ date: p.label, count: p.value })))} (oldest first, the last after the point)`,
  };
}

/** The facts of a result: what is counted, the point, before, after, the baseline and the verdict. */
export function resultsBlocks(r: Results): CardBlock[] {
  return [
    {
      type: 'facts',
      facts: [
        { label: 'Counted', value: `incidents matching P${r.priority.id} ${r.priority.title}` },
        { label: 'Point', value: `${r.pivotLabel}; windows of ${r.days} days` },
        { label: 'Before', value: `${r.before.count} (${span(r.before)})` },
        {
          label: 'After',
          value: `${r.after.count} (${span(r.after)}${r.after.complete ? '' : ', so far'})`,
        },
        { label: 'Change', value: changeText(r.before.count, r.after.count) },
        {
          label: 'Baseline',
          value: `${r.baseline.length - r.gaps} windows before the point: mean ${r.mean}, sd ${r.sd}${r.gaps > 0 ? `; ${r.gaps} left out (no incident data at all: a gap in the source)` : ''}`,
        },
        { label: 'Verdict', value: verdictText(r) },
      ],
    },
    windowsChart(r),
  ];
}

export function buildResultsCard(r: Results): Card {
  const what =
    r.subject.kind === 'priority'
      ? `P${r.subject.id} ${r.subject.title}`
      : r.subject.kind === 'action'
        ? `action #${r.subject.id} ${r.subject.title}`
        : `decision D-${r.subject.id} ${r.subject.title}`;
  return {
    title: `Results: ${what}`.slice(0, 120),
    marking: r.marking,
    blocks: [
      { type: 'heading', text: `Results: ${what}` },
      ...resultsBlocks(r),
      {
        type: 'text',
        subtle: true,
        text: 'A change is called a change only when the window after is more than 2 × max(sd, √mean), and at least 3, from the mean of the windows before.',
      },
    ],
  };
}
