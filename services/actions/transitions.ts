/** The action status machine: which moves are allowed and what each move requires. */
export const ACTION_STATUSES = [
  'open',
  'in_progress',
  'blocked',
  'done',
  'no_further_action',
  'escalated',
] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

export const TERMINAL_STATUSES: readonly ActionStatus[] = ['done', 'no_further_action'];

/**
 * Allowed moves. `done` and `no_further_action` are final: a correction is a new action. An escalated action
 * is with the chair, who sends it back to work (open / in progress) or closes it.
 */
export const TRANSITIONS: Readonly<Record<ActionStatus, readonly ActionStatus[]>> = {
  open: ['in_progress', 'blocked', 'done', 'no_further_action', 'escalated'],
  in_progress: ['blocked', 'done', 'no_further_action', 'escalated'],
  blocked: ['in_progress', 'done', 'no_further_action', 'escalated'],
  escalated: ['open', 'in_progress', 'done', 'no_further_action'],
  done: [],
  no_further_action: [],
};

/** What a move to each status must carry. */
export const REQUIREMENTS: Readonly<Partial<Record<ActionStatus, 'result' | 'note'>>> = {
  done: 'result',
  no_further_action: 'note',
  blocked: 'note',
  escalated: 'note',
};

export const STATUS_LABELS: Readonly<Record<ActionStatus, string>> = {
  open: 'open',
  in_progress: 'in progress',
  blocked: 'blocked',
  done: 'done',
  no_further_action: 'no further action',
  escalated: 'escalated',
};

export function isTerminal(status: ActionStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export function canTransition(from: ActionStatus, to: ActionStatus): boolean {
  return TRANSITIONS[from].includes(to);
}
