/**
 * A unit with one person in each role, created through the services (so the audit log is real). Names are
 * role labels, never invented personal data.
 */
import { randomBytes } from 'node:crypto';
import type { PersonActor, Role } from '../../services/access/actor.js';
import { createSystemActor } from '../../services/access/actor.js';
import type { Services } from '../../services/index.js';
import type { Unit } from '../../services/units/unit.service.js';

export const operator = createSystemActor('test:operator');

export interface UnitFixture {
  readonly unit: Unit;
  readonly chair: PersonActor;
  readonly manager: PersonActor;
  readonly owner: PersonActor;
  readonly member: PersonActor;
  readonly analyst: PersonActor;
  readonly partner: PersonActor;
  readonly admin: PersonActor;
}

export async function createUnitFixture(
  services: Services,
  options: { code?: string; categoryScheme?: 'PIER' | '4P'; timeZone?: string } = {},
): Promise<UnitFixture> {
  const code = options.code ?? `u-${randomBytes(4).toString('hex')}`;
  const unit = await services.units.create(operator, {
    code,
    name: `Test unit ${code}`,
    categoryScheme: options.categoryScheme ?? 'PIER',
    timeZone: options.timeZone ?? 'Europe/London',
  });
  const make = async (label: string, role: Role): Promise<PersonActor> => {
    const person = await services.people.create(operator, { displayName: `${label} (${code})` });
    await services.people.addMembership(operator, { unitId: unit.id, personId: person.id, role });
    return services.people.actorFor(person.id, unit.id);
  };
  return {
    unit,
    chair: await make('Chair', 'chair'),
    manager: await make('Action manager', 'action_manager'),
    owner: await make('Action owner', 'member'),
    member: await make('Member', 'member'),
    analyst: await make('Analyst', 'analyst'),
    partner: await make('Partner', 'partner'),
    admin: await make('Admin', 'admin'),
  };
}
