/**
 * A Bolt receiver on the service's own HTTP server (`POST /slack/events`), so Slack shares the port with Teams,
 * the console and the ingest API. It does what Bolt's HTTPReceiver does with Bolt's own functions: verifies the
 * signature and the 5-minute replay window (401 otherwise, before anything is parsed or changed), answers
 * Slack's URL and SSL checks, and hands the event to the app with an ack that answers the HTTP request.
 */
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import { HTTPResponseAck, HTTPModuleFunctions as http } from '@slack/bolt';
import type { HttpServer } from '../http/server.js';
import type { BoltLogger } from './bolt-logger.js';

/** Slack sends at most a few KB; anything much larger is not Slack. */
const BODY_LIMIT = 1024 * 1024;
/** Bolt's own limit for an unacknowledged request (Slack gives up after 3 s). */
const UNHANDLED_TIMEOUT_MS = 3_001;
/** Slack's replay window: a request dated further than this from now, either way, is refused. */
const MAX_SKEW_SECONDS = 5 * 60;

/**
 * Whether the request's timestamp is within the replay window. Bolt refuses only old ones; a signed request
 * dated in the future (captured, or made with a leaked secret to be replayed later) is refused here too.
 */
function withinReplayWindow(req: { headers: Record<string, string | string[] | undefined> }, nowMs: number) {
  const raw = req.headers['x-slack-request-timestamp'];
  const timestamp = Number(Array.isArray(raw) ? raw[0] : raw);
  return Number.isInteger(timestamp) && Math.abs(nowMs / 1000 - timestamp) <= MAX_SKEW_SECONDS;
}

export class DmmSlackReceiver implements Receiver {
  private app: App | undefined;

  constructor(
    private readonly options: {
      readonly server: HttpServer;
      readonly signingSecret: string;
      readonly logger: BoltLogger;
      readonly path?: string;
    },
  ) {}

  init(app: App): void {
    this.app = app;
    this.options.server.route('POST', this.options.path ?? '/slack/events', (req, res) =>
      this.handle(req, res),
    );
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  private async handle(
    req: Parameters<typeof http.parseAndVerifyHTTPRequest>[1],
    res: NonNullable<Parameters<typeof http.parseAndVerifyHTTPRequest>[2]>,
  ): Promise<void> {
    const { logger } = this.options;
    if (!withinReplayWindow(req, Date.now())) {
      logger.warn('Slack request refused: its timestamp is more than 5 minutes from now');
      http.buildNoBodyResponse(res, 401);
      return;
    }
    let buffered: Awaited<ReturnType<typeof http.parseAndVerifyHTTPRequest>>;
    try {
      buffered = await http.parseAndVerifyHTTPRequest(
        { enabled: true, signingSecret: this.options.signingSecret, bodyLimit: BODY_LIMIT, logger },
        req,
      );
    } catch (error) {
      if (http.isRawBodyError(error) && (error.type === 'entity.too.large' || error.statusCode === 413)) {
        http.buildNoBodyResponse(res, 413);
        return;
      }
      logger.warn(`Slack request refused: ${(error as Error).message}`);
      http.buildNoBodyResponse(res, 401);
      return;
    }
    // biome-ignore lint/suspicious/noExplicitAny: Slack request bodies are any of a dozen shapes
    let body: any;
    try {
      body = http.parseHTTPRequestBody(buffered);
    } catch (error) {
      logger.warn(`Malformed Slack request body: ${(error as Error).message}`);
      http.buildNoBodyResponse(res, 400);
      return;
    }
    if (body?.ssl_check === '1') {
      http.buildSSLCheckResponse(res);
      return;
    }
    if (body?.type === 'url_verification') {
      http.buildUrlVerificationResponse(res, body);
      return;
    }
    const ack = new HTTPResponseAck({
      logger,
      processBeforeResponse: false,
      unhandledRequestTimeoutMillis: UNHANDLED_TIMEOUT_MS,
      httpRequest: buffered,
      httpRequestBody: body,
      httpResponse: res,
    });
    const event: ReceiverEvent = {
      body,
      ack: ack.bind(),
      retryNum: http.extractRetryNumFromHTTPRequest(req),
      retryReason: http.extractRetryReasonFromHTTPRequest(req),
    };
    try {
      await this.app?.processEvent(event);
    } catch (error) {
      logger.error(`Slack event failed: ${(error as Error).stack ?? String(error)}`);
      // Acknowledge so Slack does not retry a request that will fail the same way; the user already has a reply
      // or an error message from the handler.
      if (!res.headersSent) http.buildNoBodyResponse(res, 200);
    }
  }
}
