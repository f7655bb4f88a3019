/**
 * Issue 16, item 6: closed is not approved. Minutes are a structured record; the chair approves them (closed ->
 * approved); approved minutes never change, in the service and in the database itself; a correction is an
 * addendum (or a decision's correction, shown after the minutes); the approval carries the audit checkpoint of
 * that moment, which `verify` holds the log to.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minutesMarkdown } from '../../../cards/minutes.card.js';
import type { DatabaseHandle } from '../../../db/connect.js';
import { parseKeys } from '../../../services/audit/audit-keys.js';
import { createFixedClock } from '../../../services/clock.js';
import { createServices, type Services } from '../../../services/index.js';
import { BACKENDS, openTestDatabase } from '../../support/database.js';
import { createUnitFixture, type UnitFixture } from '../../support/fixtures.js';

const keyring = parseKeys(`k1 ${'ab'.repeat(32)}`, 'test keys');

const rationale = {
  information: 'Five shoplifting reports in 24 hours.',
  threatRisk: 'Repeat victimisation of two shops.',
  powersPolicy: 'Neighbourhood policing plan.',
  optionsConsidered: 'Patrol; CCTV review.',
  chosenOption: 'Patrol from 16:00.',
  reviewPoint: null,
};

describe.each(BACKENDS)('minutes approval (%s)', (backend) => {
  const clock = createFixedClock('2026-06-15T08:00:00Z');
  let handle: DatabaseHandle;
  let services: Services;
  beforeAll(async () => {
    handle = await openTestDatabase(backend);
    services = createServices({ db: handle.db, clock, databaseKind: handle.kind, auditKeyring: keyring });
  });
  afterAll(async () => {
    await handle?.close();
  });

  /** A meeting run to its close: a note, a decision and an action. */
  async function closedMeeting(f: UnitFixture) {
    const m = await services.meetings.start(f.chair, f.unit.id);
    await services.meetings.addNote(f.member, m.id, { text: 'Tension after the weekend march' });
    const decision = await services.decisions.record(f.chair, {
      unitId: f.unit.id,
      text: 'Deploy a patrol to the retail park',
      rationale,
    });
    clock.advance(30 * 60_000);
    const closed = await services.meetings.close(f.chair, m.id);
    return { meeting: closed.meeting, minutes: closed.minutes, decision };
  }

  it('approves closed minutes once, by the chair, with the checkpoint of that moment', async () => {
    clock.set('2026-06-15T08:00:00Z');
    const f = await createUnitFixture(services);
    const { meeting, minutes } = await closedMeeting(f);
    expect(minutes.status).toBe('closed');
    expect(minutes.approval).toBeNull();
    expect(minutes.record?.agenda.flatMap((a) => a.notes.map((n) => n.text))).toEqual([
      'Tension after the weekend march',
    ]);

    await expect(services.meetings.approve(f.member, meeting.id)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    // A card drawn before the close carries an older version: refused, nothing changed.
    await expect(
      services.meetings.approve(f.chair, meeting.id, { expectedVersion: meeting.version - 1 }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });

    clock.advance(15 * 60_000);
    const approved = await services.meetings.approve(f.chair, meeting.id, {
      expectedVersion: meeting.version,
      submissionKey: 'approve-key-0000000001',
    });
    expect(approved.status).toBe('approved');
    expect(approved.approval?.by).toBe(f.chair.label);
    expect(approved.approval?.at.toISOString()).toBe('2026-06-15T08:45:00.000Z');
    // The record did not change by being approved.
    expect(approved.record).toEqual(minutes.record);

    // The checkpoint covers the approval itself: its head is the approval's audit event.
    const checkpoint = approved.approval?.checkpoint;
    expect(checkpoint).toBeTruthy();
    const events = await services.audit.list({ entityType: 'meeting', entityId: String(meeting.id) });
    const approval = events.find((e) => (e.after as { status?: string } | null)?.status === 'approved');
    expect(approval?.seq).toBe(checkpoint?.seq);
    expect(
      await services.audit.verify({ checkpoints: [checkpoint as NonNullable<typeof checkpoint>] }),
    ).toMatchObject({
      ok: true,
    });

    // Once: a second approval is refused, a repeated press changes nothing.
    await expect(services.meetings.approve(f.chair, meeting.id)).rejects.toMatchObject({
      code: 'MINUTES_APPROVED',
    });
    await expect(
      services.meetings.approve(f.chair, meeting.id, { submissionKey: 'approve-key-0000000001' }),
    ).rejects.toMatchObject({ code: 'ALREADY_SUBMITTED' });
    const approvals = (
      await services.audit.list({ entityType: 'meeting', entityId: String(meeting.id) })
    ).filter((e) => (e.after as { status?: string } | null)?.status === 'approved');
    expect(approvals).toHaveLength(1);

    const md = minutesMarkdown(await services.meetings.getMinutes(f.chair, f.unit.id, '2026-06-15'));
    expect(md).toContain(`Approved by ${f.chair.label}, Mon 15 Jun 2026 09:45.`);
    expect(md).toContain(`Audit checkpoint at approval (event ${checkpoint?.seq};`);
  });

  it('refuses to approve minutes that are not written yet', async () => {
    clock.set('2026-06-16T08:00:00Z');
    const f = await createUnitFixture(services);
    const m = await services.meetings.start(f.chair, f.unit.id);
    await expect(services.meetings.approve(f.chair, m.id)).rejects.toMatchObject({
      code: 'MEETING_NOT_CLOSED',
      message: expect.stringContaining('meeting close'),
    });
    await expect(services.meetings.addAddendum(f.chair, m.id, { text: 'Too early' })).rejects.toMatchObject({
      code: 'MEETING_NOT_CLOSED',
    });
  });

  it('keeps approved minutes immutable, in the service and in the database', async () => {
    clock.set('2026-06-17T08:00:00Z');
    const f = await createUnitFixture(services);
    const { meeting } = await closedMeeting(f);
    const approved = await services.meetings.approve(f.chair, meeting.id);

    await expect(services.meetings.addNote(f.member, meeting.id, { text: 'late' })).rejects.toMatchObject({
      code: 'MEETING_CLOSED',
    });
    await expect(
      services.meetings.recordAttendance(f.chair, meeting.id, {
        personId: f.owner.personId as number,
        present: true,
      }),
    ).rejects.toMatchObject({ code: 'MEETING_CLOSED' });

    // Whoever writes to the tables directly is refused too.
    const db = handle.db;
    await expect(
      sql`update meetings set minutes = '{}'::jsonb where id = ${meeting.id}`.execute(db),
    ).rejects.toThrow(/approved minutes/);
    await expect(sql`delete from meetings where id = ${meeting.id}`.execute(db)).rejects.toThrow(
      /approved minutes/,
    );
    await expect(
      sql`update meeting_notes set text = 'rewritten' where meeting_id = ${meeting.id}`.execute(db),
    ).rejects.toThrow(/approved minutes/);
    await expect(
      sql`insert into attendance (meeting_id, person_id, present) values (${meeting.id}, ${f.owner.personId}, true)`.execute(
        db,
      ),
    ).rejects.toThrow(/approved minutes/);
    await expect(
      sql`update agenda_items set title = 'x' where meeting_id = ${meeting.id}`.execute(db),
    ).rejects.toThrow(/approved minutes/);

    const again = await services.meetings.getMinutes(f.chair, f.unit.id, '2026-06-17');
    expect(again.record).toEqual(approved.record);
    expect(again.status).toBe('approved');
  });

  it('takes a correction as an addendum, and shows decisions corrected since', async () => {
    clock.set('2026-06-18T08:00:00Z');
    const f = await createUnitFixture(services);
    const { meeting, decision } = await closedMeeting(f);
    const approved = await services.meetings.approve(f.chair, meeting.id);
    expect(approved.marking).toBe('OFFICIAL');

    await expect(
      services.meetings.addAddendum(f.member, meeting.id, { text: 'Not the chair' }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(services.meetings.addAddendum(f.chair, meeting.id, { text: '   ' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('text'),
    });

    clock.advance(60 * 60_000);
    const withAddendum = await services.meetings.addAddendum(f.chair, meeting.id, {
      text: 'The source of the tension report is graded B2',
      marking: 'OFFICIAL-SENSITIVE',
      submissionKey: 'addendum-key-000000001',
    });
    await expect(
      services.meetings.addAddendum(f.chair, meeting.id, {
        text: 'The source of the tension report is graded B2',
        submissionKey: 'addendum-key-000000001',
      }),
    ).rejects.toMatchObject({ code: 'ALREADY_SUBMITTED' });
    expect(withAddendum.addenda.map((a) => [a.text, a.marking, a.author])).toEqual([
      ['The source of the tension report is graded B2', 'OFFICIAL-SENSITIVE', f.chair.label],
    ]);
    // The approved record is as it was; the minutes as a whole now carry the addendum's marking.
    expect(withAddendum.record).toEqual(approved.record);
    expect(withAddendum.marking).toBe('OFFICIAL-SENSITIVE');
    const audited = await services.audit.list({ entityType: 'minutes_addendum' });
    expect(audited.filter((e) => (e.after as { meetingId?: number }).meetingId === meeting.id)).toHaveLength(
      1,
    );

    // A decision of the approved meeting corrected later: shown after the minutes, the record unchanged.
    const corrected = await services.decisions.supersede(f.chair, decision.id, {
      text: 'Deploy a patrol to the retail park from 17:00',
      rationale: { ...rationale, chosenOption: 'Patrol from 17:00.' },
      reason: 'The shops close at 17:00',
    });
    const view = await services.meetings.getMinutes(f.chair, f.unit.id, '2026-06-18');
    expect(view.record).toEqual(approved.record);
    expect(view.corrections).toEqual([
      expect.objectContaining({
        decisionId: corrected.id,
        correctsId: decision.id,
        reason: 'The shops close at 17:00',
      }),
    ]);
    const md = minutesMarkdown(view);
    expect(md.startsWith('**OFFICIAL-SENSITIVE**')).toBe(true);
    expect(md).toContain('Addendum 1 (');
    expect(md).toContain(
      ', after approval): The source of the tension report is graded B2 \\[OFFICIAL-SENSITIVE\\]',
    );
    expect(md).toContain(`D-${corrected.id} corrects D-${decision.id}`);
    // The database refuses to rewrite or remove an addendum.
    await expect(
      sql`update minutes_addenda set text = 'x' where meeting_id = ${meeting.id}`.execute(handle.db),
    ).rejects.toThrow(/append-only/);
    await expect(
      sql`delete from minutes_addenda where meeting_id = ${meeting.id}`.execute(handle.db),
    ).rejects.toThrow(/append-only/);
  });
});
