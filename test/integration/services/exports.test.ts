/**
 * Exports as DPA 2018 s.62 disclosures (issue 14; fails on commit 54b6730, where the output path was recorded as
 * the recipient, with no justification, no file marking and no ceiling): the recipients and the justification are
 * required and recorded, the file carries the highest marking of its rows, and `ceiling` leaves out rows above it.
 */
import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../../services/clock.js';
import { BACKENDS } from '../../support/database.js';
import { createUnitFixture, operator } from '../../support/fixtures.js';
import { useServices } from '../../support/suite.js';

const rationale = {
  information: 'Three burglaries on the estate this week',
  threatRisk: 'Further burglaries likely at night',
  powersPolicy: 'Local policing plan',
  optionsConsidered: 'Patrols; cameras; nothing',
  chosenOption: 'Patrols',
  reviewPoint: 'Next DMM',
};

describe.each(BACKENDS)('exports on %s', (backend) => {
  const ctx = useServices(backend, createFixedClock('2026-03-10T09:15:00Z'));

  it('records recipients and justification, marks the file, and leaves out rows above the ceiling', async () => {
    const f = await createUnitFixture(ctx.services);
    await ctx.services.decisions.record(f.chair, { unitId: f.unit.id, text: 'Open patrols', rationale });
    await ctx.services.decisions.record(f.chair, {
      unitId: f.unit.id,
      text: 'Covert observation point at the flats',
      rationale,
      marking: 'OFFICIAL-SENSITIVE',
    });
    const base = {
      kind: 'decisions' as const,
      unitId: f.unit.id,
      from: '2026-03-10',
      to: '2026-03-10',
      recipients: ['Professional Standards'],
      justification: 'Complaint 2026/41',
      destination: 'decisions.json',
    };
    const all = await ctx.services.exports.exportRecords(operator, { ...base, format: 'json' });
    expect(all).toMatchObject({ count: 2, marking: 'OFFICIAL-SENSITIVE', withheld: 0 });
    expect(JSON.parse(all.content)).toMatchObject({ marking: 'OFFICIAL-SENSITIVE', records: [{}, {}] });

    const official = await ctx.services.exports.exportRecords(operator, {
      ...base,
      format: 'csv',
      ceiling: 'OFFICIAL',
    });
    expect(official).toMatchObject({ count: 1, marking: 'OFFICIAL', withheld: 1 });
    expect(official.content).not.toContain('Covert observation point');
    expect(official.content.startsWith('# OFFICIAL\n')).toBe(true);

    const [, disclosure] = await ctx.services.audit.list({ entityType: 'decisions_export' });
    expect(disclosure).toMatchObject({
      recipients: ['Professional Standards'],
      after: {
        justification: 'Complaint 2026/41',
        destination: 'decisions.json',
        marking: 'OFFICIAL',
        withheld: 1,
        count: 1,
      },
    });
    await expect(
      ctx.services.exports.exportRecords(operator, { ...base, format: 'json', recipients: [] }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/recipients/) });
    await expect(
      ctx.services.exports.exportRecords(operator, { ...base, format: 'json', justification: '' }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/justification/) });
  });
});
