/**
 * Two database roles (PostgreSQL): the **owner** runs the migrations and owns every table; the **service** role,
 * which the running service and the CLI use day to day, may read and write the records but not own them. Only an
 * owner can disable the audit log's append-only trigger or rewrite its tables, so the service's own credentials,
 * if stolen, cannot rewrite the audit log (and the keyed chain and its checkpoints find an owner who does).
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from './database.js';

const ROLE = /^[a-z_][a-z0-9_]{0,62}$/;

export class RoleError extends Error {
  override readonly name = 'RoleError';
}

/** Grants `role` what the service needs and nothing over the audit log beyond appending to it. Run as the owner. */
export async function grantServiceRole(db: Kysely<Database>, role: string, schema = 'public'): Promise<void> {
  if (!ROLE.test(role) || !ROLE.test(schema))
    throw new RoleError(`'${role}' is not a role name this command takes (lower-case letters, digits and _)`);
  const exists = await sql<{
    n: number;
  }>`select count(*)::int as n from pg_roles where rolname = ${role}`.execute(db);
  if (exists.rows[0]?.n !== 1)
    throw new RoleError(`There is no database role '${role}': create it first (docs/deploy.md).`);
  const owner = await sql<{ owner: boolean }>`
    select pg_has_role(${role}, tableowner, 'MEMBER') as owner from pg_tables
    where schemaname = ${schema} and tablename = 'audit_events'`.execute(db);
  if (owner.rows[0]?.owner)
    throw new RoleError(`'${role}' owns the audit tables: the service role must be another role.`);
  for (const statement of [
    `grant usage on schema ${schema} to ${role}`,
    `grant select, insert, update, delete on all tables in schema ${schema} to ${role}`,
    `grant usage, select on all sequences in schema ${schema} to ${role}`,
    // The audit log: append and read only.
    `revoke update, delete, truncate on ${schema}.audit_events from ${role}`,
    `revoke insert, delete, truncate on ${schema}.audit_head from ${role}`,
    // Addenda to minutes: added, never changed.
    `revoke update, delete, truncate on ${schema}.minutes_addenda from ${role}`,
    `revoke update, delete, truncate on ${schema}.decision_reviews from ${role}`,
    // The migrations are the owner's.
    `revoke insert, update, delete, truncate on ${schema}.kysely_migration, ${schema}.kysely_migration_lock from ${role}`,
  ])
    await sql.raw(statement).execute(db);
}
