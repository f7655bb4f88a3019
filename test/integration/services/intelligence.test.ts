/**
 * Issue 17, item 5: the intelligence requirements register (none on 54b6730). Drafted by anyone of the unit with
 * checks that name the field; approved and closed once by the chair (concurrent presses: one change); answered
 * only while approved and unexpired, each answer marked at least as the requirement and kept append-only in the
 * database itself; every change audited.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../../services/clock.js';
import { BACKENDS } from '../../support/database.js';
import { createUnitFixture, operator } from '../../support/fixtures.js';
import { useServices } from '../../support/suite.js';

describe.each(BACKENDS)('intelligence requirements (%s)', (backend) => {
  const clock = createFixedClock('2026-06-15T08:00:00Z');
  const ctx = useServices(backend, clock);

  it('checks a draft field by field, approves it once under concurrent presses, and keeps answers append-only', async () => {
    const g = await createUnitFixture(ctx.services);
    const other = await createUnitFixture(ctx.services);
    const s = ctx.services.intelligence;
    const sensitive = await ctx.services.priorities.create(operator, {
      unitId: g.unit.id,
      title: 'Operation Nightjar: county lines target',
      marking: 'OFFICIAL-SENSITIVE',
    });
    const foreign = await ctx.services.priorities.create(operator, {
      unitId: other.unit.id,
      title: 'Theirs',
    });
    await expect(
      s.draft(g.member, { unitId: g.unit.id, question: 'Q?', priorityId: foreign.id }),
    ).rejects.toThrow(/priorityId: no such priority on this unit/);
    await expect(
      s.draft(g.member, { unitId: g.unit.id, question: 'Q?', priorityId: sensitive.id }),
    ).rejects.toThrow(/marking: the priority it serves is OFFICIAL-SENSITIVE/);
    await expect(
      s.draft(g.member, { unitId: g.unit.id, question: 'Q?', ownerPersonId: g.partner.personId }),
    ).rejects.toThrow(/ownerPersonId: .*partner/);
    await expect(
      s.draft(g.member, { unitId: g.unit.id, question: 'Q?', expiresOn: '2026-06-14' }),
    ).rejects.toThrow(/expiresOn: 2026-06-14 has passed/);
    await expect(s.draft(g.partner, { unitId: g.unit.id, question: 'Q?' })).rejects.toThrow(/FORBIDDEN|Only/);

    const r = await s.draft(g.member, {
      unitId: g.unit.id,
      question: 'Which vehicle is used for the runs?',
      priorityId: sensitive.id,
      ownerPersonId: g.analyst.personId,
      expiresOn: '2026-06-20',
      marking: 'OFFICIAL-SENSITIVE',
    });
    expect(r).toMatchObject({
      status: 'draft',
      priorityTitle: sensitive.title,
      owner: expect.stringContaining('Analyst'),
    });
    await expect(s.approve(g.member, r.id, {})).rejects.toThrow(/Only the chair/);
    const presses = await Promise.allSettled([1, 2, 3].map(() => s.approve(g.chair, r.id, {})));
    expect(presses.filter((p) => p.status === 'fulfilled')).toHaveLength(1);
    for (const p of presses.filter((p) => p.status === 'rejected'))
      expect(String((p as PromiseRejectedResult).reason)).toMatch(/approved already/);

    const answered = await s.answer(g.member, r.id, { answer: 'A blue van', marking: 'OFFICIAL' });
    // The answer reveals the question: it is marked at least as the requirement is.
    expect(answered.answers.map((a) => [a.answer, a.marking])).toEqual([
      ['A blue van', 'OFFICIAL-SENSITIVE'],
    ]);
    await expect(
      sql`update intelligence_answers set answer = 'edited' where requirement_id = ${r.id}`.execute(
        ctx.services.db,
      ),
    ).rejects.toThrow(/append-only/);
    await expect(
      sql`delete from intelligence_answers where requirement_id = ${r.id}`.execute(ctx.services.db),
    ).rejects.toThrow(/append-only/);

    // Past its expiry it takes no answers, and says so.
    clock.set('2026-06-21T08:00:00Z');
    expect((await s.get(g.member, r.id)).expired).toBe(true);
    await expect(s.answer(g.member, r.id, { answer: 'Late' })).rejects.toThrow(/expired on 2026-06-20/);
    expect(await s.list(g.member, g.unit.id, { activeOn: '2026-06-21' })).toEqual([]);
    const closed = await s.close(g.chair, r.id, { note: 'Expired unanswered in part' });
    expect(closed.status).toBe('closed');
    await expect(s.close(g.chair, r.id, {})).rejects.toThrow(/closed already/);
    clock.set('2026-06-15T08:00:00Z');

    const audit = await ctx.services.audit.list({
      entityType: 'intelligence_requirement',
      entityId: String(r.id),
    });
    expect(audit.map((e) => e.operation)).toEqual(['collection', 'alteration', 'alteration']);
    expect(audit[1]?.before).toMatchObject({ status: 'draft' });
    expect(audit[1]?.after).toMatchObject({ status: 'approved' });
    const answers = await ctx.services.audit.list({ entityType: 'intelligence_answer' });
    expect(answers.filter((e) => (e.after as { requirementId: number }).requirementId === r.id)).toHaveLength(
      1,
    );
  });
});
