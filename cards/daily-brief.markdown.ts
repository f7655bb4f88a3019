/** The daily brief as Markdown, for the CLI and for channels that take Markdown. User text is escaped. */
import type { BriefView, InternalBriefView, PartnerBriefView } from '../services/briefs/brief.model.js';
import type { CountWithBaseline } from '../services/incidents/picture.service.js';
import { escapeMarkdown as esc } from '../services/meetings/minutes.js';
import { formatLocal } from '../services/time.js';
import { revisionText } from './daily-brief.card.js';

function flag(f: 'high' | 'low' | null): string {
  return f === 'high' ? ' ▲ unusually high' : f === 'low' ? ' ▼ unusually low' : '';
}

function counts(title: string, rows: readonly CountWithBaseline[]): string[] {
  if (rows.length === 0) return [];
  return [
    `**${title}**`,
    '',
    '| | last 24 h | 28-day mean |',
    '| --- | ---: | ---: |',
    ...rows.map((r) => `| ${esc(r.key)} | ${r.count} | ${r.baselineMean}${flag(r.flag)} |`),
    '',
  ];
}

function header(view: BriefView, zone: string): string[] {
  const start = formatLocal(new Date(view.window.start), zone);
  const end = formatLocal(new Date(view.window.end), zone);
  return [
    `**${view.marking}**`,
    '',
    `# Daily brief: ${esc(view.unit.name)}, ${view.localDate}`,
    '',
    `Window: ${start} to ${end} (${view.window.hours} h, ${zone})`,
    '',
    ...(revisionText(view, zone) ? [`> ${revisionText(view, zone)}`, ''] : []),
  ];
}

function renderInternal(v: InternalBriefView): string {
  const zone = v.unit.timeZone;
  const lines = header(v, zone);
  if (v.withheld.pointer) lines.push(`> ${v.withheld.pointer}`, '');
  const t = v.incidents.total;
  lines.push(
    '## Incidents',
    '',
    `${t.count} incidents (28-day mean ${t.baselineMean})${flag(t.flag)}; ${v.incidents.responseBreaches} response-target breaches.`,
    '',
  );
  lines.push(
    ...counts('By grade', v.incidents.byGrade),
    ...counts('By NSIR chapter', v.incidents.byChapter),
    ...counts('Top types', v.incidents.byType),
    ...counts('Hotspots', v.incidents.hotspots),
  );
  lines.push(`## Exceptions (${v.exceptions.count})`, '');
  if (v.exceptions.items.length === 0) lines.push('None.');
  for (const e of v.exceptions.items) {
    lines.push(
      `- ${formatLocal(new Date(e.eventAt), zone)} ${esc(e.reference)}: ${esc(e.type ?? 'unknown type')}${e.area ? `, ${esc(e.area)}` : ''} (${e.reasons.join(', ')})`,
    );
  }
  lines.push('', '## Control-strategy priorities', '');
  if (v.priorities.length === 0) lines.push('No active priorities.');
  for (const p of v.priorities)
    lines.push(`- ${esc(p.title)}: ${p.count} (mean ${p.baselineMean})${flag(p.flag)}`);
  const actionList = (title: string, list: InternalBriefView['actions']['overdue']) => {
    lines.push('', `## ${title} (${list.length})`, '');
    if (list.length === 0) lines.push('None.');
    for (const a of list)
      lines.push(
        `- A-${a.id}: ${esc(a.title)} (${esc(a.owner)}, due ${a.dueOn ?? 'no date'}, ${a.status.replace(/_/g, ' ')})`,
      );
  };
  actionList('Actions overdue', v.actions.overdue);
  actionList('Actions due today', v.actions.dueToday);
  actionList('Actions blocked', v.actions.blocked);
  actionList('Actions updated in the last 24 h', v.actions.updated);
  lines.push('', `## Next 24 hours (${v.forwardLook.length})`, '');
  if (v.forwardLook.length === 0) lines.push('Nothing planned.');
  for (const f of v.forwardLook)
    lines.push(
      `- ${formatLocal(new Date(f.startsAt), zone)} ${f.kind}: ${esc(f.title)}${f.location ? `, ${esc(f.location)}` : ''}`,
    );
  lines.push('', `## Yesterday's decisions (${v.decisions.length})`, '');
  if (v.decisions.length === 0) lines.push('None.');
  for (const d of v.decisions)
    lines.push(
      `- D-${d.id}: ${esc(d.text)} (${esc(d.decisionMaker)})${d.supersededById ? ` — superseded by D-${d.supersededById}` : ''}`,
    );
  lines.push('', `Unusual counts: ${v.rule}.`, '', `**${v.marking}**`, '');
  return lines.join('\n');
}

function renderPartner(v: PartnerBriefView): string {
  const zone = 'Europe/London';
  const lines = header(v, zone);
  const t = v.incidents.total;
  lines.push('## Incidents', '', `${t.count} incidents (28-day mean ${t.baselineMean})${flag(t.flag)}.`, '');
  lines.push(
    ...counts('By NSIR chapter', v.incidents.byChapter),
    ...counts('By grade', v.incidents.byGrade),
    ...counts('Areas', v.incidents.hotspots),
  );
  lines.push('## Themes', '');
  const themes = Object.entries(v.exceptionThemes);
  if (themes.length === 0) lines.push('No exceptional themes.');
  for (const [theme, n] of themes) lines.push(`- ${theme}: ${n}`);
  lines.push('', '## Priorities', '');
  for (const p of v.priorities)
    lines.push(`- ${esc(p.title)}: ${p.count} (mean ${p.baselineMean})${flag(p.flag)}`);
  lines.push(
    '',
    '## Actions',
    '',
    `${v.actions.overdue} overdue, ${v.actions.dueToday} due today, ${v.actions.blocked} blocked, ${v.actions.updated} updated.`,
  );
  const kinds = Object.entries(v.forwardLook);
  lines.push(
    '',
    '## Next 24 hours',
    '',
    kinds.length === 0 ? 'Nothing planned.' : kinds.map(([k, n]) => `${n} ${k}`).join(', '),
  );
  lines.push('', `Decisions recorded yesterday: ${v.decisions}.`, '', '**OFFICIAL**', '');
  return lines.join('\n');
}

export function renderBriefMarkdown(view: BriefView): string {
  return view.audience === 'partner' ? renderPartner(view) : renderInternal(view);
}
