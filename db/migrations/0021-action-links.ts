/**
 * An action's links changed after it was made (the decision it carries out, the priority it delivers) are a
 * kind of update of their own in its history.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `alter table action_updates drop constraint action_updates_kind_check,
         add constraint action_updates_kind_check check (kind in ('created', 'status', 'due', 'owner', 'note', 'link'))`,
    )
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `alter table action_updates drop constraint action_updates_kind_check,
         add constraint action_updates_kind_check check (kind in ('created', 'status', 'due', 'owner', 'note'))`,
    )
    .execute(db);
}
