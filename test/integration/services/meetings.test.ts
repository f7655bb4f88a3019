import { describe, expect, it } from 'vitest';
import { minutesMarkdown } from '../../../cards/minutes.card.js';
import { createFixedClock } from '../../../services/clock.js';
import { DEFAULT_AGENDA } from '../../../services/meetings/default-agenda.js';
import { BACKENDS } from '../../support/database.js';
import { createUnitFixture, operator } from '../../support/fixtures.js';
import { useServices } from '../../support/suite.js';

const rationale = {
  information: 'Missing person, 14, high risk, last seen near the canal.',
  threatRisk: 'Threat to life assessed as high.',
  powersPolicy: 'APP missing persons.',
  optionsConsidered: 'Search team; POLSA; helicopter.',
  chosenOption: 'POLSA-led search and NPAS request.',
  reviewPoint: null,
};

describe.each(BACKENDS)('meetings on %s', (backend) => {
  const clock = createFixedClock('2026-06-15T08:00:00Z');
  const ctx = useServices(backend, clock);

  it("starts today's meeting with the default 10-section agenda, the first section current", async () => {
    const f = await createUnitFixture(ctx.services);
    const m = await ctx.services.meetings.start(f.chair, f.unit.id);
    expect(m).toMatchObject({ status: 'open', localDate: '2026-06-15', chairPersonId: f.chair.personId });
    expect(m.agenda.map((a) => a.sectionKey)).toEqual(DEFAULT_AGENDA.map((s) => s.key));
    expect(m.agenda).toHaveLength(10);
    expect(m.current?.position).toBe(1);
    expect(m.agenda.filter((a) => a.status === 'current')).toHaveLength(1);
  });

  it('keeps one meeting per unit per local day', async () => {
    const f = await createUnitFixture(ctx.services);
    const m = await ctx.services.meetings.start(f.chair, f.unit.id);
    await expect(ctx.services.meetings.start(f.chair, f.unit.id)).rejects.toMatchObject({
      code: 'MEETING_ALREADY_OPEN',
      details: { meetingId: m.id },
    });
    const scheduled = await ctx.services.meetings.schedule(f.chair, f.unit.id);
    expect(scheduled.id).toBe(m.id);
  });

  it("uses the unit's local date: 23:30 UTC on 15 June is 16 June in London", async () => {
    const f = await createUnitFixture(ctx.services);
    clock.set('2026-06-15T23:30:00Z');
    try {
      const m = await ctx.services.meetings.start(f.chair, f.unit.id);
      expect(m.localDate).toBe('2026-06-16');
    } finally {
      clock.set('2026-06-15T08:00:00Z');
    }
  });

  it('only the chair starts, steps and closes the meeting', async () => {
    const f = await createUnitFixture(ctx.services);
    for (const actor of [f.manager, f.member, f.partner, f.admin]) {
      await expect(ctx.services.meetings.start(actor, f.unit.id)).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
    }
    const m = await ctx.services.meetings.start(f.chair, f.unit.id);
    await expect(ctx.services.meetings.next(f.member, m.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(ctx.services.meetings.close(f.manager, m.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect((await ctx.services.meetings.get(f.chair, m.id)).current?.position).toBe(1);
  });

  it('steps next, skip and back, and refuses to go past either end', async () => {
    const f = await createUnitFixture(ctx.services);
    const m = await ctx.services.meetings.start(f.chair, f.unit.id);
    await expect(ctx.services.meetings.back(f.chair, m.id)).rejects.toMatchObject({
      code: 'AGENDA_AT_START',
    });
    let s = await ctx.services.meetings.next(f.chair, m.id);
    expect(s.current?.position).toBe(2);
    s = await ctx.services.meetings.skip(f.chair, m.id);
    expect(s.current?.position).toBe(3);
    expect(s.agenda.map((a) => a.status).slice(0, 3)).toEqual(['done', 'skipped', 'current']);
    s = await ctx.services.meetings.back(f.chair, m.id);
    expect(s.current?.position).toBe(2);
    expect(s.agenda[2]?.status).toBe('pending');
    for (let i = 2; i < 10; i += 1) s = await ctx.services.meetings.next(f.chair, m.id);
    expect(s.current?.position).toBe(10);
    // The last section ends with the meeting: next and skip are refused there, in one message that says so.
    for (const step of ['next', 'skip'] as const)
      await expect(ctx.services.meetings[step](f.chair, m.id)).rejects.toMatchObject({
        code: 'AGENDA_AT_END',
        message: expect.stringMatching(
          /^10\. .* is the last section; close the meeting with `meeting close`\.$/,
        ),
      });
    s = await ctx.services.meetings.back(f.chair, m.id);
    expect(s.current?.position).toBe(9);
  });

  it('refuses a step or a close carrying a version the meeting has moved past, changing nothing', async () => {
    const f = await createUnitFixture(ctx.services);
    const m = await ctx.services.meetings.start(f.chair, f.unit.id);
    const moved = await ctx.services.meetings.next(f.chair, m.id, { expectedVersion: m.version });
    expect(moved.current?.position).toBe(2);
    await expect(
      ctx.services.meetings.next(f.chair, m.id, { expectedVersion: m.version }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { meetingId: m.id, currentVersion: moved.version },
    });
    await expect(
      ctx.services.meetings.close(f.chair, m.id, { expectedVersion: m.version }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    const now = await ctx.services.meetings.get(f.chair, m.id);
    expect(now).toMatchObject({ status: 'open', version: moved.version, current: { position: 2 } });
  });

  it('advances once for two concurrent presses carrying the same version', async () => {
    const f = await createUnitFixture(ctx.services);
    const m = await ctx.services.meetings.start(f.chair, f.unit.id);
    const results = await Promise.allSettled([
      ctx.services.meetings.next(f.chair, m.id, { expectedVersion: m.version }),
      ctx.services.meetings.next(f.chair, m.id, { expectedVersion: m.version }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((await ctx.services.meetings.get(f.chair, m.id)).current?.position).toBe(2);
  });

  it('changes once for a submission key sent twice, at once or later', async () => {
    const f = await createUnitFixture(ctx.services);
    const m = await ctx.services.meetings.start(f.chair, f.unit.id);
    const key = { submissionKey: 'press-aaaaaaaaaaaa' };
    const results = await Promise.allSettled([
      ctx.services.meetings.next(f.chair, m.id, key),
      ctx.services.meetings.next(f.chair, m.id, key),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({
      reason: { code: 'ALREADY_SUBMITTED', prior: { entityType: 'meeting', entityId: m.id } },
    });
    await expect(ctx.services.meetings.next(f.chair, m.id, key)).rejects.toMatchObject({
      code: 'ALREADY_SUBMITTED',
    });
    expect((await ctx.services.meetings.get(f.chair, m.id)).current?.position).toBe(2);
  });

  it('closes with minutes listing attendance, notes, decisions (with rationale) and actions', async () => {
    const f = await createUnitFixture(ctx.services);
    const m = await ctx.services.meetings.start(f.chair, f.unit.id);
    await ctx.services.meetings.recordAttendance(f.chair, m.id, {
      personId: f.manager.personId,
      present: true,
    });
    await ctx.services.meetings.recordAttendance(f.member, m.id, {
      personId: f.member.personId,
      present: false,
    });
    await expect(
      ctx.services.meetings.recordAttendance(f.member, m.id, { personId: f.owner.personId, present: true }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await ctx.services.meetings.addNote(f.analyst, m.id, { text: 'Two overdue actions *chased*' });
    await ctx.services.meetings.next(f.chair, m.id);
    await ctx.services.meetings.next(f.chair, m.id);
    const d = await ctx.services.decisions.record(f.chair, {
      unitId: f.unit.id,
      text: 'Search for missing child',
      rationale,
    });
    expect(d.meetingId).toBe(m.id);
    expect(d.agendaItemId).toBe(m.agenda[2]?.id);
    const a = await ctx.services.actions.create(f.chair, {
      unitId: f.unit.id,
      title: 'Brief POLSA | search plan',
      ownerPersonId: f.owner.personId,
      dueOn: '2026-06-15',
      category: 'prevention',
      marking: 'OFFICIAL-SENSITIVE',
    });
    expect(a.meetingId).toBe(m.id);
    const closed = await ctx.services.meetings.close(f.chair, m.id);
    const { meeting } = closed;
    const minutes = minutesMarkdown(closed.minutes);
    expect(meeting.status).toBe('closed');
    expect(meeting.agenda.filter((i) => i.status === 'pending')).toHaveLength(7);
    expect(minutes).toContain(`# DMM minutes: Test unit ${f.unit.code}, 2026-06-15`);
    expect(minutes).toContain(`- **Present:** ${f.manager.label}, ${f.chair.label}`);
    expect(minutes).toMatch(/Absent:\*\* Member/);
    expect(minutes).toContain('Two overdue actions \\*chased\\*');
    expect(minutes).toContain(`**D-${d.id}: Search for missing child**`);
    expect(minutes).toContain('- **Chosen option:** POLSA-led search and NPAS request.');
    expect(minutes).toContain(`| A-${a.id}: Brief POLSA \\| search plan \\[OFFICIAL-SENSITIVE\\] |`);
    expect(minutes.startsWith('**OFFICIAL-SENSITIVE**')).toBe(true);
    expect(minutes).toContain('3\\. Threat to life and vulnerability');
    expect(minutes).toMatch(/4\\\. Demand and service.*\(not reached\)/);
    expect(minutesMarkdown(await ctx.services.meetings.getMinutes(f.chair, f.unit.id, '2026-06-15'))).toBe(
      minutes,
    );
    expect(minutesMarkdown(await ctx.services.meetings.getMinutes(f.chair, f.unit.id))).toBe(minutes);
    const consultations = await ctx.services.audit.list({ entityType: 'minutes', entityId: String(m.id) });
    expect(consultations.map((e) => [e.operation, e.actorPersonId])).toEqual([
      ['consultation', f.chair.personId],
      ['consultation', f.chair.personId],
    ]);
    await expect(ctx.services.meetings.getMinutes(f.partner, f.unit.id, '2026-06-15')).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
  });

  it('refuses steps, notes and a second close after closing, and a restart on the same day', async () => {
    const f = await createUnitFixture(ctx.services);
    const m = await ctx.services.meetings.start(f.chair, f.unit.id);
    await ctx.services.meetings.close(f.chair, m.id);
    await expect(ctx.services.meetings.next(f.chair, m.id)).rejects.toMatchObject({ code: 'MEETING_CLOSED' });
    await expect(ctx.services.meetings.addNote(f.chair, m.id, { text: 'late' })).rejects.toMatchObject({
      code: 'MEETING_CLOSED',
    });
    await expect(ctx.services.meetings.close(f.chair, m.id)).rejects.toMatchObject({
      code: 'MEETING_CLOSED',
    });
    await expect(ctx.services.meetings.start(f.chair, f.unit.id)).rejects.toMatchObject({
      code: 'MEETING_CLOSED',
    });
  });

  it('moves the agenda once per press when two presses race', async () => {
    const f = await createUnitFixture(ctx.services);
    const m = await ctx.services.meetings.start(f.chair, f.unit.id);
    await Promise.all([ctx.services.meetings.next(f.chair, m.id), ctx.services.meetings.next(f.chair, m.id)]);
    const after = await ctx.services.meetings.get(f.chair, m.id);
    expect(after.current?.position).toBe(3);
    expect(after.agenda.filter((a) => a.status === 'current')).toHaveLength(1);
    expect(after.version).toBe(m.version + 2);
  });

  it("uses a unit's own agenda template", async () => {
    const unit = await ctx.services.units.create(operator, {
      code: `own-${Date.now().toString(36)}`,
      name: 'Own agenda unit',
      agenda: [
        { key: 'actions', title: 'Actions', feed: 'actions' },
        { key: 'close', title: 'Close', feed: 'generated' },
      ],
    });
    const chairPerson = await ctx.services.people.create(operator, { displayName: 'Chair (own)' });
    await ctx.services.people.addMembership(operator, {
      unitId: unit.id,
      personId: chairPerson.id,
      role: 'chair',
    });
    const chair = await ctx.services.people.actorFor(chairPerson.id, unit.id);
    const m = await ctx.services.meetings.start(chair, unit.id);
    expect(m.agenda.map((a) => a.title)).toEqual(['Actions', 'Close']);
  });
});
