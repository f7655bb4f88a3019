/**
 * Renders a card as plain text for a terminal (`dmm brief`) and as Markdown (`--format md`). Both come from the
 * same card as the Teams, console and Slack renderings, so the CLI shows the same sections in the same order.
 * Plain text carries no markup and so needs no escapes (the CLI still makes control characters visible, see
 * bot/cli/terminal.ts); Markdown escapes every user text.
 */
import { escapeMarkdown } from '../../services/meetings/minutes.js';
import type { Card, CardBlock } from '../card.js';

/** Display width of a text in a monospaced terminal, counting code points (close enough for tables). */
const width = (text: string) => Array.from(text).length;
const pad = (text: string, to: number) => text + ' '.repeat(Math.max(0, to - width(text)));

export function textTable(columns: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const all = [columns, ...rows].map((r) => columns.map((_, j) => (r[j] ?? '').replace(/\s*\n\s*/g, ' ')));
  const widths = columns.map((_, j) => Math.max(...all.map((r) => width(r[j] ?? ''))));
  const line = (r: readonly string[]) =>
    r
      .map((cell, j) => pad(cell, widths[j] ?? 0))
      .join('  ')
      .trimEnd();
  return [
    line(all[0] ?? []),
    widths.map((w) => '-'.repeat(Math.max(1, w))).join('  '),
    ...all.slice(1).map(line),
  ];
}

function textBlock(b: CardBlock, first: boolean): string[] {
  switch (b.type) {
    case 'heading':
      return first ? [b.text, '='.repeat(width(b.text)), ''] : ['', b.text, '-'.repeat(width(b.text))];
    case 'text':
      // A strong text titles what follows (a table): set apart from what precedes it.
      return b.strong ? ['', b.text] : [b.text];
    case 'facts': {
      const w = Math.max(0, ...b.facts.map((f) => width(f.label)));
      return b.facts.map((f) => `${pad(`${f.label}:`, w + 1)} ${f.value}`);
    }
    case 'table':
      return b.rows.length === 0 ? [] : ['', ...textTable(b.columns, b.rows), ''];
    case 'notice':
      return [`! ${b.text}`];
    case 'actions':
      return [`(buttons: ${b.actions.map((a) => a.title).join(', ')})`];
    case 'chart':
      return [b.summary];
    case 'divider':
      return ['', '---', ''];
  }
}

/** The card as terminal text. */
export function renderCardText(card: Card): string {
  const lines: string[] = [];
  if (card.marking) lines.push(card.marking, '');
  card.blocks.forEach((b, i) => {
    lines.push(...textBlock(b, i === 0));
  });
  if (card.marking) lines.push('', card.marking);
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n')}\n`;
}

const md = (text: string) => escapeMarkdown(text);
const mdCell = (text: string) => escapeMarkdown(text.replace(/\s*\n\s*/g, ' '));

function markdownBlock(b: CardBlock, first: boolean): string[] {
  switch (b.type) {
    case 'heading':
      return [`${first ? '#' : '##'} ${md(b.text)}`, ''];
    case 'text':
      return [b.strong ? `**${md(b.text)}**` : b.subtle ? `_${md(b.text)}_` : md(b.text), ''];
    case 'facts':
      return [...b.facts.map((f) => `- **${md(f.label)}:** ${md(f.value)}`), ''];
    case 'table':
      if (b.rows.length === 0) return [];
      return [
        `| ${b.columns.map(mdCell).join(' | ')} |`,
        `| ${b.columns.map(() => '---').join(' | ')} |`,
        ...b.rows.map((r) => `| ${b.columns.map((_, j) => mdCell(r[j] ?? '')).join(' | ')} |`),
        '',
      ];
    case 'notice':
      return [`> ${md(b.text)}`, ''];
    case 'actions':
      return [];
    case 'chart':
      return [md(b.summary), ''];
    case 'divider':
      return ['---', ''];
  }
}

/** The card as Markdown (user text escaped), its marking above and below. */
export function renderCardMarkdown(card: Card): string {
  const lines: string[] = [];
  if (card.marking) lines.push(`**${card.marking}**`, '');
  card.blocks.forEach((b, i) => {
    lines.push(...markdownBlock(b, i === 0));
  });
  if (card.marking) lines.push(`**${card.marking}**`);
  return `${lines.join('\n')}\n`;
}
