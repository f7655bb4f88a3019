/**
 * Card action payloads, defined once: versioned JSON (`{ v: 1, verb, … }`) carried by Teams' Action.Execute
 * data, Slack button values and the console, and read back by one typed parser. Never a delimited string.
 */
import { z } from 'zod';
import { ACTION_STATUSES } from '../services/actions/transitions.js';
import { MAX_ID } from '../services/validation.js';

export const PAYLOAD_VERSION = 1;

/** A record id: a positive whole number a record can have (an id past the database's range names nothing). */
const id = z.number().int().positive().max(MAX_ID, `must be at most ${MAX_ID}`);

/**
 * Fields any payload may carry: `k`, the submission key of the card it came from (a repeat of the same key
 * changes nothing; see bot/core/submission-keys.ts), and `o`, for a form opened from a card of the record it
 * changes, that card's message id (the result replaces it in place).
 */
const common = {
  k: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,64}$/)
    .optional(),
  o: z.string().min(1).max(200).optional(),
};

/** Every payload a card can carry, by verb. */
export const cardPayloadSchema = z.discriminatedUnion('verb', [
  z.object({ ...common, v: z.literal(1), verb: z.literal('help') }),
  z.object({ ...common, v: z.literal(1), verb: z.literal('brief.show'), date: z.string().optional() }),
  z.object({ ...common, v: z.literal(1), verb: z.literal('meeting.show'), meetingId: id }),
  z.object({ ...common, v: z.literal(1), verb: z.literal('meeting.start'), unitId: id }),
  z.object({
    ...common,
    v: z.literal(1),
    verb: z.literal('meeting.next'),
    meetingId: id,
    version: z.number().int(),
  }),
  z.object({
    ...common,
    v: z.literal(1),
    verb: z.literal('meeting.back'),
    meetingId: id,
    version: z.number().int(),
  }),
  z.object({
    ...common,
    v: z.literal(1),
    verb: z.literal('meeting.skip'),
    meetingId: id,
    version: z.number().int(),
  }),
  z.object({
    ...common,
    v: z.literal(1),
    verb: z.literal('meeting.close'),
    meetingId: id,
    version: z.number().int(),
  }),
  z.object({ ...common, v: z.literal(1), verb: z.literal('meeting.note_form'), meetingId: id }),
  z.object({ ...common, v: z.literal(1), verb: z.literal('meeting.note'), meetingId: id }),
  z.object({ ...common, v: z.literal(1), verb: z.literal('meeting.attend'), meetingId: id }),
  z.object({ ...common, v: z.literal(1), verb: z.literal('meeting.apologies_form'), meetingId: id }),
  z.object({ ...common, v: z.literal(1), verb: z.literal('meeting.apologies'), meetingId: id }),
  z.object({
    ...common,
    v: z.literal(1),
    verb: z.literal('minutes.approve'),
    meetingId: id,
    version: z.number().int(),
  }),
  z.object({ ...common, v: z.literal(1), verb: z.literal('minutes.addendum_form'), meetingId: id }),
  z.object({ ...common, v: z.literal(1), verb: z.literal('minutes.addendum'), meetingId: id }),
  z.object({ ...common, v: z.literal(1), verb: z.literal('minutes.pdf'), meetingId: id }),
  z.object({ ...common, v: z.literal(1), verb: z.literal('escalation.form'), unitId: id }),
  z.object({ ...common, v: z.literal(1), verb: z.literal('escalation.raise'), unitId: id }),
  z.object({
    ...common,
    v: z.literal(1),
    verb: z.literal('tcg.pdf'),
    unitId: id,
    from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    to: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  }),
  z.object({ ...common, v: z.literal(1), verb: z.literal('intelligence.form'), unitId: id }),
  z.object({ ...common, v: z.literal(1), verb: z.literal('intelligence.draft'), unitId: id }),
  z.object({ ...common, v: z.literal(1), verb: z.literal('intelligence.approve'), requirementId: id }),
  z.object({ ...common, v: z.literal(1), verb: z.literal('intelligence.answer_form'), requirementId: id }),
  z.object({ ...common, v: z.literal(1), verb: z.literal('intelligence.answer'), requirementId: id }),
  z.object({ ...common, v: z.literal(1), verb: z.literal('intelligence.close'), requirementId: id }),
  z.object({ ...common, v: z.literal(1), verb: z.literal('decision.form'), unitId: id }),
  z.object({ ...common, v: z.literal(1), verb: z.literal('decision.record'), unitId: id }),
  z.object({ ...common, v: z.literal(1), verb: z.literal('decision.show'), decisionId: id }),
  z.object({ ...common, v: z.literal(1), verb: z.literal('action.form'), unitId: id }),
  z.object({ ...common, v: z.literal(1), verb: z.literal('action.create'), unitId: id }),
  z.object({ ...common, v: z.literal(1), verb: z.literal('action.show'), actionId: id }),
  z.object({ ...common, v: z.literal(1), verb: z.literal('action.refresh'), actionId: id }),
  z.object({
    ...common,
    v: z.literal(1),
    verb: z.literal('action.status'),
    actionId: id,
    version: z.number().int(),
    status: z.enum(ACTION_STATUSES),
  }),
  z.object({
    ...common,
    v: z.literal(1),
    verb: z.literal('action.status_form'),
    actionId: id,
    version: z.number().int(),
    status: z.enum(ACTION_STATUSES),
  }),
  z.object({
    ...common,
    v: z.literal(1),
    verb: z.literal('action.due_form'),
    actionId: id,
    version: z.number().int(),
  }),
  z.object({
    ...common,
    v: z.literal(1),
    verb: z.literal('action.due'),
    actionId: id,
    version: z.number().int(),
  }),
  z.object({
    ...common,
    v: z.literal(1),
    verb: z.literal('actions.list'),
    unitId: id,
    filter: z.enum(['mine', 'overdue', 'due_today', 'open', 'all', 'by_owner']),
  }),
  z.object({
    ...common,
    v: z.literal(1),
    verb: z.literal('action.snooze'),
    actionId: id,
    days: z.number().int().min(1).max(14),
  }),
]);

export type CardPayload = z.infer<typeof cardPayloadSchema>;
export type Verb = CardPayload['verb'];

/** `Omit` applied to each member of a union (plain `Omit` would merge the members first). */
type OmitEach<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Builds a payload; the version is filled in here, once. */
export function payload(fields: OmitEach<CardPayload, 'v'>): CardPayload {
  return { v: PAYLOAD_VERSION, ...fields } as CardPayload;
}

export type PayloadResult =
  | { readonly ok: true; readonly payload: CardPayload }
  | { readonly ok: false; readonly error: string };

/** Reads a payload from a card submission (an object, or the JSON text Slack puts in a button value). */
export function parseCardPayload(input: unknown): PayloadResult {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      return { ok: false, error: 'The button data is not JSON; press the button on a fresh card.' };
    }
  }
  const parsed = cardPayloadSchema.safeParse(value);
  if (parsed.success) return { ok: true, payload: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue?.path.join('.') || 'payload';
  return {
    ok: false,
    error: `The button data is not understood (${where}: ${issue?.message ?? 'invalid'}).`,
  };
}
