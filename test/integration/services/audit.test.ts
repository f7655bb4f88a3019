import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../../db/connect.js';
import { createFixedClock } from '../../../services/clock.js';
import { createServices, type Services } from '../../../services/index.js';
import { BACKENDS, openTestDatabase } from '../../support/database.js';
import { createUnitFixture, operator, type UnitFixture } from '../../support/fixtures.js';

const clock = createFixedClock('2026-01-20T08:30:00Z');

describe.each(BACKENDS)('audit chain on %s', (backend) => {
  // Each test tampers with the log, so each gets its own database.
  let handle: DatabaseHandle;
  let services: Services;
  let f: UnitFixture;

  beforeEach(async () => {
    handle = await openTestDatabase(backend);
    services = createServices({ db: handle.db, clock });
    f = await createUnitFixture(services);
    const a = await services.actions.create(f.chair, {
      unitId: f.unit.id,
      title: 'Patrol hotspot',
      ownerPersonId: f.owner.personId,
      category: 'enforcement',
    });
    await services.actions.changeStatus(f.owner, a.id, { status: 'in_progress' });
  });
  afterEach(async () => {
    await handle.close();
  });

  async function countEvents() {
    return (await services.audit.list()).length;
  }

  it('verifies an untouched chain, counting every event', async () => {
    const n = await countEvents();
    expect(n).toBeGreaterThan(15);
    expect(await services.audit.verify()).toEqual({ ok: true, checked: n, headSeq: n, checkpoints: 0 });
  });

  it('refuses UPDATE and DELETE on the audit table itself', async () => {
    await expect(
      sql`update audit_events set actor_label = 'someone else' where seq = 1`.execute(handle.db),
    ).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_events where seq = 1`.execute(handle.db)).rejects.toThrow(
      /append-only/,
    );
    expect((await services.audit.verify()).ok).toBe(true);
  });

  async function tamper(statement: ReturnType<typeof sql>) {
    // A privileged user can switch the trigger off; the hash chain still catches them.
    await sql`alter table audit_events disable trigger audit_events_no_update`.execute(handle.db);
    await statement.execute(handle.db);
    await sql`alter table audit_events enable trigger audit_events_no_update`.execute(handle.db);
  }

  it('fails after a row is edited in SQL, naming the event', async () => {
    const events = await services.audit.list({ entityType: 'action' });
    const target = events.at(-1);
    expect(target).toBeDefined();
    await tamper(
      sql`update audit_events set after = jsonb_set(after, '{status}', '"done"') where seq = ${target?.seq}`,
    );
    expect(await services.audit.verify()).toMatchObject({
      ok: false,
      seq: target?.seq,
      problem: expect.stringMatching(/altered/),
    });
  });

  it('fails after the actor or time of an event is changed', async () => {
    await tamper(sql`update audit_events set at = at + interval '1 second' where seq = 3`);
    expect(await services.audit.verify()).toMatchObject({ ok: false, seq: 3 });
  });

  it('fails after an event in the middle is deleted', async () => {
    await tamper(sql`delete from audit_events where seq = 5`);
    expect(await services.audit.verify()).toMatchObject({
      ok: false,
      seq: 5,
      problem: expect.stringMatching(/missing/),
    });
  });

  it('fails after the newest events are deleted from the end', async () => {
    const n = await countEvents();
    await tamper(sql`delete from audit_events where seq > ${n - 2}`);
    expect(await services.audit.verify()).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/deleted from the end/),
    });
  });

  it('fails after an event is re-hashed without relinking the next one', async () => {
    await tamper(sql`update audit_events set actor_label = 'forged', hash = repeat('a', 64) where seq = 2`);
    const result = await services.audit.verify();
    expect(result).toMatchObject({ ok: false, seq: 2 });
  });

  it('exports the chain as CSV and JSON and logs each export as a disclosure', async () => {
    const n = await countEvents();
    const json = await services.exports.exportAudit(operator, {
      format: 'json',
      recipients: ['auditor'],
      justification: 'test',
      destination: 'audit.json',
    });
    expect(json.count).toBe(n);
    expect(JSON.parse(json.content)).toHaveLength(n);
    const csv = await services.exports.exportAudit(operator, {
      format: 'csv',
      recipients: ['auditor'],
      justification: 'test',
      destination: 'audit.csv',
    });
    expect(csv.count).toBe(n + 1);
    expect(csv.content.split('\n')[0]).toBe(
      'seq,at,actor_person_id,actor_label,operation,entity_type,entity_id,unit_id,before,after,recipients,channel,prev_hash,hash',
    );
    const disclosures = (await services.audit.list({ entityType: 'audit_export' })).map((e) => e.recipients);
    expect(disclosures).toEqual([['auditor'], ['auditor']]);
    expect((await services.audit.verify()).ok).toBe(true);
  });
});
