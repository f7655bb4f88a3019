import { describe, expect, it } from 'vitest';
import { createSystemActor, type PersonActor, ROLES, type Role } from '../../../services/access/actor.js';
import { assertCan, can, PERMISSIONS, type Permission } from '../../../services/access/permissions.js';

const person = (roles: Role[], unitId = 1): PersonActor => ({
  kind: 'person',
  personId: 7,
  label: 'Test',
  unitId,
  roles,
});

describe('permissions', () => {
  it('lets only the chair run meetings and record decisions', () => {
    for (const role of ROLES) {
      expect(can(person([role]), 'meeting.run', 1)).toBe(role === 'chair');
      expect(can(person([role]), 'decision.record', 1)).toBe(role === 'chair');
    }
  });

  it('gives partners the sanitised view only and no write permission', () => {
    const partner = person(['partner']);
    const granted = (Object.keys(PERMISSIONS) as Permission[]).filter((p) => can(partner, p, 1));
    expect(granted).toEqual(['sanitised.read']);
  });

  it('never grants anything on another unit', () => {
    const chair = person(['chair', 'admin'], 1);
    for (const permission of Object.keys(PERMISSIONS) as Permission[])
      expect(can(chair, permission, 2)).toBe(false);
  });

  it('lets the system actor do everything', () => {
    const system = createSystemActor('test');
    for (const permission of Object.keys(PERMISSIONS) as Permission[])
      expect(can(system, permission, 99)).toBe(true);
  });

  it('names the allowed roles in the refusal, in words a chair reads', () => {
    expect(() => assertCan(person(['member']), 'decision.record', 1)).toThrow(
      /^Only the chair may record decisions\.$/,
    );
    expect(() => assertCan(person(['member']), 'meeting.run', 1)).toThrow(
      /^Only the chair may run the meeting\.$/,
    );
    expect(() => assertCan(person(['member']), 'action.manage', 1)).toThrow(
      /^Only the chair or the action manager may manage actions\.$/,
    );
    expect(() => assertCan(person(['member']), 'priority.manage', 1)).toThrow(
      /^Only the chair, an analyst or an admin may manage control-strategy priorities\.$/,
    );
    expect(() => assertCan(person(['partner']), 'records.read', 1)).toThrow(
      /^Partners cannot read decisions and actions: they see the sanitised summary only\.$/,
    );
    expect(() => assertCan(person(['chair'], 2), 'decision.record', 1)).toThrow(/another unit/);
  });
});
