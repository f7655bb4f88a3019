/**
 * The local console at /console: a chat page where you pick a person of the unit, type the same commands as in
 * Slack or Teams, and see the replies as Adaptive Cards drawn by the official renderer. It is the third adapter
 * of the chat core: the same placement rule, and the same follow-ups (a change made here updates the Slack and
 * Teams copies of the record and tells a new owner on their platform).
 *
 * It lets whoever reaches it act as anyone, so it is served only when the configuration allows (by default only
 * on loopback), and it defends itself against other sites: every response refuses framing; a request whose
 * `Host` is not one the console is served on is refused (DNS rebinding); a write must be JSON, come from the
 * console's own origin, and carry the token of a page the console served (cross-site request forgery).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs/promises';
import type http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { z } from 'zod';
import { minutesPdf } from '../../cards/minutes.card.js';
import { renderAdaptiveCard } from '../../cards/render/adaptive-card.js';
import { tcgPackPdf } from '../../cards/tcg-pack.card.js';
import { isDomainError } from '../../services/errors.js';
import type { Services } from '../../services/index.js';
import type { Logger } from '../../services/logger.js';
import { id, isoDate } from '../../services/validation.js';
import type { ChatCore, ChatInput } from '../core/chat.js';
import { describeError } from '../core/errors.js';
import { followUp, type Ports } from '../core/outbound.js';
import type { HttpServer } from '../http/server.js';
import { sendJson } from '../http/server.js';

const require = createRequire(import.meta.url);
const PUBLIC_DIR = path.join(import.meta.dirname, 'public');
/** Largest request the console accepts: a command or a form. */
const MAX_BODY_BYTES = 64 * 1024;
/** The header a page's script sends its token in. */
export const CONSOLE_TOKEN_HEADER = 'x-dmm-console-token';
/** Where the page finds its token: `<meta name="dmm-console-token" content="…">`. */
const TOKEN_PLACEHOLDER = '{{DMM_CONSOLE_TOKEN}}';

const STATIC_FILES: Readonly<Record<string, { file: string; type: string }>> = {
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

/** Headers on every console response: only the page's own scripts run, and no other site may frame it. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

class Refused extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

const bodySchema = z.object({
  unitId: id,
  personId: id,
  text: z.string().max(2000, 'must be at most 2000 characters').optional(),
  data: z.unknown().optional(),
  inputs: z.record(z.string(), z.unknown()).optional(),
  /** The page's id for a typed message: sending the same message twice changes nothing twice. */
  key: z
    .string()
    .regex(/^[A-Za-z0-9-]{8,64}$/, 'must be 8 to 64 letters, digits or dashes')
    .optional(),
});

const pdfBodySchema = z.object({ unitId: id, personId: id, meetingId: id });
const packBodySchema = z.object({ unitId: id, personId: id, from: isoDate, to: isoDate });

/**
 * Page tokens: a random nonce and its HMAC under a secret made when the app starts, so any page the console
 * served can write and nothing else can; a restart asks for a reload.
 */
export function createConsoleTokens(secret: Buffer = randomBytes(32)) {
  const mac = (nonce: string) => createHmac('sha256', secret).update(nonce).digest('base64url');
  return {
    issue(): string {
      const nonce = randomBytes(16).toString('base64url');
      return `${nonce}.${mac(nonce)}`;
    },
    verify(token: string | undefined): boolean {
      const [nonce, given, extra] = (token ?? '').split('.');
      if (!nonce || !given || extra !== undefined) return false;
      const expected = Buffer.from(mac(nonce));
      const actual = Buffer.from(given);
      return expected.length === actual.length && timingSafeEqual(expected, actual);
    },
  };
}

export interface ConsoleGuard {
  /** Refuses a request for another host (DNS rebinding): throws `Refused`. */
  checkHost(req: http.IncomingMessage): void;
  /** Refuses a write from another site or without a page token: throws `Refused`. */
  checkWrite(req: http.IncomingMessage): void;
  issueToken(): string;
}

/** The console's defences, for the host names it is served on (see `Config.consoleHosts`). */
export function createConsoleGuard(hosts: readonly string[]): ConsoleGuard {
  const tokens = createConsoleTokens();
  const allowed = new Set(hosts.map((h) => h.toLowerCase()));
  /** The Host header's name and port, or undefined when it is not one this console answers to. */
  function hostOf(req: http.IncomingMessage): string | undefined {
    const host = String(req.headers.host ?? '').toLowerCase();
    const match = /^(\[[0-9a-f:]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/.exec(host);
    if (!match) return undefined;
    const [, name, port] = match;
    // The port, when given, must be the one this request reached (a rebinding page names its own).
    if (port && Number(port) !== req.socket.localPort) return undefined;
    return name && allowed.has(name) ? host : undefined;
  }
  return {
    issueToken: () => tokens.issue(),
    checkHost(req) {
      if (!hostOf(req))
        throw new Refused(
          421,
          'wrong_host',
          'The console answers only on the address it is served on (see DMM_CONSOLE_HOSTS).',
        );
    },
    checkWrite(req) {
      const host = hostOf(req);
      const type = String(req.headers['content-type'] ?? '')
        .split(';')[0]
        ?.trim()
        .toLowerCase();
      if (type !== 'application/json')
        throw new Refused(415, 'unsupported_media_type', 'The console takes JSON requests only.');
      const origin = req.headers.origin;
      // Browsers name the page's origin on every write; a page of another site cannot pretend to be ours.
      if (origin !== undefined && origin !== `http://${host}` && origin !== `https://${host}`)
        throw new Refused(403, 'cross_origin', 'Requests from other sites are refused.');
      if (
        req.headers['sec-fetch-site'] &&
        !['same-origin', 'none'].includes(String(req.headers['sec-fetch-site']))
      )
        throw new Refused(403, 'cross_origin', 'Requests from other sites are refused.');
      const token = req.headers[CONSOLE_TOKEN_HEADER];
      if (!tokens.verify(Array.isArray(token) ? token[0] : token))
        throw new Refused(403, 'no_token', 'This page is out of date or not the console: reload it.');
    },
  };
}

/** A request body against its schema; refused with 400 naming the first field that is wrong. */
function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new Refused(400, 'bad_request', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new Refused(413, 'too_large', `The request may be at most ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk as Buffer);
  }
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw new Refused(400, 'bad_request', 'The request must be a JSON object.');
  }
}

function send(res: http.ServerResponse, status: number, body: unknown) {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  sendJson(res, status, body);
}

export function addConsoleRoutes(deps: {
  server: HttpServer;
  services: Services;
  core: ChatCore;
  ports: Ports;
  logger: Logger;
  hosts: readonly string[];
}): void {
  const { server, services, core, ports, logger } = deps;
  const guard = createConsoleGuard(deps.hosts);

  /** Every console route: refused for a foreign host; refusals and failures answered in the one error map's words. */
  function route(
    method: 'GET' | 'POST',
    url: string,
    handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>,
  ) {
    server.route(method, url, async (req, res) => {
      try {
        guard.checkHost(req);
        if (method === 'POST') guard.checkWrite(req);
        await handler(req, res);
      } catch (error) {
        if (res.headersSent) throw error;
        if (error instanceof Refused) send(res, error.status, { error: error.error, message: error.message });
        else {
          const d = describeError(error, logger, { surface: 'console' });
          send(res, d.code === 'INTERNAL' ? 500 : 400, {
            error: d.code.toLowerCase(),
            message: d.message,
            ...(d.correlationId ? { correlationId: d.correlationId } : {}),
          });
        }
      }
    });
  }

  route('GET', '/console', async (_req, res) => {
    const html = await fs.readFile(path.join(PUBLIC_DIR, 'index.html'), 'utf8');
    const body = Buffer.from(html.replace(TOKEN_PLACEHOLDER, guard.issueToken()));
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      'content-length': body.length,
    });
    res.end(body);
  });

  for (const [url, { file, type }] of Object.entries(STATIC_FILES)) {
    route('GET', url, async (_req, res) => {
      const body = await fs.readFile(file);
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': body.length });
      res.end(body);
    });
  }

  /** The unit (by id, else the first) and its people with their roles. */
  route('GET', '/console/api/people', async (req, res) => {
    const wanted = Number(new URL(req.url ?? '/', 'http://localhost').searchParams.get('unit'));
    const units = await services.units.list();
    const unit = units.find((u) => u.id === wanted) ?? units[0];
    if (!unit) {
      send(res, 404, {
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
    send(res, 200, {
      unit: { id: unit.id, name: unit.name },
      units: units.map((u) => ({ id: u.id, name: u.name })),
      people: people.map((p) => ({ id: p.id, name: p.displayName, roles: p.roles })),
    });
  });

  /** The picker's person must be someone with a role on the unit: a request naming anyone else is refused. */
  function pickerActor(b: { personId: number; unitId: number }) {
    return services.people.actorFor(b.personId, b.unitId).catch((error: unknown) => {
      throw isDomainError(error) ? new Refused(400, 'bad_request', error.message) : error;
    });
  }

  /** Runs one request through the chat core, answers with its cards, then does the follow-ups. */
  async function handle(
    res: http.ServerResponse,
    body: Record<string, unknown>,
    input: (b: z.output<typeof bodySchema>) => ChatInput,
  ) {
    const b = parseBody(bodySchema, body);
    await pickerActor(b);
    const plan = await core.handle({ platform: 'console', personId: b.personId, unitId: b.unitId }, input(b));
    // The console is the person's own screen: every step shows here, in order.
    send(res, 200, {
      cards: plan.steps.map((s) => renderAdaptiveCard(s.card)),
      ...(plan.fieldErrors ? { fieldErrors: plan.fieldErrors } : {}),
    });
    await followUp({ core, ports, logger }, plan, { platform: 'console' });
  }

  route('POST', '/console/api/message', async (req, res) =>
    handle(res, await readJson(req), (b) => ({
      type: 'text',
      text: b.text ?? '',
      ...(b.key ? { key: `console:${b.key}` } : {}),
    })),
  );

  route('POST', '/console/api/submit', async (req, res) =>
    handle(res, await readJson(req), (b) => ({ type: 'press', data: b.data, inputs: b.inputs ?? {} })),
  );

  /** The minutes as a PDF for the file (the minutes card's Download PDF), read with the person's own rights. */
  route('POST', '/console/api/minutes.pdf', async (req, res) => {
    const b = parseBody(pdfBodySchema, await readJson(req));
    const view = await services.meetings.minutesOf(await pickerActor(b), b.meetingId);
    const pdf = await minutesPdf(view);
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'application/pdf',
      'content-length': pdf.length,
      'content-disposition': `attachment; filename="dmm-minutes-${view.localDate}${view.status === 'approved' ? '' : '-not-approved'}.pdf"`,
    });
    res.end(pdf);
  });

  /** The TT&CG pack as a PDF (the pack's Download PDF), built with the person's own rights; a disclosure. */
  route('POST', '/console/api/tcg-pack.pdf', async (req, res) => {
    const b = parseBody(packBodySchema, await readJson(req));
    const actor = await pickerActor(b);
    const pack = await services.tcgPacks.build(actor, {
      unitId: b.unitId,
      from: b.from,
      to: b.to,
      recipients: [(await services.people.get(b.personId)).displayName],
      justification: 'TT&CG pack downloaded from the console',
      destination: 'console download (PDF)',
      channel: 'console',
    });
    const pdf = await tcgPackPdf(pack);
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'application/pdf',
      'content-length': pdf.length,
      'content-disposition': `attachment; filename="dmm-tcg-pack-${pack.unit.code}-${pack.from}-to-${pack.to}.pdf"`,
    });
    res.end(pdf);
  });
}
