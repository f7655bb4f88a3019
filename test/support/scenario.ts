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

/**
 * The meeting a chair signs off (issue 16, "Done when"), the same on every surface: a previous action blocked
 * yesterday with its reason, a critical firearms discharge in the last 24 hours, attendance with an apology,
 * the exception discussed in section 2, notes in sections 6, 7 and 9, a decision, an action, the read-back,
 * close, approve and the PDF.
 */
export const SIGN_OFF = {
  previousAction: 'Patrol plan for Elm Road',
  blockedReason: 'Site manager on leave until Monday',
  exceptionRef: 'FD-0511',
  apology: 'Court',
  /** The note that records the exception's discussion, taken in its section (2). */
  exceptionNote: 'FD-0511 discussed: armed response attended, scene handed to CID',
  notes: {
    6: 'Two suspects wanted for the Elm Road burglaries',
    7: 'Community tension after the weekend march',
    9: 'Lates are two officers short on Friday',
  },
} as const;

/** Sets the scene at the clock's time (the day of the meeting): yesterday's blocked action and the exception. */
export async function prepareSignOff(
  services: Services,
  f: { unit: { id: number }; chair: PersonActor; manager: PersonActor },
  clock: { now(): Date; set(to: Date): void },
): Promise<{ previousActionId: number }> {
  const now = clock.now();
  const hoursBefore = (h: number) => new Date(now.getTime() - h * 3_600_000);
  clock.set(hoursBefore(22));
  const previous = await services.actions.create(f.chair, {
    unitId: f.unit.id,
    title: SIGN_OFF.previousAction,
    ownerPersonId: f.manager.personId as number,
    dueOn: now.toISOString().slice(0, 10),
    category: 'enforcement',
  });
  clock.set(hoursBefore(17));
  await services.actions.changeStatus(f.manager, previous.id, {
    status: 'blocked',
    note: SIGN_OFF.blockedReason,
  });
  clock.set(now);
  const { loadProfile } = await import('../../services/incidents/profile.js');
  const generic = await loadProfile('generic-uk-cad');
  const record = {
    incident_ref: SIGN_OFF.exceptionRef,
    opened_at: hoursBefore(12).toISOString(),
    closed_at: hoursBefore(11).toISOString(),
    closing_type: 'ARREST',
    grade_initial: '1',
    critical: 'Y',
    opening_type: 'FIREARMS DISCHARGE',
    nsir_chapter: 'crime',
    area: 'Elm Road',
  };
  const { summary } = await services.incidentImports.importRecords(operator, {
    unitId: f.unit.id,
    profile: generic,
    label: 'sign-off scene',
    records: [{ record, raw: JSON.stringify(record) }],
  });
  if (summary.inserted !== 1)
    throw new Error(`the scene's incident was not stored: ${JSON.stringify(summary)}`);
  return { previousActionId: previous.id };
}

/**
 * What the signed-off minutes must hold, whatever the surface (each a plain phrase of the minutes); `apologised`
 * is the person who sent apologies.
 */
export function signOffExpectations(apologised: PersonActor, previousActionId: number): string[] {
  return [
    `${apologised.label} (${SIGN_OFF.apology})`,
    `Reviewed A-${previousActionId}: ${SIGN_OFF.previousAction}`,
    SIGN_OFF.blockedReason,
    `Exception ${SIGN_OFF.exceptionRef}`,
    SIGN_OFF.exceptionNote,
    ...Object.values(SIGN_OFF.notes),
    DECISION_INPUTS.text,
    'Visit the shop manager',
    'Approved by ',
  ];
}
