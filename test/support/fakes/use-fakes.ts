/** Fake platforms for a test file, started before the app (register them first) and closed after. */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { SIGNING_SECRET } from '../slack-client.js';
import { type FakeConnector, startFakeConnector } from './fake-connector.js';
import { type FakeSlack, startFakeSlack } from './fake-slack.js';
import { type FakeServer, startFakeServer } from './http.js';

function useFake<T extends { close(): Promise<void> }>(start: () => Promise<T>): { readonly current: T } {
  const holder = {} as { current: T };
  beforeAll(async () => {
    holder.current = await start();
  });
  afterAll(async () => holder.current?.close());
  return holder;
}

export const useFakeSlack = (): { readonly current: FakeSlack } => useFake(startFakeSlack);
export const useFakeConnector = (): { readonly current: FakeConnector } => useFake(startFakeConnector);

/** An OpenID metadata endpoint publishing one RSA signing key of its own (for Bot Framework token checks). */
export async function startFakeOpenId(): Promise<FakeServer> {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = {
    ...publicKey.export({ format: 'jwk' }),
    kid: 'fake-key',
    use: 'sig',
    endorsements: ['msteams'],
  };
  const server: FakeServer = await startFakeServer((req) => {
    if (req.path === '/.well-known/openidconfiguration')
      return {
        body: {
          issuer: 'https://api.botframework.com',
          jwks_uri: `${server.url}/keys`,
          id_token_signing_alg_values_supported: ['RS256'],
        },
      };
    if (req.path === '/keys') return { body: { keys: [jwk] } };
    return { status: 404, body: {} };
  });
  return server;
}

export const useFakeOpenId = (): { readonly current: FakeServer } => useFake(startFakeOpenId);

/** The settings that point the app's Slack at a fake (signed with the tests' secret). */
export function slackSettings(fake: { readonly current: FakeSlack }): Record<string, string> {
  return {
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_API_URL: fake.current.apiUrl,
  };
}
