/**
 * Every record read or changed by its id says "not found" for an id that does not exist and for one that no
 * database column can hold (2^40, a fraction, a negative), never a database error: retiring a priority by such an
 * id failed with PostgreSQL's "out of range" before the services shared rowById.
 */
import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../../services/clock.js';
import { NotFoundError } from '../../../services/errors.js';
import { BACKENDS } from '../../support/database.js';
import { createUnitFixture } from '../../support/fixtures.js';
import { useServices } from '../../support/suite.js';

describe.each(BACKENDS)('records by id on %s', (backend) => {
  const ctx = useServices(backend, createFixedClock('2026-05-11T08:00:00Z'));

  it('are not found, by their own name, for an id that does not exist or cannot be stored', async () => {
    const f = await createUnitFixture(ctx.services, { code: 'by-id' });
    const s = ctx.services;
    const calls: Array<[string, (id: number) => Promise<unknown>]> = [
      ['Priority', (id) => s.priorities.retire(f.chair, id)],
      ['Priority', (id) => s.priorities.update(f.chair, id, { objective: 'x' })],
      ['Priority', (id) => s.priorities.get(f.chair, id)],
      ['Action', (id) => s.actions.get(f.chair, id)],
      ['Meeting', (id) => s.meetings.next(f.chair, id)],
      ['Intelligence requirement', (id) => s.intelligence.get(f.chair, id)],
      ['Escalation', (id) => s.escalations.answer(f.chair, id, { outcome: 'done' })],
    ];
    for (const [what, call] of calls)
      for (const id of [999_999, 2 ** 40, 1.5, -3]) {
        const error = await call(id).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, `${what} ${id}`).toBeInstanceOf(NotFoundError);
        expect((error as Error).message, `${what} ${id}`).toContain(what);
      }
  });
});
