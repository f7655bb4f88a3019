import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCardPayload, payload } from '../../../cards/card-actions.js';
import { buildActionCard, buildActionListCard, buildErrorCard } from '../../../cards/records.card.js';
import {
  adaptiveCardBytes,
  escapeAdaptiveText,
  renderAdaptiveCard,
  TEAMS_MAX_CARD_BYTES,
} from '../../../cards/render/adaptive-card.js';
import {
  renderBlockKitMessages,
  renderBlockKitModal,
  SLACK_MAX_MESSAGE_BLOCKS,
} from '../../../cards/render/block-kit.js';
import {
  adaptiveCardProblems,
  sampleAction,
  sampleCards,
  slackMessageProblems,
  slackModalProblems,
} from '../../support/cards.js';

const samples = Object.entries(sampleCards());

describe('every card on both renderers', () => {
  it.each(samples)(
    '%s: parses with no error or warning in the official Adaptive Cards parser, under 28 KB',
    (_, card) => {
      const json = renderAdaptiveCard(card);
      expect(adaptiveCardProblems(json)).toEqual([]);
      expect(adaptiveCardBytes(json)).toBeLessThan(TEAMS_MAX_CARD_BYTES);
    },
  );

  it.each(samples)('%s: keeps within every Block Kit limit, messages and modal', (_, card) => {
    for (const message of renderBlockKitMessages(card)) expect(slackMessageProblems(message)).toEqual([]);
    if (card.form) expect(slackModalProblems(renderBlockKitModal(card))).toEqual([]);
  });

  it.each(samples)('%s: renders as before (snapshot)', (_, card) => {
    expect({
      adaptiveCard: renderAdaptiveCard(card),
      slack: renderBlockKitMessages(card),
      ...(card.form ? { slackModal: renderBlockKitModal(card) } : {}),
    }).toMatchSnapshot();
  });
});

describe('user text is shown as typed, never as markup', () => {
  // A template literal with the `$` escaped: the text holds a literal ${expression}.
  const hostile = `<script>alert(1)</script> *bold* _it_ <@U123> <!channel> \${expression} [x](http://e.test) # h`;
  const card = buildActionCard({
    action: sampleAction({ title: hostile, description: `1. ${hostile}\n- item` }),
    owner: hostile,
    allowed: ['in_progress'],
    canChangeDue: false,
  });

  it('escapes it for Adaptive Card Markdown', () => {
    const json = JSON.stringify(renderAdaptiveCard(card));
    const text = escapeAdaptiveText(hostile);
    expect(text).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal `${expression}` must come back as typed.
      '\\<script\\>alert(1)\\</script\\> \\*bold\\* \\_it\\_ \\<@U123\\> \\<!channel\\> ${expression} \\[x\\](http://e.test) # h',
    );
    expect(json).toContain(JSON.stringify(`Action #42: ${text}`));
    expect(json).toContain(JSON.stringify(`1\\. ${text}\n\\- item`).slice(1, -1));
    expect(json).not.toMatch(/[^\\]\*bold/);
  });

  it('sends it to Slack as plain_text, so no mention, link or bold is formed', () => {
    const blocks = renderBlockKitMessages(card).flatMap((m) => m.blocks);
    const texts = JSON.stringify(blocks);
    expect(texts).toContain('<@U123>');
    for (const b of blocks) {
      const text = (b as { text?: { type: string; text: string } }).text;
      if (text?.text.includes('U123')) expect(text.type).toBe('plain_text');
    }
    expect(texts).not.toContain('"mrkdwn","text":"<@U123>');
  });
});

describe('card payloads', () => {
  it('round-trip as versioned JSON, as objects and as Slack button text', () => {
    const p = payload({ verb: 'action.status', actionId: 42, version: 3, status: 'done' });
    expect(p).toEqual({ v: 1, verb: 'action.status', actionId: 42, version: 3, status: 'done' });
    expect(parseCardPayload(p)).toEqual({ ok: true, payload: p });
    expect(parseCardPayload(JSON.stringify(p))).toEqual({ ok: true, payload: p });
  });

  it('refuses an unknown verb, an old version, a bad field and a delimited string, saying what is wrong', () => {
    expect(parseCardPayload({ v: 1, verb: 'drop.tables' })).toMatchObject({ ok: false });
    expect(parseCardPayload({ v: 2, verb: 'help' })).toMatchObject({ ok: false, error: /v/ });
    expect(parseCardPayload({ v: 1, verb: 'action.show', actionId: -1 })).toMatchObject({
      ok: false,
      error: /actionId/,
    });
    expect(parseCardPayload('action|42|done')).toMatchObject({ ok: false, error: /not JSON/ });
  });
});

describe('random content never breaks a platform limit or the parser', () => {
  const text = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'grapheme', maxLength: 400 }),
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal `${x}` is hostile content to render.
    fc.constantFrom('*bold*', '<@U123>', '${x}', '😀'.repeat(2000), 'x'.repeat(10_000), '\n'.repeat(50)),
  );

  it('holds for an action card with any title, description, owner and result', () => {
    fc.assert(
      fc.property(text, text, text, text, (title, description, owner, result) => {
        const card = buildActionCard({
          action: sampleAction({ title, description, result }),
          owner,
          allowed: ['in_progress', 'blocked', 'done', 'no_further_action', 'escalated'],
          canChangeDue: true,
        });
        expect(adaptiveCardProblems(renderAdaptiveCard(card))).toEqual([]);
        for (const m of renderBlockKitMessages(card)) expect(slackMessageProblems(m)).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it('holds for a list of 500 actions: Slack continues in follow-up messages, Teams stays under 28 KB', () => {
    fc.assert(
      fc.property(fc.array(text, { minLength: 500, maxLength: 500 }), (titles) => {
        const card = buildActionListCard({
          title: 'All actions',
          items: titles.map((title, i) => ({ action: sampleAction({ id: i + 1, title }), owner: 'Owner' })),
        });
        const json = renderAdaptiveCard(card);
        expect(adaptiveCardProblems(json)).toEqual([]);
        expect(adaptiveCardBytes(json)).toBeLessThan(TEAMS_MAX_CARD_BYTES);
        const messages = renderBlockKitMessages(card);
        for (const m of messages) {
          expect(m.blocks.length).toBeLessThanOrEqual(SLACK_MAX_MESSAGE_BLOCKS);
          expect(slackMessageProblems(m)).toEqual([]);
        }
        // Nothing is cut silently: every title reaches Slack.
        const all = JSON.stringify(messages.flatMap((m) => m.blocks));
        for (const t of titles.slice(0, 5))
          expect(all).toContain(JSON.stringify(t).slice(1, -1).slice(0, 20));
      }),
      { numRuns: 5 },
    );
  });

  it('holds for an error card with any message', () => {
    fc.assert(
      fc.property(text, text, (message, hint) => {
        const card = buildErrorCard({ message, hint, correlationId: 'abc123' });
        expect(adaptiveCardProblems(renderAdaptiveCard(card))).toEqual([]);
        for (const m of renderBlockKitMessages(card)) expect(slackMessageProblems(m)).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });
});
