/**
 * Plays the console page's side: loads `/console` for its token (as the page's script does) and posts commands
 * and card submissions with it, from the console's own origin.
 */
type Json = Record<string, unknown>;

export interface ConsoleSession {
  readonly token: string;
  /** POSTs to /console/api/<route> with the page's token and origin; `headers` override them. */
  post(route: string, body: Json, headers?: Record<string, string>): Promise<Response>;
}

/** The token a page the console served carries in `<meta name="dmm-console-token">`. */
export async function consoleToken(url: string): Promise<string> {
  const html = await (await fetch(`${url}/console`)).text();
  const token = /<meta name="dmm-console-token" content="([^"]+)">/.exec(html)?.[1];
  if (!token) throw new Error('the console page carries no token');
  return token;
}

export async function openConsole(url: string): Promise<ConsoleSession> {
  // A page without a token (a console from before tokens) still gets a session, whose writes it judges.
  const token = await consoleToken(url).catch(() => '');
  return {
    token,
    post: (route, body, headers = {}) =>
      fetch(`${url}/console/api/${route}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          origin: url,
          'x-dmm-console-token': token,
          ...headers,
        },
        body: JSON.stringify(body),
      }),
  };
}
