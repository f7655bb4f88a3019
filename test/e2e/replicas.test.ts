/**
 * Exactly once across replicas: three real `dmm serve` processes on one PostgreSQL database, the fake Slack and
 * the fake Teams connector (which also answers Microsoft Graph) in this process, 50 units each bound to a Slack
 * channel and a Teams channel. At the units' brief time all three replicas tick together and share the run;
 * one replica is killed with SIGKILL the moment its posts start landing (a post of its is on the platform while
 * its answer is still on the way, so that post is in doubt). Every binding still gets exactly one brief (counted
 * at the fakes), the outbox ends empty and nothing failed. The fake Slack answers a share of posts with 429.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { createApp } from '../../main.js';
import type { Services } from '../../services/index.js';
import { createLogger } from '../../services/logger.js';
import { createThrowawayPostgresDatabase } from '../support/database.js';
import { type FakeConnector, startFakeConnector } from '../support/fakes/fake-connector.js';
import { type FakeSlack, startFakeSlack, TEAM_ID } from '../support/fakes/fake-slack.js';
import { operator } from '../support/fixtures.js';
import { SIGNING_SECRET } from '../support/slack-client.js';
import { BOT_ID, TENANT_ID } from '../support/teams-client.js';

const UNITS = 50;
const REPLICAS = 3;
const LEASE_MS = 3_000;

interface Replica {
  readonly name: string;
  readonly token: string;
  readonly child: ChildProcess;
  readonly log: string[];
  readonly ready: Promise<void>;
}

function startReplica(name: string, env: Record<string, string>): Replica {
  const token = `xoxb-${name}`;
  const log: string[] = [];
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli.ts', 'serve'], {
    cwd: process.cwd(),
    env: { ...process.env, ...env, SLACK_BOT_TOKEN: token, DMM_WORKER_ID: name },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      log.push(text);
      if (text.includes('dmm-bot is running at')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) =>
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${log.join('')}`)),
    );
  });
  ready.catch(() => undefined);
  return { name, token, child, log, ready };
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()));

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(!process.env.TEST_DATABASE_URL)('the brief across three replicas, one killed mid-run', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('reaches every binding exactly once; the outbox ends empty with nothing failed', {
    timeout: 180_000,
  }, async () => {
    const database = await createThrowawayPostgresDatabase();
    cleanups.push(database.drop);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dmm-replicas-'));
    cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
    const slack: FakeSlack = await startFakeSlack();
    const connector: FakeConnector = await startFakeConnector();
    cleanups.push(slack.close, connector.close);
    // Slow answers keep posts in flight (a killed sender leaves them in doubt); every 7th post is refused.
    slack.delay(150);
    connector.delay(150);
    slack.rateLimitEvery('chat.postMessage', 7, 1);

    // The schema and the bindings, from this process (no platform, no jobs).
    const seeder = createApp(
      loadConfig({
        DATABASE_URL: database.url,
        DATA_DIR: dir,
        PORT: '0',
        LOG_LEVEL: 'silent',
        DMM_CONSOLE: 'off',
        DMM_JOBS: 'off',
      }),
      { logger: createLogger('silent') },
    );
    await seeder.start();
    cleanups.push(() => seeder.stop());
    const services = seeder.services as Services;

    const env = {
      DATABASE_URL: database.url,
      DATA_DIR: dir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DMM_CONSOLE: 'off',
      DMM_JOBS: 'on',
      DMM_OUTBOX_INTERVAL_MS: '200',
      DMM_OUTBOX_LEASE_MS: String(LEASE_MS),
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      DMM_TEAMS: 'on',
      DMM_TEAMS_GRAPH_URL: connector.url,
    };
    const replicas = Array.from({ length: REPLICAS }, (_, i) => startReplica(`replica-${i + 1}`, env));
    cleanups.push(async () => {
      for (const r of replicas) r.child.kill('SIGKILL');
      await Promise.all(replicas.map((r) => exited(r.child)));
    });
    await Promise.all(replicas.map((r) => r.ready));

    // The brief is due at the next minute the replicas' beat (node-cron, on the minute) reaches after seeding.
    const due = DateTime.now()
      .setZone('Europe/London')
      .plus({ seconds: 15 })
      .startOf('minute')
      .plus({ minutes: 1 });
    for (let i = 0; i < UNITS; i += 1) {
      const unit = await services.units.create(operator, {
        code: `r${i}`,
        name: `Replica unit ${i}`,
        briefTime: due.toFormat('HH:mm'),
      });
      await services.channels.link(
        operator,
        { platform: 'slack', tenantId: TEAM_ID, conversationId: `C0R${i}` },
        { unitId: unit.id },
      );
      const teamsId = `19:replica${i}@thread.tacv2`;
      await services.channels.link(
        operator,
        { platform: 'teams', tenantId: TENANT_ID, conversationId: teamsId },
        {
          unitId: unit.id,
          reference: {
            serviceUrl: connector.url,
            channelId: 'msteams',
            bot: { id: BOT_ID, name: 'DMM' },
            conversation: { id: teamsId, conversationType: 'channel', tenantId: TENANT_ID },
            aadGroupId: `group-${i}`,
          },
        },
      );
    }
    expect(DateTime.now() < due).toBe(true);

    // The first post to land decides the victim: its sender is killed before the answer leaves the fake.
    let victim: Replica | undefined;
    slack.observe((call) => {
      if (victim || call.method !== 'chat.postMessage' || !call.result?.ok) return;
      victim = replicas.find((r) => r.token === call.token);
      victim?.child.kill('SIGKILL');
    });
    const slackBriefs = () => [...slack.messages.values()].filter((m) => m.channel.startsWith('C0R'));
    const teamsBriefs = () => [...connector.activities.values()];
    await until('the brief run to start', () => victim !== undefined, 90_000);
    const killed = victim as Replica;
    await exited(killed.child);
    const heldByVictim = await services.db
      .selectFrom('deliveries')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('locked_by', '=', killed.name)
      .where('status', '=', 'sending')
      .executeTakeFirstOrThrow();
    // The victim died holding work (at least the post in flight): the others must take it over after its lease.
    expect(Number(heldByVictim.n)).toBeGreaterThan(0);

    await until(
      'the outbox to empty',
      async () => (await services.deliveries.depth()) === 0,
      60_000 + LEASE_MS,
    );

    // Exactly one brief per binding, on each platform.
    const perSlackChannel = new Map<string, number>();
    for (const m of slackBriefs()) perSlackChannel.set(m.channel, (perSlackChannel.get(m.channel) ?? 0) + 1);
    const perTeamsChannel = new Map<string, number>();
    for (const a of teamsBriefs())
      perTeamsChannel.set(a.conversationId, (perTeamsChannel.get(a.conversationId) ?? 0) + 1);
    // No binding reached twice (the list names any that were).
    expect([...perSlackChannel, ...perTeamsChannel].filter(([, n]) => n > 1)).toEqual([]);
    expect(perSlackChannel.size).toBe(UNITS);
    expect(perTeamsChannel.size).toBe(UNITS);
    for (const m of slackBriefs()) expect(m.text).toContain('Daily brief');
    expect(JSON.stringify(teamsBriefs()[0]?.activity)).toContain('Daily brief');

    // The outbox: every row sent, none failed; each run claimed once.
    const rows = await services.db.selectFrom('deliveries').select(['status', 'locked_by']).execute();
    expect(rows).toHaveLength(2 * UNITS);
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
    expect(await services.deliveries.list({ status: 'failed' })).toEqual([]);
    const runs = await services.db.selectFrom('job_runs').select(['unit_id', 'job']).execute();
    expect(runs.filter((r) => r.job === 'brief')).toHaveLength(UNITS);

    // The victim's post in doubt was looked for (Slack history by its metadata), not posted again; the 429s were
    // answered and retried.
    expect(slack.callsOf('conversations.history').length).toBeGreaterThan(0);
    expect(
      slack.calls.filter((c) => c.method === 'chat.postMessage' && c.result?.ok === false).length,
    ).toBeGreaterThan(0);
    // More than one replica sent briefs (they share the run).
    const senders = new Set(slack.callsOf('chat.postMessage').map((c) => c.token));
    expect(senders.size).toBeGreaterThan(1);
  });
});
