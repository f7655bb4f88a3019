/**
 * The one place the process environment is read. `loadConfig(env)` validates every variable once and returns a
 * frozen `Config`; errors name the variable and what is allowed. Tests pass a literal environment.
 */
import os from 'node:os';
import path from 'node:path';

import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Hosts that only this machine can reach. */
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

const optionalUrl = z
  .string()
  .trim()
  .regex(/^https?:\/\//, 'must be an http:// or https:// URL')
  .optional()
  .or(z.literal('').transform(() => undefined));

const envSchema = z.object({
  DATABASE_URL: z
    .string()
    .trim()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  DATA_DIR: z.string().trim().min(1).default('./data'),
  PORT: z.coerce
    .number()
    .int('must be a whole number')
    .min(0)
    .max(65535, 'must be a TCP port between 0 and 65535')
    .default(3978),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  DMM_DEFAULT_TIME_ZONE: z.string().trim().min(1).default('Europe/London'),
  DMM_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  DMM_CONSOLE: z.enum(['on', 'off', 'auto'], { error: 'must be on, off or auto' }).default('auto'),
  DMM_PROFILES_DIR: z.string().trim().min(1).optional(),
  DMM_AUDIT_KEY: z.string().trim().min(1).optional(),
  DMM_MIGRATE: z.enum(['on', 'off']).default('on'),
  DMM_AUDIT_KEYS_FILE: z.string().trim().min(1).optional(),
  DMM_AUDIT_CHECKPOINTS: z.string().trim().min(1).optional(),
  DMM_CONSOLE_HOSTS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
    )
    .refine((hosts) => hosts.every((h) => /^[a-z0-9.-]+$|^\[[0-9a-f:]+\]$/.test(h)), {
      message: 'must be host names separated by commas (e.g. dmm.example.org)',
    }),
  SLACK_SIGNING_SECRET: optionalText,
  SLACK_BOT_TOKEN: optionalText,
  SLACK_APP_TOKEN: optionalText,
  SLACK_API_URL: optionalUrl,
  // Teams: the bot's Entra app registration. Neutral names (the Microsoft 365 Agents SDK calls them clientId,
  // clientSecret, tenantId); botbuilder's own names are accepted as aliases, with a deprecation note at start.
  TEAMS_CLIENT_ID: optionalText,
  TEAMS_CLIENT_SECRET: optionalText,
  TEAMS_TENANT_ID: optionalText,
  TEAMS_AUTH_TYPE: z
    .enum(['SingleTenant', 'MultiTenant', 'UserAssignedMSI'], {
      error: 'must be SingleTenant, MultiTenant or UserAssignedMSI',
    })
    .optional(),
  TEAMS_OPENID_METADATA_URL: optionalUrl,
  TEAMS_EMULATOR_OPENID_METADATA_URL: optionalUrl,
  MicrosoftAppId: optionalText,
  MicrosoftAppPassword: optionalText,
  MicrosoftAppTenantId: optionalText,
  MicrosoftAppType: z
    .enum(['SingleTenant', 'MultiTenant', 'UserAssignedMSI'], {
      error: 'must be SingleTenant, MultiTenant or UserAssignedMSI',
    })
    .optional(),
  ToBotFromChannelOpenIdMetadataUrl: optionalUrl,
  ToBotFromEmulatorOpenIdMetadataUrl: optionalUrl,
  /** Microsoft Graph, where a Teams post whose sender died is looked for before posting again (tests: a fake). */
  DMM_TEAMS_GRAPH_URL: z.string().url().default('https://graph.microsoft.com'),
  DMM_JOBS: z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
  DMM_BRIEF_CATCH_UP_MINUTES: z.coerce
    .number()
    .int('must be a whole number')
    .min(0)
    .max(24 * 60)
    .default(120),
  DMM_REMINDER_TIME: z
    .string()
    .trim()
    .regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, 'must be a 24-hour time HH:MM')
    .default('08:00'),
  DMM_ESCALATE_AFTER_DAYS: z.coerce.number().int('must be a whole number').min(1).max(90).default(3),
  DMM_REMIND_DAYS_BEFORE: z.coerce.number().int('must be a whole number').min(0).max(30).default(2),
  DMM_OUTBOX_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  /** How long a replica holds a delivery it took; past it another replica takes it (the holder died or hung). */
  DMM_OUTBOX_LEASE_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
  DMM_WORKER_ID: z.string().trim().min(1).max(100).optional(),
  DMM_TEAMS: z.enum(['on', 'off', 'auto'], { error: 'must be on, off or auto' }).default('auto'),
});

export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  /** PostgreSQL connection string; when absent the embedded PGlite database in `pgliteDir` is used. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  /** Directory of the embedded database (`<dataDir>/pglite`). */
  readonly pgliteDir: string;
  readonly port: number;
  readonly host: string;
  readonly logLevel: LogLevel;
  readonly defaultTimeZone: string;
  readonly shutdownTimeoutMs: number;
  /**
   * Serve the local console at /console. Anyone who reaches it can act as any persona of the unit, so `auto`
   * (the default) serves it only when the service listens on loopback.
   */
  /** The site's own mapping profiles (`DMM_PROFILES_DIR`), found by name beside the shipped ones. */
  readonly profilesDir: string | undefined;
  /**
   * Whether the service applies pending migrations at start (`DMM_MIGRATE`, default on). Off when it runs under a
   * role that does not own the tables: it then refuses to start while migrations are pending.
   */
  readonly migrate: boolean;
  /** The audit keys (never in the database): one `id secret` from `DMM_AUDIT_KEY`, else this file. */
  readonly audit: {
    readonly key: string | undefined;
    readonly keysFile: string;
    /** Where checkpoints of the audit chain are kept (outside the database): one JSON line each. */
    readonly checkpointsFile: string;
  };
  readonly consoleEnabled: boolean;
  /**
   * Host names the console answers to (the `Host` header), beside the loopback names: the listening address
   * when it is not a wildcard, and `DMM_CONSOLE_HOSTS`. Any other Host is refused (DNS rebinding).
   */
  readonly consoleHosts: readonly string[];
  /** The console is served beyond loopback (`DMM_CONSOLE=on` with a non-loopback `HOST`): warned at start. */
  readonly consoleBeyondLoopback: boolean;
  /** Slack, when its settings are present: HTTP events (signing secret) or Socket Mode (app token). */
  readonly slack:
    | {
        readonly mode: 'http' | 'socket';
        readonly signingSecret: string;
        readonly botToken: string;
        readonly appToken: string | undefined;
        readonly apiUrl: string | undefined;
      }
    | undefined;
  /** Scheduled jobs (morning brief) and the outbox sender run in this process. */
  readonly jobs: {
    readonly enabled: boolean;
    /** How long after its time a missed brief is still sent (marked late). */
    readonly catchUpMs: number;
    readonly outboxIntervalMs: number;
    readonly outboxLeaseMs: number;
    /** Names this replica in job claims and delivery leases. */
    readonly worker: string;
    /** Local time (per unit) of the reminders, the digest and the escalation. */
    readonly reminderTime: string;
    /** An action this many days overdue is escalated to the chair. */
    readonly escalateAfterDays: number;
    /** Owners are reminded this many days before an action is due, once (0: not). */
    readonly remindDaysBefore: number;
  };
  /** Settings given by a deprecated name: said once at start (the service still takes them). */
  readonly deprecations: readonly string[];
  /** Teams, when a client id is configured (or DMM_TEAMS=on on loopback, with no token validation). */
  readonly teams:
    | {
        /** The bot's app (client) id; empty on loopback without one. */
        readonly clientId: string;
        readonly clientSecret: string;
        readonly tenantId: string;
        readonly authType: 'SingleTenant' | 'MultiTenant' | 'UserAssignedMSI';
        /** Where Bot Framework signing keys are published (sovereign clouds; tests). */
        readonly openIdMetadataUrl: string | undefined;
        readonly emulatorOpenIdMetadataUrl: string | undefined;
        readonly graphUrl: string;
      }
    | undefined;
}

/** Teams settings by their neutral names, and botbuilder's name each replaces (accepted, with a note). */
export const TEAMS_SETTING_ALIASES = [
  ['TEAMS_CLIENT_ID', 'MicrosoftAppId'],
  ['TEAMS_CLIENT_SECRET', 'MicrosoftAppPassword'],
  ['TEAMS_TENANT_ID', 'MicrosoftAppTenantId'],
  ['TEAMS_AUTH_TYPE', 'MicrosoftAppType'],
  ['TEAMS_OPENID_METADATA_URL', 'ToBotFromChannelOpenIdMetadataUrl'],
  ['TEAMS_EMULATOR_OPENID_METADATA_URL', 'ToBotFromEmulatorOpenIdMetadataUrl'],
] as const;

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validates the environment and returns a frozen config. Throws `ConfigError` naming each bad variable. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  if (!isValidTimeZone(e.DMM_DEFAULT_TIME_ZONE)) {
    throw new ConfigError([`DMM_DEFAULT_TIME_ZONE: '${e.DMM_DEFAULT_TIME_ZONE}' is not an IANA time zone`]);
  }
  const problems: string[] = [];
  let slack: Config['slack'];
  if (e.SLACK_BOT_TOKEN || e.SLACK_SIGNING_SECRET || e.SLACK_APP_TOKEN) {
    if (!e.SLACK_BOT_TOKEN) problems.push('SLACK_BOT_TOKEN: is required when any Slack setting is given');
    if (!e.SLACK_APP_TOKEN && !e.SLACK_SIGNING_SECRET)
      problems.push(
        'SLACK_SIGNING_SECRET: is required for Slack over HTTP (or give SLACK_APP_TOKEN for Socket Mode)',
      );
    if (e.SLACK_BOT_TOKEN)
      slack = {
        mode: e.SLACK_APP_TOKEN ? 'socket' : 'http',
        signingSecret: e.SLACK_SIGNING_SECRET ?? '',
        botToken: e.SLACK_BOT_TOKEN,
        appToken: e.SLACK_APP_TOKEN,
        apiUrl: e.SLACK_API_URL,
      };
  }
  // Each Teams setting by its neutral name, else by botbuilder's (noted as deprecated); the two differing is a
  // mistake to fix, not to guess at.
  const deprecations: string[] = [];
  const teamsSetting = <N extends (typeof TEAMS_SETTING_ALIASES)[number][0]>(name: N) => {
    const alias = (TEAMS_SETTING_ALIASES.find(([n]) => n === name) as readonly [N, keyof typeof e])[1];
    const neutral = e[name];
    const old = e[alias] as typeof neutral;
    if (neutral !== undefined && old !== undefined && neutral !== old)
      problems.push(`${name}: differs from ${alias}; keep ${name} and remove ${alias}`);
    else if (neutral === undefined && old !== undefined)
      deprecations.push(`${alias} is deprecated: rename it ${name} (the same value)`);
    return neutral ?? old;
  };
  const clientId = teamsSetting('TEAMS_CLIENT_ID');
  const clientSecret = teamsSetting('TEAMS_CLIENT_SECRET');
  const tenantId = teamsSetting('TEAMS_TENANT_ID');
  const authType = teamsSetting('TEAMS_AUTH_TYPE') ?? 'SingleTenant';
  const openIdMetadataUrl = teamsSetting('TEAMS_OPENID_METADATA_URL');
  const emulatorOpenIdMetadataUrl = teamsSetting('TEAMS_EMULATOR_OPENID_METADATA_URL');
  let teams: Config['teams'];
  if (e.DMM_TEAMS !== 'off' && (clientId || e.DMM_TEAMS === 'on')) {
    if (clientId) {
      if (authType !== 'UserAssignedMSI' && !clientSecret)
        problems.push('TEAMS_CLIENT_SECRET: is required with TEAMS_CLIENT_ID (the client secret of the bot)');
      if (authType !== 'MultiTenant' && !tenantId)
        problems.push(`TEAMS_TENANT_ID: is required when TEAMS_AUTH_TYPE is ${authType}`);
    } else if (!LOOPBACK.has(e.HOST)) {
      problems.push(
        'TEAMS_CLIENT_ID: is required to serve Teams beyond loopback (without it no Bot Framework token is checked)',
      );
    }
    teams = {
      clientId: clientId ?? '',
      clientSecret: clientSecret ?? '',
      tenantId: tenantId ?? '',
      authType,
      openIdMetadataUrl,
      emulatorOpenIdMetadataUrl,
      graphUrl: e.DMM_TEAMS_GRAPH_URL.replace(/\/+$/, ''),
    };
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const dataDir = path.resolve(e.DATA_DIR);
  return Object.freeze({
    deprecations,
    databaseUrl: e.DATABASE_URL,
    dataDir,
    pgliteDir: path.join(dataDir, 'pglite'),
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    defaultTimeZone: e.DMM_DEFAULT_TIME_ZONE,
    shutdownTimeoutMs: e.DMM_SHUTDOWN_TIMEOUT_MS,
    profilesDir: e.DMM_PROFILES_DIR ? path.resolve(e.DMM_PROFILES_DIR) : undefined,
    migrate: e.DMM_MIGRATE === 'on',
    audit: {
      key: e.DMM_AUDIT_KEY,
      keysFile: path.resolve(e.DMM_AUDIT_KEYS_FILE ?? path.join(dataDir, 'audit.keys')),
      checkpointsFile: path.resolve(e.DMM_AUDIT_CHECKPOINTS ?? path.join(dataDir, 'audit-checkpoints.jsonl')),
    },
    consoleEnabled: e.DMM_CONSOLE === 'on' || (e.DMM_CONSOLE === 'auto' && LOOPBACK.has(e.HOST)),
    consoleHosts: [
      ...new Set([
        ...LOOPBACK,
        '[::1]',
        ...(['0.0.0.0', '::'].includes(e.HOST) ? [] : [e.HOST.toLowerCase()]),
        ...e.DMM_CONSOLE_HOSTS,
      ]),
    ],
    consoleBeyondLoopback: e.DMM_CONSOLE === 'on' && !LOOPBACK.has(e.HOST),
    slack,
    teams,
    jobs: {
      enabled: e.DMM_JOBS === 'on',
      catchUpMs: e.DMM_BRIEF_CATCH_UP_MINUTES * 60_000,
      outboxIntervalMs: e.DMM_OUTBOX_INTERVAL_MS,
      outboxLeaseMs: e.DMM_OUTBOX_LEASE_MS,
      worker: e.DMM_WORKER_ID ?? `${os.hostname()}:${process.pid}`,
      reminderTime: e.DMM_REMINDER_TIME,
      escalateAfterDays: e.DMM_ESCALATE_AFTER_DAYS,
      remindDaysBefore: e.DMM_REMIND_DAYS_BEFORE,
    },
  });
}

function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Describes a config for logs: never includes secrets (the database password is masked). */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    database: config.databaseUrl ? redactUrl(config.databaseUrl) : `pglite:${config.pgliteDir}`,
    host: config.host,
    port: config.port,
    logLevel: config.logLevel,
    slack: config.slack ? config.slack.mode : 'off',
    teams: config.teams ? (config.teams.clientId ? 'on' : 'on, no token validation') : 'off',
  };
}

/** A connection URL fit for logs: the password replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable)';
  }
}
