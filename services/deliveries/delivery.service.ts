/**
 * Job runs and the outbox. `scheduleRun` claims a (job, unit, local date) and queues its messages in one
 * transaction, so a run is either claimed with all its deliveries or not at all, and a second replica (or a
 * repeated tick) gets `null`. `claimDue` leases due deliveries with `FOR UPDATE SKIP LOCKED`, so replicas
 * never send the same row at once, and a row whose sender died is taken again when its lease runs out. The
 * platform message id is kept as soon as the platform answers (`recordMessageId`), so a retry updates that
 * message instead of posting a second one. Every delivered message is logged as a disclosure in the audit log.
 * The payload is opaque here: the jobs put a card in, the adapters render it.
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database, DeliveryTable } from '../../db/database.js';
import type { Actor } from '../access/actor.js';
import type { AuditService } from '../audit/audit.service.js';
import type { ChatPlatform } from '../channels/channel.service.js';
import type { Clock } from '../clock.js';
import { NotFoundError } from '../errors.js';
import type { Marking } from '../validation.js';

export const DELIVERY_STATUSES = ['pending', 'sending', 'sent', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** A share of the outbox drained on its own: one platform's channel posts, or the messages to people. */
export type DeliveryLane = ChatPlatform | 'person';

export interface Delivery {
  readonly id: number;
  readonly jobRunId: number | null;
  readonly unitId: number;
  readonly bindingId: number | null;
  readonly personId: number | null;
  readonly kind: string;
  readonly payload: unknown;
  readonly marking: Marking;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly lastError: string | null;
  readonly messageId: string | null;
  readonly createdAt: Date;
  readonly sentAt: Date | null;
  /**
   * A platform call for it began and never got a definite answer (its sender died mid-call, or the call failed
   * without one, such as a timeout): it may be on the platform unrecorded, so look before posting.
   */
  readonly inDoubt?: boolean;
}

export interface JobRun {
  readonly id: number;
  readonly job: string;
  readonly unitId: number;
  readonly localDate: string;
  readonly dueAt: Date;
  readonly claimedAt: Date;
  readonly claimedBy: string;
  readonly late: boolean;
  readonly deliveries: number;
}

export interface NewDelivery {
  readonly bindingId?: number | null;
  readonly personId?: number | null;
  readonly kind: string;
  readonly payload: unknown;
  readonly marking: Marking;
}

export interface ScheduleRunInput {
  readonly job: string;
  readonly unitId: number;
  readonly localDate: string;
  readonly dueAt: Date;
  readonly late: boolean;
  readonly worker: string;
}

export interface DeliveryService {
  /** Whether the run was already claimed (by anyone). Cheap: lets a tick skip building what is not needed. */
  hasRun(job: string, unitId: number, localDate: string): Promise<boolean>;
  /** Claims the run and queues its deliveries atomically; `null` when it was already claimed. */
  scheduleRun(input: ScheduleRunInput, deliveries: readonly NewDelivery[]): Promise<JobRun | null>;
  /** The channel messages a run posted (sent, with the platform's message id), newest copy per binding. */
  postedBy(job: string, unitId: number, localDate: string): Promise<Delivery[]>;
  /**
   * Sends a new version of messages a run already posted: each sent delivery named takes the new payload and
   * goes back to pending with its message id, so the outbox updates that message in place and never posts
   * again (one delivery per run and binding). A delivery not sent yet is left alone (it will send its own).
   */
  resend(
    updates: ReadonlyArray<{ readonly id: number; readonly payload: unknown; readonly marking: Marking }>,
  ): Promise<number>;
  /**
   * Leases up to `limit` due deliveries for `leaseMs` to `worker`: all of them, or one lane's (the channel
   * posts of one platform, or the messages to people), so a fast platform's rows never queue behind a slow one's.
   */
  claimDue(worker: string, limit: number, leaseMs: number, lane?: DeliveryLane): Promise<Delivery[]>;
  /** Keeps the platform's message id the moment it is known (before anything else can fail). */
  recordMessageId(id: number, worker: string, messageId: string): Promise<void>;
  /**
   * Extends `worker`'s lease on a delivery it is sending, only while that lease still holds: false once it ran
   * out (another replica may have taken the row), and then the worker must not send it. With `attempt`, a
   * platform call is about to begin: the row is in doubt until a definite answer (`markAttemptFailed` with
   * `definite`, or sent).
   */
  renewLease(
    id: number,
    worker: string,
    leaseMs: number,
    options?: { readonly attempt?: boolean },
  ): Promise<boolean>;
  /** Marks a leased delivery sent and logs the disclosure (who received what, on which platform). */
  markSent(
    id: number,
    worker: string,
    disclosure: { readonly actor: Actor; readonly recipients: readonly string[]; readonly channel: string },
  ): Promise<boolean>;
  /** Puts a leased delivery back for another attempt at `nextAttemptAt`, or ends it as failed. */
  markAttemptFailed(
    id: number,
    worker: string,
    failure: {
      readonly error: string;
      readonly nextAttemptAt: Date | null;
      /** The platform answered that it did not take the message (a 429): no longer in doubt. */
      readonly definite?: boolean;
    },
  ): Promise<void>;
  /** Deliveries by id: of one status, or (`unsent`) all not yet sent (pending, sending, failed); 1,000 at most. */
  list(filter?: { status?: DeliveryStatus; unsent?: boolean; limit?: number }): Promise<Delivery[]>;
  /** Failed deliveries (or the ones named) go back to pending with their attempts reset; audited. */
  retry(actor: Actor, ids?: readonly number[]): Promise<number>;
  /** Deliveries not yet sent or failed. */
  depth(): Promise<number>;
  runs(filter?: { job?: string; localDate?: string }): Promise<JobRun[]>;
}

function toDelivery(row: Selectable<DeliveryTable>): Delivery {
  return {
    id: row.id,
    jobRunId: row.job_run_id,
    unitId: row.unit_id,
    bindingId: row.binding_id,
    personId: row.person_id,
    kind: row.kind,
    payload: row.payload,
    marking: row.marking as Marking,
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    messageId: row.message_id,
    createdAt: row.created_at,
    sentAt: row.sent_at,
    ...(row.status !== 'sent' && row.attempt_started_at && !row.message_id ? { inDoubt: true } : {}),
  };
}

export function createDeliveryService(deps: {
  db: Kysely<Database>;
  audit: AuditService;
  clock: Clock;
}): DeliveryService {
  const { db, audit, clock } = deps;

  return {
    async hasRun(job, unitId, localDate) {
      const row = await db
        .selectFrom('job_runs')
        .select('id')
        .where('job', '=', job)
        .where('unit_id', '=', unitId)
        .where('local_date', '=', localDate)
        .executeTakeFirst();
      return Boolean(row);
    },

    async postedBy(job, unitId, localDate) {
      const rows = await db
        .selectFrom('deliveries as d')
        .innerJoin('job_runs as r', 'r.id', 'd.job_run_id')
        .selectAll('d')
        .where('r.job', '=', job)
        .where('r.unit_id', '=', unitId)
        .where('r.local_date', '=', localDate)
        .where('d.binding_id', 'is not', null)
        .where('d.message_id', 'is not', null)
        .orderBy('d.id', 'desc')
        .execute();
      const latest = new Map<number, Delivery>();
      for (const row of rows)
        if (!latest.has(row.binding_id as number)) latest.set(row.binding_id as number, toDelivery(row));
      return [...latest.values()];
    },

    async resend(updates) {
      let count = 0;
      for (const u of updates) {
        const row = await db
          .updateTable('deliveries')
          .set({
            payload: JSON.stringify(u.payload),
            marking: u.marking,
            status: 'pending',
            attempts: 0,
            next_attempt_at: clock.now(),
            last_error: null,
            sent_at: null,
            locked_by: null,
            locked_until: null,
          })
          .where('id', '=', u.id)
          .where('status', '=', 'sent')
          .where('message_id', 'is not', null)
          .returning('id')
          .executeTakeFirst();
        if (row) count += 1;
      }
      return count;
    },

    async scheduleRun(input, deliveries) {
      return db.transaction().execute(async (trx) => {
        const now = clock.now();
        const run = await trx
          .insertInto('job_runs')
          .values({
            job: input.job,
            unit_id: input.unitId,
            local_date: input.localDate,
            due_at: input.dueAt,
            claimed_at: now,
            claimed_by: input.worker,
            late: input.late,
            deliveries: deliveries.length,
          })
          .onConflict((oc) => oc.columns(['job', 'unit_id', 'local_date']).doNothing())
          .returningAll()
          .executeTakeFirst();
        if (!run) return null;
        if (deliveries.length > 0)
          await trx
            .insertInto('deliveries')
            .values(
              deliveries.map((d) => ({
                job_run_id: run.id,
                unit_id: input.unitId,
                binding_id: d.bindingId ?? null,
                person_id: d.personId ?? null,
                kind: d.kind,
                payload: JSON.stringify(d.payload),
                marking: d.marking,
                next_attempt_at: now,
                created_at: now,
              })),
            )
            .execute();
        return {
          id: run.id,
          job: run.job,
          unitId: run.unit_id,
          localDate: run.local_date,
          dueAt: run.due_at,
          claimedAt: run.claimed_at,
          claimedBy: run.claimed_by,
          late: run.late,
          deliveries: run.deliveries,
        };
      });
    },

    async claimDue(worker, limit, leaseMs, lane) {
      const now = clock.now();
      const until = new Date(now.getTime() + leaseMs);
      return db.transaction().execute(async (trx) => {
        // Due pending rows, and rows whose sender's lease ran out (it died or hung mid-send).
        let query = trx
          .selectFrom('deliveries')
          .select(['deliveries.id'])
          .where((eb) =>
            eb.or([
              eb.and([eb('deliveries.status', '=', 'pending'), eb('deliveries.next_attempt_at', '<=', now)]),
              eb.and([eb('deliveries.status', '=', 'sending'), eb('deliveries.locked_until', '<', now)]),
            ]),
          );
        if (lane === 'person') query = query.where('deliveries.binding_id', 'is', null);
        else if (lane)
          query = query.where('deliveries.binding_id', 'in', (eb) =>
            eb
              .selectFrom('channel_bindings')
              .select('channel_bindings.id')
              .where('channel_bindings.platform', '=', lane),
          );
        const due = await query
          .orderBy('deliveries.next_attempt_at')
          .orderBy('deliveries.id')
          .limit(limit)
          .forUpdate()
          .skipLocked()
          .execute();
        if (due.length === 0) return [];
        const rows = await trx
          .updateTable('deliveries')
          .set({ status: 'sending', locked_until: until, locked_by: worker })
          .where(
            'id',
            'in',
            due.map((d) => d.id),
          )
          .returningAll()
          .execute();
        return rows.map(toDelivery).sort((a, b) => a.id - b.id);
      });
    },

    async renewLease(id, worker, leaseMs, options = {}) {
      const now = clock.now();
      const row = await db
        .updateTable('deliveries')
        .set((eb) => ({
          locked_until: new Date(now.getTime() + leaseMs),
          ...(options.attempt
            ? { attempt_started_at: eb.fn.coalesce('attempt_started_at', eb.val(now)) }
            : {}),
        }))
        .where('id', '=', id)
        .where('status', '=', 'sending')
        .where('locked_by', '=', worker)
        .where('locked_until', '>=', now)
        .returning('id')
        .executeTakeFirst();
      return row !== undefined;
    },

    async recordMessageId(id, worker, messageId) {
      await db
        .updateTable('deliveries')
        .set({ message_id: messageId })
        .where('id', '=', id)
        .where('locked_by', '=', worker)
        .execute();
    },

    async markSent(id, worker, disclosure) {
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable('deliveries')
          .set({ status: 'sent', sent_at: clock.now(), locked_until: null, last_error: null })
          .where('id', '=', id)
          .where('status', '=', 'sending')
          .where('locked_by', '=', worker)
          .returningAll()
          .executeTakeFirst();
        if (!row) return false;
        await audit.append(trx, disclosure.actor, {
          operation: 'disclosure',
          entityType: row.kind,
          entityId: `delivery:${row.id}`,
          unitId: row.unit_id,
          after: {
            deliveryId: row.id,
            jobRunId: row.job_run_id,
            marking: row.marking,
            messageId: row.message_id,
          },
          recipients: disclosure.recipients,
          channel: disclosure.channel,
        });
        return true;
      });
    },

    async markAttemptFailed(id, worker, failure) {
      await db
        .updateTable('deliveries')
        .set((eb) => ({
          attempts: eb('attempts', '+', 1),
          last_error: failure.error.slice(0, 1000),
          locked_until: null,
          status: failure.nextAttemptAt ? 'pending' : 'failed',
          ...(failure.nextAttemptAt ? { next_attempt_at: failure.nextAttemptAt } : {}),
          ...(failure.definite ? { attempt_started_at: null } : {}),
        }))
        .where('id', '=', id)
        .where('status', '=', 'sending')
        .where('locked_by', '=', worker)
        .execute();
    },

    async list(filter = {}) {
      let q = db.selectFrom('deliveries').selectAll().orderBy('id');
      if (filter.status) q = q.where('status', '=', filter.status);
      if (filter.unsent) q = q.where('status', '!=', 'sent');
      return (await q.limit(filter.limit ?? 1000).execute()).map(toDelivery);
    },

    async retry(actor, ids) {
      return db.transaction().execute(async (trx) => {
        let q = trx
          .updateTable('deliveries')
          .set({ status: 'pending', attempts: 0, next_attempt_at: clock.now(), locked_until: null })
          .where('status', '=', 'failed');
        if (ids && ids.length > 0) q = q.where('id', 'in', [...ids]);
        const rows = await q.returning(['id', 'unit_id', 'last_error']).execute();
        if (ids && ids.length > 0 && rows.length === 0)
          throw new NotFoundError('Failed delivery', ids.join(', '));
        for (const row of rows)
          await audit.append(trx, actor, {
            operation: 'alteration',
            entityType: 'delivery',
            entityId: row.id,
            unitId: row.unit_id,
            before: { status: 'failed', lastError: row.last_error },
            after: { status: 'pending' },
          });
        return rows.length;
      });
    },

    async depth() {
      const row = await db
        .selectFrom('deliveries')
        .select(sql<number>`count(*)::int`.as('n'))
        .where('status', 'in', ['pending', 'sending'])
        .executeTakeFirstOrThrow();
      return row.n;
    },

    async runs(filter = {}) {
      let q = db.selectFrom('job_runs').selectAll().orderBy('id');
      if (filter.job) q = q.where('job', '=', filter.job);
      if (filter.localDate) q = q.where('local_date', '=', filter.localDate);
      return (await q.execute()).map((r) => ({
        id: r.id,
        job: r.job,
        unitId: r.unit_id,
        localDate: r.local_date,
        dueAt: r.due_at,
        claimedAt: r.claimed_at,
        claimedBy: r.claimed_by,
        late: r.late,
        deliveries: r.deliveries,
      }));
    },
  };
}
