/**
 * The audit log: append-only and hash-chained. Every write in the services appends an event inside the same
 * transaction as the change, so a change and its audit record commit or roll back together.
 *
 * Each event's hash is SHA-256 over the previous hash and the RFC 8785 canonical JSON of the event, so editing
 * any field, deleting or reordering any event, or dropping events from the end (the head row keeps the last
 * hash) is detected by `verify`.
 */
import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { AuditEventRow, Database } from '../../db/database.js';
import type { Actor } from '../access/actor.js';
import { canonicalJson } from '../canonical-json.js';
import type { Clock } from '../clock.js';

/** Operations in the sense of the Data Protection Act 2018 s.62 (logging). */
export const AUDIT_OPERATIONS = [
  'collection',
  'alteration',
  'consultation',
  'disclosure',
  'combination',
  'erasure',
] as const;
export type AuditOperation = (typeof AUDIT_OPERATIONS)[number];

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEventInput {
  readonly operation: AuditOperation;
  readonly entityType: string;
  readonly entityId: string | number;
  readonly unitId: number | null;
  readonly before?: unknown;
  readonly after?: unknown;
  /** For disclosures: who received the data (channel ids, file names, people). */
  readonly recipients?: readonly string[];
  /** For disclosures: the channel used (slack, teams, cli, file…). */
  readonly channel?: string;
}

export interface AuditEvent {
  readonly seq: number;
  readonly at: Date;
  readonly actorPersonId: number | null;
  readonly actorLabel: string;
  readonly operation: AuditOperation;
  readonly entityType: string;
  readonly entityId: string;
  readonly unitId: number | null;
  readonly before: unknown;
  readonly after: unknown;
  readonly recipients: readonly string[] | null;
  readonly channel: string | null;
  readonly prevHash: string;
  readonly hash: string;
}

export type VerifyResult =
  | { readonly ok: true; readonly checked: number; readonly headSeq: number }
  | { readonly ok: false; readonly checked: number; readonly seq: number; readonly problem: string };

/** JSON values as they will read back from jsonb: Dates become ISO strings, undefined keys vanish. */
function toJsonValue(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

interface HashedFields {
  seq: number;
  at: string;
  actorPersonId: number | null;
  actorLabel: string;
  operation: string;
  entityType: string;
  entityId: string;
  unitId: number | null;
  before: unknown;
  after: unknown;
  recipients: unknown;
  channel: string | null;
}

export function computeEventHash(prevHash: string, fields: HashedFields): string {
  const body = canonicalJson(fields);
  if (body === undefined) throw new Error('audit event cannot be canonicalised');
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}

function fieldsOfRow(row: AuditEventRow): HashedFields {
  return {
    seq: row.seq,
    at: row.at.toISOString(),
    actorPersonId: row.actor_person_id,
    actorLabel: row.actor_label,
    operation: row.operation,
    entityType: row.entity_type,
    entityId: row.entity_id,
    unitId: row.unit_id,
    before: row.before ?? null,
    after: row.after ?? null,
    recipients: row.recipients ?? null,
    channel: row.channel,
  };
}

function toEvent(row: AuditEventRow): AuditEvent {
  return {
    seq: row.seq,
    at: row.at,
    actorPersonId: row.actor_person_id,
    actorLabel: row.actor_label,
    operation: row.operation as AuditOperation,
    entityType: row.entity_type,
    entityId: row.entity_id,
    unitId: row.unit_id,
    before: row.before ?? null,
    after: row.after ?? null,
    recipients: (row.recipients as string[] | null) ?? null,
    channel: row.channel,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export interface AuditService {
  /** Appends one event inside the caller's transaction. */
  append(trx: Transaction<Database>, actor: Actor, input: AuditEventInput): Promise<AuditEvent>;
  /** Appends one event in its own transaction: for consultations (reads) and disclosures, which change nothing else. */
  record(actor: Actor, input: AuditEventInput): Promise<AuditEvent>;
  /** Re-computes the whole chain; reports the first event that does not match. */
  verify(): Promise<VerifyResult>;
  /** Events in sequence order, optionally limited to a time range [from, to). */
  list(filter?: { from?: Date; to?: Date; entityType?: string; entityId?: string }): Promise<AuditEvent[]>;
}

export function createAuditService(deps: { db: Kysely<Database>; clock: Clock }): AuditService {
  const { db, clock } = deps;

  async function append(
    trx: Transaction<Database>,
    actor: Actor,
    input: AuditEventInput,
  ): Promise<AuditEvent> {
    // Lock the head row: appends from every connection and replica are serialised here, so the chain is linear.
    const head = await trx
      .selectFrom('audit_head')
      .select(['seq', 'hash'])
      .where('id', '=', 1)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const fields: HashedFields = {
      seq: head.seq + 1,
      at: clock.now().toISOString(),
      actorPersonId: actor.personId,
      actorLabel: actor.label,
      operation: input.operation,
      entityType: input.entityType,
      entityId: String(input.entityId),
      unitId: input.unitId,
      before: toJsonValue(input.before),
      after: toJsonValue(input.after),
      recipients: toJsonValue(input.recipients),
      channel: input.channel ?? null,
    };
    const hash = computeEventHash(head.hash, fields);
    const row = await trx
      .insertInto('audit_events')
      .values({
        seq: fields.seq,
        at: fields.at,
        actor_person_id: fields.actorPersonId,
        actor_label: fields.actorLabel,
        operation: fields.operation,
        entity_type: fields.entityType,
        entity_id: fields.entityId,
        unit_id: fields.unitId,
        before: fields.before === null ? null : JSON.stringify(fields.before),
        after: fields.after === null ? null : JSON.stringify(fields.after),
        recipients: fields.recipients === null ? null : JSON.stringify(fields.recipients),
        channel: fields.channel,
        prev_hash: head.hash,
        hash,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx.updateTable('audit_head').set({ seq: fields.seq, hash }).where('id', '=', 1).execute();
    return toEvent(row);
  }

  async function verify(): Promise<VerifyResult> {
    const BATCH = 1000;
    let prevHash = GENESIS_HASH;
    let expectedSeq = 1;
    let checked = 0;
    for (;;) {
      const rows = await db
        .selectFrom('audit_events')
        .selectAll()
        .where('seq', '>=', expectedSeq)
        .orderBy('seq')
        .limit(BATCH)
        .execute();
      for (const row of rows) {
        if (row.seq !== expectedSeq) {
          return {
            ok: false,
            checked,
            seq: expectedSeq,
            problem: `event ${expectedSeq} is missing (next is ${row.seq})`,
          };
        }
        if (row.prev_hash !== prevHash) {
          return {
            ok: false,
            checked,
            seq: row.seq,
            problem: `event ${row.seq} does not link to the event before it`,
          };
        }
        if (computeEventHash(prevHash, fieldsOfRow(row)) !== row.hash) {
          return {
            ok: false,
            checked,
            seq: row.seq,
            problem: `event ${row.seq} was altered after it was written`,
          };
        }
        prevHash = row.hash;
        expectedSeq += 1;
        checked += 1;
      }
      if (rows.length < BATCH) break;
    }
    const head = await db
      .selectFrom('audit_head')
      .select(['seq', 'hash'])
      .where('id', '=', 1)
      .executeTakeFirst();
    if (!head) return { ok: false, checked, seq: expectedSeq, problem: 'the audit head record is missing' };
    if (head.seq !== checked || head.hash !== prevHash) {
      return {
        ok: false,
        checked,
        seq: checked + 1,
        problem: `the log ends at event ${checked} but ${head.seq} were written: events were deleted from the end`,
      };
    }
    return { ok: true, checked, headSeq: head.seq };
  }

  async function list(filter: { from?: Date; to?: Date; entityType?: string; entityId?: string } = {}) {
    let q = db.selectFrom('audit_events').selectAll().orderBy('seq');
    if (filter.from) q = q.where('at', '>=', filter.from);
    if (filter.to) q = q.where('at', '<', filter.to);
    if (filter.entityType) q = q.where('entity_type', '=', filter.entityType);
    if (filter.entityId) q = q.where('entity_id', '=', filter.entityId);
    return (await q.execute()).map(toEvent);
  }

  const record = (actor: Actor, input: AuditEventInput) =>
    db.transaction().execute((trx) => append(trx, actor, input));

  return { append, record, verify, list };
}
