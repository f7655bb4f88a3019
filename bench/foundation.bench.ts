/**
 * Foundation figures, each compared in the same run against a baseline:
 * - action status change through the service (validation, role check, row lock, version, history, hash-chained
 *   audit) vs a hand-written transaction doing the same UPDATE + history INSERT with no audit or checks;
 * - audit chain verification rate (events/s).
 * Runs on PGlite, and on PostgreSQL when BENCH_DATABASE_URL or TEST_DATABASE_URL is set (a throw-away schema).
 */
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'kysely';
import { connectPostgres, type DatabaseHandle, wrapPglite } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { typeParsers } from '../db/type-parsers.js';
import { createSystemActor } from '../services/access/actor.js';
import { createServices } from '../services/index.js';

const UPDATES = Number(process.env.BENCH_UPDATES ?? 400);

import type { Figure } from './figure.js';

async function open(
  backend: 'pglite' | 'postgres',
): Promise<{ handle: DatabaseHandle; cleanup: () => Promise<void> }> {
  if (backend === 'pglite') {
    const handle = wrapPglite(new PGlite({ parsers: { ...typeParsers } }), 'pglite:memory');
    await migrateToLatest(handle.db);
    return { handle, cleanup: () => handle.close() };
  }
  const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? '';
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const admin = connectPostgres({ url, maxConnections: 1 });
  await sql`create schema ${sql.id(schema)}`.execute(admin.db);
  const handle = connectPostgres({ url, schema, maxConnections: 4 });
  await migrateToLatest(handle.db, { schema });
  return {
    handle,
    cleanup: async () => {
      await handle.close();
      await sql`drop schema ${sql.id(schema)} cascade`.execute(admin.db);
      await admin.close();
    },
  };
}

function perSecond(count: number, ms: number): number {
  return Math.round((count / ms) * 1000);
}

async function benchBackend(backend: 'pglite' | 'postgres'): Promise<Figure[]> {
  const { handle, cleanup } = await open(backend);
  try {
    const services = createServices({ db: handle.db });
    const operator = createSystemActor('bench');
    const unit = await services.units.create(operator, { code: 'bench', name: 'Bench unit' });
    const person = await services.people.create(operator, { displayName: 'Bench owner' });
    await services.people.addMembership(operator, { unitId: unit.id, personId: person.id, role: 'member' });
    const owner = await services.people.actorFor(person.id, unit.id);
    const create = () =>
      services.actions.create(operator, {
        unitId: unit.id,
        title: 'Bench action',
        ownerPersonId: person.id,
        category: 'prevention',
      });

    // Through the service: alternate in_progress <-> blocked on one action.
    const a = await create();
    await services.actions.changeStatus(owner, a.id, { status: 'in_progress' });
    let t = performance.now();
    for (let i = 0; i < UPDATES; i += 1) {
      const status = i % 2 === 0 ? 'blocked' : 'in_progress';
      await services.actions.changeStatus(owner, a.id, { status, note: 'bench' });
    }
    const serviceMs = performance.now() - t;

    // Baseline: the same writes by hand, no checks and no audit.
    const b = await create();
    t = performance.now();
    for (let i = 0; i < UPDATES; i += 1) {
      const status = i % 2 === 0 ? 'blocked' : 'in_progress';
      await handle.db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable('actions')
          .set((eb) => ({ status, version: eb('version', '+', 1), updated_at: new Date() }))
          .where('id', '=', b.id)
          .returning('version')
          .executeTakeFirstOrThrow();
        await trx
          .insertInto('action_updates')
          .values({
            action_id: b.id,
            version: row.version,
            actor_person_id: person.id,
            actor_label: 'bench',
            at: new Date(),
            kind: 'status',
            from_status: null,
            to_status: status,
            note: 'bench',
            changes: '{}',
          })
          .execute();
      });
    }
    const bareMs = performance.now() - t;

    t = performance.now();
    const verified = await services.audit.verify();
    const verifyMs = performance.now() - t;
    if (!verified.ok) throw new Error(`audit chain broken during bench: ${verified.problem}`);

    const service = perSecond(UPDATES, serviceMs);
    const bare = perSecond(UPDATES, bareMs);
    return [
      {
        backend,
        name: 'action status change via service (audited)',
        value: service,
        unit: 'updates/s',
        baseline: {
          name: 'hand-written UPDATE + history INSERT, no audit',
          value: bare,
          ratio: Number((service / bare).toFixed(2)),
        },
      },
      {
        backend,
        name: 'audit chain verify',
        value: perSecond(verified.checked, verifyMs),
        unit: `events/s (${verified.checked} events)`,
      },
    ];
  } finally {
    await cleanup();
  }
}

export async function runFoundationBench(): Promise<Figure[]> {
  const backends: Array<'pglite' | 'postgres'> = ['pglite'];
  if (process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL) backends.push('postgres');
  const figures: Figure[] = [];
  for (const backend of backends) figures.push(...(await benchBackend(backend)));
  return figures;
}
