/**
 * Typed domain errors with stable codes. Adapters map codes to user messages in one place; the codes are part
 * of the contract (tests and callers match on them), so never rename one.
 */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'CONFLICT'
  | 'INVALID_TRANSITION'
  | 'MEETING_NOT_OPEN'
  | 'MEETING_ALREADY_OPEN'
  | 'MEETING_CLOSED'
  | 'MEETING_NOT_CLOSED'
  | 'MINUTES_APPROVED'
  | 'AGENDA_AT_START'
  | 'AGENDA_AT_END'
  | 'DECISION_ALREADY_SUPERSEDED'
  | 'AMBIGUOUS'
  | 'UNAUTHENTICATED'
  | 'ALREADY_SUBMITTED';

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export interface FieldIssue {
  /** Dotted path of the field, e.g. `dueOn` or `rationale.information`. */
  readonly field: string;
  readonly message: string;
}

export class ValidationError extends DomainError {
  constructor(readonly issues: readonly FieldIssue[]) {
    super('VALIDATION_FAILED', issues.map((i) => `${i.field}: ${i.message}`).join('; '), { issues });
    this.name = 'ValidationError';
  }
  static field(field: string, message: string): ValidationError {
    return new ValidationError([{ field, message }]);
  }
}

export class NotFoundError extends DomainError {
  constructor(entity: string, id: string | number) {
    super('NOT_FOUND', `${entity} ${id} was not found`, { entity, id });
    this.name = 'NotFoundError';
  }
}

export class ForbiddenError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('FORBIDDEN', message, details);
    this.name = 'ForbiddenError';
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('CONFLICT', message, details);
    this.name = 'ConflictError';
  }
}

/** What a submission key already did: the record it created or changed. */
export interface PriorSubmission {
  readonly key: string;
  readonly verb: string;
  readonly personId: number | null;
  readonly actorLabel: string;
  readonly entityType: string | null;
  readonly entityId: number | null;
  readonly at: Date;
}

/**
 * The same submission (the same card's key) arrived again: nothing was changed. Carries what the first one did,
 * so the caller can answer with that record as it now is.
 */
export class AlreadySubmittedError extends DomainError {
  constructor(readonly prior: PriorSubmission) {
    super('ALREADY_SUBMITTED', `This was already submitted (${prior.verb}); nothing was changed again.`, {
      ...prior,
    });
    this.name = 'AlreadySubmittedError';
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}
