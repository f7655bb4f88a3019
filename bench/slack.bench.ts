/**
 * Slash-command round trip, 50 concurrent clients, against the full app on PostgreSQL (Bolt on the service's
 * HTTP server, identity and binding look-ups, the router, the services, a reply posted to a fake Slack Web API)
 * and, in the same run, against a bare Bolt app (Bolt's own HTTPReceiver) that only acks.
 *
 * Figures: the HTTP ack (what Slack waits for, 3 s limit) for both, p50 and p99, with the ratio; and for the
 * full app, the time until its reply reached the fake Slack (what the person waits for). The clients and the
 * fake Slack run in a child process, so their work does not share the servers' event loop.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs/promises';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import bolt from '@slack/bolt';
import { createApp } from '../main.js';
import { createSystemActor } from '../services/access/actor.js';
import type { Services } from '../services/index.js';
import { createLogger } from '../services/logger.js';
import { benchConfig, throwawayDatabase } from './database.js';
import type { Figure } from './figure.js';

const CLIENTS = 50;
const PER_CLIENT = 40;
const WARMUP_PER_CLIENT = 4;
const ROUNDS = 4;
const SECRET = 'bench-signing-secret';
const TEAM = 'T0BENCH';
const CHANNEL = 'C0BENCH';
const operator = createSystemActor('bench:slack');

interface LoadResult {
  readonly ack: number[];
  readonly reply: number[];
}

/** The load generator and fake Slack Web API, in a child process (see slack-load.mjs). */
async function startLoad() {
  const child = fork(path.join(import.meta.dirname, 'slack-load.mjs'), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m: { ready?: string }) =>
      m.ready ? resolve(m.ready) : reject(new Error('no ready')),
    );
    child.once('exit', (code) => reject(new Error(`load generator exited with ${code}`)));
  });
  return {
    url,
    run(target: string, users: readonly string[], perClient: number, replies: boolean): Promise<LoadResult> {
      return new Promise((resolve, reject) => {
        child.once('message', (m: { result?: LoadResult; error?: string }) =>
          m.result ? resolve(m.result) : reject(new Error(m.error)),
        );
        child.send({
          run: { url: target, users, perClient, secret: SECRET, team: TEAM, channel: CHANNEL, replies },
        });
      });
    },
    stop() {
      child.send({ stop: true });
    },
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round((sorted[index] ?? 0) * 10) / 10;
}

async function seed(services: Services, users: readonly string[]) {
  const unit = await services.units.create(operator, { code: 'bench-slack', name: 'Bench Slack unit' });
  for (const [i, user] of users.entries()) {
    const person = await services.people.create(operator, { displayName: `Bench member ${i + 1}` });
    await services.people.addMembership(operator, { unitId: unit.id, personId: person.id, role: 'member' });
    await services.people.linkIdentity(operator, {
      personId: person.id,
      platform: 'slack',
      tenantId: TEAM,
      externalId: user,
    });
    for (let a = 0; a < 3; a += 1)
      await services.actions.create(operator, {
        unitId: unit.id,
        title: `Bench action ${a + 1} for member ${i + 1}`,
        ownerPersonId: person.id,
        dueOn: '2026-12-01',
        category: 'prevention',
      });
  }
  await services.channels.link(
    operator,
    { platform: 'slack', tenantId: TEAM, conversationId: CHANNEL },
    { unitId: unit.id },
  );
}

export async function runSlackBench(url: string): Promise<Figure[]> {
  const users = Array.from({ length: CLIENTS }, (_, i) => `U0BENCH${i}`);
  const database = await throwawayDatabase(url, 'dmm_bench');
  const load = await startLoad();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dmm-bench-slack-'));
  const app = createApp(
    benchConfig(database.url, dir, {
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: 'xoxb-bench',
      SLACK_API_URL: `${load.url}/api/`,
    }),
    { logger: createLogger('silent') },
  );
  const bare = new bolt.App({
    token: 'xoxb-bench',
    receiver: new bolt.HTTPReceiver({ signingSecret: SECRET }),
    clientOptions: { slackApiUrl: `${load.url}/api/` },
    logLevel: bolt.LogLevel.ERROR,
  });
  bare.command('/dmm', async ({ ack }) => {
    await ack();
  });
  try {
    const { url: appUrl } = await app.start();
    await seed(app.services as Services, users);
    const server = (await bare.start(0)) as http.Server;
    const bareUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Both warmed up, then measured in alternating rounds so neither gets the quieter moments of the run.
    await load.run(bareUrl, users, WARMUP_PER_CLIENT, false);
    await load.run(appUrl, users, WARMUP_PER_CLIENT, true);
    const full = { ack: [] as number[], reply: [] as number[] };
    const baseline = { ack: [] as number[], reply: [] as number[] };
    for (let round = 0; round < ROUNDS; round += 1) {
      const b = await load.run(bareUrl, users, PER_CLIENT / ROUNDS, false);
      baseline.ack.push(...b.ack);
      const a = await load.run(appUrl, users, PER_CLIENT / ROUNDS, true);
      full.ack.push(...a.ack);
      full.reply.push(...a.reply);
    }

    const figure = (name: string, value: number, base: number, goal?: string): Figure => ({
      backend: 'postgres',
      name,
      value,
      unit: 'ms',
      baseline: {
        name: `bare Bolt app that only acks, ${name.includes('p99') ? 'p99' : 'p50'}`,
        value: base,
        ratio: Math.round((value / base) * 100) / 100,
      },
      ...(goal ? { goal } : {}),
    });
    const n = CLIENTS * PER_CLIENT;
    return [
      figure(
        `slash command ack, p50 (${CLIENTS} clients, ${n} commands)`,
        percentile(full.ack, 50),
        percentile(baseline.ack, 50),
        '<= 1.5x bare app',
      ),
      figure(
        `slash command ack, p99 (${CLIENTS} clients, ${n} commands)`,
        percentile(full.ack, 99),
        percentile(baseline.ack, 99),
        '<= 1.5x bare app; < 100 ms',
      ),
      figure(
        `slash command to reply posted, p50 (${CLIENTS} clients)`,
        percentile(full.reply, 50),
        percentile(baseline.ack, 50),
      ),
      figure(
        `slash command to reply posted, p99 (${CLIENTS} clients)`,
        percentile(full.reply, 99),
        percentile(baseline.ack, 99),
      ),
    ];
  } finally {
    await bare.stop().catch(() => undefined);
    await app.stop();
    load.stop();
    await database.drop();
    await fs.rm(dir, { recursive: true, force: true });
  }
}
