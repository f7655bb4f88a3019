/** A tiny loopback HTTP server for fakes: records every request, answers with the handler's reply. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: unknown;
  readonly at: number;
}

export interface FakeReply {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

export interface FakeServer {
  readonly url: string;
  readonly requests: FakeRequest[];
  close(): Promise<void>;
}

function parse(raw: string, type: string | undefined): unknown {
  if (raw === '') return undefined;
  if (type?.includes('application/x-www-form-urlencoded')) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of new URLSearchParams(raw)) {
      // The Slack WebClient form-encodes objects as JSON strings.
      try {
        out[k] = /^[[{]/.test(v) ? JSON.parse(v) : v;
      } catch {
        out[k] = v;
      }
    }
    return out;
  }
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export async function startFakeServer(
  handle: (req: FakeRequest) => FakeReply | Promise<FakeReply>,
): Promise<FakeServer> {
  const requests: FakeRequest[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request: FakeRequest = {
      method: req.method ?? 'GET',
      path: new URL(req.url ?? '/', 'http://x').pathname,
      headers: req.headers,
      body: parse(Buffer.concat(chunks).toString('utf8'), req.headers['content-type']),
      at: Date.now(),
    };
    requests.push(request);
    const reply = await handle(request);
    const body = JSON.stringify(reply.body ?? {});
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
