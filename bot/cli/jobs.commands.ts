/** `dmm jobs status`, `dmm deliveries [--failed]`, `dmm deliveries retry`: the scheduled jobs and the outbox. */
import { type Command, Option } from 'commander';
import type { Config } from '../../config.js';
import { dailyJobs, jobStatus } from '../../jobs/scheduler.js';
import { systemClock } from '../../services/clock.js';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../../services/deliveries/delivery.service.js';
import { formatLocal } from '../../services/time.js';
import { type CliIo, idArg, operatorActor, table, withServices } from './context.js';

export function addJobCommands(program: Command, deps: { io: CliIo; config: () => Config }): void {
  const { io, config } = deps;
  const jobs = program.command('jobs').description('scheduled jobs (the morning brief)');
  jobs
    .command('status')
    .description("each unit's brief: next run (local time) and whether today's ran")
    .action(async () => {
      const cfg = config();
      await withServices(cfg, async (services) => {
        const jobs = dailyJobs(services, systemClock, {
          time: cfg.jobs.reminderTime,
          escalateAfterDays: cfg.jobs.escalateAfterDays,
          daysBefore: cfg.jobs.remindDaysBefore,
        });
        const rows = await jobStatus(services, systemClock, jobs, cfg.jobs.catchUpMs);
        if (rows.length === 0) {
          io.stdout('No units yet.\n');
          return;
        }
        io.stdout(
          table([
            ['UNIT', 'JOB', 'NEXT RUN', 'TODAY'],
            ...rows.map((r) => [r.unitCode, r.job, formatLocal(r.nextDueAt, r.timeZone), r.todayRun]),
          ]),
        );
        if (!cfg.jobs.enabled) io.stderr('Note: DMM_JOBS=off here, so this process would not run them.\n');
      });
    });

  const deliveries = program
    .command('deliveries')
    .description('messages in the outbox (default: those not yet sent)')
    .option('--failed', 'only deliveries that failed for good')
    .addOption(new Option('--status <status>', 'only this status').choices([...DELIVERY_STATUSES]))
    .action(async (opts: { failed?: boolean; status?: DeliveryStatus }) => {
      await withServices(config(), async (services) => {
        const status: DeliveryStatus | undefined = opts.failed ? 'failed' : opts.status;
        const list = await services.deliveries.list(status ? { status } : { unsent: true });
        if (list.length === 0) {
          io.stdout(status ? `No ${status} deliveries.\n` : 'The outbox is empty: everything was sent.\n');
          return;
        }
        io.stdout(
          table([
            ['ID', 'KIND', 'STATUS', 'ATTEMPTS', 'NEXT ATTEMPT', 'TO', 'LAST ERROR'],
            ...list.map((d) => [
              String(d.id),
              d.kind,
              // In doubt: a call began and never got a definite answer; the next attempt looks before posting.
              d.inDoubt ? `${d.status} (in doubt)` : d.status,
              String(d.attempts),
              d.status === 'pending' ? d.nextAttemptAt.toISOString() : '-',
              d.bindingId ? `binding ${d.bindingId}` : `person ${d.personId}`,
              (d.lastError ?? '').slice(0, 80),
            ]),
          ]),
        );
      });
    });
  deliveries
    .command('retry')
    .description('send failed deliveries again (all of them, or the ones named)')
    .option('--id <id...>', 'delivery ids', (value: string, previous: number[] = []) => [
      ...previous,
      idArg(value),
    ])
    .action(async (opts: { id?: number[] }) => {
      await withServices(config(), async (services) => {
        const count = await services.deliveries.retry(operatorActor(), opts.id ?? []);
        io.stdout(
          count === 0
            ? 'No failed deliveries to retry.\n'
            : `${count} deliver${count === 1 ? 'y' : 'ies'} queued again; a running service sends ${count === 1 ? 'it' : 'them'} within seconds.\n`,
        );
      });
    });
}
