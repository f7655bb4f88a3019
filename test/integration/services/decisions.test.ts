import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../../services/clock.js';
import { BACKENDS } from '../../support/database.js';
import { createUnitFixture, operator } from '../../support/fixtures.js';
import { useServices } from '../../support/suite.js';

const rationale = {
  information: 'Three dwelling burglaries on the same estate overnight; same MO (rear door forced).',
  threatRisk: 'High risk of further offences tonight; two elderly victims.',
  powersPolicy: 'Force burglary policy; s.1 PACE stop powers.',
  optionsConsidered: 'Do nothing; high-visibility patrols; plain-clothes operation.',
  chosenOption: 'High-visibility patrols 22:00-04:00 for three nights.',
  reviewPoint: 'Review at DMM on 13 March',
};

describe.each(BACKENDS)('decisions on %s', (backend) => {
  const clock = createFixedClock('2026-03-10T09:15:00Z');
  const ctx = useServices(backend, clock);

  it('records a decision with its National Decision Model rationale', async () => {
    const f = await createUnitFixture(ctx.services);
    const d = await ctx.services.decisions.record(f.chair, {
      unitId: f.unit.id,
      text: 'Patrol plan for the estate',
      rationale,
    });
    expect(d).toMatchObject({
      decisionMakerId: f.chair.personId,
      rationale,
      supersedesId: null,
      supersededById: null,
      marking: 'OFFICIAL',
    });
    expect(d.decidedAt.toISOString()).toBe('2026-03-10T09:15:00.000Z');
    expect(await ctx.services.decisions.get(f.member, d.id)).toEqual(d);
  });

  it('refuses decisions from anyone but the chair', async () => {
    const f = await createUnitFixture(ctx.services);
    for (const actor of [f.manager, f.member, f.analyst, f.partner, f.admin]) {
      await expect(
        ctx.services.decisions.record(actor, { unitId: f.unit.id, text: 'x', rationale }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    }
    await expect(
      ctx.services.decisions.record(operator, { unitId: f.unit.id, text: 'x', rationale }),
    ).rejects.toThrow(/decision maker/);
    expect(await ctx.services.decisions.list(f.chair, f.unit.id)).toEqual([]);
  });

  it('refuses a decision without a full rationale, naming the missing field', async () => {
    const f = await createUnitFixture(ctx.services);
    await expect(
      ctx.services.decisions.record(f.chair, {
        unitId: f.unit.id,
        text: 'x',
        rationale: { ...rationale, threatRisk: '' },
      }),
    ).rejects.toThrow(/rationale\.threatRisk: must not be empty/);
  });

  it('supersedes to correct: the old decision stays readable and points to its correction', async () => {
    const f = await createUnitFixture(ctx.services);
    const original = await ctx.services.decisions.record(f.chair, {
      unitId: f.unit.id,
      text: 'Patrols for three nights',
      rationale,
    });
    clock.advance(60_000);
    const correction = await ctx.services.decisions.supersede(f.chair, original.id, {
      text: 'Patrols for five nights',
      rationale: { ...rationale, chosenOption: 'High-visibility patrols for five nights' },
      reason: 'Intelligence received after the meeting',
    });
    expect(correction).toMatchObject({
      supersedesId: original.id,
      correctionReason: 'Intelligence received after the meeting',
    });
    const old = await ctx.services.decisions.get(f.chair, original.id);
    expect(old).toEqual({ ...original, supersededById: correction.id });
    const current = await ctx.services.decisions.list(f.chair, f.unit.id, { includeSuperseded: false });
    expect(current.map((d) => d.id)).toEqual([correction.id]);
    const all = await ctx.services.decisions.list(f.chair, f.unit.id);
    expect(all.map((d) => d.id)).toEqual([original.id, correction.id]);
    const events = await ctx.services.audit.list({ entityType: 'decision', entityId: String(original.id) });
    // The read above is itself logged: a consultation (DPA 2018 s.62) by the chair.
    expect(events.map((e) => e.operation)).toEqual(['collection', 'alteration', 'consultation']);
    expect(events[2]?.actorPersonId).toBe(f.chair.personId);
    expect(events[1]?.after).toEqual({
      supersededById: correction.id,
      reason: 'Intelligence received after the meeting',
    });
  });

  it('refuses a second correction of the same decision and says which one to correct', async () => {
    const f = await createUnitFixture(ctx.services);
    const original = await ctx.services.decisions.record(f.chair, {
      unitId: f.unit.id,
      text: 'A',
      rationale,
    });
    const first = await ctx.services.decisions.supersede(f.chair, original.id, {
      text: 'B',
      rationale,
      reason: 'typo',
    });
    await expect(
      ctx.services.decisions.supersede(f.chair, original.id, { text: 'C', rationale, reason: 'again' }),
    ).rejects.toMatchObject({
      code: 'DECISION_ALREADY_SUPERSEDED',
      details: { supersededById: first.id },
    });
    const second = await ctx.services.decisions.supersede(f.chair, first.id, {
      text: 'C',
      rationale,
      reason: 'again',
    });
    expect(second.supersedesId).toBe(first.id);
  });

  it('does not let a member of another unit or a partner read decisions', async () => {
    const f = await createUnitFixture(ctx.services);
    const other = await createUnitFixture(ctx.services);
    const d = await ctx.services.decisions.record(f.chair, { unitId: f.unit.id, text: 'A', rationale });
    await expect(ctx.services.decisions.get(other.member, d.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(ctx.services.decisions.get(f.partner, d.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(
      ctx.services.decisions.supersede(other.chair, d.id, { text: 'B', rationale, reason: 'x' }),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
  });

  it('brings a decision back on its review date until the review is recorded: confirmed with a next date, closed, or corrected (issue 17, item 2: a free-text review point only on 54b6730)', async () => {
    const f = await createUnitFixture(ctx.services);
    clock.set('2026-03-10T09:15:00Z');
    const patrols = await ctx.services.decisions.record(f.chair, {
      unitId: f.unit.id,
      text: 'High-visibility patrols on the estate',
      rationale,
      reviewOn: '2026-03-13',
    });
    const order = await ctx.services.decisions.record(f.chair, {
      unitId: f.unit.id,
      text: 'Dispersal order in the town centre',
      rationale,
      reviewOn: '2026-03-13',
    });
    const corrected = await ctx.services.decisions.record(f.chair, {
      unitId: f.unit.id,
      text: 'Plain-clothes operation',
      rationale,
      reviewOn: '2026-03-12',
    });
    await ctx.services.decisions.record(f.chair, { unitId: f.unit.id, text: 'No review', rationale });
    const due = async (day: string) =>
      (await ctx.services.decisions.dueForReview(f.chair, f.unit.id, day)).map((d) => [d.id, d.reviewOn]);
    expect(await due('2026-03-11')).toEqual([]);
    expect(await due('2026-03-12')).toEqual([[corrected.id, '2026-03-12']]);
    // Changed by a new decision: the correction is reviewed on its own date, not the one it replaced.
    const correction = await ctx.services.decisions.supersede(f.chair, corrected.id, {
      text: 'Plain-clothes operation, two nights',
      rationale,
      reason: 'Only two nights of cover',
      reviewOn: '2026-03-14',
    });
    expect(await due('2026-03-13')).toEqual([
      [patrols.id, '2026-03-13'],
      [order.id, '2026-03-13'],
    ]);
    // It stays due on the days after until it is reviewed; the brief lists it, and its meeting section.
    clock.set('2026-03-13T09:00:00Z');
    const brief = await ctx.services.briefs.get(f.chair, f.unit.id, '2026-03-13');
    expect(brief.decisionsDue.map((d) => d.id)).toEqual([patrols.id, order.id]);
    await expect(
      ctx.services.decisions.review(f.member, patrols.id, { outcome: 'confirmed' }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(
      ctx.services.decisions.review(f.chair, patrols.id, {
        outcome: 'confirmed',
        nextReviewOn: '2026-03-12',
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('nextReviewOn') });
    await expect(
      ctx.services.decisions.review(f.chair, order.id, { outcome: 'closed', nextReviewOn: '2026-03-20' }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(
      ctx.services.decisions.review(f.chair, corrected.id, { outcome: 'closed' }),
    ).rejects.toMatchObject({ code: 'DECISION_ALREADY_SUPERSEDED' });
    const confirmed = await ctx.services.decisions.review(f.chair, patrols.id, {
      outcome: 'confirmed',
      nextReviewOn: '2026-03-20',
      note: 'Burglaries down; keep for a week',
    });
    expect(confirmed).toMatchObject({
      outcome: 'confirmed',
      nextReviewOn: '2026-03-20',
      reviewer: f.chair.label,
    });
    await ctx.services.decisions.review(f.chair, order.id, { outcome: 'closed', note: 'Order lapsed' });
    expect(await due('2026-03-13')).toEqual([]);
    expect(await due('2026-03-14')).toEqual([[correction.id, '2026-03-14']]);
    expect(await due('2026-03-20')).toEqual([
      [correction.id, '2026-03-14'],
      [patrols.id, '2026-03-20'],
    ]);
    // The stored brief is built again with the reviews.
    const again = await ctx.services.briefs.get(f.chair, f.unit.id, '2026-03-13');
    expect(again.decisionsDue).toEqual([]);
    expect((await ctx.services.decisions.reviews(f.member, patrols.id)).map((r) => r.note)).toEqual([
      'Burglaries down; keep for a week',
    ]);
    const audited = await ctx.services.audit.list({ entityType: 'decision', entityId: String(order.id) });
    expect(audited.at(-1)).toMatchObject({
      operation: 'alteration',
      after: { review: { outcome: 'closed' } },
    });
  });

  it('has no way to edit or delete a decision in place: the table is only inserted into', async () => {
    const keys = Object.keys(ctx.services.decisions).sort();
    // A review is recorded beside the decision (decision_reviews), never in it.
    expect(keys).toEqual(['dueForReview', 'get', 'list', 'record', 'review', 'reviews', 'supersede']);
  });
});
