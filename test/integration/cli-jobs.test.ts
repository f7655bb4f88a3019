import { describe, expect, it } from 'vitest';
import { withServices } from '../../bot/cli/context.js';
import { loadConfig } from '../../config.js';
import { runDmm, useCliEnvironment } from '../support/cli.js';
import { BACKENDS } from '../support/database.js';
import { operator } from '../support/fixtures.js';

describe.each(BACKENDS)('dmm jobs and deliveries on %s', (backend) => {
  const cli = useCliEnvironment(backend);

  it('shows the next brief per unit, lists failed deliveries with their reason, and queues them again', async () => {
    expect((await runDmm(cli.env, 'deliveries')).stdout).toMatch(/The outbox is empty/);
    const ids = await withServices(loadConfig(cli.env), async (services) => {
      const unit = await services.units.create(operator, {
        code: 'cli-jobs',
        name: 'CLI jobs',
        briefTime: '06:45',
      });
      const binding = await services.channels.link(
        operator,
        { platform: 'slack', tenantId: 'T1', conversationId: 'C1' },
        { unitId: unit.id },
      );
      await services.deliveries.scheduleRun(
        {
          job: 'brief',
          unitId: unit.id,
          localDate: '2026-01-01',
          dueAt: new Date(),
          late: false,
          worker: 'test',
        },
        [{ bindingId: binding.id, kind: 'brief', payload: { title: 'x', blocks: [] }, marking: 'OFFICIAL' }],
      );
      const [leased] = await services.deliveries.claimDue('test', 10, 60_000);
      if (!leased) throw new Error('nothing leased');
      // The post began and ended without a definite answer: the row is in doubt.
      await services.deliveries.renewLease(leased.id, 'test', 60_000, { attempt: true });
      await services.deliveries.markAttemptFailed(leased.id, 'test', {
        error: 'channel_not_found',
        nextAttemptAt: null,
      });
      return [leased.id];
    });
    const status = await runDmm(cli.env, 'jobs', 'status');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(
      /cli-jobs\s+brief\s+\w{3} \d{1,2} \w{3} \d{4} 06:45\s+(not yet|missed|done)/,
    );
    const failed = await runDmm(cli.env, 'deliveries', '--failed');
    expect(failed.stdout).toContain('channel_not_found');
    expect(failed.stdout).toMatch(new RegExp(`^${ids[0]}\\s+brief\\s+failed \\(in doubt\\)\\s+1`, 'm'));
    const retried = await runDmm(cli.env, 'deliveries', 'retry', '--id', String(ids[0]));
    expect(retried.stdout).toMatch(/1 delivery queued again/);
    expect((await runDmm(cli.env, 'deliveries', '--failed')).stdout).toMatch(/No failed deliveries/);
    expect((await runDmm(cli.env, 'deliveries')).stdout).toMatch(
      new RegExp(`^${ids[0]}\\s+brief\\s+pending \\(in doubt\\)\\s+0`, 'm'),
    );
    const none = await runDmm(cli.env, 'deliveries', 'retry', '--id', '999');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/Failed delivery 999 was not found/);
  });
});
