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

  it('has no way to edit or delete a decision in place: the table is only inserted into', async () => {
    const keys = Object.keys(ctx.services.decisions).sort();
    expect(keys).toEqual(['get', 'list', 'record', 'supersede']);
  });
});
