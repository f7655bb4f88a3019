/**
 * The one error → message mapping for every surface (Slack, Teams, the console): each error a person can meet
 * has a code, and every code has its words and what to do next. `ERROR_HINTS` is a `Record` over every code,
 * so a code without a message fails the type-check. Errors that are not the domain's (an unknown person, an
 * unlinked channel, a button from an old card) are `ChatError`s with codes of their own; anything else is
 * internal: a correlation id is shown and logged with the stack.
 */
import { randomUUID } from 'node:crypto';
import type { Card } from '../../cards/card.js';
import { buildErrorCard } from '../../cards/records.card.js';
import { type ErrorCode, isDomainError } from '../../services/errors.js';
import type { Logger } from '../../services/logger.js';

/** Codes of errors the chat edge raises itself, beside the domain's. */
export type ChatOnlyCode =
  | 'UNKNOWN_PERSON'
  | 'NOT_LINKED'
  | 'NO_UNIT'
  | 'MANY_UNITS'
  | 'NO_ROLE'
  | 'BAD_COMMAND'
  | 'BAD_PAYLOAD'
  | 'STALE_FORM'
  | 'NOT_IN_CHANNEL'
  | 'INTERNAL';

export type ChatErrorCode = ErrorCode | ChatOnlyCode;

type Details = Readonly<Record<string, unknown>>;

/** An error of the chat edge, with a stable code (see `ERROR_HINTS`) and the details its hint may name. */
export class ChatError extends Error {
  constructor(
    readonly code: ChatOnlyCode,
    message: string,
    readonly details: Details = {},
  ) {
    super(message);
    this.name = 'ChatError';
  }
}

const NOT_FOUND_HINTS: Readonly<Record<string, string>> = {
  Action: 'Check the number: `dmm actions all` lists the actions of this unit.',
  Decision: 'Check the number: decisions are listed in the minutes (`dmm minutes`).',
  Meeting: "Type `dmm meeting` to see today's meeting.",
  Minutes: 'The chair closes the meeting with `dmm meeting close`; its minutes are written then.',
  Unit: 'Check the unit code: `dmm units list` on the server lists them.',
  Person: 'Ask an admin of your unit: `dmm people list` on the server lists people.',
};

/** What to do next, for every code. A function when the hint names something from the error. */
export const ERROR_HINTS: Readonly<
  Record<ChatErrorCode, string | ((details: Details) => string | undefined)>
> = {
  VALIDATION_FAILED: 'Correct the field named and send it again.',
  NOT_FOUND: (d) => NOT_FOUND_HINTS[String(d.entity)] ?? 'Check the number or code you gave.',
  FORBIDDEN: 'Ask someone with that role on the unit, or an admin to give you the role.',
  CONFLICT: 'Someone changed it first: the card shows it as it is now. Try again on it.',
  INVALID_TRANSITION: 'The buttons on a fresh card show the moves that are allowed.',
  MEETING_NOT_OPEN: "Start today's meeting with `dmm meeting start` (chair).",
  MEETING_ALREADY_OPEN: 'Type `dmm meeting` to see it.',
  MEETING_CLOSED: 'Type `dmm minutes` to read its minutes.',
  MEETING_NOT_CLOSED: 'The chair closes the meeting with `dmm meeting close`; its minutes are then approved.',
  MINUTES_APPROVED:
    'Type `dmm minutes` to read them; `dmm minutes addendum <text>` adds a correction (chair).',
  // The service's own message already says where to go (the next section, or close): nothing to add.
  AGENDA_AT_START: () => undefined,
  AGENDA_AT_END: () => undefined,
  DECISION_ALREADY_SUPERSEDED: 'Correct the latest correction instead.',
  AMBIGUOUS: 'Say which one you mean.',
  UNAUTHENTICATED: 'Sign in again.',
  ALREADY_SUBMITTED: 'Nothing more to do: the card shows the record as it now is.',
  UNKNOWN_PERSON: (d) =>
    `Ask an admin of your unit to link your ${d.platform === 'slack' ? 'Slack' : 'Teams'} account: dmm people link --person <your person id> --platform ${String(d.platform)}${d.tenantId ? ` --tenant ${String(d.tenantId)}` : ''} --external-id ${String(d.userId)}`,
  NOT_LINKED:
    'An admin of the unit types `dmm link <unit code>` here (add `partner` for a partner channel, `sensitive` if it may carry OFFICIAL-SENSITIVE).',
  NO_UNIT: 'Ask an admin of your unit to add you: dmm members add.',
  MANY_UNITS: 'Type `dmm link <unit code>` here to choose the one this chat is for.',
  NO_ROLE: 'Ask an admin of the unit to add you (dmm members add).',
  BAD_COMMAND: 'Type `dmm help` to see the commands.',
  BAD_PAYLOAD: 'Use the buttons on a fresh card: type `dmm help` to start again.',
  STALE_FORM: 'Open the form again from a fresh card and fill it in there.',
  NOT_IN_CHANNEL: 'Add me to the channel with `/invite @DMM`, then try again.',
  INTERNAL: 'Try again; if it happens again, quote the reference below.',
};

/** The words of an internal failure: never the error itself, which may carry data or internals. */
export const INTERNAL_MESSAGE =
  'Something went wrong on our side; nothing was changed by the part that failed.';

export interface DescribedError {
  readonly code: ChatErrorCode;
  readonly message: string;
  readonly hint?: string;
  /** Only for internal errors: the reference the person quotes, logged with the stack. */
  readonly correlationId?: string;
}

/**
 * What a person is told about an error. Domain and chat errors are told in their own words with their hint;
 * anything else is logged at error level with a new correlation id, which the person is given.
 */
export function describeError(
  error: unknown,
  logger: Logger,
  context: Readonly<Record<string, unknown>> = {},
): DescribedError {
  if (isDomainError(error) || error instanceof ChatError) {
    const entry = ERROR_HINTS[error.code];
    const hint = typeof entry === 'function' ? entry(error.details) : entry;
    return { code: error.code, message: error.message, ...(hint ? { hint } : {}) };
  }
  const correlationId = randomUUID().slice(0, 8);
  logger.error({ err: error, correlationId, ...context }, 'chat request failed');
  return {
    code: 'INTERNAL',
    message: INTERNAL_MESSAGE,
    hint: ERROR_HINTS.INTERNAL as string,
    correlationId,
  };
}

/** The error as a card for the person (see `describeError`). */
export function errorCard(
  error: unknown,
  logger: Logger,
  context: Readonly<Record<string, unknown>> = {},
): Card {
  const d = describeError(error, logger, context);
  return buildErrorCard({
    message: d.message,
    ...(d.hint ? { hint: d.hint } : {}),
    ...(d.correlationId ? { correlationId: d.correlationId } : {}),
  });
}

/** The error as one line of text (a Teams press answered with a message, a Slack fallback, the console). */
export function errorText(d: DescribedError): string {
  return [d.message, d.hint, d.correlationId ? `Reference for support: ${d.correlationId}` : undefined]
    .filter(Boolean)
    .join(' ');
}
