/**
 * A fake Slack Web API on loopback: the app's WebClient is pointed at it with SLACK_API_URL. It answers the
 * methods the app calls (auth.test, chat.postMessage, chat.update, chat.postEphemeral, views.open,
 * views.publish, conversations.open and .history; a post to a user id lands in their DM `D…`), keeps every message by channel and ts so a test can read the channel as a person would, takes
 * `response_url` posts at /response/<id>, and can answer 429 with Retry-After (the next few calls, or every
 * n-th), answer slowly, and tell a test about each call before answering it.
 */
import { createHmac } from 'node:crypto';
import { type FakeRequest, type FakeServer, startFakeServer } from './http.js';

export interface SlackCall {
  readonly method: string;
  readonly args: Record<string, unknown>;
  readonly at: number;
  /** The bot token the call was made with. */
  readonly token?: string | undefined;
  /** What the fake answered (ts of a posted message, errors…). */
  result?: Record<string, unknown>;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  updates: number;
  metadata?: unknown;
}

export interface FakeSlack {
  readonly apiUrl: string;
  readonly url: string;
  readonly calls: SlackCall[];
  /** Messages posted to channels and DMs, by `${channel}/${ts}`, as last updated. */
  readonly messages: Map<string, StoredMessage>;
  /** Answer the next `count` calls of `method` with 429 and `Retry-After: seconds`. */
  rateLimit(method: string, count: number, seconds: number): void;
  /** Answer every `n`-th call of `method` with 429 and `Retry-After: seconds` (a share of the calls). */
  rateLimitEvery(method: string, n: number, seconds: number): void;
  /** Hold every answer this long (after the call took effect): a sender can die with its call in flight. */
  delay(ms: number): void;
  /** Called with each call once it took effect, before it is answered. */
  observe(fn: (call: SlackCall) => void): void;
  callsOf(method: string): SlackCall[];
  close(): Promise<void>;
}

export const TEAM_ID = 'T0FAKE';
export const BOT_USER_ID = 'U0BOT';

export async function startFakeSlack(): Promise<FakeSlack> {
  const calls: SlackCall[] = [];
  const messages = new Map<string, StoredMessage>();
  const limits = new Map<string, { count: number; seconds: number }>();
  const every = new Map<string, { n: number; seconds: number; seen: number }>();
  let delayMs = 0;
  let observer: ((call: SlackCall) => void) | undefined;
  let seq = 0;
  const nextTs = () => `${1_700_000_000 + Math.floor(seq / 1000)}.${String(++seq).padStart(6, '0')}`;

  const dmOf = (id: string) => (/^[UW]/.test(id) ? `D${id.slice(1)}` : id);

  function answer(method: string, args: Record<string, unknown>) {
    // Channels named C0NOTIN… are ones the bot was never invited to.
    if (method.startsWith('chat.') && String(args.channel).startsWith('C0NOTIN'))
      return { ok: false, error: 'not_in_channel' };
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://fake.slack/',
          team: 'Fake',
          user: 'dmm',
          team_id: TEAM_ID,
          user_id: BOT_USER_ID,
          bot_id: 'B0BOT',
        };
      case 'chat.postMessage': {
        const ts = nextTs();
        // A post to a user id goes to the bot's DM with them (conversations.open names the same channel).
        const channel = dmOf(String(args.channel));
        messages.set(`${channel}/${ts}`, {
          channel,
          ts,
          text: String(args.text ?? ''),
          blocks: (args.blocks as unknown[]) ?? [],
          updates: 0,
          ...(args.metadata ? { metadata: args.metadata } : {}),
        });
        return { ok: true, channel, ts };
      }
      case 'chat.update': {
        const key = `${args.channel}/${args.ts}`;
        const m = messages.get(key);
        if (!m) return { ok: false, error: 'message_not_found' };
        m.text = String(args.text ?? '');
        m.blocks = (args.blocks as unknown[]) ?? [];
        m.updates += 1;
        return { ok: true, channel: args.channel, ts: args.ts };
      }
      case 'chat.postEphemeral':
        return { ok: true, message_ts: nextTs() };
      case 'views.open':
        return { ok: true, view: { id: `V${++seq}` } };
      case 'conversations.history': {
        const channel = String(args.channel);
        const found = [...messages.values()]
          .filter((m) => m.channel === channel)
          .reverse()
          .map((m) => ({
            type: 'message',
            ts: m.ts,
            text: m.text,
            ...(m.metadata ? { metadata: m.metadata } : {}),
          }));
        return { ok: true, messages: found, has_more: false };
      }
      case 'conversations.open':
        return { ok: true, channel: { id: dmOf(String(args.users).split(',')[0] as string) } };
      case 'views.publish':
        return { ok: true, view: { id: `V${++seq}` } };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  const server: FakeServer = await startFakeServer(async (req: FakeRequest) => {
    if (req.path.startsWith('/response/')) {
      calls.push({ method: 'response_url', args: (req.body ?? {}) as Record<string, unknown>, at: req.at });
      return { body: { ok: true } };
    }
    const method = req.path.replace(/^\/api\//, '');
    const args = (req.body ?? {}) as Record<string, unknown>;
    const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    const call: SlackCall = { method, args, at: req.at, token };
    calls.push(call);
    const limit = limits.get(method);
    const share = every.get(method);
    if (share) share.seen += 1;
    let refusedFor: number | undefined;
    if (limit && limit.count > 0) {
      limit.count -= 1;
      refusedFor = limit.seconds;
    } else if (share && share.seen % share.n === 0) refusedFor = share.seconds;
    if (refusedFor !== undefined) {
      call.result = { ok: false, error: 'ratelimited' };
      return { status: 429, headers: { 'retry-after': String(refusedFor) }, body: call.result };
    }
    call.result = answer(method, args);
    observer?.(call);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    return { body: call.result };
  });

  return {
    apiUrl: `${server.url}/api/`,
    url: server.url,
    calls,
    messages,
    rateLimit(method, count, seconds) {
      limits.set(method, { count, seconds });
    },
    rateLimitEvery(method, n, seconds) {
      every.set(method, { n, seconds, seen: 0 });
    },
    delay(ms) {
      delayMs = ms;
    },
    observe(fn) {
      observer = fn;
    },
    callsOf: (method) => calls.filter((c) => c.method === method),
    close: () => server.close(),
  };
}

/** Headers of a correctly signed Slack request (`v0=` HMAC-SHA256 of `v0:{ts}:{body}`). */
export function slackSignature(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)) {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature };
}
