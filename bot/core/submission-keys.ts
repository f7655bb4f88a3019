/**
 * Submission keys: every button or form that changes a record carries a fresh random key in its payload (`k`),
 * stamped here on the way out, so builders stay pure. The services claim the key in the transaction of the
 * change (services/submissions): a second press of the same button, a double click on a form's submit, or a
 * platform delivering a request twice finds the key used and changes nothing.
 */
import { randomBytes } from 'node:crypto';
import type { Card, CardAction, CardBlock } from '../../cards/card.js';
import type { CardPayload, Verb } from '../../cards/card-actions.js';

/** Verbs that create or change a record: each press of one is a submission with a key. */
export const CHANGING_VERBS: ReadonlySet<Verb> = new Set<Verb>([
  'meeting.start',
  'meeting.next',
  'meeting.back',
  'meeting.skip',
  'meeting.close',
  'meeting.note',
  'meeting.attend',
  'meeting.apologies',
  'minutes.approve',
  'minutes.addendum',
  'escalation.raise',
  'intelligence.draft',
  'intelligence.approve',
  'intelligence.answer',
  'intelligence.close',
  'decision.record',
  'action.create',
  'action.status',
  'action.due',
]);

/** Verbs whose forms create a record: refused without a key (a card from before keys, or a hand-made one). */
export const KEY_REQUIRED: ReadonlySet<Verb> = new Set<Verb>([
  'meeting.note',
  'minutes.addendum',
  'escalation.raise',
  'intelligence.draft',
  'intelligence.answer',
  'decision.record',
  'action.create',
]);

/** 128 random bits, URL-safe: unguessable, so nobody can spend another card's key in advance. */
export const newSubmissionKey = (): string => randomBytes(16).toString('base64url');

function stampPayload(p: CardPayload, origin: string | undefined): CardPayload {
  if (!CHANGING_VERBS.has(p.verb)) return p;
  return { ...p, k: newSubmissionKey(), ...(origin ? { o: origin } : {}) } as CardPayload;
}

const stampAction = (a: CardAction, origin?: string): CardAction => ({
  ...a,
  payload: stampPayload(a.payload, origin),
});

/**
 * The card with a fresh key on each of its changing buttons and on its form's submit. `origin`, for a form that
 * changes the record of the card it was opened from, is that card's message id: the result replaces it.
 */
export function stampSubmissionKeys(card: Card, origin?: string): Card {
  const blocks = card.blocks.map(
    (b): CardBlock => (b.type === 'actions' ? { ...b, actions: b.actions.map((a) => stampAction(a)) } : b),
  );
  return {
    ...card,
    blocks,
    ...(card.form ? { form: { ...card.form, submit: stampAction(card.form.submit, origin) } } : {}),
  };
}
