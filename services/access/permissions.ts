/**
 * Role checks, the only authorisation in the product: platforms' own roles are never trusted. A system actor
 * (CLI operator, job) may do everything and is still audited under its label.
 */
import { ForbiddenError } from '../errors.js';
import type { Actor, Role } from './actor.js';

export type Permission =
  | 'unit.manage'
  | 'membership.manage'
  | 'priority.manage'
  | 'meeting.run'
  | 'meeting.note'
  | 'meeting.attendance'
  | 'decision.record'
  | 'action.create'
  | 'action.manage'
  | 'records.read'
  | 'sanitised.read'
  | 'records.export'
  | 'incidents.import'
  | 'intelligence.record'
  | 'intelligence.approve';

const INTERNAL: readonly Role[] = ['chair', 'action_manager', 'analyst', 'member', 'admin'];

/** Which roles grant each permission. Only the chair runs the meeting and records decisions. */
export const PERMISSIONS: Readonly<Record<Permission, readonly Role[]>> = {
  'unit.manage': ['admin'],
  'membership.manage': ['admin'],
  'priority.manage': ['chair', 'analyst', 'admin'],
  'meeting.run': ['chair'],
  'meeting.note': ['chair', 'action_manager', 'analyst', 'member'],
  'meeting.attendance': ['chair'],
  'decision.record': ['chair'],
  'action.create': ['chair', 'action_manager', 'analyst', 'member'],
  'action.manage': ['chair', 'action_manager'],
  // Partners never see records in full: they get the sanitised views only.
  'records.read': INTERNAL,
  'sanitised.read': [...INTERNAL, 'partner'],
  'records.export': ['chair', 'action_manager', 'admin'],
  'incidents.import': ['analyst', 'admin'],
  // Anyone of the unit drafts a requirement and answers one; the chair approves and closes.
  'intelligence.record': ['chair', 'action_manager', 'analyst', 'member'],
  'intelligence.approve': ['chair'],
};

const DESCRIPTIONS: Readonly<Record<Permission, string>> = {
  'unit.manage': 'manage units',
  'membership.manage': 'manage memberships',
  'priority.manage': 'manage control-strategy priorities',
  'meeting.run': 'run the meeting',
  'meeting.note': 'add meeting notes',
  'meeting.attendance': 'record attendance',
  'decision.record': 'record decisions',
  'action.create': 'create actions',
  'action.manage': 'manage actions',
  'records.read': 'read decisions and actions',
  'sanitised.read': 'read the sanitised summary',
  'records.export': 'export records',
  'incidents.import': 'import incidents',
  'intelligence.record': 'record intelligence requirements and answers',
  'intelligence.approve': 'approve or close intelligence requirements',
};

/** Whether `actor` holds a role granting `permission` on `unitId`. */
export function can(actor: Actor, permission: Permission, unitId: number): boolean {
  if (actor.kind === 'system') return true;
  if (actor.unitId !== unitId) return false;
  const allowed = PERMISSIONS[permission];
  return actor.roles.some((r) => allowed.includes(r));
}

/** How a refusal names a role: "Only the chair may …", "Only the chair or an analyst may …". */
const ROLE_NAMES: Readonly<Record<Role, string>> = {
  chair: 'the chair',
  action_manager: 'the action manager',
  analyst: 'an analyst',
  member: 'a member',
  partner: 'a partner',
  admin: 'an admin',
};

function whoMay(allowed: readonly Role[]): string {
  const names = allowed.map((r) => ROLE_NAMES[r]);
  return names.length <= 1
    ? (names[0] ?? 'nobody')
    : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/** Throws `ForbiddenError` (code FORBIDDEN) naming the roles that would be allowed. */
export function assertCan(actor: Actor, permission: Permission, unitId: number): void {
  if (can(actor, permission, unitId)) return;
  const allowed = PERMISSIONS[permission];
  throw new ForbiddenError(
    actor.kind === 'person' && actor.unitId !== unitId
      ? `You are acting on another unit and cannot ${DESCRIPTIONS[permission]} here.`
      : INTERNAL.every((r) => allowed.includes(r)) && !allowed.includes('partner')
        ? `Partners cannot ${DESCRIPTIONS[permission]}: they see the sanitised summary only.`
        : `Only ${whoMay(allowed)} may ${DESCRIPTIONS[permission]}.`,
    { permission, allowedRoles: allowed, actorRoles: actor.roles },
  );
}
