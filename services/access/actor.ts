/** Who is acting: a person with roles on one unit, or the system (CLI operator, scheduled jobs). */
export const ROLES = ['chair', 'action_manager', 'analyst', 'member', 'partner', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface PersonActor {
  readonly kind: 'person';
  readonly personId: number;
  readonly label: string;
  /** The unit the person is acting on; roles are those held on this unit. */
  readonly unitId: number;
  readonly roles: readonly Role[];
}

export interface SystemActor {
  readonly kind: 'system';
  readonly personId: null;
  /** Names the operator or job, e.g. `cli:alice` or `job:daily-brief`; recorded in the audit log. */
  readonly label: string;
  readonly unitId: null;
  readonly roles: readonly Role[];
}

export type Actor = PersonActor | SystemActor;

export function createSystemActor(label: string): SystemActor {
  return Object.freeze({
    kind: 'system',
    personId: null,
    label,
    unitId: null,
    roles: Object.freeze(['admin'] as Role[]),
  });
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
