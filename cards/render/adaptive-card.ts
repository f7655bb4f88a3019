/**
 * Renders a card as an Adaptive Card 1.5 (Teams and the local console). Buttons are Action.Execute (Universal
 * Actions) with an Action.Submit fallback for hosts without it; forms are inputs with labels, `isRequired` and
 * error messages; a per-user `refresh` where the card asks for one. Every card is checked in tests with the
 * official `adaptivecards` parser (zero errors or warnings) and against Teams' payload limit.
 */
import type { Card, CardAction, CardBlock, CardInput, Tone } from '../card.js';

/** Teams renders Adaptive Cards up to schema 1.5. */
export const ADAPTIVE_CARD_VERSION = '1.5';
/** Teams refuses a card payload over about 28 KB. */
export const TEAMS_MAX_CARD_BYTES = 28 * 1024;
/** Teams refreshes a card automatically for at most 60 user ids. */
export const TEAMS_MAX_REFRESH_USERS = 60;
/** Buttons in one ActionSet: the default host config's `actions.maxActions` (the parser warns past it). */
export const MAX_ACTIONS_PER_SET = 5;
/**
 * How much of a card is shown, tried in turn until the card fits Teams' payload limit: rows of each table, and
 * characters of each text. What is left out is always said on the card ("… and 12 more", "…").
 */
const FIT_LEVELS: ReadonlyArray<{ readonly rows: number; readonly text: number }> = [
  { rows: 40, text: 4000 },
  { rows: 20, text: 1000 },
  { rows: 10, text: 300 },
  { rows: 5, text: 100 },
];

export type AdaptiveCardJson = Record<string, unknown> & { type: 'AdaptiveCard' };

/**
 * Escapes text for an Adaptive Card TextBlock, whose hosts read a subset of Markdown: a backslash before each
 * character Markdown reads as markup (emphasis, code, links, HTML) and before the markers that only count at the
 * start of a line (heading, quote, list), so `*bold*`, `[link](x)`, `<b>` or `# heading` show as typed.
 */
export function escapeAdaptiveText(text: string): string {
  return text
    .replace(/[\\`*_[\]<>|~]/g, (c) => `\\${c}`)
    .replace(/^(\s*)([#>+-])/gm, '$1\\$2')
    .replace(/^(\s*\d+)([.)])/gm, '$1\\$2');
}

const COLOR: Readonly<Record<Tone, string>> = {
  default: 'Default',
  good: 'Good',
  warning: 'Warning',
  attention: 'Attention',
  accent: 'Accent',
};

interface Fit {
  readonly rows: number;
  readonly text: number;
}

/** Cuts text to `max` characters with an ellipsis (never inside a surrogate pair). */
function cut(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function textBlock(text: string, extra: Record<string, unknown> = {}, fit: Fit = FIT_LEVELS[0] as Fit) {
  return { type: 'TextBlock', text: escapeAdaptiveText(cut(text, fit.text)), wrap: true, ...extra };
}

function action(a: CardAction) {
  const data = { ...a.payload };
  return {
    type: 'Action.Execute',
    title: a.title,
    verb: a.payload.verb,
    data,
    ...(a.style ? { style: a.style } : {}),
    // Hosts without Universal Actions (older Teams clients, other hosts) submit the same payload instead.
    fallback: { type: 'Action.Submit', title: a.title, data },
  };
}

function input(i: CardInput): Record<string, unknown> {
  const common = {
    id: i.id,
    label: i.label,
    isRequired: Boolean(i.required),
    ...(i.errorMessage || i.required ? { errorMessage: i.errorMessage ?? `${i.label} is required.` } : {}),
  };
  switch (i.kind) {
    case 'text':
      return {
        type: 'Input.Text',
        ...common,
        isMultiline: Boolean(i.multiline),
        ...(i.maxLength ? { maxLength: i.maxLength } : {}),
        ...(i.value !== undefined ? { value: i.value } : {}),
        ...(i.placeholder ? { placeholder: i.placeholder } : {}),
      };
    case 'date':
      return { type: 'Input.Date', ...common, ...(i.value ? { value: i.value } : {}) };
    case 'choice':
      return {
        type: 'Input.ChoiceSet',
        ...common,
        style: 'compact',
        choices: i.choices.map((c) => ({ title: c.title, value: c.value })),
        ...(i.value !== undefined ? { value: i.value } : {}),
      };
  }
}

function block(b: CardBlock, fit: Fit): Record<string, unknown>[] {
  switch (b.type) {
    case 'heading':
      return [textBlock(b.text, { size: 'Medium', weight: 'Bolder', style: 'heading' }, fit)];
    case 'text':
      return [
        textBlock(
          b.text,
          {
            ...(b.tone && b.tone !== 'default' ? { color: COLOR[b.tone] } : {}),
            ...(b.subtle ? { isSubtle: true } : {}),
            ...(b.strong ? { weight: 'Bolder' } : {}),
          },
          fit,
        ),
      ];
    case 'facts':
      if (b.facts.length === 0) return [];
      return [
        {
          type: 'FactSet',
          facts: b.facts.map((f) => ({
            title: escapeAdaptiveText(f.label),
            value: escapeAdaptiveText(f.value),
          })),
        },
      ];
    case 'table': {
      if (b.rows.length === 0) return [];
      const shown = b.rows.slice(0, fit.rows);
      const cell = (text: string, header = false) => ({
        type: 'TableCell',
        items: [textBlock(text, header ? { weight: 'Bolder' } : {}, fit)],
      });
      const table = {
        type: 'Table',
        firstRowAsHeader: true,
        showGridLines: false,
        columns: b.columns.map(() => ({ width: 1 })),
        rows: [
          { type: 'TableRow', cells: b.columns.map((c) => cell(c, true)) },
          ...shown.map((r) => ({ type: 'TableRow', cells: b.columns.map((_, j) => cell(r[j] ?? '')) })),
        ],
      };
      const more = b.rows.length - shown.length;
      // Never cut silently: say how many rows are not shown.
      return more > 0
        ? [table, textBlock(`… and ${more} more not shown here.`, { isSubtle: true })]
        : [table];
    }
    case 'notice':
      return [
        {
          type: 'Container',
          style: b.tone === 'accent' ? 'accent' : b.tone,
          items: [textBlock(b.text, {}, fit)],
        },
      ];
    case 'actions': {
      const sets: Record<string, unknown>[] = [];
      for (let i = 0; i < b.actions.length; i += MAX_ACTIONS_PER_SET)
        sets.push({ type: 'ActionSet', actions: b.actions.slice(i, i + MAX_ACTIONS_PER_SET).map(action) });
      return sets;
    }
    case 'divider':
      return [{ type: 'TextBlock', text: ' ', separator: true, spacing: 'Medium' }];
    case 'chart':
      // Teams draws Chart.VerticalBar (learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/
      // charts-in-adaptive-cards); a host that cannot draws the fallback, the sparkline.
      return [
        {
          type: 'Chart.VerticalBar',
          title: b.title,
          xAxisTitle: b.xTitle,
          yAxisTitle: b.yTitle,
          colorSet: 'categorical',
          data: b.points.filter((p) => p.value !== null).map((p) => ({ x: p.label, y: p.value })),
          fallback: textBlock(b.summary, { isSubtle: true }),
        },
      ];
  }
}

function render(card: Card, fit: Fit): AdaptiveCardJson {
  const body: Record<string, unknown>[] = [];
  if (card.marking) {
    body.push({
      type: 'Container',
      style: card.marking === 'OFFICIAL-SENSITIVE' ? 'attention' : 'emphasis',
      items: [textBlock(card.marking, { weight: 'Bolder', size: 'Small' })],
    });
  }
  for (const b of card.blocks) body.push(...block(b, fit));
  if (card.form) body.push(...card.form.inputs.map(input));
  const json: AdaptiveCardJson = {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: ADAPTIVE_CARD_VERSION,
    body,
  };
  if (card.form)
    json.actions = [
      { ...action(card.form.submit), associatedInputs: 'auto' },
      ...(card.form.cancel ? [{ ...action(card.form.cancel), associatedInputs: 'none' }] : []),
    ];
  if (card.refresh && card.refresh.userIds.length > 0) {
    json.refresh = {
      action: { type: 'Action.Execute', verb: card.refresh.payload.verb, data: { ...card.refresh.payload } },
      userIds: card.refresh.userIds.slice(0, TEAMS_MAX_REFRESH_USERS),
    };
  }
  return json;
}

/**
 * The Adaptive Card for a card, within Teams' payload limit: long tables and texts are shortened step by step
 * (saying so on the card) until it fits.
 */
export function renderAdaptiveCard(card: Card): AdaptiveCardJson {
  let json = render(card, FIT_LEVELS[0] as Fit);
  for (const fit of FIT_LEVELS.slice(1)) {
    if (adaptiveCardBytes(json) < TEAMS_MAX_CARD_BYTES) return json;
    json = render(card, fit);
  }
  if (adaptiveCardBytes(json) < TEAMS_MAX_CARD_BYTES) return json;
  // Still too large (a form with very long choices, say): a card that says so, rather than one Teams refuses.
  return render(
    {
      title: card.title,
      ...(card.marking ? { marking: card.marking } : {}),
      blocks: [
        { type: 'heading', text: cut(card.title, 200) },
        {
          type: 'notice',
          tone: 'warning',
          text: 'This is too long to show in a card. Use the dmm CLI to see it in full.',
        },
      ],
    },
    FIT_LEVELS[0] as Fit,
  );
}

/** Size of the card as Teams counts it (UTF-8 bytes of its JSON). */
export function adaptiveCardBytes(json: AdaptiveCardJson): number {
  return Buffer.byteLength(JSON.stringify(json), 'utf8');
}
