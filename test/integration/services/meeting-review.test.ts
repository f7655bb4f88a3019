/**
 * The review of previous actions (issue 16, item 4; on commit 54b6730 the minutes listed only the actions raised
 * at that meeting, and the export had no action manager and no history): section 1 of the minutes records each
 * previous action reviewed with its status changes since the last DMM and their reasons, and the action export
 * carries the action manager and the status history.
 */
import { describe, expect, it } from 'vitest';
import { minutesMarkdown } from '../../../cards/minutes.card.js';
import { createFixedClock } from '../../../services/clock.js';
import { BACKENDS } from '../../support/database.js';
import { createUnitFixture, operator } from '../../support/fixtures.js';
import { useServices } from '../../support/suite.js';

describe.each(BACKENDS)('the review of previous actions on %s', (backend) => {
  const clock = createFixedClock('2026-06-14T08:00:00Z');
  const ctx = useServices(backend, clock);

  it('minutes each previous action reviewed with its changes since the last DMM, and exports manager and history', async () => {
    const f = await createUnitFixture(ctx.services, { code: 'review' });
    const { meetings, actions } = ctx.services;
    // Yesterday's DMM raises two actions and closes.
    const yesterday = await meetings.start(f.chair, f.unit.id);
    clock.set('2026-06-14T08:10:00Z');
    const patrol = await actions.create(f.chair, {
      unitId: f.unit.id,
      title: 'Patrol plan for Elm Road',
      ownerPersonId: f.owner.personId,
      actionManagerId: f.manager.personId,
      dueOn: '2026-06-16',
      category: 'prevention',
    });
    const visit = await actions.create(f.chair, {
      unitId: f.unit.id,
      title: 'Visit the shop manager',
      ownerPersonId: f.member.personId,
      dueOn: '2026-06-14',
      category: 'reassurance',
    });
    const old = await actions.create(f.chair, {
      unitId: f.unit.id,
      title: 'Leaflet drop, done before the last DMM',
      ownerPersonId: f.member.personId,
      category: 'prevention',
    });
    clock.set('2026-06-14T08:20:00Z');
    await actions.changeStatus(f.member, old.id, { status: 'done', result: 'Leaflets delivered' });
    clock.set('2026-06-14T08:30:00Z');
    await meetings.close(f.chair, yesterday.id);

    // Between the two DMMs: the patrol plan is blocked with a reason; the visit is done.
    clock.set('2026-06-14T15:00:00Z');
    await actions.changeStatus(f.owner, patrol.id, {
      status: 'blocked',
      note: 'Site manager on leave until Monday',
    });
    await actions.changeStatus(f.member, visit.id, {
      status: 'done',
      result: 'Manager visited; CCTV offered',
    });

    // Today's DMM reviews them.
    clock.set('2026-06-15T08:00:00Z');
    const today = await meetings.start(f.chair, f.unit.id);
    const minutes = minutesMarkdown((await meetings.close(f.chair, today.id)).minutes);
    const section1 = minutes.slice(minutes.indexOf('**1\\. '), minutes.indexOf('**2\\. '));
    expect(section1).toContain(`Reviewed A-${patrol.id}: Patrol plan for Elm Road`);
    expect(section1).toMatch(/now Blocked; Open → Blocked .* by [^:]+: Site manager on leave until Monday/);
    expect(section1).toContain(`Reviewed A-${visit.id}: Visit the shop manager`);
    expect(section1).toMatch(/now Done; Open → Done .*\n/);
    // Only the changes since the last DMM: not the raising of the actions before it closed.
    expect(section1).not.toContain('raised');
    // Done before the last DMM and unchanged since: not reviewed again.
    expect(section1).not.toContain('Leaflet drop');

    const exported = await ctx.services.exports.exportRecords(operator, {
      kind: 'actions',
      unitId: f.unit.id,
      from: '2026-06-14',
      to: '2026-06-14',
      format: 'json',
      recipients: ['Action manager'],
      justification: 'Review of delivery',
      destination: 'actions.json',
    });
    const records = (JSON.parse(exported.content) as { records: Array<Record<string, unknown>> }).records;
    const row = records.find((r) => r.id === patrol.id);
    expect(row?.action_manager).toBe(f.manager.label);
    expect(String(row?.history)).toMatch(/open -> blocked by .*: Site manager on leave until Monday/);
    const csv = await ctx.services.exports.exportRecords(operator, {
      kind: 'actions',
      unitId: f.unit.id,
      from: '2026-06-14',
      to: '2026-06-14',
      format: 'csv',
      recipients: ['Action manager'],
      justification: 'Review of delivery',
      destination: 'actions.csv',
    });
    expect(csv.content.split('\n')[1]).toContain('action_manager');
    expect(csv.content).toContain('Site manager on leave until Monday');
  });

  it('says why an action still stands where it is when it has not changed since the last DMM, and does not report a due date change as a change of status (found re-running issue 16 item 4 on the demo: "now Blocked; no change since the last DMM", no reason)', async () => {
    const f = await createUnitFixture(ctx.services, { code: 'review-standing' });
    const { meetings, actions } = ctx.services;
    clock.set('2026-07-01T08:00:00Z');
    const cctv = await actions.create(f.chair, {
      unitId: f.unit.id,
      title: 'Retrieve CCTV from the retail park',
      ownerPersonId: f.owner.personId,
      dueOn: '2026-07-10',
      category: 'intelligence',
    });
    clock.set('2026-07-01T09:00:00Z');
    await actions.changeStatus(f.owner, cctv.id, {
      status: 'blocked',
      note: 'Site manager on leave until Monday',
    });
    clock.set('2026-07-02T08:00:00Z');
    await meetings.close(f.chair, (await meetings.start(f.chair, f.unit.id)).id);
    // Between the DMMs only the due date moves.
    clock.set('2026-07-02T12:00:00Z');
    await actions.changeDue(f.owner, cctv.id, { dueOn: '2026-07-12', note: 'Waiting for the manager' });
    clock.set('2026-07-03T08:00:00Z');
    const minutes = minutesMarkdown(
      (await meetings.close(f.chair, (await meetings.start(f.chair, f.unit.id)).id)).minutes,
    );
    expect(minutes).toContain(
      `Reviewed A-${cctv.id}: Retrieve CCTV from the retail park (${f.owner.label}), now Blocked since Wed 1 Jul 2026 10:00 (Site manager on leave until Monday); no change since the last DMM`,
    );
    expect(minutes).not.toContain('Blocked → Blocked');
  });
});
