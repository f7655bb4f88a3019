/**
 * The audit log's keys and checkpoints: what makes the chain survive the owner of its database.
 *
 * - **Keys.** Each event's hash is an HMAC-SHA-256 under a secret key that is not in the database (a key file or
 *   a variable), and the event names the key's id, so keys can rotate: the last key of the file signs new events,
 *   older ones still verify theirs. Whoever can rewrite the tables cannot recompute a hash without the key.
 * - **Checkpoints.** The head of the chain (its sequence number and hash), signed with the key, is written outside
 *   the database (a file the operator chooses, one JSON line each) daily and after every export. `verify` holds
 *   the chain against every checkpoint, so events deleted from the end, or a log truncated and restarted, are
 *   found even though the tables alone would look whole.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { canonicalJson } from '../canonical-json.js';

export interface AuditKey {
  readonly id: string;
  readonly secret: Buffer;
}

export interface AuditKeyring {
  /** The key that signs new events (the last of the file). */
  readonly current: AuditKey;
  /** Every key by id: older events verify under the key that signed them. */
  readonly byId: ReadonlyMap<string, AuditKey>;
  /** Where the keys came from (for messages; never the secret). */
  readonly source: string;
}

export class AuditKeyError extends Error {
  override readonly name = 'AuditKeyError';
}

const KEY_ID = /^[A-Za-z0-9_.-]{1,32}$/;
const MIN_SECRET_BYTES = 32;

/** Parses `id secret` lines (secret in base64 or hex, at least 32 bytes; `#` comments); the last key is current. */
export function parseKeys(text: string, source: string): AuditKeyring {
  const keys: AuditKey[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [id, encoded, extra] = line.split(/[\s:]+/);
    if (!id || !encoded || extra !== undefined || !KEY_ID.test(id))
      throw new AuditKeyError(
        `${source}, line ${i + 1}: expected "<id> <secret>" (id: letters, digits, . _ -; secret: base64 or hex of at least ${MIN_SECRET_BYTES} bytes)`,
      );
    const secret =
      /^[0-9a-fA-F]+$/.test(encoded) && encoded.length % 2 === 0
        ? Buffer.from(encoded, 'hex')
        : Buffer.from(encoded, 'base64');
    if (secret.length < MIN_SECRET_BYTES)
      throw new AuditKeyError(
        `${source}, line ${i + 1}: key '${id}' is ${secret.length} bytes; at least ${MIN_SECRET_BYTES} are needed`,
      );
    if (keys.some((k) => k.id === id))
      throw new AuditKeyError(`${source}, line ${i + 1}: key id '${id}' is repeated`);
    keys.push({ id, secret });
  }
  const current = keys.at(-1);
  if (!current) throw new AuditKeyError(`${source} holds no key`);
  return { current, byId: new Map(keys.map((k) => [k.id, k])), source };
}

/**
 * The keyring the configuration names: `DMM_AUDIT_KEY` (one `id secret`), else the file `DMM_AUDIT_KEYS_FILE`,
 * else `<data dir>/audit.keys`, created with a new random key (mode 0600) the first time. A shared PostgreSQL
 * database needs the same keys on every replica: configure them (docs/deploy.md).
 */
export function loadKeyring(options: {
  key?: string | undefined;
  file: string;
  create: boolean;
}): AuditKeyring {
  if (options.key) return parseKeys(options.key, 'DMM_AUDIT_KEY');
  if (!fs.existsSync(options.file)) {
    if (!options.create) throw new AuditKeyError(`the audit key file ${options.file} does not exist`);
    fs.mkdirSync(path.dirname(options.file), { recursive: true });
    const id = `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`;
    fs.writeFileSync(
      options.file,
      `# dmm audit keys: "<id> <secret>", the last one signs new events. Keep this file secret and backed up,\n# away from the database: without it the audit log cannot be verified.\n${id} ${randomBytes(32).toString('base64')}\n`,
      { mode: 0o600, flag: 'wx' },
    );
  }
  return parseKeys(fs.readFileSync(options.file, 'utf8'), options.file);
}

/** HMAC-SHA-256 of `parts` (joined by newlines) under `key`, hex. */
export function keyedHash(key: AuditKey, ...parts: readonly string[]): string {
  const mac = createHmac('sha256', key.secret);
  parts.forEach((part, i) => {
    if (i > 0) mac.update('\n');
    mac.update(part);
  });
  return mac.digest('hex');
}

/** The chain's head at a moment, signed with the key: kept outside the database. */
export interface AuditCheckpoint {
  readonly seq: number;
  readonly hash: string;
  readonly at: string;
  /** The first event signed with a key: events before it are from before keys (legacy SHA-256). */
  readonly keyedFrom: number | null;
  readonly keyId: string;
  readonly mac: string;
}

type Unsigned = Omit<AuditCheckpoint, 'mac'>;

const checkpointBody = (c: Unsigned) =>
  canonicalJson({ seq: c.seq, hash: c.hash, at: c.at, keyedFrom: c.keyedFrom, keyId: c.keyId }) ?? '';

export function signCheckpoint(key: AuditKey, checkpoint: Omit<Unsigned, 'keyId'>): AuditCheckpoint {
  const unsigned = { ...checkpoint, keyId: key.id };
  return { ...unsigned, mac: keyedHash(key, 'dmm-audit-checkpoint', checkpointBody(unsigned)) };
}

/** Whether a checkpoint was signed by one of these keys (and not altered since). */
export function checkpointIsGenuine(keyring: AuditKeyring, checkpoint: AuditCheckpoint): boolean {
  const key = keyring.byId.get(checkpoint.keyId);
  if (!key || typeof checkpoint.mac !== 'string' || !/^[0-9a-f]{64}$/.test(checkpoint.mac)) return false;
  const expected = Buffer.from(keyedHash(key, 'dmm-audit-checkpoint', checkpointBody(checkpoint)), 'hex');
  return timingSafeEqual(expected, Buffer.from(checkpoint.mac, 'hex'));
}

/** Appends a checkpoint to a JSON-lines file (created if needed). */
export function writeCheckpoint(file: string, checkpoint: AuditCheckpoint): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(file, `${JSON.stringify(checkpoint)}\n`, { mode: 0o600 });
}

/** The checkpoints of a file, oldest first; a line that is not a checkpoint is reported by its number. */
export function readCheckpoints(file: string): { checkpoints: AuditCheckpoint[]; unreadable: number[] } {
  if (!fs.existsSync(file)) return { checkpoints: [], unreadable: [] };
  const checkpoints: AuditCheckpoint[] = [];
  const unreadable: number[] = [];
  for (const [i, line] of fs.readFileSync(file, 'utf8').split('\n').entries()) {
    if (line.trim() === '') continue;
    try {
      const c = JSON.parse(line) as AuditCheckpoint;
      if (typeof c.seq !== 'number' || typeof c.hash !== 'string' || typeof c.keyId !== 'string')
        throw new Error();
      checkpoints.push(c);
    } catch {
      unreadable.push(i + 1);
    }
  }
  return { checkpoints, unreadable };
}
