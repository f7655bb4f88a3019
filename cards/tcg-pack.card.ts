/**
 * The TT&CG pack as one card, rendered for the file as Markdown and as a PDF (the marking in the header and footer
 * of every page) and shown in chat and the console: each priority with its owner, trend, results, actions and
 * decisions; then the period's decisions, escalations and intelligence requirements.
 */

import { verdictText } from '../services/results/results.service.js';
import type { PackAction, PackPriority, TcgPack } from '../services/tcg/pack.service.js';
import { formatLocal, localDateOf } from '../services/time.js';
import type { Card, CardBlock } from './card.js';
import { payload } from './card-actions.js';
import { sparkline } from './daily-brief.card.js';
import { requirementState } from './intelligence.card.js';
import { renderCardPdf } from './render/pdf.js';
import { renderCardMarkdown } from './render/text.js';
import { changeText, resultsBlocks } from './results.card.js';

const status = (s: string) => s.replaceAll('_', ' ');

function actionsTable(list: readonly PackAction[], none: string): CardBlock[] {
  if (list.length === 0) return [{ type: 'text', subtle: true, text: none }];
  return [
    {
      type: 'table',
      columns: ['#', 'Action', 'Owner', 'Status', 'Due', 'Result', 'Results'],
      rows: list.map((p) => [
        `#${p.action.id}`,
        p.action.title,
        p.owner,
        p.closedOn ? `${status(p.action.status)} ${p.closedOn}` : status(p.action.status),
        p.action.dueOn ?? '',
        p.action.result ?? '',
        p.results
          ? `${p.results.before.count} → ${p.results.after.count}${p.results.after.complete ? '' : ' so far'}: ${p.results.verdict.replace('_', ' ')}`
          : p.closedOn
            ? 'not measured'
            : '',
      ]),
    },
  ];
}

function priorityBlocks(p: PackPriority, pack: TcgPack): CardBlock[] {
  const pr = p.priority;
  const blocks: CardBlock[] = [
    { type: 'heading', text: `P${pr.id} ${pr.title}` },
    {
      type: 'facts',
      facts: [
        { label: 'Owner', value: p.owner ?? 'not set' },
        { label: 'TT&CG objective', value: pr.objective ?? 'not set' },
        { label: 'Review by the TT&CG', value: pr.reviewOn ?? 'not set' },
        { label: 'In force', value: `from ${pr.startsOn}${pr.endsOn ? ` to ${pr.endsOn}` : ''}` },
        ...(pr.morileScore !== null ? [{ label: 'MoRiLE', value: String(pr.morileScore) }] : []),
        { label: 'Marking', value: pr.marking },
      ],
    },
  ];
  if (p.daily) {
    const total = p.daily.reduce((a, d) => a + d.count, 0);
    blocks.push({
      type: 'chart',
      title: `P${pr.id}: matching incidents a day, ${pack.from} to ${pack.to}`,
      xTitle: 'Day',
      yTitle: 'Incidents',
      points: p.daily.map((d) => ({ label: d.date.slice(5), value: d.count })),
      summary: `${sparkline(p.daily.map((d) => ({ date: d.date, count: d.count })))} ${total} in ${pack.days} days`,
    });
  }
  if (p.results) {
    blocks.push(
      {
        type: 'text',
        strong: true,
        text: `Results: ${p.results.after.count} in the period against ${p.results.before.count} in the ${pack.days} days before (${changeText(p.results.before.count, p.results.after.count)}); ${verdictText(p.results)}.`,
      },
      ...resultsBlocks(p.results).filter((b) => b.type !== 'chart'),
    );
  } else blocks.push({ type: 'text', subtle: true, text: `Results: ${p.resultsNote ?? 'not measured'}` });
  blocks.push(
    { type: 'text', strong: true, text: `Actions (${p.actions.length})` },
    ...actionsTable(p.actions, 'No action delivered this priority in the period.'),
  );
  blocks.push({
    type: 'text',
    text:
      p.decisions.length === 0
        ? 'No decision for this priority in the period.'
        : `Decisions: ${p.decisions.map((d) => `D-${d.id} ${d.text}`).join('; ')}`,
  });
  return blocks;
}

export function buildTcgPackCard(pack: TcgPack, options: { readonly pdfButton?: boolean } = {}): Card {
  const zone = pack.unit.timeZone;
  const day = (at: Date) => localDateOf(at, zone);
  const blocks: CardBlock[] = [
    { type: 'heading', text: `TT&CG pack: ${pack.unit.name}, ${pack.from} to ${pack.to}` },
    {
      type: 'facts',
      facts: [
        { label: 'Period', value: `${pack.from} to ${pack.to} (${pack.days} days)` },
        { label: 'Prepared', value: `${formatLocal(pack.generatedAt, zone)} by ${pack.generatedBy}` },
        { label: 'Priorities', value: String(pack.priorities.length) },
        ...(pack.withheld > 0
          ? [{ label: 'Left out', value: `${pack.withheld} item(s) marked above ${pack.ceiling}` }]
          : []),
      ],
    },
  ];
  if (pack.priorities.length === 0)
    blocks.push({ type: 'text', text: 'No control-strategy priority was in force in the period.' });
  for (const p of pack.priorities) blocks.push({ type: 'divider' }, ...priorityBlocks(p, pack));

  blocks.push(
    { type: 'divider' },
    { type: 'heading', text: `Decisions in the period (${pack.decisions.length})` },
  );
  blocks.push(
    pack.decisions.length === 0
      ? { type: 'text', subtle: true, text: 'No decision recorded in the period.' }
      : {
          type: 'table',
          columns: ['D', 'Date', 'Decision', 'By', 'Priority', 'Review', 'Reviews in the period'],
          rows: pack.decisions.map((d) => [
            `D-${d.decision.id}`,
            day(d.decision.decidedAt),
            d.decision.supersededById
              ? `${d.decision.text} (corrected by D-${d.decision.supersededById})`
              : d.decision.text,
            d.decisionMaker,
            d.decision.priorityId ? `P${d.decision.priorityId}` : '',
            d.decision.reviewOn ?? '',
            d.reviews
              .map((r) => `${day(r.reviewedAt)} ${r.outcome}${r.nextReviewOn ? ` to ${r.nextReviewOn}` : ''}`)
              .join('; '),
          ]),
        },
  );

  blocks.push({ type: 'heading', text: `Escalations to the TT&CG (${pack.escalations.length})` });
  blocks.push(
    pack.escalations.length === 0
      ? { type: 'text', subtle: true, text: 'Nothing escalated.' }
      : {
          type: 'table',
          columns: ['E', 'Raised', 'What', 'Why', 'Resources asked for', 'To', 'Outcome'],
          rows: pack.escalations.map((e) => [
            `E-${e.id}`,
            day(e.raisedAt),
            e.what,
            e.why,
            e.resources ?? '',
            e.tcg,
            e.outcome ? `${e.outcome} (${e.answeredAt ? day(e.answeredAt) : ''})` : 'awaiting the TT&CG',
          ]),
        },
  );

  blocks.push({ type: 'heading', text: `Intelligence requirements (${pack.intelligence.length})` });
  if (pack.intelligence.length === 0)
    blocks.push({ type: 'text', subtle: true, text: 'None open in the period.' });
  for (const r of pack.intelligence)
    blocks.push(
      {
        type: 'text',
        strong: true,
        text: `IR-${r.id}${r.priorityId ? ` (P${r.priorityId})` : ''}: ${r.question}`,
      },
      {
        type: 'text',
        text: `${requirementState(r, (at) => formatLocal(at, zone))}. Owner: ${r.owner ?? 'not set'}. Answers: ${r.answers.length}.`,
      },
      ...r.answers.map(
        (a): CardBlock => ({ type: 'text', subtle: true, text: `${day(a.at)}, ${a.by}: ${a.answer}` }),
      ),
    );

  blocks.push(
    { type: 'heading', text: `Other actions of the period (${pack.otherActions.length})` },
    ...actionsTable(pack.otherActions, 'None.'),
  );
  if (options.pdfButton)
    blocks.push({
      type: 'actions',
      actions: [
        {
          title: 'Download PDF',
          payload: payload({ verb: 'tcg.pdf', unitId: pack.unit.id, from: pack.from, to: pack.to }),
        },
      ],
    });
  return {
    title: `TT&CG pack ${pack.unit.name} ${pack.from} to ${pack.to}`,
    marking: pack.marking,
    blocks,
  };
}

export function tcgPackMarkdown(pack: TcgPack): string {
  return renderCardMarkdown(buildTcgPackCard(pack));
}

export function tcgPackPdf(pack: TcgPack): Promise<Buffer> {
  return renderCardPdf(buildTcgPackCard(pack), {
    title: `TT&CG pack ${pack.unit.name} ${pack.from} to ${pack.to}`,
    footerNote: `TT&CG pack, ${pack.unit.code}, prepared ${formatLocal(pack.generatedAt, pack.unit.timeZone)}`,
    createdAt: pack.generatedAt,
  });
}
