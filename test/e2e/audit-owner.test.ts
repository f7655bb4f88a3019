/**
 * An audit log its database owner cannot quietly rewrite (issue 14; each case passed `dmm audit verify` on commit
 * 54b6730). On PostgreSQL, as a role that owns the tables and is no superuser, with the append-only trigger
 * disabled, every tampering of the reproduction is found by `verify` held against the checkpoints kept outside
 * the database, and the CLI's `dmm audit verify` finds them by default.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPostgres, type DatabaseHandle } from '../../db/connect.js';
import { migrateToLatest } from '../../db/migrate.js';
import { createSystemActor } from '../../services/access/actor.js';
import { computeEventHash, fieldsOfRow, GENESIS_HASH } from '../../services/audit/audit.service.js';
import { type AuditCheckpoint, parseKeys } from '../../services/audit/audit-keys.js';
import { createFixedClock } from '../../services/clock.js';
import { createServices, type Services } from '../../services/index.js';
import { DISCLOSURE, runDmm } from '../support/cli.js';

const base = process.env.TEST_DATABASE_URL;
const KEYS = `k1 ${randomBytes(32).toString('base64')}\nk2 ${randomBytes(32).toString('base64')}\n`;
const keyring = parseKeys(KEYS, 'test keys');
const actor = createSystemActor('test');

describe.skipIf(!base)('the audit log against the owner of its tables (PostgreSQL, no superuser)', () => {
  const role = `dmm_owner_${randomBytes(4).toString('hex')}`;
  const databases: string[] = [];
  let admin: DatabaseHandle;
  beforeAll(async () => {
    admin = connectPostgres({ url: base as string, maxConnections: 1 });
    await sql.raw(`create role ${role} login nosuperuser nocreatedb nocreaterole`).execute(admin.db);
  });
  afterAll(async () => {
    for (const name of databases)
      await sql.raw(`drop database if exists ${name} with (force)`).execute(admin.db);
    await sql.raw(`drop role if exists ${role}`).execute(admin.db);
    await admin.close();
  });

  /** A database owned by the role, migrated by it, with 260 keyed events and a checkpoint of its head. */
  async function owned(): Promise<{
    owner: DatabaseHandle;
    services: Services;
    url: string;
    checkpoints: AuditCheckpoint[];
  }> {
    const name = `audit_${randomBytes(5).toString('hex')}`;
    databases.push(name);
    await sql.raw(`create database ${name} owner ${role}`).execute(admin.db);
    const url = new URL(base as string);
    url.pathname = `/${name}`;
    url.username = role;
    const owner = connectPostgres({ url: url.toString(), maxConnections: 2 });
    await migrateToLatest(owner.db);
    const clock = createFixedClock('2026-05-01T08:00:00Z');
    const services = createServices({ db: owner.db, clock, auditKeyring: keyring });
    for (let i = 1; i <= 260; i += 1) {
      clock.advance(1000);
      await services.audit.record(actor, {
        operation: 'consultation',
        entityType: 'test',
        entityId: i,
        unitId: null,
      });
    }
    const checkpoints = [await services.audit.checkpoint()];
    return { owner, services, url: url.toString(), checkpoints };
  }

  /** As the owner: the trigger off, then `tamper`. */
  async function asOwner(owner: DatabaseHandle, tamper: string[]): Promise<void> {
    await sql.raw('alter table audit_events disable trigger audit_events_no_update').execute(owner.db);
    for (const statement of tamper) await sql.raw(statement).execute(owner.db);
  }

  /** Re-chains every event from `from` with the project's own (unkeyed) hash function, as an attacker can. */
  async function rechain(owner: DatabaseHandle): Promise<void> {
    const rows = await owner.db.selectFrom('audit_events').selectAll().orderBy('seq').execute();
    let prev = GENESIS_HASH;
    for (const row of rows) {
      // The event as the project hashes it, without its key: the attacker has no key.
      const { keyId: _key, ...fields } = fieldsOfRow(row);
      const hash = computeEventHash(prev, fields);
      await owner.db
        .updateTable('audit_events')
        .set({ prev_hash: prev, hash, key_id: null })
        .where('seq', '=', row.seq)
        .execute();
      prev = hash;
    }
    const last = rows.at(-1);
    await owner.db
      .updateTable('audit_head')
      .set({ seq: last?.seq ?? 0, hash: prev })
      .where('id', '=', 1)
      .execute();
  }

  it('is intact before anything is touched, and the owner cannot be superuser', async () => {
    const { owner, services, checkpoints } = await owned();
    const { rows } = await sql<{
      rolsuper: boolean;
    }>`select rolsuper from pg_roles where rolname = current_user`.execute(owner.db);
    expect(rows[0]?.rolsuper).toBe(false);
    expect(await services.audit.verify({ checkpoints })).toMatchObject({
      ok: true,
      checked: 260,
      checkpoints: 1,
    });
    await owner.close();
  });

  it.each([
    [
      'delete the newest 3 events and set the head to event 257',
      async (owner: DatabaseHandle) => {
        await asOwner(owner, [
          'delete from audit_events where seq > 257',
          'update audit_head set seq = 257, hash = (select hash from audit_events where seq = 257)',
        ]);
      },
      /the checkpoint of .* recorded 260 events but the log ends at event 257: events 258 to 260 were deleted/,
    ],
    [
      'truncate the log and reset the head to 0',
      async (owner: DatabaseHandle) => {
        await asOwner(owner, [
          'truncate audit_events',
          `update audit_head set seq = 0, hash = '${GENESIS_HASH}'`,
        ]);
      },
      /recorded 260 events but the log ends at event 0/,
    ],
    [
      'edit event 100 and recompute every later hash with the project’s hash function',
      async (owner: DatabaseHandle) => {
        await asOwner(owner, [`update audit_events set actor_label = 'someone else' where seq = 100`]);
        await rechain(owner);
      },
      /is not the event the checkpoint of .* recorded|keyed from event 1, the log from none/,
    ],
    [
      'delete an event, renumber and re-chain',
      async (owner: DatabaseHandle) => {
        await asOwner(owner, [
          'delete from audit_events where seq = 50',
          'update audit_events set seq = seq - 1 where seq > 50',
        ]);
        await rechain(owner);
      },
      /recorded 260 events but the log ends at event 259|is not the event the checkpoint/,
    ],
    [
      'append a forged event and re-chain',
      async (owner: DatabaseHandle) => {
        await asOwner(owner, [
          `insert into audit_events (seq, at, actor_label, operation, entity_type, entity_id, prev_hash, hash)
           values (261, now(), 'forger', 'erasure', 'decision', '1', '', '')`,
        ]);
        await rechain(owner);
      },
      /is not the event the checkpoint|keyed from event 1, the log from none/,
    ],
    [
      'append a forged event keeping the others as they are',
      async (owner: DatabaseHandle) => {
        await asOwner(owner, [
          `insert into audit_events (seq, at, actor_label, operation, entity_type, entity_id, prev_hash, hash, key_id)
           values (261, date_trunc('milliseconds', now()), 'forger', 'erasure', 'decision', '1', (select hash from audit_events where seq = 260), repeat('a', 64), 'k2')`,
          `update audit_head set seq = 261, hash = repeat('a', 64)`,
        ]);
      },
      /event 261 was altered after it was written/,
    ],
    [
      'move the time of event 100 by one microsecond',
      async (owner: DatabaseHandle) => {
        await asOwner(owner, [`update audit_events set at = at + interval '1 microsecond' where seq = 100`]);
      },
      /event 100 was altered after it was written \(its time\)/,
    ],
    [
      'edit the head hash alone',
      async (owner: DatabaseHandle) => {
        await asOwner(owner, [`update audit_head set hash = repeat('b', 64)`]);
      },
      /the head's hash does not match event 260: the head was altered/,
    ],
  ] as const)('finds it when the owner tries to %s', async (_what, tamper, problem) => {
    const { owner, services, checkpoints } = await owned();
    await tamper(owner);
    const result = await services.audit.verify({ checkpoints });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem).toMatch(problem);
    await owner.close();
  });

  it('is found by `dmm audit verify` by default: the checkpoints written at export are read from their file', async () => {
    const { owner, url } = await owned();
    await owner.close();
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dmm-audit-'));
    try {
      const env = {
        DATABASE_URL: url,
        DATA_DIR: dir,
        LOG_LEVEL: 'silent',
        DMM_AUDIT_KEYS_FILE: path.join(dir, 'keys'),
      };
      await fs.writeFile(env.DMM_AUDIT_KEYS_FILE, KEYS, { mode: 0o600 });
      const exported = await runDmm(
        env,
        'audit',
        'export',
        '--out',
        path.join(dir, 'audit.json'),
        ...DISCLOSURE,
      );
      expect(exported.code).toBe(0);
      expect(await runDmm(env, 'audit', 'verify')).toMatchObject({
        code: 0,
        stdout: expect.stringMatching(/intact: 261 events verified, against 1 checkpoint/),
      });
      const tamperer = connectPostgres({ url, maxConnections: 1 });
      await asOwner(tamperer, [
        'truncate audit_events',
        `update audit_head set seq = 0, hash = '${GENESIS_HASH}'`,
      ]);
      await tamperer.close();
      const verified = await runDmm(env, 'audit', 'verify');
      expect(verified.code).toBe(1);
      expect(verified.stderr).toMatch(
        /Audit chain BROKEN .* recorded 261 events but the log ends at event 0/,
      );
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!base)('the service under a role that does not own the tables (PostgreSQL)', () => {
  it('works day to day, and its credentials can neither disable the audit trigger nor rewrite the log', async () => {
    const suffix = randomBytes(4).toString('hex');
    const [ownerRole, serviceRole, name] = [`dmm_own_${suffix}`, `dmm_app_${suffix}`, `roles_${suffix}`];
    const admin = connectPostgres({ url: base as string, maxConnections: 1 });
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dmm-roles-'));
    try {
      await sql.raw(`create role ${ownerRole} login nosuperuser`).execute(admin.db);
      await sql.raw(`create role ${serviceRole} login nosuperuser`).execute(admin.db);
      await sql.raw(`create database ${name} owner ${ownerRole}`).execute(admin.db);
      const urlAs = (role: string) => {
        const url = new URL(base as string);
        url.pathname = `/${name}`;
        url.username = role;
        return url.toString();
      };
      const common = { DATA_DIR: dir, LOG_LEVEL: 'silent' };
      // The owner migrates and grants; the service role then runs the CLI with DMM_MIGRATE=off.
      expect(
        (await runDmm({ ...common, DATABASE_URL: urlAs(ownerRole) }, 'grant', '--role', serviceRole)).code,
      ).toBe(0);
      const asService = { ...common, DATABASE_URL: urlAs(serviceRole), DMM_MIGRATE: 'off' };
      expect((await runDmm(asService, 'demo')).code).toBe(0);
      expect(await runDmm(asService, 'audit', 'verify')).toMatchObject({ code: 0 });
      const service = connectPostgres({ url: urlAs(serviceRole), maxConnections: 1 });
      try {
        for (const statement of [
          'alter table audit_events disable trigger audit_events_no_update',
          'delete from audit_events where seq = 1',
          'truncate audit_events',
          `update audit_events set actor_label = 'x' where seq = 1`,
        ])
          await expect(sql.raw(statement).execute(service.db), statement).rejects.toMatchObject({
            code: '42501',
          });
      } finally {
        await service.close();
      }
      // The service role is refused as its own grantee: it must not own the audit tables.
      expect(
        (await runDmm({ ...common, DATABASE_URL: urlAs(ownerRole) }, 'grant', '--role', ownerRole)).stderr,
      ).toMatch(/owns the audit tables/);
    } finally {
      await sql.raw(`drop database if exists ${name} with (force)`).execute(admin.db);
      await sql.raw(`drop role if exists ${serviceRole}`).execute(admin.db);
      await sql.raw(`drop role if exists ${ownerRole}`).execute(admin.db);
      await admin.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
