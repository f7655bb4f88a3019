/**
 * The local console at /console: a chat page where you pick a person of the unit, type the same commands as in
 * Slack or Teams, and see the replies as Adaptive Cards drawn by the official renderer. It goes through the same
 * router and services as the platforms. It lets whoever reaches it act as anyone, so it is served only when the
 * configuration allows (by default only on loopback).
 */
import fs from 'node:fs/promises';
import type http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { renderAdaptiveCard } from '../../cards/render/adaptive-card.js';
import { isDomainError } from '../../services/errors.js';
import type { Services } from '../../services/index.js';
import type { Logger } from '../../services/logger.js';
import type { Conversation } from '../core/router.js';
import { createRouter } from '../core/router.js';
import type { HttpServer } from '../http/server.js';
import { sendJson } from '../http/server.js';

const require = createRequire(import.meta.url);
const PUBLIC_DIR = path.join(import.meta.dirname, 'public');
/** Largest request the console accepts: a command or a form. */
const MAX_BODY_BYTES = 64 * 1024;

const STATIC_FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/console': { file: path.join(PUBLIC_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  '/console/console.js': {
    file: path.join(PUBLIC_DIR, 'console.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/console/console.css': { file: path.join(PUBLIC_DIR, 'console.css'), type: 'text/css; charset=utf-8' },
  // The official Adaptive Cards renderer, as the package ships it for browsers.
  '/console/adaptivecards.js': {
    file: require.resolve('adaptivecards/dist/adaptivecards.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
};

class BadRequest extends Error {}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BadRequest(`The request may be at most ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk as Buffer);
  }
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw new BadRequest('The request must be a JSON object.');
  }
}

export function addConsoleRoutes(server: HttpServer, services: Services, logger: Logger): void {
  const router = createRouter({ services, logger });

  for (const [route, { file, type }] of Object.entries(STATIC_FILES)) {
    server.route('GET', route, async (_req, res) => {
      const body = await fs.readFile(file);
      res.writeHead(200, {
        'content-type': type,
        'content-length': body.length,
        'cache-control': 'no-store',
        // The page runs only its own scripts: user text can never become one.
        'content-security-policy':
          "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'",
      });
      res.end(body);
    });
  }

  /** The unit (by id, else the first) and its people with their roles. */
  server.route('GET', '/console/api/people', async (req, res) => {
    const wanted = Number(new URL(req.url ?? '/', 'http://localhost').searchParams.get('unit'));
    const units = await services.units.list();
    const unit = units.find((u) => u.id === wanted) ?? units[0];
    if (!unit) {
      sendJson(res, 404, {
        error: 'no_unit',
        message: 'There is no unit yet: run `npm start` (it seeds the demo).',
      });
      return;
    }
    // The chair first: the person who runs the meeting is the one a visitor most likely wants to try.
    const order = ['chair', 'action_manager', 'member', 'analyst', 'partner', 'admin'];
    const rank = (roles: readonly string[]) =>
      Math.min(...roles.map((r) => order.indexOf(r)).filter((i) => i >= 0), 99);
    const people = (await services.people.membersOf(unit.id)).sort(
      (a, b) => rank(a.roles) - rank(b.roles) || a.displayName.localeCompare(b.displayName),
    );
    sendJson(res, 200, {
      unit: { id: unit.id, name: unit.name },
      units: units.map((u) => ({ id: u.id, name: u.name })),
      people: people.map((p) => ({ id: p.id, name: p.displayName, roles: p.roles })),
    });
  });

  async function conversation(body: Record<string, unknown>): Promise<Conversation> {
    const unitId = Number(body.unitId);
    const personId = Number(body.personId);
    if (!Number.isSafeInteger(unitId) || !Number.isSafeInteger(personId))
      throw new BadRequest('Give unitId and personId (numbers).');
    const actor = await services.people.actorFor(personId, unitId);
    if (actor.roles.length === 0) throw new BadRequest('That person has no role on this unit.');
    const partnerOnly = actor.roles.every((r) => r === 'partner');
    // The console is the user's own screen: internal people see up to OFFICIAL-SENSITIVE, partners the
    // sanitised view only.
    return partnerOnly
      ? { actor, unitId, audience: 'partner', ceiling: 'OFFICIAL' }
      : { actor, unitId, audience: 'internal', ceiling: 'OFFICIAL-SENSITIVE' };
  }

  function handle(fn: (body: Record<string, unknown>) => Promise<unknown>) {
    return async (req: http.IncomingMessage, res: http.ServerResponse) => {
      try {
        sendJson(res, 200, await fn(await readJson(req)));
      } catch (error) {
        if (error instanceof BadRequest || isDomainError(error))
          sendJson(res, 400, { error: 'bad_request', message: error.message });
        else throw error;
      }
    };
  }

  server.route(
    'POST',
    '/console/api/message',
    handle(async (body) => {
      const reply = await router.handleText(await conversation(body), String(body.text ?? ''));
      return { cards: reply.cards.map(renderAdaptiveCard) };
    }),
  );

  server.route(
    'POST',
    '/console/api/submit',
    handle(async (body) => {
      const inputs =
        typeof body.inputs === 'object' && body.inputs !== null
          ? (body.inputs as Record<string, unknown>)
          : {};
      const reply = await router.handleSubmit(await conversation(body), body.data, inputs);
      return { cards: reply.cards.map(renderAdaptiveCard) };
    }),
  );
}
