/**
 * Renders a card as Slack Block Kit: messages (a card longer than one message continues in follow-up messages,
 * never cut silently) and, for a card with a form, the modal the card's button opens. User text goes out as
 * `plain_text` wherever Slack allows it, so `*bold*`, `<@U123>` or `<!channel>` show as typed; where only
 * `mrkdwn` is allowed the text is escaped. Buttons carry the versioned JSON payload as their value.
 */
import type { Card, CardAction, CardBlock, CardInput } from '../card.js';
import { textTable } from './text.js';

// Limits from Slack's Block Kit reference (api.slack.com/reference/block-kit).
/** Blocks in one message. */
export const SLACK_MAX_MESSAGE_BLOCKS = 50;
/** Blocks in a modal or the App Home tab. */
export const SLACK_MAX_MODAL_BLOCKS = 100;
/** Characters in a section's text. */
export const SLACK_MAX_SECTION_TEXT = 3000;
/** Fields in a section, and characters in each. */
export const SLACK_MAX_FIELDS = 10;
export const SLACK_MAX_FIELD_TEXT = 2000;
/** Characters in a header block's text. */
export const SLACK_MAX_HEADER_TEXT = 150;
/** Elements in an actions block. */
export const SLACK_MAX_ACTION_ELEMENTS = 25;
/** Characters in a button's text, and in its value. */
export const SLACK_MAX_BUTTON_TEXT = 75;
export const SLACK_MAX_BUTTON_VALUE = 2000;
/** Characters in a block_id or action_id. */
export const SLACK_MAX_ID = 255;
/** Characters in a modal's title, submit and close labels. */
export const SLACK_MAX_MODAL_TITLE = 24;
/** Characters in a modal's private_metadata. */
export const SLACK_MAX_PRIVATE_METADATA = 3000;
/** Options in a static select, and characters in an option's text. */
export const SLACK_MAX_OPTIONS = 100;
export const SLACK_MAX_OPTION_TEXT = 75;
/** Characters in an input's label, and in a plain_text_input's initial value. */
export const SLACK_MAX_LABEL = 2000;
export const SLACK_MAX_INPUT_VALUE = 3000;
/** Widest line of a table shown as aligned columns; a wider table is shown a row a line. */
export const SLACK_MAX_TABLE_WIDTH = 110;
/** Characters of a message's `text` (the notification fallback) we send. */
export const SLACK_MAX_FALLBACK_TEXT = 3000;

export type SlackBlock = Record<string, unknown> & { type: string };

export interface SlackMessage {
  /** Notification and screen-reader text. */
  readonly text: string;
  readonly blocks: SlackBlock[];
}

export interface SlackModal {
  readonly type: 'modal';
  readonly callback_id: string;
  readonly title: { type: 'plain_text'; text: string };
  readonly submit: { type: 'plain_text'; text: string };
  readonly close: { type: 'plain_text'; text: string };
  readonly private_metadata: string;
  readonly blocks: SlackBlock[];
}

/** Cuts text to `max` characters, ending with an ellipsis when cut (never in the middle of a surrogate pair). */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars.slice(0, max - 1).join('')}…`;
}

/** Splits text into pieces of at most `max` characters, at line breaks where it can. */
export function chunkText(text: string, max: number): string[] {
  const chars = Array.from(text);
  if (chars.length <= max) return [text];
  const pieces: string[] = [];
  let rest = chars;
  while (rest.length > max) {
    const window = rest.slice(0, max);
    const cut = window.lastIndexOf('\n');
    const at = cut > max / 2 ? cut + 1 : max;
    pieces.push(rest.slice(0, at).join(''));
    rest = rest.slice(at);
  }
  if (rest.length > 0) pieces.push(rest.join(''));
  return pieces;
}

/** Escapes text for Slack `mrkdwn`: `&`, `<` and `>` (so no mention, link or channel ping can be formed). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const plain = (text: string) => ({ type: 'plain_text', text: text === '' ? ' ' : text, emoji: false });

function button(a: CardAction, index: number) {
  const value = JSON.stringify(a.payload);
  if (value.length > SLACK_MAX_BUTTON_VALUE)
    throw new Error(`button value for ${a.payload.verb} is too long`);
  return {
    type: 'button',
    text: plain(truncate(a.title, SLACK_MAX_BUTTON_TEXT)),
    // action_id must be unique in a message; the verb says what the button does, the index keeps it unique.
    action_id: truncate(`${a.payload.verb}#${index}`, SLACK_MAX_ID),
    value,
    ...(a.style ? { style: a.style === 'positive' ? 'primary' : 'danger' } : {}),
  };
}

function sections(text: string): SlackBlock[] {
  return chunkText(text, SLACK_MAX_SECTION_TEXT).map((piece) => ({ type: 'section', text: plain(piece) }));
}

function blocksOf(b: CardBlock, counter: { buttons: number }): SlackBlock[] {
  switch (b.type) {
    case 'heading': {
      const cut = truncate(b.text, SLACK_MAX_HEADER_TEXT);
      // A heading longer than a header allows is given whole in a section below it.
      return [{ type: 'header', text: plain(cut) }, ...(cut === b.text ? [] : sections(b.text))];
    }
    case 'text':
      return b.subtle
        ? chunkText(b.text, SLACK_MAX_SECTION_TEXT).map((piece) => ({
            type: 'context',
            elements: [plain(piece)],
          }))
        : sections(b.text);
    case 'facts': {
      const out: SlackBlock[] = [];
      for (let i = 0; i < b.facts.length; i += SLACK_MAX_FIELDS) {
        out.push({
          type: 'section',
          fields: b.facts
            .slice(i, i + SLACK_MAX_FIELDS)
            .map((f) => plain(truncate(`${f.label}: ${f.value}`, SLACK_MAX_FIELD_TEXT))),
        });
      }
      return out;
    }
    case 'table': {
      if (b.rows.length === 0) return [];
      const [head = '', rule = '', ...body] = textTable(b.columns, b.rows);
      // Too wide for a phone's monospaced block: one line a row, each value named by its column.
      if (Array.from(head).length > SLACK_MAX_TABLE_WIDTH || Array.from(rule).length > SLACK_MAX_TABLE_WIDTH)
        return sections(
          b.rows
            .map((r) =>
              b.columns
                .map((c, j) => (c ? `${c}: ${r[j] ?? ''}` : (r[j] ?? '')))
                .filter((cell) => cell !== '')
                .join('; '),
            )
            .join('\n'),
        );
      // Aligned columns in a monospaced block. (Slack's own table block goes in an attachment below the message,
      // one a message, so a brief's several tables would all leave their sections.) Code blocks still need &, <
      // and > escaped; a long table continues in the next section, its header repeated.
      const pieces = chunkText(body.join('\n'), SLACK_MAX_SECTION_TEXT - 2 * SLACK_MAX_TABLE_WIDTH - 20);
      return pieces.map((piece) => ({
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `\`\`\`\n${escapeMrkdwn(`${head}\n${rule}\n${piece}`.replace(/`/g, "'"))}\n\`\`\``,
        },
      }));
    }
    case 'notice':
      return [{ type: 'context', elements: [plain(truncate(`⚠ ${b.text}`, SLACK_MAX_SECTION_TEXT))] }];
    case 'actions': {
      const out: SlackBlock[] = [];
      for (let i = 0; i < b.actions.length; i += SLACK_MAX_ACTION_ELEMENTS) {
        out.push({
          type: 'actions',
          elements: b.actions.slice(i, i + SLACK_MAX_ACTION_ELEMENTS).map((a) => {
            counter.buttons += 1;
            return button(a, counter.buttons);
          }),
        });
      }
      return out;
    }
    case 'divider':
      return [{ type: 'divider' }];
    case 'chart':
      return [{ type: 'context', elements: [plain(truncate(b.summary, SLACK_MAX_SECTION_TEXT))] }];
  }
}

/** The card as one or more Slack messages of at most 50 blocks each; later ones say they continue. */
export function renderBlockKitMessages(card: Card): SlackMessage[] {
  const counter = { buttons: 0 };
  const all: SlackBlock[] = [];
  if (card.marking) {
    all.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `*${escapeMrkdwn(card.marking)}*` }] });
  }
  for (const b of card.blocks) all.push(...blocksOf(b, counter));
  if (card.form) all.push(...blocksOf({ type: 'actions', actions: [card.form.submit] }, counter));
  const title = truncate(card.title, SLACK_MAX_FALLBACK_TEXT);
  const messages: SlackMessage[] = [{ text: title, blocks: all.slice(0, SLACK_MAX_MESSAGE_BLOCKS) }];
  let rest = all.slice(SLACK_MAX_MESSAGE_BLOCKS);
  while (rest.length > 0) {
    // Each follow-up starts with a line saying which card it continues, so it needs one block of room.
    const take = SLACK_MAX_MESSAGE_BLOCKS - 1;
    const marker = plain(`${truncate(card.title, 100)} (continued, part ${messages.length + 1})`);
    messages.push({
      text: truncate(`${card.title} (continued)`, SLACK_MAX_FALLBACK_TEXT),
      blocks: [{ type: 'context', elements: [marker] }, ...rest.slice(0, take)],
    });
    rest = rest.slice(take);
  }
  return messages;
}

function inputBlock(i: CardInput): SlackBlock {
  const common = {
    type: 'input',
    block_id: truncate(i.id, SLACK_MAX_ID),
    optional: !i.required,
    label: plain(truncate(i.label, SLACK_MAX_LABEL)),
  };
  switch (i.kind) {
    case 'text':
      return {
        ...common,
        element: {
          type: 'plain_text_input',
          action_id: truncate(i.id, SLACK_MAX_ID),
          multiline: Boolean(i.multiline),
          ...(i.maxLength ? { max_length: Math.min(i.maxLength, SLACK_MAX_INPUT_VALUE) } : {}),
          ...(i.value ? { initial_value: truncate(i.value, SLACK_MAX_INPUT_VALUE) } : {}),
          ...(i.placeholder ? { placeholder: plain(truncate(i.placeholder, 150)) } : {}),
        },
      };
    case 'date':
      return {
        ...common,
        element: {
          type: 'datepicker',
          action_id: truncate(i.id, SLACK_MAX_ID),
          ...(i.value ? { initial_date: i.value } : {}),
        },
      };
    case 'choice': {
      const options = i.choices.slice(0, SLACK_MAX_OPTIONS).map((c) => ({
        text: plain(truncate(c.title, SLACK_MAX_OPTION_TEXT)),
        value: c.value,
      }));
      const initial = options.find((o) => o.value === i.value);
      return {
        ...common,
        element: {
          type: 'static_select',
          action_id: truncate(i.id, SLACK_MAX_ID),
          options,
          ...(initial ? { initial_option: initial } : {}),
        },
      };
    }
  }
}

/** The modal for a card's form: its text blocks, then one input block per input; the payload rides along. */
export function renderBlockKitModal(card: Card): SlackModal {
  if (!card.form) throw new Error(`card "${card.title}" has no form`);
  const counter = { buttons: 0 };
  const info = card.blocks.filter((b) => b.type !== 'actions').flatMap((b) => blocksOf(b, counter));
  const inputs = card.form.inputs.map(inputBlock);
  const room = SLACK_MAX_MODAL_BLOCKS - inputs.length;
  if (room < 0) throw new Error(`form "${card.title}" has more inputs than a modal can hold`);
  const metadata = JSON.stringify(card.form.submit.payload);
  if (metadata.length > SLACK_MAX_PRIVATE_METADATA) throw new Error('form payload is too long for a modal');
  return {
    type: 'modal',
    callback_id: truncate(card.form.submit.payload.verb, SLACK_MAX_ID),
    title: { type: 'plain_text', text: truncate(card.title, SLACK_MAX_MODAL_TITLE) },
    submit: { type: 'plain_text', text: truncate(card.form.submit.title, SLACK_MAX_MODAL_TITLE) },
    close: { type: 'plain_text', text: 'Cancel' },
    private_metadata: metadata,
    // A modal's text is context for its inputs; past the block limit the inputs win and the text is summarised.
    blocks: [
      ...(info.length > room
        ? [
            ...info.slice(0, Math.max(0, room - 1)),
            { type: 'context', elements: [plain('(more on the card in the channel)')] },
          ]
        : info),
      ...inputs,
    ],
  };
}
