/**
 * The audit log: append-only and hash-chained. Every write in the services appends an event inside the same
 * transaction as the change, so a change and its audit record commit or roll back together.
 *
 * Each event's hash is an HMAC-SHA-256, under a key kept outside the database (audit-keys.ts), of the previous
 * hash and the RFC 8785 canonical JSON of the event (which names the key); events written before keys used plain
 * SHA-256. Editing any field (its time to the microsecond), deleting, reordering or forging any event needs the
 * key; checkpoints of the head kept outside the database find events deleted from the end or a log restarted.
 */
import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { AuditEventRow, Database } from '../../db/database.js';
import type { Actor } from '../access/actor.js';
import { canonicalJson } from '../canonical-json.js';
import type { Clock } from '../clock.js';
import {
  type AuditCheckpoint,
  type AuditKey,
  type AuditKeyring,
  checkpointIsGenuine,
  keyedHash,
  signCheckpoint,
} from './audit-keys.js';

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
  | { readonly ok: true; readonly checked: number; readonly headSeq: number; readonly checkpoints: number }
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
  /** Present on keyed events: the id of the key whose HMAC is the hash. */
  keyId?: string;
}

/** An event's hash: HMAC-SHA-256 under `key` when given (the event names it), else plain SHA-256 (before keys). */
export function computeEventHash(prevHash: string, fields: HashedFields, key?: AuditKey): string {
  const body = canonicalJson(fields);
  if (body === undefined) throw new Error('audit event cannot be canonicalised');
  if (key) return keyedHash(key, prevHash, body);
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}

/** The hashed fields of a stored event (its time as the ISO text it was hashed with). */
export function fieldsOfRow(row: AuditEventRow): HashedFields {
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
    ...(row.key_id ? { keyId: row.key_id } : {}),
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
  /**
   * Re-computes the whole chain under the keys and holds it against the checkpoints kept outside the database;
   * reports the first problem.
   */
  verify(options?: { checkpoints?: readonly AuditCheckpoint[] }): Promise<VerifyResult>;
  /**
   * The head of the chain now (in `trx`, if given), signed with the current key: to be kept outside the database.
   * Throws when no keys are configured.
   */
  checkpoint(trx?: Transaction<Database>): Promise<AuditCheckpoint>;
  /** Whether events are signed with keys (and checkpoints can be made). */
  readonly keyed: boolean;
  /** Events in sequence order, optionally limited to a time range [from, to). */
  list(filter?: { from?: Date; to?: Date; entityType?: string; entityId?: string }): Promise<AuditEvent[]>;
}

export function createAuditService(deps: {
  db: Kysely<Database>;
  clock: Clock;
  /** The keys (never in the database). Without them events are hashed with plain SHA-256, as before keys. */
  keyring?: AuditKeyring;
}): AuditService {
  const { db, clock, keyring } = deps;

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
      ...(keyring ? { keyId: keyring.current.id } : {}),
    };
    const hash = computeEventHash(head.hash, fields, keyring?.current);
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
        key_id: fields.keyId ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx.updateTable('audit_head').set({ seq: fields.seq, hash }).where('id', '=', 1).execute();
    return toEvent(row);
  }

  async function verify(options: { checkpoints?: readonly AuditCheckpoint[] } = {}): Promise<VerifyResult> {
    const BATCH = 1000;
    let prevHash = GENESIS_HASH;
    let expectedSeq = 1;
    let checked = 0;
    let keyedFrom: number | null = null;
    const broken = (seq: number, problem: string): VerifyResult => ({ ok: false, checked, seq, problem });
    // Checkpoints must be signed by these keys; the chain must hold each one's event with its hash.
    const checkpoints = [...(options.checkpoints ?? [])].sort((x, y) => x.seq - y.seq);
    for (const c of checkpoints) {
      if (!keyring || !checkpointIsGenuine(keyring, c))
        return broken(
          c.seq,
          `the checkpoint of ${c.at} (event ${c.seq}) is not signed by this installation's audit keys${keyring ? '' : ' (none are configured)'}: it was forged or altered`,
        );
    }
    const wanted = new Map(checkpoints.map((c) => [c.seq, c]));
    for (;;) {
      const rows = await db
        .selectFrom('audit_events')
        .selectAll()
        // The time to the microsecond: a Date holds milliseconds, and an edit of 1 µs must not pass unseen.
        .select(sql<string>`(extract(epoch from at) * 1000000)::bigint::text`.as('at_us'))
        .where('seq', '>=', expectedSeq)
        .orderBy('seq')
        .limit(BATCH)
        .execute();
      for (const row of rows) {
        if (row.seq !== expectedSeq)
          return broken(expectedSeq, `event ${expectedSeq} is missing (next is ${row.seq})`);
        if (row.prev_hash !== prevHash)
          return broken(row.seq, `event ${row.seq} does not link to the event before it`);
        if (row.at_us !== `${row.at.getTime()}000`)
          return broken(row.seq, `event ${row.seq} was altered after it was written (its time)`);
        let key: AuditKey | undefined;
        if (row.key_id !== null) {
          key = keyring?.byId.get(row.key_id);
          if (!key)
            return broken(
              row.seq,
              `event ${row.seq} is signed with audit key '${row.key_id}', which this installation does not have (${keyring ? keyring.source : 'no keys are configured'})`,
            );
          keyedFrom ??= row.seq;
        } else if (keyedFrom !== null) {
          return broken(
            row.seq,
            `event ${row.seq} carries no key although event ${keyedFrom} before it does: the log was rewritten without the key`,
          );
        }
        if (computeEventHash(prevHash, fieldsOfRow(row), key) !== row.hash)
          return broken(row.seq, `event ${row.seq} was altered after it was written`);
        const checkpoint = wanted.get(row.seq);
        if (checkpoint && checkpoint.hash !== row.hash)
          return broken(
            row.seq,
            `event ${row.seq} is not the event the checkpoint of ${checkpoint.at} recorded: the log was rewritten from there or before`,
          );
        prevHash = row.hash;
        expectedSeq += 1;
        checked += 1;
      }
      if (rows.length < BATCH) break;
    }
    const last = checkpoints.at(-1);
    if (last && last.seq > checked)
      return broken(
        checked + 1,
        `the checkpoint of ${last.at} recorded ${last.seq} events but the log ends at event ${checked}: events ${checked + 1} to ${last.seq} were deleted`,
      );
    const keyedSince = checkpoints.find((c) => c.keyedFrom !== null)?.keyedFrom ?? null;
    if (keyedSince !== null && keyedFrom !== keyedSince)
      return broken(
        keyedSince,
        `the checkpoints say events are keyed from event ${keyedSince}, the log from ${keyedFrom ?? 'none'}: the log was rewritten`,
      );
    const head = await db
      .selectFrom('audit_head')
      .select(['seq', 'hash'])
      .where('id', '=', 1)
      .executeTakeFirst();
    if (!head) return broken(expectedSeq, 'the audit head record is missing');
    if (head.seq > checked)
      return broken(
        checked + 1,
        `the head says ${head.seq} events were written but the log ends at event ${checked}: events ${checked + 1} to ${head.seq} were deleted from the end`,
      );
    if (head.seq < checked)
      return broken(
        head.seq + 1,
        `the head says ${head.seq} events were written but the log holds ${checked}: the head was altered`,
      );
    if (head.hash !== prevHash)
      return broken(checked, `the head's hash does not match event ${checked}: the head was altered`);
    return { ok: true, checked, headSeq: head.seq, checkpoints: checkpoints.length };
  }

  async function checkpoint(trx?: Transaction<Database>): Promise<AuditCheckpoint> {
    if (!keyring) throw new Error('audit checkpoints need audit keys (DMM_AUDIT_KEY or DMM_AUDIT_KEYS_FILE)');
    const q = trx ?? db;
    const head = await q
      .selectFrom('audit_head')
      .select(['seq', 'hash'])
      .where('id', '=', 1)
      .executeTakeFirstOrThrow();
    const keyed = await q
      .selectFrom('audit_events')
      .select((eb) => eb.fn.min<number>('seq').as('first'))
      .where('key_id', 'is not', null)
      .executeTakeFirst();
    return signCheckpoint(keyring.current, {
      seq: head.seq,
      hash: head.hash,
      at: clock.now().toISOString(),
      keyedFrom: keyed?.first === null || keyed?.first === undefined ? null : Number(keyed.first),
    });
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

  return { append, record, verify, checkpoint, list, keyed: keyring !== undefined };
}
