/**
 * The chat edge on the console, model-based (test/support/chat-model.ts): random sequences of commands and presses
 * with repeats, concurrent pairs, stale cards, other units' ids, huge ids and OFFICIAL-SENSITIVE records, over
 * real HTTP against the fakes. After every step the records equal the model's, the conversation received exactly
 * the messages the model expects, nothing is an internal error and nothing sensitive reached the OFFICIAL
 * conversation; after every sequence the audit chain verifies.
 */
import { beforeAll, describe, it } from 'vitest';
import { createFixedClock } from '../../services/clock.js';
import { useApp } from '../support/app.js';
import { consoleDriver } from '../support/chat-drivers.js';
import { runChatModel } from '../support/chat-model.js';
import { BACKENDS } from '../support/database.js';
import { slackSettings, useFakeSlack } from '../support/fakes/use-fakes.js';
import { createUnitFixture } from '../support/fixtures.js';

describe.each(BACKENDS)('the console, model-based, on %s', (backend) => {
  const clock = createFixedClock('2026-05-11T08:00:00Z');
  const fake = useFakeSlack();
  const ctx = useApp(backend, clock, () => ({ ...slackSettings(fake) }));
  const handle = {
    url: () => ctx.url,
    services: () => ctx.services,
    // An app without `idle` (before it had one) is given time to finish instead.
    idle: async () => {
      if (typeof ctx.app.idle === 'function') await ctx.app.idle();
      else await new Promise((resolve) => setTimeout(resolve, 250));
    },
  };
  let foreignActionId: number;

  beforeAll(async () => {
    const other = await createUnitFixture(ctx.services, { code: 'model-other' });
    foreignActionId = (
      await ctx.services.actions.create(other.chair, {
        unitId: other.unit.id,
        title: 'Another unit’s action',
        ownerPersonId: other.owner.personId,
        category: 'prevention',
      })
    ).id;
  });

  it('keeps records, messages and markings as the model says, for any sequence of presses', async () => {
    await runChatModel({
      driver: consoleDriver(handle, () => fake.current),
      services: ctx.services,
      fixture: (run) => createUnitFixture(ctx.services, { code: `console-run-${run}` }),
      foreignActionId,
      numRuns: backend === 'pglite' ? 40 : 15,
      maxCommands: 20,
    });
  }, 240_000);
});
