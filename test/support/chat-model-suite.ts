/**
 * The model-based chat test for one surface, on every backend: an app with that surface's fakes, another unit
 * with an action (for presses with foreign ids), and `runChatModel` (test/support/chat-model.ts).
 */
import { beforeAll, describe, it } from 'vitest';
import { createFixedClock } from '../../services/clock.js';
import { useApp } from './app.js';
import { consoleDriver, slackDriver, teamsDriver } from './chat-drivers.js';
import { runChatModel } from './chat-model.js';
import { BACKENDS } from './database.js';
import { slackSettings, useFakeConnector, useFakeSlack } from './fakes/use-fakes.js';
import { createUnitFixture } from './fixtures.js';

const TITLES = { slack: 'Slack', teams: 'Teams', console: 'the console' } as const;

export function describeChatModel(surface: 'slack' | 'teams' | 'console') {
  describe.each(BACKENDS)(`${TITLES[surface]}, model-based, on %s`, (backend) => {
    const clock = createFixedClock('2026-05-11T08:00:00Z');
    // Slack for Slack, and for the console (where a new owner is told); the connector for Teams.
    const slack = surface === 'teams' ? undefined : useFakeSlack();
    const connector = surface === 'teams' ? useFakeConnector() : undefined;
    const ctx = useApp(backend, clock, () => (slack ? slackSettings(slack) : { DMM_TEAMS: 'on' }));
    const handle = {
      url: () => ctx.url,
      services: () => ctx.services,
      idle: () => ctx.app.idle(),
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

    const driver = () =>
      surface === 'teams'
        ? teamsDriver(handle, () => connector?.current as never)
        : surface === 'slack'
          ? slackDriver(handle, () => slack?.current as never)
          : consoleDriver(handle, () => slack?.current as never);

    it('keeps records, messages and markings as the model says, for any sequence of presses', async () => {
      await runChatModel({
        driver: driver(),
        services: ctx.services,
        fixture: (run) => createUnitFixture(ctx.services, { code: `${surface}-run-${run}` }),
        foreignActionId,
        numRuns: backend === 'pglite' ? 40 : 15,
        maxCommands: 20,
      });
    }, 240_000);

    it('approves closed minutes once, whoever presses which copy how often (issue 16, item 6)', async () => {
      await runChatModel({
        driver: driver(),
        services: ctx.services,
        fixture: (run) => createUnitFixture(ctx.services, { code: `${surface}-signoff-${run}` }),
        foreignActionId,
        numRuns: backend === 'pglite' ? 12 : 5,
        maxCommands: 8,
        signOff: true,
        firstRun: 1000,
      });
    }, 240_000);
  });
}
