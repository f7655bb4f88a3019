/**
 * Bearer tokens for the ingest API. A token is 32 random bytes, shown once when created; only its SHA-256 hash
 * is stored (a fast hash is right for high-entropy random secrets: there is nothing to brute-force), so a
 * database leak does not leak usable tokens. Each token names the units it may use, what it may do there (read,
 * write) and the highest marking it may read, and expires.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../db/database.js';
import { type Actor, createSystemActor, type SystemActor } from '../access/actor.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import { DomainError, ForbiddenError, NotFoundError } from '../errors.js';
import { id, type Marking, marking, parseInput, text } from '../validation.js';

const PREFIX = 'dmm_';

export interface ApiToken {
  readonly id: number;
  readonly name: string;
  /** The first characters of the token, to recognise it in lists. */
  readonly prefix: string;
  readonly unitIds: readonly number[];
  readonly scopes: readonly TokenScope[];
  /** The highest marking the token may read (items above it are left out of what it reads). */
  readonly ceiling: Marking;
  readonly expiresAt: Date;
  readonly revokedAt: Date | null;
  readonly lastUsedAt: Date | null;
}

export interface AuthenticatedToken {
  readonly token: ApiToken;
  /** The actor writes are audited under: `token:<name>`. */
  readonly actor: SystemActor;
}

export const TOKEN_SCOPES = ['read', 'write'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

const createSchema = z.object({
  name: text(100),
  unitIds: z.array(id).min(1, 'must name at least one unit'),
  scopes: z
    .array(z.enum(TOKEN_SCOPES, { error: 'must be read or write' }))
    .min(1, 'must name read, write or both')
    .default(['write']),
  ceiling: marking.default('OFFICIAL'),
  expiresInDays: z.number().int().min(1).max(730).default(90),
});

export interface TokenService {
  create(actor: Actor, input: z.input<typeof createSchema>): Promise<{ token: string; record: ApiToken }>;
  list(): Promise<ApiToken[]>;
  revoke(actor: Actor, tokenId: number): Promise<ApiToken>;
  /** Checks a presented token; throws DomainError UNAUTHENTICATED with a reason that says what to do. */
  authenticate(presented: string | undefined): Promise<AuthenticatedToken>;
  /** Throws FORBIDDEN unless the token may read or write (`access`) on the unit. */
  assertUnit(token: ApiToken, unitId: number, unitCode: string, access: TokenScope): void;
}

function hash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function createTokenService(deps: {
  db: Kysely<Database>;
  audit: AuditService;
  clock: Clock;
}): TokenService {
  const { db, audit, clock } = deps;
  const toToken = (r: {
    id: number;
    name: string;
    token_prefix: string;
    unit_ids: number[];
    scopes: string[];
    ceiling: string;
    expires_at: Date;
    revoked_at: Date | null;
    last_used_at: Date | null;
  }): ApiToken => ({
    id: r.id,
    name: r.name,
    prefix: r.token_prefix,
    unitIds: r.unit_ids,
    scopes: r.scopes as TokenScope[],
    ceiling: r.ceiling as Marking,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
  });

  return {
    async create(actor, input) {
      if (actor.kind === 'person' && !actor.roles.includes('admin')) {
        throw new ForbiddenError('Only an admin may create API tokens.');
      }
      const data = parseInput(createSchema, input);
      const token = `${PREFIX}${randomBytes(32).toString('base64url')}`;
      const expiresAt = new Date(clock.now().getTime() + data.expiresInDays * 86_400_000);
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('api_tokens')
          .values({
            name: data.name,
            token_prefix: token.slice(0, PREFIX.length + 6),
            token_hash: hash(token),
            unit_ids: data.unitIds,
            scopes: [...new Set(data.scopes)].sort(),
            ceiling: data.ceiling,
            expires_at: expiresAt,
            created_by: actor.label,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        const record = toToken(row);
        await audit.append(trx, actor, {
          operation: 'collection',
          entityType: 'api_token',
          entityId: row.id,
          unitId: null,
          after: record,
        });
        return { token, record };
      });
    },

    async list() {
      return (await db.selectFrom('api_tokens').selectAll().orderBy('id').execute()).map(toToken);
    },

    async revoke(actor, tokenId) {
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom('api_tokens')
          .selectAll()
          .where('id', '=', tokenId)
          .forUpdate()
          .executeTakeFirst();
        if (!row) throw new NotFoundError('API token', tokenId);
        const after = await trx
          .updateTable('api_tokens')
          .set({ revoked_at: row.revoked_at ?? clock.now() })
          .where('id', '=', tokenId)
          .returningAll()
          .executeTakeFirstOrThrow();
        await audit.append(trx, actor, {
          operation: 'alteration',
          entityType: 'api_token',
          entityId: tokenId,
          unitId: null,
          before: toToken(row),
          after: toToken(after),
        });
        return toToken(after);
      });
    },

    async authenticate(presented) {
      if (!presented?.startsWith(PREFIX)) {
        throw new DomainError(
          'UNAUTHENTICATED',
          'Send an API token as "Authorization: Bearer dmm_…" (create one with `dmm tokens create`).',
        );
      }
      const row = await db
        .selectFrom('api_tokens')
        .selectAll()
        .where('token_hash', '=', hash(presented))
        .executeTakeFirst();
      if (!row) throw new DomainError('UNAUTHENTICATED', 'This API token is not known.');
      if (row.revoked_at)
        throw new DomainError(
          'UNAUTHENTICATED',
          `This API token (${row.name}) was revoked; ask an admin for a new one.`,
        );
      const now = clock.now();
      if (row.expires_at <= now) {
        throw new DomainError(
          'UNAUTHENTICATED',
          `This API token (${row.name}) expired on ${row.expires_at.toISOString()}; ask an admin for a new one.`,
        );
      }
      await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', row.id).execute();
      return { token: toToken(row), actor: createSystemActor(`token:${row.name}`) };
    },

    assertUnit(token, unitId, unitCode, access) {
      const verb = access === 'read' ? 'read' : 'write to';
      if (!token.unitIds.includes(unitId)) {
        throw new ForbiddenError(`The API token ${token.name} may not ${verb} unit ${unitCode}.`, { unitId });
      }
      if (!token.scopes.includes(access)) {
        throw new ForbiddenError(
          `The API token ${token.name} may only ${token.scopes.join(' and ')}; it may not ${verb} unit ${unitCode}. Ask an admin for a token with --scope ${access}.`,
          { unitId },
        );
      }
    },
  };
}
