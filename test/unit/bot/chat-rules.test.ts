/**
 * The chat edge's rules on their own: the one placement rule, the one error map, and submission keys.
 */
import { describe, expect, it } from 'vitest';
import { placeOf, whyNotShown } from '../../../bot/core/chat.js';
import { ChatError, describeError, ERROR_HINTS, INTERNAL_MESSAGE } from '../../../bot/core/errors.js';
import { CHANGING_VERBS, stampSubmissionKeys } from '../../../bot/core/submission-keys.js';
import type { Card } from '../../../cards/card.js';
import { payload } from '../../../cards/card-actions.js';
import { DomainError, type ErrorCode, NotFoundError } from '../../../services/errors.js';
import { createLogger } from '../../../services/logger.js';

const record = (marking: Card['marking']): Card => ({ title: 'Action #1', marking, blocks: [] });

describe('the placement rule', () => {
  const official = { audience: 'internal', ceiling: 'OFFICIAL', shared: true } as const;
  const sensitive = { audience: 'internal', ceiling: 'OFFICIAL-SENSITIVE', shared: true } as const;
  const partner = { audience: 'partner', ceiling: 'OFFICIAL', shared: true } as const;

  it('keeps anything marked above a place out of it, and says why', () => {
    expect(whyNotShown(official, record('OFFICIAL'))).toBeNull();
    expect(whyNotShown(official, record(undefined))).toBeNull();
    expect(whyNotShown(official, record('OFFICIAL-SENSITIVE'))).toBe(
      'OFFICIAL-SENSITIVE is above what this channel may carry (OFFICIAL)',
    );
    expect(whyNotShown(sensitive, record('OFFICIAL-SENSITIVE'))).toBeNull();
  });

  it('keeps a partner channel to sanitised views and the bot’s own notes', () => {
    expect(whyNotShown(partner, record('OFFICIAL'))).toMatch(/partner channel/);
    expect(whyNotShown(partner, { ...record('OFFICIAL'), sanitised: true })).toBeNull();
    expect(whyNotShown(partner, { ...record('OFFICIAL'), kind: 'error' })).toBeNull();
    expect(
      whyNotShown(partner, {
        ...record('OFFICIAL'),
        form: { inputs: [], submit: { title: 'x', payload: payload({ verb: 'help' }) } },
      }),
    ).toMatch(/partner channel/);
  });

  it('never lets a partner channel carry more than OFFICIAL, whatever its binding says', () => {
    const place = placeOf({
      id: 1,
      platform: 'slack',
      tenantId: 'T',
      conversationId: 'C',
      kind: 'channel',
      personId: null,
      unitId: 1,
      audience: 'partner',
      ceiling: 'OFFICIAL-SENSITIVE',
      reference: null,
      linkedBy: null,
      linkedAt: null,
    });
    expect(place.ceiling).toBe('OFFICIAL');
  });
});

describe('the error map', () => {
  const lines: string[] = [];
  const logger = createLogger('error', { write: (line: string) => void lines.push(line) });

  it('has words for every code, domain and chat alike', () => {
    for (const code of Object.keys(ERROR_HINTS) as Array<ErrorCode>) {
      const d = describeError(new DomainError(code, `message for ${code}`, { entity: 'Action' }), logger);
      expect(d).toMatchObject({ code, message: `message for ${code}` });
    }
    expect(describeError(new NotFoundError('Action', 5), logger).hint).toMatch(/dmm actions all/);
    expect(
      describeError(
        new ChatError('UNKNOWN_PERSON', 'x', { platform: 'slack', tenantId: 'T1', userId: 'U1' }),
        logger,
      ).hint,
    ).toBe(
      'Ask an admin of your unit to link your Slack account: dmm people link --person <your person id> --platform slack --tenant T1 --external-id U1',
    );
    expect(lines).toEqual([]);
  });

  it('tells an internal failure with a reference only, and logs the error with that reference', () => {
    const d = describeError(
      new Error('connection to 10.0.0.5 refused: password authentication failed'),
      logger,
    );
    expect(d.message).toBe(INTERNAL_MESSAGE);
    expect(JSON.stringify(d)).not.toContain('10.0.0.5');
    expect(d.correlationId).toMatch(/^[0-9a-f]{8}$/);
    expect(lines.at(-1)).toContain(d.correlationId);
  });
});

describe('submission keys', () => {
  it('stamps a fresh key on every changing button and form, and nothing else', () => {
    const card: Card = {
      title: 'Action #1',
      blocks: [
        {
          type: 'actions',
          actions: [
            {
              title: 'Start',
              payload: payload({ verb: 'action.status', actionId: 1, version: 1, status: 'in_progress' }),
            },
            { title: 'Open', payload: payload({ verb: 'action.show', actionId: 1 }) },
          ],
        },
      ],
      form: {
        inputs: [],
        submit: { title: 'Done', payload: payload({ verb: 'action.due', actionId: 1, version: 1 }) },
      },
    };
    const a = stampSubmissionKeys(card, 'origin-ts');
    const b = stampSubmissionKeys(card);
    const buttons = (c: Card) => (c.blocks[0]?.type === 'actions' ? c.blocks[0].actions : []);
    expect(buttons(a)[0]?.payload.k).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(buttons(a)[0]?.payload.k).not.toBe(buttons(b)[0]?.payload.k);
    expect(buttons(a)[1]?.payload.k).toBeUndefined();
    expect(a.form?.submit.payload).toMatchObject({ o: 'origin-ts', k: expect.any(String) });
    expect(b.form?.submit.payload.o).toBeUndefined();
    expect([...CHANGING_VERBS]).toEqual(
      expect.arrayContaining(['decision.record', 'action.create', 'meeting.next']),
    );
  });
});
