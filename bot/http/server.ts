/**
 * The HTTP server: a small route table on node:http. Platform adapters (Slack, Teams, console, ingest API) add
 * their routes here; every unexpected error gets a correlation id that is logged with the stack and shown to
 * the caller, and nothing a handler throws can crash the process.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../services/logger.js';

/** The port cannot be had: says what to do rather than print a stack. */
export class ListenError extends Error {
  override readonly name = 'ListenError';
  constructor(
    readonly code: string,
    readonly port: number,
    readonly host: string,
  ) {
    super(
      code === 'EADDRINUSE'
        ? `Port ${port} on ${host} is already in use (another dmm, or another program). Stop it, or set PORT to a free port (PORT=0 picks one).`
        : code === 'EACCES'
          ? `Not allowed to listen on port ${port} on ${host} (ports below 1024 need privileges). Set PORT to 1024 or above.`
          : `Cannot listen on ${host}: no such address on this machine. Set HOST to one of its addresses (e.g. 127.0.0.1).`,
    );
  }
}

export type RouteHandler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  ctx: { correlationId: string },
) => Promise<void> | void;

export interface HttpServer {
  route(method: string, path: string, handler: RouteHandler): void;
  listen(port: number, host: string): Promise<string>;
  /**
   * Stops accepting connections, waits up to `timeoutMs` for in-flight requests and for handlers still working
   * after they answered (Slack is acked first and answered after), then cuts the rest.
   */
  close(timeoutMs: number): Promise<void>;
  /** Resolves once no handler is running, including work a handler does after answering. */
  idle(): Promise<void>;
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

export function createHttpServer(logger: Logger): HttpServer {
  const routes = new Map<string, RouteHandler>();
  /** Handlers still running, answered or not. */
  const running = new Set<Promise<void>>();
  const idle = async () => {
    while (running.size > 0) await Promise.allSettled([...running]);
  };
  const server = http.createServer((req, res) => {
    const started = process.hrtime.bigint();
    const correlationId = randomUUID();
    const url = new URL(req.url ?? '/', 'http://localhost');
    res.setHeader('x-correlation-id', correlationId);
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.debug(
        { method: req.method, path: url.pathname, status: res.statusCode, ms, correlationId },
        'request',
      );
    });
    const handler = routes.get(`${req.method} ${url.pathname}`);
    if (!handler) {
      const allowed = [...routes.keys()]
        .filter((k) => k.endsWith(` ${url.pathname}`))
        .map((k) => k.split(' ')[0]);
      if (allowed.length > 0) {
        res.setHeader('allow', allowed.join(', '));
        sendJson(res, 405, { error: 'method_not_allowed', allowed });
      } else {
        sendJson(res, 404, { error: 'not_found', path: url.pathname });
      }
      return;
    }
    const work = Promise.resolve()
      .then(() => handler(req, res, { correlationId }))
      .catch((error: unknown) => {
        logger.error({ err: error, correlationId, path: url.pathname }, 'request failed');
        if (!res.headersSent) sendJson(res, 500, { error: 'internal_error', correlationId });
        else res.destroy();
      })
      .finally(() => running.delete(work));
    running.add(work);
  });
  server.keepAliveTimeout = 5_000;

  return {
    route(method, path, handler) {
      routes.set(`${method.toUpperCase()} ${path}`, handler);
    },
    listen(port, host) {
      return new Promise((resolve, reject) => {
        const failed = (error: NodeJS.ErrnoException) =>
          reject(
            error.code === 'EADDRINUSE' || error.code === 'EACCES' || error.code === 'EADDRNOTAVAIL'
              ? new ListenError(error.code, port, host)
              : error,
          );
        server.once('error', failed);
        server.listen(port, host, () => {
          server.off('error', failed);
          const address = server.address() as AddressInfo;
          const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve(`http://${shownHost === '0.0.0.0' ? '127.0.0.1' : shownHost}:${address.port}`);
        });
      });
    },
    idle,
    async close(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      if (server.listening)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
          timer.unref();
          server.close(() => {
            clearTimeout(timer);
            resolve();
          });
          server.closeIdleConnections();
        });
      // Work a handler still does after answering (a Slack reply, follow-ups) finishes before the database
      // closes, up to the same deadline.
      const left = Math.max(0, deadline - Date.now());
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        idle(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, left);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
    },
  };
}
