/**
 * The submission ledger: makes a change idempotent per submission. Each card button or form that changes a
 * record carries a key; the service that makes the change claims the key first thing in its own transaction.
 * A fresh key is written and the change goes ahead; a key seen before (a double click, a platform delivering
 * twice, two people pressing one card) throws `AlreadySubmittedError` naming what the first submission did, so
 * nothing changes twice. The claim and the change commit or roll back together: a change refused for any reason
 * leaves its key unused, so correcting a form and sending it again works.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/database.js';
import type { Actor } from '../access/actor.js';
import type { Clock } from '../clock.js';
import { AlreadySubmittedError } from '../errors.js';

/** What a change made or changed, kept against its key. */
export interface SubmittedEntity {
  readonly type: string;
  readonly id: number;
}

export interface SubmissionLedger {
  /**
   * Runs `change` once per key, in a transaction of its own that also claims the key: the change and its key
   * commit or roll back together. Without a key it simply runs. With a key already used it throws
   * `AlreadySubmittedError`. A concurrent submission of the same key waits for the first one's transaction (the
   * key's unique index) and then finds it.
   */
  change<T>(
    actor: Actor,
    submission: { readonly key: string | null | undefined; readonly verb: string },
    entityOf: (result: T) => SubmittedEntity,
    change: (trx: Transaction<Database>) => Promise<T>,
  ): Promise<T>;
}

export function createSubmissionLedger(deps: { db: Kysely<Database>; clock: Clock }): SubmissionLedger {
  const { db, clock } = deps;

  async function once<T>(
    trx: Transaction<Database>,
    actor: Actor,
    submission: { readonly key: string | null | undefined; readonly verb: string },
    entityOf: (result: T) => SubmittedEntity,
    change: () => Promise<T>,
  ): Promise<T> {
    const { key, verb } = submission;
    if (!key) return change();
    const claimed = await trx
      .insertInto('submissions')
      .values({
        key,
        verb,
        person_id: actor.personId,
        actor_label: actor.label,
        entity_type: null,
        entity_id: null,
        created_at: clock.now(),
      })
      .onConflict((oc) => oc.column('key').doNothing())
      .returning('key')
      .executeTakeFirst();
    if (!claimed) {
      const prior = await trx
        .selectFrom('submissions')
        .selectAll()
        .where('key', '=', key)
        .executeTakeFirstOrThrow();
      throw new AlreadySubmittedError({
        key,
        verb: prior.verb,
        personId: prior.person_id,
        actorLabel: prior.actor_label,
        entityType: prior.entity_type,
        entityId: prior.entity_id,
        at: prior.created_at,
      });
    }
    const result = await change();
    const entity = entityOf(result);
    await trx
      .updateTable('submissions')
      .set({ entity_type: entity.type, entity_id: entity.id })
      .where('key', '=', key)
      .execute();
    return result;
  }

  return {
    change: (actor, submission, entityOf, change) =>
      db.transaction().execute((trx) => once(trx, actor, submission, entityOf, () => change(trx))),
  };
}
