/**
 * A fake Bot Framework connector (the `serviceUrl` of the activities a test sends): it takes replies, updates
 * and proactive sends, gives each new activity an id, and keeps the latest version of each so a test can read
 * the conversation. It also answers Microsoft Graph's message lists for those conversations (newest first, each
 * card as its JSON content), as `DMM_TEAMS_GRAPH_URL` for finding a post in doubt.
 */
import { type FakeServer, startFakeServer } from './http.js';

export interface ConnectorActivity {
  id: string;
  conversationId: string;
  replyToId: string | undefined;
  activity: Record<string, unknown>;
  updates: number;
}

export interface FakeConnector {
  readonly url: string;
  readonly requests: FakeServer['requests'];
  /** Activities the bot sent, by id, as last updated. */
  readonly activities: Map<string, ConnectorActivity>;
  /** Answer the next `count` requests with 429 and `Retry-After: seconds`. */
  rateLimit(count: number, seconds: number): void;
  /** Hold every answer this long (after the call took effect): a sender can die with its call in flight. */
  delay(ms: number): void;
  /** Users (Entra object ids) the app was installed for through Graph. */
  readonly installedFor: Set<string>;
  /** Answer Graph's app installation with 403, as a tenant that has not granted the permission does. */
  refuseInstall(refuse: boolean): void;
  close(): Promise<void>;
}

export async function startFakeConnector(): Promise<FakeConnector> {
  const activities = new Map<string, ConnectorActivity>();
  let seq = 0;
  let limited = { count: 0, seconds: 1 };
  let delayMs = 0;
  const installedFor = new Set<string>();
  let refusing = false;
  const slow = async <T>(reply: T): Promise<T> => {
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    return reply;
  };
  const server = await startFakeServer((req) => {
    if (limited.count > 0) {
      limited.count -= 1;
      return {
        status: 429,
        headers: { 'retry-after': String(limited.seconds) },
        body: { error: { code: 'Throttled' } },
      };
    }
    const graph =
      /^\/v1\.0\/(?:teams\/[^/]+\/channels|chats)\/([^/]+)\/messages$/.exec(req.path) ?? undefined;
    if (req.method === 'GET' && graph) {
      const conversation = decodeURIComponent(graph[1] as string);
      const value = [...activities.values()]
        .filter((a) => a.conversationId === conversation)
        .reverse()
        .map((a) => ({
          id: a.id,
          attachments: ((a.activity.attachments ?? []) as { contentType?: string; content?: unknown }[]).map(
            (x) => ({ contentType: x.contentType, content: JSON.stringify(x.content) }),
          ),
        }));
      return { body: { value } };
    }
    // Graph's app installation for a user (learn.microsoft.com, "Install app for user": POST
    // /users/{id}/teamwork/installedApps, then GET …/installedApps/{id}/chat for the personal chat).
    if (req.method === 'GET' && req.path === '/v1.0/appCatalogs/teamsApps')
      return { body: { value: [{ id: 'catalog-dmm', distributionMethod: 'organization' }] } };
    const install = /^\/v1\.0\/users\/([^/]+)\/teamwork\/installedApps(?:\/([^/]+)\/chat)?$/.exec(req.path);
    if (install) {
      const user = decodeURIComponent(install[1] as string);
      if (req.method === 'POST') {
        if (refusing) return { status: 403, body: { error: { code: 'Forbidden' } } };
        if (installedFor.has(user)) return { status: 409, body: { error: { code: 'Conflict' } } };
        installedFor.add(user);
        return { status: 201, body: {} };
      }
      if (install[2]) return { body: { id: `19:${user}_dmm@unq.gbl.spaces` } };
      return { body: { value: installedFor.has(user) ? [{ id: `installed-${user}` }] : [] } };
    }
    const m = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?$/.exec(req.path);
    if (req.method === 'POST' && req.path === '/v3/conversations') return { body: { id: `conv-${++seq}` } };
    if (!m) return { status: 404, body: { error: 'not found' } };
    const conversationId = decodeURIComponent(m[1] as string);
    const second = m[2] ? decodeURIComponent(m[2]) : undefined;
    const activity = (req.body ?? {}) as Record<string, unknown>;
    if (req.method === 'PUT' && second) {
      const existing = activities.get(second);
      if (!existing) return { status: 404, body: { error: 'not found' } };
      existing.activity = activity;
      existing.updates += 1;
      return { body: { id: second } };
    }
    if (req.method === 'POST') {
      const id = `act-${++seq}`;
      activities.set(id, { id, conversationId, replyToId: second, activity, updates: 0 });
      return slow({ body: { id } });
    }
    return { status: 405, body: {} };
  });
  return {
    url: server.url,
    requests: server.requests,
    activities,
    rateLimit(count, seconds) {
      limited = { count, seconds };
    },
    delay(ms) {
      delayMs = ms;
    },
    installedFor,
    refuseInstall(refuse) {
      refusing = refuse;
    },
    close: () => server.close(),
  };
}
