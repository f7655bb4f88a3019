/**
 * What the whole-DMM tests type into their forms, the same on every channel (console, Slack, Teams), and the
 * helpers they share.
 */
import type { PersonActor } from '../../services/access/actor.js';
import type { Services } from '../../services/index.js';
import { operator } from './fixtures.js';

/** A decision with its full National Decision Model rationale. */
export const DECISION_INPUTS = {
  text: 'Patrol the retail park from 16:00',
  information: 'Shoplifting series',
  threatRisk: 'Staff threatened',
  powersPolicy: 'Neighbourhood plan',
  optionsConsidered: 'Patrol; CCTV; nothing',
  chosenOption: 'Patrol: visible deterrent',
  marking: 'OFFICIAL',
} as const;

/** An action for `ownerPersonId`, due the day after the scenario's meeting. */
export function actionInputs(ownerPersonId: number, title = 'Visit the shop manager') {
  return {
    title,
    ownerPersonId: String(ownerPersonId),
    dueOn: '2026-05-12',
    category: 'reassurance',
    marking: 'OFFICIAL',
  };
}

/** Every Action.Execute on an Adaptive Card, in order (not their Action.Submit fallbacks). */
export function executeActions(card: unknown): Array<Record<string, unknown>> {
  const found: Array<Record<string, unknown>> = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const n = node as Record<string, unknown>;
      if (n.type === 'Action.Execute') found.push(n);
      for (const [key, value] of Object.entries(n)) if (key !== 'fallback') walk(value);
    }
  };
  walk(card);
  return found;
}

/**
 * Links each person to a platform identity (`idFor` gives their user id) and returns one client per role, made
 * by `client(userId)`.
 */
export async function linkPlatformUsers<R extends string, C>(
  services: Services,
  people: Record<R, PersonActor>,
  platform: 'slack' | 'teams',
  tenantId: string,
  idFor: (role: R, actor: PersonActor) => string,
  client: (userId: string) => C,
): Promise<Record<R, C>> {
  const made = {} as Record<R, C>;
  for (const role of Object.keys(people) as R[]) {
    const actor = people[role];
    const externalId = idFor(role, actor);
    await services.people.linkIdentity(operator, {
      personId: actor.personId,
      platform,
      tenantId,
      externalId,
    });
    made[role] = client(externalId);
  }
  return made;
}
