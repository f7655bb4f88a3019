/**
 * `createApp(config)` wires the database, services and HTTP server together, with no global singletons.
 * `start()` opens and migrates the database (seeding the demo if asked and the database is empty) and listens;
 * `stop()` closes the server, waits for in-flight requests and closes the database. `stop()` is idempotent.
 */

import { addConsoleRoutes } from './bot/console/console.routes.js';
import { createChatCore } from './bot/core/chat.js';
import type { Ports } from './bot/core/outbound.js';
import { addHealthRoutes } from './bot/http/health.routes.js';
import { addIngestRoutes } from './bot/http/ingest.routes.js';
import { createHttpServer } from './bot/http/server.js';
import type { SlackBot } from './bot/slack/slack.app.js';
import type { Config } from './config.js';
import { describeConfig } from './config.js';
import { type DatabaseHandle, openDatabase } from './db/connect.js';
import { migrateToLatest, pendingMigrations } from './db/migrate.js';
import { createScheduler, type Scheduler } from './jobs/scheduler.js';
import { loadKeyring, writeCheckpoint } from './services/audit/audit-keys.js';
import { loadLabels } from './services/briefs/labels.js';
import type { Clock } from './services/clock.js';
import { systemClock } from './services/clock.js';
import { seedDemo } from './services/demo/demo.seed.js';
import { createServices, type Services } from './services/index.js';
import { createLogger, type Logger } from './services/logger.js';
import { createMetrics, type Metrics } from './services/metrics.js';

export interface AppOptions {
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Seed the demo unit when the database has no units (the quick start). */
  readonly demo?: boolean;
  /** Called when the app must stop on its own (e.g. the database lock was lost). */
  readonly onFatal?: (error: Error) => void;
}

export interface App {
  start(): Promise<{ url: string }>;
  stop(): Promise<void>;
  /** The services, once started. */
  readonly services: Services | undefined;
  /** The outbound ports of the platforms that were started (jobs post through them). */
  readonly ports: Ports;
  /** This replica's scheduler (jobs and outbox), once started; absent with DMM_JOBS=off. */
  readonly scheduler: Scheduler | undefined;
  readonly metrics: Metrics | undefined;
  readonly url: string | undefined;
  /** Resolves once no request is being handled, including work done after answering (tests wait on it). */
  idle(): Promise<void>;
}

export function createApp(config: Config, options: AppOptions = {}): App {
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  let handle: DatabaseHandle | undefined;
  let services: Services | undefined;
  let url: string | undefined;
  let slack: SlackBot | undefined;
  let scheduler: Scheduler | undefined;
  let metrics: Metrics | undefined;
  const ports: Ports = {};
  let stopping: Promise<void> | undefined;
  let checkpointTimer: NodeJS.Timeout | undefined;
  const server = createHttpServer(logger);

  async function start() {
    if (stopping) throw new Error('this app was stopped; create a new one');
    logger.info(describeConfig(config), 'starting');
    handle = await openDatabase(config, {
      onLockCompromised: (error) => {
        logger.fatal(
          { err: error },
          'lost the lock on the embedded database; stopping to avoid corrupting it',
        );
        options.onFatal?.(error);
      },
    });
    if (config.migrate) {
      const { applied } = await migrateToLatest(handle.db, { schema: handle.schema });
      if (applied.length > 0) logger.info({ applied }, 'migrations applied');
    } else {
      const pending = await pendingMigrations(handle.db, { schema: handle.schema });
      if (pending.length > 0)
        throw new Error(
          `${pending.length} migration(s) pending (${pending.join(', ')}) and DMM_MIGRATE=off: run \`dmm migrate\` and \`dmm grant\` as the tables' owner first`,
        );
    }
    const auditKeyring = loadKeyring({ key: config.audit.key, file: config.audit.keysFile, create: true });
    // A force's own words for codes (labels.json beside its profiles); a bad file stops the start, naming the key.
    const labels = await loadLabels(config.profilesDir);
    services = createServices({ db: handle.db, clock, databaseKind: handle.kind, auditKeyring, labels });
    const interrupted = await services.incidentImports.recoverInterrupted();
    if (interrupted.length > 0)
      logger.warn(
        { batches: interrupted },
        'import batches left running by a stopped process were marked interrupted (import their files again to complete them)',
      );
    if (options.demo) {
      const seeded = await seedDemo(services);
      if (seeded.created)
        logger.info({ unit: seeded.unitCode, incidents: seeded.incidents }, 'demo data created');
    }
    addHealthRoutes(server, handle, logger);
    addIngestRoutes(server, services, logger, { profilesDir: config.profilesDir });
    const ready = services;
    metrics = createMetrics({ outboxDepth: () => ready.deliveries.depth() });
    const registry = metrics.registry;
    server.route('GET', '/metrics', async (_req, res) => {
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(body);
    });
    const core = createChatCore({ services, logger, metrics });
    if (config.consoleEnabled) {
      addConsoleRoutes({ server, services, core, ports, logger, hosts: config.consoleHosts });
      if (config.consoleBeyondLoopback)
        logger.warn(
          { host: config.host, consoleHosts: config.consoleHosts },
          'the local console is served beyond loopback (DMM_CONSOLE=on): whoever reaches it can act as anyone on any unit; serve it only on a trusted network',
        );
    }
    // Each platform's SDK is loaded only when the platform is configured (Bolt and botbuilder are large).
    if (config.slack) {
      const { createSlackBot } = await import('./bot/slack/slack.app.js');
      slack = createSlackBot({
        settings: config.slack,
        server,
        services,
        core,
        ports,
        logger,
      });
      ports.slack = slack.port;
      await slack.start();
    }
    // A setting given by its old name still works; each is said once, with its new name.
    for (const note of config.deprecations) logger.warn({ setting: note.split(' ')[0] }, note);
    if (config.teams) {
      const { createTeamsBot } = await import('./bot/teams/teams.app.js');
      ports.teams = createTeamsBot({ settings: config.teams, server, services, core, ports, logger }).port;
      if (!config.teams.clientId)
        logger.warn(
          'Teams is on without TEAMS_CLIENT_ID: Bot Framework tokens are not checked (loopback only)',
        );
    }
    url = await server.listen(config.port, config.host);
    if (config.jobs.enabled) {
      scheduler = createScheduler(
        { services, ports, clock, logger, metrics },
        {
          worker: config.jobs.worker,
          catchUpMs: config.jobs.catchUpMs,
          lateAfterMs: 5 * 60_000,
          drainIntervalMs: config.jobs.outboxIntervalMs,
          outbox: { leaseMs: config.jobs.outboxLeaseMs },
          reminders: {
            time: config.jobs.reminderTime,
            escalateAfterDays: config.jobs.escalateAfterDays,
            daysBefore: config.jobs.remindDaysBefore,
          },
        },
      );
      scheduler.start();
    }
    // A checkpoint of the audit chain, outside the database: at start and every day (also after every export).
    const checkpointNow = async () => {
      try {
        const checkpoint = await ready.audit.checkpoint();
        writeCheckpoint(config.audit.checkpointsFile, checkpoint);
        logger.info({ seq: checkpoint.seq, file: config.audit.checkpointsFile }, 'audit checkpoint written');
      } catch (error) {
        logger.error(
          { err: error, file: config.audit.checkpointsFile },
          'could not write an audit checkpoint',
        );
      }
    };
    await checkpointNow();
    checkpointTimer = setInterval(() => void checkpointNow(), 24 * 3_600_000);
    checkpointTimer.unref();
    logger.info({ url, database: handle.location }, 'listening');
    return { url };
  }

  async function stop() {
    stopping ??= (async () => {
      logger.info('stopping');
      if (checkpointTimer) clearInterval(checkpointTimer);
      await scheduler?.stop();
      await server.close(config.shutdownTimeoutMs);
      await slack?.stop();
      await handle?.close();
      logger.info('stopped');
    })();
    return stopping;
  }

  return {
    start,
    stop,
    get services() {
      return services;
    },
    get url() {
      return url;
    },
    ports,
    get scheduler() {
      return scheduler;
    },
    get metrics() {
      return metrics;
    },
    idle: () => server.idle(),
  };
}
