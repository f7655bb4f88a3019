/**
 * The ingest API, authenticated by bearer tokens (`dmm tokens create`):
 * - `POST /api/v1/incidents?unit=<code>[&profile=<name>]` with a JSON array or NDJSON (one JSON object a line)
 *   of records keyed by the profile's column names (default profile `generic-uk-cad`). Up to
 *   MAX_RECORDS records and MAX_BODY_BYTES a request. Answers with the batch summary and one result per record.
 * - `GET /api/v1/forward-look?unit=<code>[&hours=24]` and `POST /api/v1/forward-look?unit=<code>` (one item).
 */
import type http from 'node:http';
import { refreshPostedBriefs } from '../../jobs/brief.job.js';
import { isDomainError } from '../../services/errors.js';
import { ImportFileError } from '../../services/incidents/csv-reader.js';
import { loadProfile, ProfileError } from '../../services/incidents/profile.js';
import type { Services } from '../../services/index.js';
import type { Logger } from '../../services/logger.js';
import { withinCeiling } from '../../services/validation.js';
import type { HttpServer } from './server.js';
import { sendJson } from './server.js';

/** Largest request body accepted (10 MiB): bounds memory per request. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** Most records in one request; larger loads are sent as several requests. */
export const MAX_RECORDS = 5_000;
/** How deeply a body's arrays and objects may nest: a record is an object of plain values inside one array. */
export const MAX_JSON_DEPTH = 32;

/**
 * How deeply `text` nests its arrays and objects, counted in one pass over the text before it is parsed (a body
 * nested 200,000 deep would otherwise exhaust the stack of whatever walks it after parsing). Stops counting past
 * `limit`.
 */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i += 1; // a backslash escapes the next character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      depth += 1;
      if (depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === 93 || c === 125) depth -= 1;
  }
  return max;
}

/** The media type of a Content-Type header, without its parameters: `application/json; charset=utf-8` → `application/json`. */
const mediaType = (header: string) => (header.split(';')[0] ?? '').trim().toLowerCase();
const NDJSON_TYPES = new Set(['application/x-ndjson', 'application/ndjson']);

function tooDeep(where: string): HttpError {
  return new HttpError(
    400,
    'too_deep',
    `${where} is nested more than ${MAX_JSON_DEPTH} levels deep: send each record as one object of plain values.`,
  );
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES)
    throw new HttpError(
      413,
      'payload_too_large',
      `The body may be at most ${MAX_BODY_BYTES} bytes; send the records in several requests.`,
    );
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new HttpError(
        413,
        'payload_too_large',
        `The body may be at most ${MAX_BODY_BYTES} bytes; send the records in several requests.`,
      );
    chunks.push(chunk as Buffer);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new HttpError(400, 'bad_encoding', 'The body must be UTF-8 text.');
  }
}

function parseRecords(
  body: string,
  contentType: string,
): Array<{ record: unknown; raw: string; error?: string }> {
  const type = mediaType(contentType);
  if (NDJSON_TYPES.has(type)) {
    return body
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line, i) => {
        if (jsonDepth(line, MAX_JSON_DEPTH - 1) > MAX_JSON_DEPTH - 1) throw tooDeep(`Line ${i + 1}`);
        try {
          return { record: JSON.parse(line) as unknown, raw: line };
        } catch (error) {
          return {
            record: null,
            raw: line,
            error: `line ${i + 1} is not valid JSON: ${(error as Error).message}`,
          };
        }
      });
  }
  if (type !== 'application/json') {
    throw new HttpError(
      415,
      'unsupported_media_type',
      'Send Content-Type application/json (an array of records) or application/x-ndjson.',
    );
  }
  if (jsonDepth(body) > MAX_JSON_DEPTH) throw tooDeep('The body');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new HttpError(400, 'bad_json', `The body is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed))
    throw new HttpError(400, 'bad_json', 'The body must be a JSON array of records.');
  return parsed.map((record) => ({ record, raw: JSON.stringify(record) }));
}

export function addIngestRoutes(
  server: HttpServer,
  services: Services,
  logger: Logger,
  options: { readonly profilesDir?: string | undefined } = {},
): void {
  async function authenticate(req: http.IncomingMessage, url: URL, access: 'read' | 'write' = 'write') {
    const header = req.headers.authorization ?? '';
    const presented = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const auth = await services.tokens.authenticate(presented);
    const code = url.searchParams.get('unit');
    if (!code) throw new HttpError(400, 'missing_unit', 'Name the unit with ?unit=<code>.');
    const unit = await services.units.getByCode(code);
    services.tokens.assertUnit(auth.token, unit.id, unit.code, access);
    return { ...auth, unit };
  }

  function handle(fn: (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<void>) {
    return async (req: http.IncomingMessage, res: http.ServerResponse, ctx: { correlationId: string }) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      try {
        await fn(req, res, url);
      } catch (error) {
        if (error instanceof HttpError) {
          sendJson(res, error.status, {
            error: error.error,
            message: error.message,
            correlationId: ctx.correlationId,
          });
        } else if (isDomainError(error)) {
          const status =
            error.code === 'UNAUTHENTICATED'
              ? 401
              : error.code === 'FORBIDDEN'
                ? 403
                : error.code === 'NOT_FOUND'
                  ? 404
                  : error.code === 'CONFLICT'
                    ? 409
                    : 400;
          if (status === 401) res.setHeader('www-authenticate', 'Bearer realm="dmm-bot"');
          sendJson(res, status, {
            error: error.code.toLowerCase(),
            message: error.message,
            details: error.details,
            correlationId: ctx.correlationId,
          });
        } else if (error instanceof ProfileError || error instanceof ImportFileError) {
          sendJson(res, 400, {
            error: 'bad_request',
            message: error.message,
            correlationId: ctx.correlationId,
          });
        } else {
          throw error;
        }
      }
    };
  }

  server.route(
    'POST',
    '/api/v1/incidents',
    handle(async (req, res, url) => {
      const { actor, unit, token } = await authenticate(req, url);
      const records = parseRecords(await readBody(req), String(req.headers['content-type'] ?? ''));
      if (records.length === 0) throw new HttpError(400, 'empty', 'The body holds no records.');
      if (records.length > MAX_RECORDS) {
        throw new HttpError(
          413,
          'too_many_records',
          `At most ${MAX_RECORDS} records a request (this one has ${records.length}); send several requests.`,
        );
      }
      // Installed profiles by name only: a caller never names a file for the service to read.
      const profile = await loadProfile(url.searchParams.get('profile') ?? 'generic-uk-cad', {
        profilesDir: options.profilesDir,
        allowPaths: false,
      });
      const { summary, results } = await services.incidentImports.importRecords(actor, {
        unitId: unit.id,
        profile,
        label: `api:${token.name}`,
        records,
      });
      logger.info(
        {
          batchId: summary.batchId,
          token: token.name,
          unit: unit.code,
          read: summary.read,
          rejected: summary.rejected,
        },
        'incidents ingested',
      );
      // Late incidents: a brief already posted for their day is built again and updated in place.
      const refreshed =
        summary.inserted + summary.updated > 0 ? await refreshPostedBriefs(services, unit.id) : [];
      if (refreshed.length > 0)
        logger.info({ unit: unit.code, dates: refreshed }, 'posted briefs updated with late incidents');
      sendJson(res, 200, { summary, results: results.map((r, index) => ({ index, ...r })) });
    }),
  );

  server.route(
    'GET',
    '/api/v1/forward-look',
    handle(async (req, res, url) => {
      const { actor, unit, token } = await authenticate(req, url, 'read');
      const hours = Math.min(168, Math.max(1, Number(url.searchParams.get('hours') ?? 24) || 24));
      const from = services.clock.now();
      const all = await services.forwardLook.listBetween(
        actor,
        unit.id,
        from,
        new Date(from.getTime() + hours * 3_600_000),
      );
      // Nothing above the token's ceiling: such items are counted, never sent.
      const items = all.filter((item) => withinCeiling(item.marking, token.ceiling));
      sendJson(res, 200, { items, withheld: all.length - items.length, ceiling: token.ceiling });
    }),
  );

  server.route(
    'POST',
    '/api/v1/forward-look',
    handle(async (req, res, url) => {
      const { actor, unit } = await authenticate(req, url);
      let body: unknown;
      try {
        body = JSON.parse(await readBody(req));
      } catch (error) {
        if (error instanceof HttpError) throw error;
        throw new HttpError(400, 'bad_json', 'The body must be one JSON object.');
      }
      const item = await services.forwardLook.create(actor, {
        ...(body as object),
        unitId: unit.id,
      } as never);
      sendJson(res, 201, { item });
    }),
  );
}
