/**
 * The console's defences, on their own: the Host it answers to (DNS rebinding), and what a write must carry
 * (JSON, the console's own origin, a page token the console issued).
 */
import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import { createConsoleGuard, createConsoleTokens } from '../../../bot/console/console.routes.js';

const PORT = 3978;

function request(headers: Record<string, string>, localPort = PORT): http.IncomingMessage {
  return { headers, socket: { localPort } } as unknown as http.IncomingMessage;
}

const refusal = (fn: () => void) => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as { status?: number }).status;
  }
};

describe('the console guard', () => {
  const guard = createConsoleGuard(['127.0.0.1', 'localhost', '[::1]', 'dmm.example.org']);

  it('answers only on the names and port it is served on', () => {
    for (const host of [
      '127.0.0.1:3978',
      'localhost:3978',
      '[::1]:3978',
      'dmm.example.org',
      'LOCALHOST:3978',
    ])
      expect(refusal(() => guard.checkHost(request({ host })))).toBeUndefined();
    for (const host of [
      'attacker.example',
      'attacker.example:3978',
      'localhost:80',
      '127.0.0.1.evil:3978',
      '',
    ])
      expect(
        refusal(() => guard.checkHost(request({ host }))),
        host,
      ).toBe(421);
  });

  it('takes a write only as JSON, from its own origin, with a token it issued', () => {
    const token = guard.issueToken();
    const good = { host: 'localhost:3978', 'content-type': 'application/json', 'x-dmm-console-token': token };
    expect(refusal(() => guard.checkWrite(request(good)))).toBeUndefined();
    expect(
      refusal(() => guard.checkWrite(request({ ...good, origin: 'http://localhost:3978' }))),
    ).toBeUndefined();
    expect(refusal(() => guard.checkWrite(request({ ...good, 'content-type': 'text/plain' })))).toBe(415);
    expect(refusal(() => guard.checkWrite(request({ ...good, origin: 'http://evil.example' })))).toBe(403);
    expect(refusal(() => guard.checkWrite(request({ ...good, origin: 'null' })))).toBe(403);
    expect(refusal(() => guard.checkWrite(request({ ...good, 'sec-fetch-site': 'cross-site' })))).toBe(403);
    expect(refusal(() => guard.checkWrite(request({ ...good, 'x-dmm-console-token': '' })))).toBe(403);
    expect(refusal(() => guard.checkWrite(request({ ...good, 'x-dmm-console-token': `${token}x` })))).toBe(
      403,
    );
  });

  it('issues tokens only it can verify: another secret, a changed nonce or mac are refused', () => {
    const mine = createConsoleTokens(Buffer.alloc(32, 1));
    const theirs = createConsoleTokens(Buffer.alloc(32, 2));
    const token = mine.issue();
    expect(mine.verify(token)).toBe(true);
    expect(mine.issue()).not.toBe(token);
    expect(theirs.verify(token)).toBe(false);
    const [nonce, mac] = token.split('.') as [string, string];
    expect(mine.verify(`${nonce}A.${mac}`)).toBe(false);
    expect(mine.verify(`${nonce}.${mac.slice(1)}`)).toBe(false);
    expect(mine.verify(`${nonce}.${mac}.extra`)).toBe(false);
    expect(mine.verify(undefined)).toBe(false);
  });
});
