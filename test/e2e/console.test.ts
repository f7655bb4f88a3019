/**
 * The local console over real HTTP: a whole DMM driven through the API its page uses (commands and card
 * submissions), every reply an Adaptive Card from the shared router; the partner sees the sanitised brief only
 * and cannot open forms that write.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createFixedClock } from '../../services/clock.js';
import { useApp } from '../support/app.js';
import { adaptiveCardProblems } from '../support/cards.js';
import { type ConsoleSession, openConsole } from '../support/console-client.js';
import { BACKENDS } from '../support/database.js';
import { createUnitFixture, type UnitFixture } from '../support/fixtures.js';
import { expectPdfHolds } from '../support/pdf.js';
import {
  actionInputs,
  DECISION_INPUTS,
  executeActions,
  prepareSignOff,
  SIGN_OFF,
  signOffExpectations,
} from '../support/scenario.js';

type Json = Record<string, unknown>;

const actionsOf = (card: Json) => executeActions(card);

const localDate = (at: Date) => at.toISOString().slice(0, 10);

const textOf = (cards: Json[]) => JSON.stringify(cards).replace(/\\\\/g, '');

describe.each(BACKENDS)('the local console on %s', (backend) => {
  const clock = createFixedClock('2026-05-11T08:00:00Z');
  const ctx = useApp(backend, clock);
  let f: UnitFixture;
  let page: ConsoleSession;

  beforeAll(async () => {
    f = await createUnitFixture(ctx.services, { code: 'console' });
    page = await openConsole(ctx.url);
  });

  /** The page's two routes for one unit: a typed command, and a press of a card's button (with its inputs). */
  function onUnit(unitId: () => number) {
    async function post(route: string, personId: number, body: Json): Promise<Json[]> {
      const res = await page.post(route, { unitId: unitId(), personId, ...body });
      expect(res.status).toBe(200);
      const { cards } = (await res.json()) as { cards: Json[] };
      for (const card of cards) expect(adaptiveCardProblems(card as never)).toEqual([]);
      return cards;
    }
    return {
      post,
      say: (personId: number, text: string) => post('message', personId, { text }),
      press: (personId: number, action: Json, inputs: Json = {}) =>
        post('submit', personId, { data: action.data, inputs }),
    };
  }
  const { post, say, press } = onUnit(() => f.unit.id);
  const button = (cards: Json[], title: string) => {
    const found = cards.flatMap(actionsOf).find((a) => a.title === title);
    if (!found) throw new Error(`no button '${title}' in ${textOf(cards).slice(0, 400)}`);
    return found;
  };

  it('logs a brief shown in the console as a consultation, as the CLI logs what it prints (issue 14; none on 54b6730)', async () => {
    const before = await ctx.services.audit.list({ entityType: 'brief' });
    await say(f.member.personId, 'dmm brief');
    const after = await ctx.services.audit.list({ entityType: 'brief' });
    const consulted = after.slice(before.length).filter((e) => e.operation === 'consultation');
    expect(consulted).toHaveLength(1);
    expect(consulted[0]).toMatchObject({
      actorPersonId: f.member.personId,
      channel: 'console',
      entityId: expect.stringMatching(/^console:\d{4}-\d{2}-\d{2}$/),
      after: { audience: 'internal', exceptions: [] },
    });
  });

  it('serves the page, the official renderer and the unit people', async () => {
    const page = await fetch(`${ctx.url}/console`);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await page.text()).toContain('dmm-bot console');
    const renderer = await fetch(`${ctx.url}/console/adaptivecards.js`);
    expect(renderer.status).toBe(200);
    expect((await renderer.text()).length).toBeGreaterThan(100_000);
    const people = (await (await fetch(`${ctx.url}/console/api/people?unit=${f.unit.id}`)).json()) as {
      people: Array<{ name: string; roles: string[] }>;
    };
    expect(people.people.map((p) => p.roles[0])).toEqual(
      expect.arrayContaining(['chair', 'member', 'partner', 'action_manager']),
    );
    // The chair comes first, so a visitor starts as the person who runs the meeting.
    expect(people.people[0]?.roles).toEqual(['chair']);
  });

  it('runs a whole DMM: every section, a decision, an action done by its owner, the minutes', async () => {
    const chair = f.chair.personId;
    const owner = f.owner.personId;
    await ctx.services.meetings.schedule(f.chair, f.unit.id);
    let cards = await press(chair, button(await say(chair, 'dmm meeting'), 'Start meeting'));
    expect(textOf(cards)).toContain('1. Previous actions');
    for (let section = 2; section <= 10; section += 1) {
      cards = await press(chair, button(cards, 'Next section'));
      expect(textOf(cards)).toContain(`${section}. `);
    }
    expect(textOf(cards)).toContain('Read-back of decisions and actions');

    const form = await press(chair, button(cards, 'Record a decision'));
    const decision = await press(chair, button(form, 'Record decision'), DECISION_INPUTS);
    expect(textOf(decision)).toMatch(/Decision #\d+/);

    const actionForm = await press(chair, button(cards, 'New action'));
    let action = await press(chair, button(actionForm, 'Create action'), actionInputs(owner));
    const id = /Action #(\d+)/.exec(textOf(action))?.[1];
    expect(id).toBeDefined();

    // The read-back reads back what this meeting recorded (issue 16, item 5: it listed nothing on 54b6730).
    const readBack = textOf(await say(chair, 'dmm meeting'));
    expect(readBack).toContain('Decisions recorded (1)');
    expect(readBack).toMatch(/#\d+ Patrol the retail park from 16:00/);
    expect(readBack).toContain('Actions raised (1)');
    expect(readBack).toMatch(/#\d+ Visit the shop manager: [^,]+, due 2026-05-1\d/);

    // The action manager's chasing list groups open actions by owner.
    const byOwner = textOf(await say(f.manager.personId, 'dmm actions by-owner'));
    expect(byOwner).toContain('Open actions by owner');
    expect(byOwner).toContain(`${f.owner.label} (1)`);
    // The owner finds it among their actions and moves it on from the card.
    expect(textOf(await say(owner, 'dmm actions mine'))).toContain('Visit the shop manager');
    action = await say(owner, `dmm action ${id}`);
    action = await press(owner, button(action, 'Start'));
    expect(textOf(action)).toContain('In progress');
    const doneForm = await press(owner, button(action, 'Done…'));
    action = await press(owner, button(doneForm, 'Done'), { result: 'Manager visited; CCTV offered' });
    expect(textOf(action)).toContain('Manager visited; CCTV offered');
    expect(actionsOf(action[0] as Json)).toEqual([]);

    const closed = await press(chair, button(await say(chair, 'dmm meeting'), 'Close meeting'));
    const minutes = textOf(closed);
    expect(minutes).toContain('DMM minutes: ');
    expect(minutes).toContain('Patrol the retail park from 16:00');
    expect(minutes).toContain('Visit the shop manager');
  });

  it('takes notes in sections 6, 7 and 9 by command and by button, from any member, once per press, into the minutes (issue 16, item 1; `dmm note` was an unknown command on 54b6730)', async () => {
    const g = await createUnitFixture(ctx.services, { code: 'console-notes' });
    const { say: say2, press: press2 } = onUnit(() => g.unit.id);
    const chair = g.chair.personId;
    await ctx.services.meetings.schedule(g.chair, g.unit.id);
    let cards = await press2(chair, button(await say2(chair, 'dmm meeting'), 'Start meeting'));
    const next = async () => {
      cards = await press2(chair, button(cards, 'Next section'));
    };
    for (let section = 2; section <= 6; section += 1) await next();
    expect(textOf(cards)).toContain('6. ');
    // By command, from a member (not the chair), text kept as typed.
    let reply = await say2(g.member.personId, 'dmm note Two prolific offenders released on licence *today*');
    expect(textOf(reply)).toContain('Two prolific offenders released on licence *today*');
    expect(textOf(reply)).toContain('Notes');
    await next();
    expect(textOf(cards)).toContain('7. ');
    // By the button on the section, from the sergeant's own view of the meeting; pressed twice, kept once.
    const own = await say2(g.manager.personId, 'dmm meeting');
    const form = await press2(g.manager.personId, button(own, 'Add a note'));
    expect(textOf(form)).toContain('To the current section: Intelligence and community tension');
    const submit = button(form, 'Add note');
    reply = await press2(g.manager.personId, submit, {
      text: 'Tension after the weekend march',
      marking: 'OFFICIAL',
    });
    expect(textOf(reply)).toContain('Tension after the weekend march');
    await press2(g.manager.personId, submit, {
      text: 'Tension after the weekend march',
      marking: 'OFFICIAL',
    });
    await next();
    await next();
    expect(textOf(cards)).toContain('9. ');
    await say2(chair, 'dmm note Two officers short on nights; mutual aid asked');
    // A partner may not add notes, and is told so.
    expect(textOf(await say2(g.partner.personId, 'dmm note anything'))).toMatch(/cannot add notes/i);
    // An empty note from the form names the field.
    const empty = await press2(
      g.member.personId,
      button(
        await press2(g.member.personId, button(await say2(g.member.personId, 'dmm meeting'), 'Add a note')),
        'Add note',
      ),
      { text: '  ', marking: 'OFFICIAL' },
    );
    expect(textOf(empty)).toMatch(/text/i);

    const meeting = await ctx.services.meetings.findForDate(g.chair, g.unit.id);
    const notes = await ctx.services.meetings.notes(g.chair, meeting?.id as number);
    expect(notes.map((n) => n.text)).toEqual([
      'Two prolific offenders released on licence *today*',
      'Tension after the weekend march',
      'Two officers short on nights; mutual aid asked',
    ]);
    const closed = await press2(chair, button(await say2(chair, 'dmm meeting'), 'Close meeting'));
    const minutes = textOf(closed);
    const at = (t: string) => minutes.indexOf(t);
    expect(at('Tension after the weekend march')).toBeGreaterThan(at('Two prolific offenders'));
    expect(at('Two officers short on nights')).toBeGreaterThan(at('Tension after the weekend march'));
    expect(at('Two prolific offenders')).toBeGreaterThan(at('6. '));
  });

  it('records attendance by button and command, apologies with their reason, the chair correcting, into the minutes (issue 16, item 2: guessed from the chair alone on 54b6730)', async () => {
    const g = await createUnitFixture(ctx.services, { code: 'console-attend' });
    const { say: say2, press: press2 } = onUnit(() => g.unit.id);
    const chair = g.chair.personId;
    await ctx.services.meetings.schedule(g.chair, g.unit.id);
    // Apologies before the meeting starts, by command.
    let reply = textOf(await say2(g.owner.personId, 'dmm apologies On a course until Friday'));
    expect(reply).toContain(`#${g.owner.personId} ${g.owner.label}: apologies (On a course until Friday)`);
    await press2(chair, button(await say2(chair, 'dmm meeting'), 'Start meeting'));
    // The member is here, by the button on their own view of the meeting; pressed twice, one record.
    const own = await say2(g.member.personId, 'dmm meeting');
    const here = button(own, "I'm here");
    reply = textOf(await press2(g.member.personId, here));
    expect(reply).toContain(`${g.member.label}: present`);
    await press2(g.member.personId, here);
    // The analyst's apologies, by the form.
    const form = await press2(
      g.analyst.personId,
      button(await say2(g.analyst.personId, 'dmm meeting'), 'Apologies…'),
    );
    reply = textOf(await press2(g.analyst.personId, button(form, 'Send apologies'), { apology: 'Court' }));
    expect(reply).toContain(`${g.analyst.label}: apologies (Court)`);
    // Only the chair corrects someone else; the chair marks the action manager absent.
    expect(textOf(await say2(g.member.personId, `dmm attendance ${g.manager.personId} present`))).toMatch(
      /only the chair/i,
    );
    reply = textOf(await say2(chair, `dmm attendance ${g.manager.personId} absent`));
    expect(reply).toContain(`${g.manager.label}: absent`);
    expect(reply).toContain(`${g.admin.label}: not recorded`);
    expect(reply).not.toContain(g.partner.label);

    const closed = await press2(chair, button(await say2(chair, 'dmm meeting'), 'Close meeting'));
    const minutes = textOf(closed);
    expect(minutes).toMatch(/"title":"Present","value":"[^"]*Chair \(console-attend\)/);
    expect(minutes).toMatch(/"title":"Present","value":"[^"]*Member \(console-attend\)/);
    expect(minutes).toContain(
      '"title":"Apologies","value":"Action owner (console-attend) (On a course until Friday); Analyst (console-attend) (Court)"',
    );
    expect(minutes).toContain('"title":"Absent","value":"Action manager (console-attend)"');
    const recorded = await ctx.services.meetings.attendance(
      g.chair,
      (await ctx.services.meetings.findForDate(g.chair, g.unit.id))?.id as number,
    );
    expect(recorded).toHaveLength(5);
  });

  it('signs off a whole DMM: attendance with an apology, the exception discussed in its section, notes in 6, 7 and 9, a previous action reviewed, a decision, an action, read-back, close, approve once, PDF (issue 16, done when; no approval or PDF on 54b6730)', async () => {
    const g = await createUnitFixture(ctx.services, { code: 'console-signoff' });
    const { previousActionId } = await prepareSignOff(ctx.services, g, clock);
    const { say: say2, press: press2 } = onUnit(() => g.unit.id);
    const chair = g.chair.personId;
    let cards = await say2(chair, 'dmm meeting start');
    // Section 1 shows yesterday's blocked action for review.
    expect(textOf(cards)).toContain(SIGN_OFF.previousAction);
    await say2(g.member.personId, 'dmm here');
    await say2(g.manager.personId, `dmm apologies ${SIGN_OFF.apology}`);
    // Section 2 shows the firearms discharge; the exception is discussed there.
    cards = await press2(chair, button(cards, 'Next section'));
    expect(textOf(cards)).toContain(SIGN_OFF.exceptionRef);
    await say2(g.member.personId, `dmm note ${SIGN_OFF.exceptionNote}`);
    for (let section = 3; section <= 9; section += 1) {
      cards = await press2(chair, button(await say2(chair, 'dmm meeting'), 'Next section'));
      expect(textOf(cards)).toContain(`${section}. `);
      const note = SIGN_OFF.notes[section as keyof typeof SIGN_OFF.notes];
      if (note) await say2(section === 7 ? g.analyst.personId : g.member.personId, `dmm note ${note}`);
    }
    const decisionForm = await press2(chair, button(cards, 'Record a decision'));
    await press2(chair, button(decisionForm, 'Record decision'), DECISION_INPUTS);
    const actionForm = await press2(chair, button(cards, 'New action'));
    await press2(chair, button(actionForm, 'Create action'), actionInputs(g.owner.personId));
    cards = await press2(chair, button(await say2(chair, 'dmm meeting'), 'Next section'));
    expect(textOf(cards)).toContain('Decisions recorded (1)');
    expect(textOf(cards)).toContain('Actions raised (1)');

    const closed = await press2(chair, button(cards, 'Close meeting'));
    expect(textOf(closed)).toContain('Closed, not yet approved');
    const approve = button(closed, 'Approve minutes');
    const approved = await press2(chair, approve);
    const minutes = textOf(approved);
    for (const expected of signOffExpectations(g.manager, previousActionId))
      expect(minutes).toContain(expected);
    // One press, one approval: pressing the same button again changes nothing.
    expect(textOf(await press2(chair, approve))).toContain('Approved by ');
    const meetingId = (approve.data as { meetingId: number }).meetingId;
    const approvals = (
      await ctx.services.audit.list({ entityType: 'meeting', entityId: String(meetingId) })
    ).filter((e) => (e.after as { status?: string } | null)?.status === 'approved');
    expect(approvals).toHaveLength(1);
    expect(actionsOf(approved[0] as Json).map((a) => a.title)).toEqual(['Add an addendum', 'Download PDF']);

    // The PDF for the file, read with the chair's rights; a partner may not have it.
    const pdf = await page.post('minutes.pdf', { unitId: g.unit.id, personId: chair, meetingId });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(pdf.headers.get('content-disposition')).toMatch(
      /attachment; filename="dmm-minutes-\d{4}-\d{2}-\d{2}\.pdf"/,
    );
    const bytes = Buffer.from(await pdf.arrayBuffer());
    expectPdfHolds(bytes, signOffExpectations(g.manager, previousActionId), 'OFFICIAL');
    const partner = await page.post('minutes.pdf', {
      unitId: g.unit.id,
      personId: g.partner.personId,
      meetingId,
    });
    expect(partner.status).toBe(400);
    expect(((await partner.json()) as { error: string }).error).toBe('forbidden');
  });

  it('approves by command, and corrects approved minutes by addendum only, the chair alone (issue 16, item 6)', async () => {
    const g = await createUnitFixture(ctx.services, { code: 'console-addendum' });
    const { say: say2, press: press2 } = onUnit(() => g.unit.id);
    const chair = g.chair.personId;
    await say2(chair, 'dmm meeting start');
    await say2(g.member.personId, 'dmm note Tension after the weekend march');
    const open = await say2(chair, 'dmm minutes approve');
    expect(textOf(open)).toContain('minutes are approved once it is closed');
    await say2(chair, 'dmm meeting close');
    // Not the chair: no approval, and the member's card offers no chair buttons.
    expect(textOf(await say2(g.member.personId, 'dmm minutes approve'))).toContain('Only the chair');
    const memberView = await say2(g.member.personId, 'dmm minutes');
    expect(actionsOf(memberView[0] as Json).map((a) => a.title)).toEqual(['Download PDF']);
    const approved = await say2(chair, 'dmm minutes approve');
    expect(textOf(approved)).toContain('Approved by ');
    expect(textOf(await say2(chair, 'dmm minutes approve'))).toContain('were approved already');

    // A correction: by the form of the Add an addendum button, and by command with a date.
    const form = await press2(chair, button(approved, 'Add an addendum'));
    expect(textOf(form)).toContain('The approved minutes stay as they were');
    const empty = await page.post('submit', {
      unitId: g.unit.id,
      personId: chair,
      data: button(form, 'Add').data,
      inputs: { text: ' ', marking: 'OFFICIAL' },
    });
    expect(((await empty.json()) as { fieldErrors?: Record<string, string> }).fieldErrors).toHaveProperty(
      'text',
    );
    const added = await press2(chair, button(form, 'Add'), {
      text: 'The march was on Saturday, not Sunday',
      marking: 'OFFICIAL-SENSITIVE',
    });
    expect(textOf(added)).toContain('The march was on Saturday, not Sunday [OFFICIAL-SENSITIVE]');
    expect(textOf(added)).toContain('after approval');
    const today = localDate(clock.now());
    const byCommand = await say2(
      chair,
      `dmm minutes addendum ${today} Present also: PCSO from the next beat`,
    );
    expect(textOf(byCommand)).toContain('Addenda (2)');
    expect(textOf(byCommand)).toContain('Present also: PCSO from the next beat');
    expect(textOf(await say2(g.member.personId, 'dmm minutes addendum not mine to add'))).toContain(
      'Only the chair',
    );
    // The record itself is as approved: the note is still the one taken in the meeting.
    const view = await ctx.services.meetings.getMinutes(g.chair, g.unit.id);
    expect(view.record?.agenda.flatMap((a) => a.notes.map((n) => n.text))).toEqual([
      'Tension after the weekend march',
    ]);
    expect(view.addenda).toHaveLength(2);
    expect(view.marking).toBe('OFFICIAL-SENSITIVE');
  });

  it('answers a repeated press with the action as it is now, and a stale card with a conflict', async () => {
    const created = await say(f.manager.personId, 'dmm action new');
    const action = await press(f.manager.personId, button(created, 'Create action'), {
      title: 'Check the CCTV',
      ownerPersonId: String(f.owner.personId),
      dueOn: '2026-05-12',
      category: 'intelligence',
      marking: 'OFFICIAL',
    });
    const id = Number(/Action #(\d+)/.exec(textOf(action))?.[1]);
    // A second copy of the card, drawn before the change (its own keys, the old version).
    const copy = await say(f.owner.personId, `dmm action ${id}`);
    const start = button(action, 'Start');
    await press(f.owner.personId, start);
    // The same press again (a double click): nothing changes, the card shows it as it is.
    const again = await press(f.owner.personId, start);
    expect(textOf(again)).not.toMatch(/changed by someone else/i);
    expect(textOf(again)).toContain('In progress');
    // The copy carries the old version: refused, and shown as it is now.
    const stale = await press(f.owner.personId, button(copy, 'Start'));
    expect(textOf(stale)).toMatch(/changed by someone else/i);
    expect(textOf(stale)).toContain('In progress');
    const history = await ctx.services.actions.history(f.manager, id);
    expect(history.filter((h) => h.kind === 'status')).toHaveLength(1);
  });

  it('gives the partner the sanitised brief only, and no form that writes', async () => {
    const partner = f.partner.personId;
    const brief = textOf(await say(partner, 'dmm brief'));
    expect(brief).toContain('Partner brief');
    const refusals: Array<[string, RegExp]> = [
      ['dmm decide', /Only the chair records decisions/],
      ['dmm action new', /Partners cannot create actions/],
      ['dmm actions all', /read decisions and actions/],
    ];
    for (const [text, why] of refusals) {
      const reply = await say(partner, text);
      expect(textOf(reply)).toMatch(why);
      expect(reply.flatMap(actionsOf)).toEqual([]);
      expect(JSON.stringify(reply).includes('Input.')).toBe(false);
    }
    const forged = await post('submit', partner, {
      data: { v: 1, verb: 'action.form', unitId: f.unit.id },
      inputs: {},
    });
    expect(textOf(forged)).toContain('Partners cannot create actions');
  });

  it('snoozes reminders of an action from the reminder card, for its owner only', async () => {
    const action = await ctx.services.actions.create(f.chair, {
      unitId: f.unit.id,
      title: 'Call the school',
      ownerPersonId: f.owner.personId,
      dueOn: '2026-05-11',
      category: 'prevention',
    });
    const snooze = { v: 1, verb: 'action.snooze', actionId: action.id, days: 3 };
    const done = textOf(await post('submit', f.owner.personId, { data: snooze, inputs: {} }));
    expect(done).toContain(`No reminders of action #${action.id} until 2026-05-14`);
    const refused = textOf(await post('submit', f.member.personId, { data: snooze, inputs: {} }));
    expect(refused).toContain(
      `Only the owner, the action manager or the chair may snooze action ${action.id}`,
    );
  });

  it('shows the incidents and priorities of the last 24 hours, filtered by a word', async () => {
    const incidents = textOf(await say(f.analyst.personId, 'dmm incidents'));
    expect(incidents).toContain('Incidents, last 24 hours');
    expect(incidents).toContain('incidents in all');
    const filtered = textOf(await say(f.analyst.personId, 'dmm incidents 24h zzz-no-such-thing'));
    expect(filtered).toContain("Nothing in the last 24 hours names 'zzz-no-such-thing'");
    expect(textOf(await say(f.analyst.personId, 'dmm priorities'))).toContain('Control-strategy priorities');
    // Linking is for a Slack or Teams channel, not the console.
    expect(textOf(await say(f.admin.personId, `dmm link ${f.unit.code}`))).toContain(
      'Slack channel or Teams',
    );
  });

  it("sets a priority's owner, marking, objective and review date from chat (chair or analyst), shown in the priorities; a sensitive one never reaches the partner (issue 17, item 1: `dmm priority 1 owner` was the list on 54b6730)", async () => {
    const g = await createUnitFixture(ctx.services, { code: 'console-tcg' });
    const { say: say2 } = onUnit(() => g.unit.id);
    const p = await ctx.services.priorities.create(g.chair, {
      unitId: g.unit.id,
      title: 'Operation Nightjar: county lines target',
    });
    expect(
      textOf(await say2(g.member.personId, `dmm priority ${p.id} owner ${g.manager.personId}`)),
    ).toContain('Only');
    let reply = textOf(await say2(g.analyst.personId, `dmm priority ${p.id} owner ${g.manager.personId}`));
    expect(reply).toContain(`Priority ${p.id} updated`);
    expect(reply).toContain(`owner ${g.manager.label}`);
    await say2(g.analyst.personId, `dmm priority ${p.id} objective Disrupt the Elm Road line`);
    reply = textOf(await say2(g.chair.personId, `dmm priority ${p.id} review 2026-05-25`));
    expect(reply).toContain('TT&CG review 2026-05-25');
    // The priorities card shows the owner, the objective and the review date.
    const list = textOf(await say2(g.member.personId, 'dmm priorities'));
    expect(list).toContain('Operation Nightjar: county lines target (objective: Disrupt the Elm Road line)');
    expect(list).toContain(g.manager.label);
    expect(list).toContain('2026-05-25');
    reply = textOf(await say2(g.chair.personId, `dmm priority ${p.id} marking sensitive`));
    expect(reply).toContain('withheld from OFFICIAL channels and partners');
    // The partner's brief and priorities never name it.
    expect(textOf(await say2(g.partner.personId, 'dmm brief'))).not.toContain('Nightjar');
    expect(textOf(await say2(g.partner.personId, 'dmm priorities'))).not.toContain('Nightjar');
    const audited = await ctx.services.audit.list({ entityType: 'priority', entityId: String(p.id) });
    expect(audited.map((e) => e.operation)).toEqual([
      'collection',
      'alteration',
      'alteration',
      'alteration',
      'alteration',
    ]);
  });

  it('ties an action to the decision it carries out and the priority it delivers from its form; the decision lists its actions; links change audited, refused across units (issue 17, item 3: the form could not set them on 54b6730)', async () => {
    const g = await createUnitFixture(ctx.services, { code: 'console-links' });
    const { say: say2, press: press2 } = onUnit(() => g.unit.id);
    const chair = g.chair.personId;
    const priority = await ctx.services.priorities.create(g.chair, {
      unitId: g.unit.id,
      title: 'Residential burglary',
    });
    const hidden = await ctx.services.priorities.create(g.chair, {
      unitId: g.unit.id,
      title: 'Operation Nightjar',
      marking: 'OFFICIAL-SENSITIVE',
    });
    const decision = await ctx.services.decisions.record(g.chair, {
      unitId: g.unit.id,
      text: 'Deploy high-visibility patrols to Elm Road',
      rationale: {
        information: 'Three burglaries',
        threatRisk: 'Further offences likely',
        powersPolicy: 'Burglary policy',
        optionsConsidered: 'Patrols; nothing',
        chosenOption: 'Patrols',
        reviewPoint: null,
      },
    });
    const form = await say2(chair, 'dmm action new');
    const formText = textOf(form);
    expect(formText).toContain('Decision it carries out');
    expect(formText).toContain(`#${decision.id} Deploy high-visibility patrols to Elm Road`);
    expect(formText).toContain('Priority it delivers');
    expect(formText).toContain('Residential burglary');
    const created = await press2(chair, button(form, 'Create action'), {
      ...actionInputs(g.owner.personId, 'Patrol plan for Elm Road'),
      decisionId: String(decision.id),
      priorityId: String(priority.id),
    });
    const actionId = Number(/Action #(\d+)/.exec(textOf(created))?.[1]);
    expect(await ctx.services.actions.get(g.chair, actionId)).toMatchObject({
      decisionId: decision.id,
      priorityId: priority.id,
    });
    // The decision's card lists the actions that carry it out.
    const shown = textOf(
      await press2(chair, { data: { v: 1, verb: 'decision.show', decisionId: decision.id } }),
    );
    expect(shown).toContain('Actions carrying it out (1)');
    expect(shown).toContain(`#${actionId} Patrol plan for Elm Road`);
    // Changed afterwards (audited, in the action's history); another unit's priority is refused by name.
    const other = await createUnitFixture(ctx.services, { code: 'console-links-other' });
    const foreign = await ctx.services.priorities.create(other.chair, {
      unitId: other.unit.id,
      title: 'Elsewhere',
    });
    await expect(
      ctx.services.actions.link(g.chair, actionId, { priorityId: foreign.id }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('priorityId') });
    await expect(ctx.services.actions.link(g.member, actionId, { decisionId: null })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    const relinked = await ctx.services.actions.link(g.chair, actionId, { priorityId: hidden.id });
    expect(relinked).toMatchObject({ decisionId: decision.id, priorityId: hidden.id, version: 2 });
    const history = await ctx.services.actions.history(g.chair, actionId);
    expect(history.at(-1)).toMatchObject({ kind: 'link', changes: { priorityId: [priority.id, hidden.id] } });
    // A sensitive priority is not offered on a form shown where OFFICIAL is the limit (a partner has no form).
    expect(hidden.marking).toBe('OFFICIAL-SENSITIVE');
  });

  it('records a decision with a review date from its form, brings it back in the brief and section 1 on that day, and records the review by command (issue 17, item 2)', async () => {
    const g = await createUnitFixture(ctx.services, { code: 'console-review' });
    const { say: say2, press: press2 } = onUnit(() => g.unit.id);
    const chair = g.chair.personId;
    const today = localDate(clock.now());
    const form = await say2(chair, 'dmm decide');
    expect(textOf(form)).toContain('Review on');
    const recorded = await press2(chair, button(form, 'Record decision'), {
      ...DECISION_INPUTS,
      reviewOn: today,
    });
    const id = Number(/Decision #(\d+)/.exec(textOf(recorded))?.[1]);
    expect(textOf(recorded)).toContain(`"title":"Review on","value":"${today}"`);
    expect(textOf(await say2(g.member.personId, 'dmm brief'))).toContain(
      `#${id} ${DECISION_INPUTS.text} (review due ${today})`,
    );
    const meeting = textOf(await say2(chair, 'dmm meeting start'));
    expect(meeting).toContain('Decisions due for review');
    expect(meeting).toContain(`#${id} ${DECISION_INPUTS.text} (review due ${today})`);
    expect(textOf(await say2(g.member.personId, `dmm decision ${id} review close`))).toContain('Only');
    const reviewed = textOf(await say2(chair, `dmm decision ${id} review close Patrols no longer needed`));
    expect(reviewed).toMatch(
      /Reviewed [^"]+ by Chair \(console-review\): closed \(Patrols no longer needed\)/,
    );
    expect(textOf(await say2(g.member.personId, 'dmm brief'))).not.toContain(`(review due ${today})`);
  });

  it('keeps an escalation register: the chair escalates from a form in the meeting, the read-back and the minutes carry it, the TT&CG answer is recorded once (issue 17, item 4: nowhere in the minutes on 54b6730)', async () => {
    const g = await createUnitFixture(ctx.services, { code: 'console-escalate' });
    const { say: say2, press: press2 } = onUnit(() => g.unit.id);
    const chair = g.chair.personId;
    const action = await ctx.services.actions.create(g.chair, {
      unitId: g.unit.id,
      title: 'Cover the Elm Road patrols',
      ownerPersonId: g.owner.personId,
      category: 'prevention',
    });
    await say2(chair, 'dmm meeting start');
    expect(textOf(await say2(g.member.personId, 'dmm escalate'))).toContain('Only the chair');
    const form = await say2(chair, 'dmm escalate');
    expect(textOf(form)).toContain(`#${action.id} Cover the Elm Road patrols`);
    const raised = await press2(chair, button(form, 'Escalate'), {
      what: 'No cover for the Elm Road patrols',
      why: 'Owner off sick, no cover on the team',
      resources: 'Two officers for three nights',
      tcg: 'BCU TT&CG, 10 December',
      actionId: String(action.id),
      marking: 'OFFICIAL',
    });
    expect(textOf(raised)).toContain('No cover for the Elm Road patrols');
    expect(textOf(raised)).toContain('awaiting the TT&CG');
    const id = Number(/E-(\d+)/.exec(textOf(raised))?.[1]);
    // The read-back lists it; the minutes minute it under section 10.
    for (let i = 0; i < 9; i += 1) await say2(chair, 'dmm meeting next');
    const readBack = textOf(await say2(chair, 'dmm meeting'));
    expect(readBack).toContain('Escalations to the TT&CG (1)');
    expect(readBack).toContain(`E-${id} No cover for the Elm Road patrols (to BCU TT&CG, 10 December)`);
    const minutes = textOf(await say2(chair, 'dmm meeting close'));
    expect(minutes).toContain(
      `Escalated E-${id} to BCU TT&CG, 10 December: No cover for the Elm Road patrols; why: Owner off sick, no cover on the team; resources asked for: Two officers for three nights`,
    );
    // The TT&CG answers; recorded once.
    const answered = textOf(
      await say2(chair, `dmm escalation ${id} answer Two officers loaned from the east sector`),
    );
    expect(answered).toContain('Two officers loaned from the east sector');
    expect(textOf(await say2(chair, `dmm escalation ${id} answer Something else`))).toContain(
      'answered already',
    );
    const register = textOf(await say2(g.member.personId, 'dmm escalations'));
    expect(register).toContain('Escalations to the TT&CG (1)');
    expect(register).toContain('Two officers loaned from the east sector');
    const audited = await ctx.services.audit.list({ entityType: 'escalation', entityId: String(id) });
    expect(audited.map((e) => e.operation)).toEqual(['collection', 'alteration']);
  });

  it('gives the chair the TT&CG pack and results in chat, the PDF by its button, each a disclosure (issue 17, items 6 and 7: none on 54b6730)', async () => {
    const g = await createUnitFixture(ctx.services, { code: 'console-pack' });
    const { say: say2 } = onUnit(() => g.unit.id);
    const chair = g.chair.personId;
    const p = await ctx.services.priorities.create(g.analyst, {
      unitId: g.unit.id,
      title: 'Shed burglary',
      startsOn: '2026-04-27',
      matchingRules: { typeCodes: ['SHED'] },
      ownerPersonId: g.owner.personId,
      objective: 'Fewer shed burglaries',
    });
    await ctx.services.priorities.create(g.analyst, {
      unitId: g.unit.id,
      title: 'Operation Kestrel',
      startsOn: '2026-04-27',
      marking: 'OFFICIAL-SENSITIVE',
    });
    expect(textOf(await say2(g.member.personId, 'dmm tcg-pack'))).toContain(
      'Only the chair or an action manager',
    );
    const before = (await ctx.services.audit.list({ entityType: 'tcg_pack' })).length;
    const packCards = await say2(chair, 'dmm tcg-pack 2026-04-27 2026-05-10');
    const pack = textOf(packCards);
    expect(pack).toContain('TT&CG pack: Test unit console-pack, 2026-04-27 to 2026-05-10');
    expect(pack).toContain(`P${p.id} Shed burglary`);
    expect(pack).toContain('Fewer shed burglaries');
    // The console is the person's own screen: the sensitive priority is in their pack.
    expect(pack).toContain('Operation Kestrel');
    expect(pack).toContain('--format pdf --out FILE');
    expect(actionsOf(packCards[0] as Json).map((a) => a.title)).toEqual(['Download PDF']);
    const pdf = await page.post('tcg-pack.pdf', {
      unitId: g.unit.id,
      personId: chair,
      from: '2026-04-27',
      to: '2026-05-10',
    });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-disposition')).toBe(
      'attachment; filename="dmm-tcg-pack-console-pack-2026-04-27-to-2026-05-10.pdf"',
    );
    expect(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-');
    const member = await page.post('tcg-pack.pdf', {
      unitId: g.unit.id,
      personId: g.member.personId,
      from: '2026-04-27',
      to: '2026-05-10',
    });
    expect(member.status).toBe(400);
    const disclosures = (await ctx.services.audit.list({ entityType: 'tcg_pack' })).slice(before);
    expect(disclosures.map((e) => [e.operation, e.channel])).toEqual([
      ['disclosure', 'console'],
      ['disclosure', 'console'],
    ]);
    // Found trying it: one date gave a fortnight running into the future, charted as days of nothing.
    expect(textOf(await say2(chair, 'dmm tcg-pack 2026-05-05'))).toContain(
      'TT&CG pack: Test unit console-pack, 2026-05-05 to 2026-05-10',
    );
    expect(textOf(await say2(chair, 'dmm tcg-pack 2026-05-11'))).toContain(
      'a pack reports days that have passed: give 2026-05-10 or earlier',
    );
    // Results of the priority from its start, in weeks; a priority without rules says what to set.
    const results = textOf(await say2(chair, `dmm results priority ${p.id} 7`));
    expect(results).toContain(`Results: P${p.id} Shed burglary`);
    // The unit has no incidents at all: nothing to compare with, and it says so.
    expect(results).toContain('no baseline: no incident data before the point');
    expect(textOf(await say2(chair, 'dmm results action 999999'))).toContain('not found');
  });

  it('explains the brief on `dmm help brief`, one command on `dmm help meeting`, and names an unknown topic', async () => {
    // Found by using the running console: the chat layer answered every `dmm help …` with the general list.
    const brief = textOf(await say(f.member.personId, 'dmm help brief'));
    expect(brief).toContain('Reading the daily brief');
    expect(brief).toContain('2 * max(sd, sqrt(mean))');
    expect(brief).toContain('fewer than 3');
    const meeting = textOf(await say(f.member.personId, 'dmm help meeting'));
    expect(meeting).toContain('dmm meeting start');
    expect(meeting).not.toContain('dmm whoami');
    expect(textOf(await say(f.member.personId, 'dmm help constructor'))).toContain(
      "No help on 'constructor'",
    );
  });

  it('answers nonsense with help, and bad requests with 400', async () => {
    const reply = textOf(await say(f.member.personId, 'dmm meetnig start'));
    expect(reply).toContain("Did you mean 'meeting'?");
    const bad = await fetch(`${ctx.url}/console/api/message`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-dmm-console-token': page.token },
      body: 'not json',
    });
    expect(bad.status).toBe(400);
    const stranger = await page.post('message', { unitId: f.unit.id, personId: 999_999, text: 'dmm help' });
    expect(stranger.status).toBe(400);
  });
});
