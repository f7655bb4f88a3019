/** Liveness and readiness probes for load balancers and orchestrators. */
import { sql } from 'kysely';
import type { DatabaseHandle } from '../../db/connect.js';
import { pendingMigrations } from '../../db/migrate.js';
import type { Logger } from '../../services/logger.js';
import type { HttpServer } from './server.js';
import { sendJson } from './server.js';

export function addHealthRoutes(server: HttpServer, handle: DatabaseHandle, logger: Logger): void {
  // Liveness: the process answers. It never touches the database, so a slow database does not get us killed.
  server.route('GET', '/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }));

  // Readiness: the database answers and every migration is applied.
  server.route('GET', '/readyz', async (_req, res) => {
    try {
      await sql`select 1`.execute(handle.db);
      const pending = await pendingMigrations(handle.db, { schema: handle.schema });
      if (pending.length > 0) {
        sendJson(res, 503, {
          status: 'not_ready',
          database: handle.kind,
          reason: 'migrations pending',
          pending,
        });
        return;
      }
      sendJson(res, 200, { status: 'ready', database: handle.kind, migrations: 'current' });
    } catch (error) {
      // The database's own words (host names, user names, paths) go to the log only: a probe is answered by
      // anyone who can reach the port.
      logger.warn({ err: error }, 'readiness: the database did not answer');
      sendJson(res, 503, {
        status: 'not_ready',
        database: handle.kind,
        reason: 'database unreachable (details in the service log)',
      });
    }
  });
}
