/**
 * Fan-out of the morning brief to 1,000 bindings (500 Slack channels, 500 Teams conversations in one tenant)
 * through the real app on PostgreSQL, its outbox and its platform adapters, against fakes that enforce the
 * platforms' rates: Slack 1 message/s per channel, Teams 7/s per conversation and 50/s per tenant (anything
 * faster is answered 429 with Retry-After). Figures: total time from the tick to the last accepted message,
 * against the floor those limits imply (500 Teams messages at 50/s = 10 s; Slack's per-channel limit does not
 * bind one message per channel), and the messages lost or duplicated (counted at the fakes).
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createScheduler } from '../jobs/scheduler.js';
import { createApp } from '../main.js';
import { createSystemActor } from '../services/access/actor.js';
import type { Services } from '../services/index.js';
import { createLogger } from '../services/logger.js';
import { benchConfig, throwawayDatabase } from './database.js';
import type { Figure } from './figure.js';

const SLACK_BINDINGS = 500;
const TEAMS_BINDINGS = 500;
const TEAMS_TENANT_RATE = 50;
const TEAMS_CONVERSATION_RATE = 7;
const SLACK_CHANNEL_RATE = 1;
const operator = createSystemActor('bench:fanout');

/** Arrivals per key in the last second; answers whether one more is within `limit`. */
function slidingWindow() {
  const seen = new Map<string, number[]>();
  return (key: string, limit: number, now: number): boolean => {
    const recent = (seen.get(key) ?? []).filter((t) => now - t < 1_000);
    if (recent.length >= limit) {
      seen.set(key, recent);
      return false;
    }
    recent.push(now);
    seen.set(key, recent);
    return true;
  };
}

async function listen(handler: http.RequestListener) {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function body(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function reply(
  res: http.ServerResponse,
  status: number,
  payload: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** What a fake accepted (by conversation), how often it refused, and when it last accepted. */
function ledger() {
  const accepted = new Map<string, number>();
  let limited = 0;
  let last = 0;
  return {
    accepted,
    accept(key: string, now: number) {
      accepted.set(key, (accepted.get(key) ?? 0) + 1);
      last = now;
    },
    refuse() {
      limited += 1;
    },
    limited: () => limited,
    last: () => last,
  };
}

async function fakeSlack() {
  const allowed = slidingWindow();
  const book = ledger();
  let seq = 0;
  const server = await listen(async (req, res) => {
    const form = new URLSearchParams(await body(req));
    const method = (req.url ?? '').replace(/^\/api\//, '');
    if (method === 'auth.test')
      return reply(res, 200, { ok: true, user_id: 'U0BOT', team_id: 'T0FAN', bot_id: 'B0' });
    const channel = form.get('channel') ?? '';
    const now = performance.now();
    if (!allowed(channel, SLACK_CHANNEL_RATE, now)) {
      book.refuse();
      return reply(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': '1' });
    }
    book.accept(channel, now);
    return reply(res, 200, { ok: true, channel, ts: `1.${++seq}` });
  });
  return { ...server, ...book };
}

async function fakeTeams() {
  const allowed = slidingWindow();
  const book = ledger();
  let seq = 0;
  const server = await listen(async (req, res) => {
    await body(req);
    const m = /^\/v3\/conversations\/([^/]+)\/activities/.exec(req.url ?? '');
    if (!m || req.method !== 'POST') return reply(res, 404, {});
    const conversation = decodeURIComponent(m[1] as string);
    const now = performance.now();
    // Both limits must allow the request; a refused request does not count against either.
    const tenantOk = allowed('tenant', TEAMS_TENANT_RATE, now);
    const conversationOk = tenantOk && allowed(conversation, TEAMS_CONVERSATION_RATE, now);
    if (!tenantOk || !conversationOk) {
      book.refuse();
      return reply(res, 429, { error: { code: 'Throttled' } }, { 'retry-after': '1' });
    }
    book.accept(conversation, now);
    return reply(res, 200, { id: `a-${++seq}` });
  });
  return { ...server, ...book };
}

async function seed(services: Services, teamsUrl: string) {
  const unit = await services.units.create(operator, {
    code: 'fanout',
    name: 'Fan-out unit',
    briefTime: '07:00',
  });
  for (let i = 0; i < SLACK_BINDINGS; i += 1)
    await services.channels.link(
      operator,
      { platform: 'slack', tenantId: 'T0FAN', conversationId: `C${String(i).padStart(5, '0')}` },
      { unitId: unit.id },
    );
  for (let i = 0; i < TEAMS_BINDINGS; i += 1) {
    const id = `19:fan${i}@thread.tacv2`;
    await services.channels.link(
      operator,
      { platform: 'teams', tenantId: 'tenant-fan', conversationId: id },
      {
        unitId: unit.id,
        reference: {
          serviceUrl: teamsUrl,
          channelId: 'msteams',
          bot: { id: '28:dmm', name: 'DMM' },
          conversation: { id, conversationType: 'channel', tenantId: 'tenant-fan' },
        },
      },
    );
  }
}

export async function runFanoutBench(url: string): Promise<Figure[]> {
  const database = await throwawayDatabase(url, 'dmm_fanout');
  const slack = await fakeSlack();
  const teams = await fakeTeams();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dmm-fanout-'));
  // The service's clock reads 07:00 London on a winter day when the bench starts, and runs on from there.
  const offset = Date.parse('2026-01-15T07:00:00Z') - Date.now();
  const clock = { now: () => new Date(Date.now() + offset) };
  const logger = createLogger('silent');
  const app = createApp(
    benchConfig(database.url, dir, {
      DMM_JOBS: 'off',
      DMM_TEAMS: 'on',
      SLACK_SIGNING_SECRET: 'bench',
      SLACK_BOT_TOKEN: 'xoxb-bench',
      SLACK_API_URL: `${slack.url}/api/`,
    }),
    { logger, clock },
  );
  try {
    await app.start();
    const services = app.services as Services;
    await seed(services, teams.url);
    const scheduler = createScheduler(
      { services, ports: app.ports, clock, logger },
      {
        worker: 'bench',
        catchUpMs: 3_600_000,
        lateAfterMs: 3_600_000,
        drainIntervalMs: 60_000,
        reminders: { time: '23:59', escalateAfterDays: 3 },
      },
    );
    const t0 = performance.now();
    await scheduler.tick();
    while ((await services.deliveries.depth()) > 0) {
      const r = await scheduler.drain();
      if (r.sent + r.retried + r.failed === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const lastAccepted = Math.max(slack.last(), teams.last());
    const seconds = Math.round(((lastAccepted - t0) / 1000) * 100) / 100;
    const floor = TEAMS_BINDINGS / TEAMS_TENANT_RATE;
    const counts = [...slack.accepted.values(), ...teams.accepted.values()];
    const lost = SLACK_BINDINGS + TEAMS_BINDINGS - counts.filter((n) => n >= 1).length;
    const duplicated = counts.reduce((n, c) => n + Math.max(0, c - 1), 0);
    const failed = (await services.deliveries.list({ status: 'failed' })).length;
    return [
      {
        backend: 'postgres',
        name: `brief fan-out to ${SLACK_BINDINGS + TEAMS_BINDINGS} bindings (${SLACK_BINDINGS} Slack, ${TEAMS_BINDINGS} Teams, rate-limited fakes)`,
        value: seconds,
        unit: 's',
        baseline: {
          name: `floor: ${TEAMS_BINDINGS} Teams messages at ${TEAMS_TENANT_RATE}/s per tenant`,
          value: floor,
          ratio: Math.round((seconds / floor) * 100) / 100,
        },
        goal: '<= 1.2x floor',
      },
      { backend: 'postgres', name: 'brief fan-out: lost', value: lost, unit: 'messages', goal: '0' },
      {
        backend: 'postgres',
        name: 'brief fan-out: duplicated',
        value: duplicated,
        unit: 'messages',
        goal: '0',
      },
      {
        backend: 'postgres',
        name: 'brief fan-out: failed deliveries',
        value: failed,
        unit: 'rows',
        goal: '0',
      },
      {
        backend: 'postgres',
        name: 'brief fan-out: 429s answered by the fake Slack',
        value: slack.limited(),
        unit: 'responses',
      },
      {
        backend: 'postgres',
        name: 'brief fan-out: 429s answered by the fake Teams',
        value: teams.limited(),
        unit: 'responses',
      },
    ];
  } finally {
    await app.stop();
    await slack.close();
    await teams.close();
    await database.drop();
    await fs.rm(dir, { recursive: true, force: true });
  }
}
