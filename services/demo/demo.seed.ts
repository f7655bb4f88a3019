/**
 * Demo data for the quick start: one unit with a person in each role, control-strategy priorities, open
 * actions (one overdue, one due today, one blocked), yesterday's closed meeting with a decision and minutes,
 * and today's meeting scheduled. People are named by role, never with realistic personal names.
 * Runs only on a database with no units, so it never mixes with real data.
 */
import { createSystemActor, type PersonActor, type Role } from '../access/actor.js';
import type { Clock } from '../clock.js';
import { createServices, type Services } from '../index.js';
import { addDays, localDateOf, localDateTime } from '../time.js';
import { importGeneratedDemoIncidents } from './demo-generator.js';

export const DEMO_UNIT_CODE = 'demo';

/** The demo's personas, also used as console identities (`console:<key>`). */
export const DEMO_PERSONAS: ReadonlyArray<{ key: string; displayName: string; roles: Role[] }> = [
  { key: 'chair', displayName: 'Supt Demo Chair', roles: ['chair'] },
  { key: 'action-manager', displayName: 'Insp Demo Action Manager', roles: ['action_manager'] },
  { key: 'response-inspector', displayName: 'Insp Demo Response', roles: ['member'] },
  { key: 'neighbourhood-sergeant', displayName: 'PS Demo Neighbourhood', roles: ['member'] },
  { key: 'analyst', displayName: 'Demo Analyst', roles: ['analyst'] },
  { key: 'partner', displayName: 'Demo Partner (Community Safety)', roles: ['partner'] },
  { key: 'admin', displayName: 'Demo Administrator', roles: ['admin'] },
];

const DAY_MS = 24 * 60 * 60 * 1000;

function shiftedClock(clock: Clock, days: number): Clock {
  return { now: () => new Date(clock.now().getTime() + days * DAY_MS) };
}

export async function seedDemo(
  services: Services,
): Promise<{ created: boolean; unitCode: string; incidents: number | null }> {
  if ((await services.units.list()).length > 0)
    return { created: false, unitCode: DEMO_UNIT_CODE, incidents: null };
  const operator = createSystemActor('demo-seed');
  // Services of other moments (the demo's past) sign the audit log with the same keys.
  const same = { db: services.db, ...(services.auditKeyring ? { auditKeyring: services.auditKeyring } : {}) };
  const unit = await services.units.create(operator, {
    code: DEMO_UNIT_CODE,
    name: 'Demo BCU (North)',
    timeZone: 'Europe/London',
    briefTime: '07:00',
  });
  const actors = new Map<string, PersonActor>();
  for (const persona of DEMO_PERSONAS) {
    const person = await services.people.create(operator, { displayName: persona.displayName });
    await services.people.linkIdentity(operator, {
      personId: person.id,
      platform: 'console',
      externalId: persona.key,
    });
    for (const role of persona.roles) {
      await services.people.addMembership(operator, { unitId: unit.id, personId: person.id, role });
    }
    actors.set(persona.key, await services.people.actorFor(person.id, unit.id));
  }
  const get = (key: string): PersonActor => {
    const actor = actors.get(key);
    if (!actor) throw new Error(`demo persona ${key} missing`);
    return actor;
  };
  const chair = get('chair');
  const analyst = get('analyst');

  const today = localDateOf(services.clock.now(), unit.timeZone);
  // The priorities were set by the TT&CG four weeks ago, so the TT&CG pack of the last fortnight has them.
  const setOn = addDays(today, -28);
  const burglary = await services.priorities.create(analyst, {
    startsOn: setOn,
    unitId: unit.id,
    title: 'Residential burglary',
    description: 'Reduce dwelling burglary; protect repeat victims.',
    morileScore: 420,
    matchingRules: { keywords: ['burglar'] },
    // The TT&CG names who owns the delivery plan, the objective it serves and when it reviews it.
    ownerPersonId: get('response-inspector').personId,
    objective: 'Reduce dwelling burglary by 10% this quarter',
    reviewOn: addDays(today, 10),
  });
  await services.priorities.create(analyst, {
    unitId: unit.id,
    title: 'Violence against women and girls',
    startsOn: setOn,
    morileScore: 510,
    matchingRules: { qualifiers: ['domestic'] },
  });
  await services.priorities.create(analyst, {
    unitId: unit.id,
    title: 'Drug supply and county lines',
    startsOn: setOn,
    morileScore: 380,
    matchingRules: { qualifiers: ['drugs'] },
  });
  await services.priorities.create(analyst, {
    unitId: unit.id,
    title: 'Anti-social behaviour hotspots',
    startsOn: setOn,
    morileScore: 250,
    matchingRules: { nsirChapters: ['asb_personal', 'asb_nuisance', 'asb_environmental'] },
  });

  // Actions raised three days ago, so one is now overdue.
  const past = createServices({ ...same, clock: shiftedClock(services.clock, -3) });
  const threeDaysAgo = addDays(today, -3);
  await past.actions.create(chair, {
    unitId: unit.id,
    title: 'Crime prevention visits to the 12 addresses around the Elm Road burglaries',
    ownerPersonId: get('neighbourhood-sergeant').personId,
    dueOn: addDays(threeDaysAgo, 2),
    category: 'prevention',
    priorityId: burglary.id,
  });
  const cctv = await past.actions.create(chair, {
    unitId: unit.id,
    title: 'Retrieve CCTV from the retail park for the weekend robbery',
    ownerPost: 'Duty Inspector, Response',
    dueOn: addDays(threeDaysAgo, 4),
    category: 'intelligence',
  });
  await past.actions.changeStatus(get('action-manager'), cctv.id, {
    status: 'blocked',
    note: 'Site manager on leave until Monday',
  });

  // Yesterday's meeting at 09:00 local time: opened, one decision and one action, closed with minutes.
  const yesterdayAt = (time: string): Clock => {
    const at = localDateTime(addDays(today, -1), time, unit.timeZone);
    return { now: () => at };
  };
  const yesterday = createServices({ ...same, clock: yesterdayAt('09:00') });
  const meeting = await yesterday.meetings.start(chair, unit.id);
  await yesterday.meetings.recordAttendance(chair, meeting.id, {
    personId: get('action-manager').personId,
    present: true,
  });
  await yesterday.meetings.recordAttendance(chair, meeting.id, {
    personId: get('analyst').personId,
    present: true,
  });
  await yesterday.meetings.next(chair, meeting.id);
  await yesterday.meetings.next(chair, meeting.id);
  const patrols = await yesterday.decisions.record(chair, {
    unitId: unit.id,
    text: 'Deploy high-visibility patrols to the Elm Road estate for three nights',
    rationale: {
      information: 'Three dwelling burglaries in 48 hours on one estate, same method of entry.',
      threatRisk: 'Likely further offences; two victims are elderly and live alone.',
      powersPolicy: 'Force burglary response policy; neighbourhood policing plan.',
      optionsConsidered: 'No change; high-visibility patrols; covert observation.',
      chosenOption: 'High-visibility patrols 22:00 to 04:00: quickest reassurance and deterrence.',
      reviewPoint: 'Review at the DMM in three days',
    },
    priorityId: burglary.id,
    // Three days from yesterday's meeting: the DMM of that day reviews it.
    reviewOn: addDays(today, 2),
  });
  await yesterday.actions.create(chair, {
    unitId: unit.id,
    title: 'Patrol plan for Elm Road, 22:00 to 04:00, three nights',
    ownerPersonId: get('response-inspector').personId,
    // It carries out the decision just recorded.
    decisionId: patrols.id,
    dueOn: today,
    category: 'enforcement',
    priorityId: burglary.id,
  });
  await createServices({ ...same, clock: yesterdayAt('09:40') }).meetings.close(chair, meeting.id);
  // The chair read the minutes back and approved them after the meeting.
  await createServices({ ...same, clock: yesterdayAt('10:15') }).meetings.approve(chair, meeting.id);

  await services.priorities.create(analyst, {
    unitId: unit.id,
    title: 'Weapons and firearms',
    startsOn: setOn,
    morileScore: 480,
    matchingRules: { qualifiers: ['weapon', 'firearm'] },
  });
  await services.meetings.schedule(chair, unit.id);
  // What happens in the next 24 hours (the brief's forward look), one item above OFFICIAL.
  // In the 24 hours after today's brief time (07:00), so that today's brief shows them.
  const at = (date: string, time: string) => localDateTime(date, time, unit.timeZone).toISOString();
  await services.forwardLook.create(analyst, {
    unitId: unit.id,
    kind: 'event',
    title: 'Town Centre football match, 3,000 expected',
    startsAt: at(today, '15:00'),
    endsAt: at(today, '17:00'),
    location: 'Town Centre stadium',
    marking: 'OFFICIAL',
  });
  await services.forwardLook.create(analyst, {
    unitId: unit.id,
    kind: 'warrant',
    title: 'Drugs warrant, Westgate (Operation Demo)',
    startsAt: at(addDays(today, 1), '05:00'),
    endsAt: null,
    location: 'Westgate',
    marking: 'OFFICIAL-SENSITIVE',
  });
  // Generated incidents (services/demo/demo-generator.ts, proportions from the public files beside the project);
  // the real files stay the import examples and the test data.
  const generated = await importGeneratedDemoIncidents(services, unit.id);
  return { created: true, unitCode: unit.code, incidents: generated.inserted };
}
