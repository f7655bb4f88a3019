import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from '../../config.js';

describe('loadConfig', () => {
  it('applies documented defaults: embedded database in ./data/pglite, port 3978, loopback', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      databaseUrl: undefined,
      dataDir: path.resolve('./data'),
      pgliteDir: path.resolve('./data/pglite'),
      port: 3978,
      host: '127.0.0.1',
      logLevel: 'info',
      defaultTimeZone: 'Europe/London',
    });
  });

  it('returns a frozen object', () => {
    const config = loadConfig({ PORT: '8080' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('names every bad variable and what is allowed', () => {
    try {
      loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).toMatch(/PORT:/);
      expect(message).toMatch(/LOG_LEVEL:/);
      expect(message).toMatch(/DATABASE_URL: must start with postgres:\/\//);
    }
  });

  it('refuses a port out of range and an unknown time zone', () => {
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT: must be a TCP port/);
    expect(() => loadConfig({ DMM_DEFAULT_TIME_ZONE: 'Mars/Olympus' })).toThrow(/DMM_DEFAULT_TIME_ZONE/);
  });

  it('treats an empty DATABASE_URL as unset', () => {
    expect(loadConfig({ DATABASE_URL: '' }).databaseUrl).toBeUndefined();
  });

  it('never shows the database password when described for logs', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://dmm:s3cret@db.internal:5432/dmm' });
    const described = JSON.stringify(describeConfig(config));
    expect(described).not.toContain('s3cret');
    expect(described).toContain('db.internal');
  });
});

describe('platform settings', () => {
  it('starts no platform when none is configured', () => {
    const config = loadConfig({});
    expect(config.slack).toBeUndefined();
    expect(config.teams).toBeUndefined();
  });

  it('takes Slack over HTTP from the signing secret and bot token, Socket Mode from the app token', () => {
    expect(loadConfig({ SLACK_SIGNING_SECRET: 's', SLACK_BOT_TOKEN: 'xoxb-1' }).slack).toMatchObject({
      mode: 'http',
      signingSecret: 's',
      botToken: 'xoxb-1',
    });
    expect(loadConfig({ SLACK_APP_TOKEN: 'xapp-1', SLACK_BOT_TOKEN: 'xoxb-1' }).slack?.mode).toBe('socket');
    expect(() => loadConfig({ SLACK_SIGNING_SECRET: 's' })).toThrow(/SLACK_BOT_TOKEN: is required/);
    expect(() => loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(/SLACK_SIGNING_SECRET: is required/);
    expect(() =>
      loadConfig({ SLACK_BOT_TOKEN: 'x', SLACK_SIGNING_SECRET: 's', SLACK_API_URL: 'ftp://x' }),
    ).toThrow(/SLACK_API_URL: must be an http/);
  });

  it('takes Teams from its neutral settings, single-tenant by default (issue 18, item 6)', () => {
    const config = loadConfig({
      TEAMS_CLIENT_ID: 'id',
      TEAMS_CLIENT_SECRET: 'secret',
      TEAMS_TENANT_ID: 'tenant',
    });
    expect(config.teams).toMatchObject({
      clientId: 'id',
      clientSecret: 'secret',
      authType: 'SingleTenant',
      tenantId: 'tenant',
    });
    expect(config.deprecations).toEqual([]);
    expect(() => loadConfig({ TEAMS_CLIENT_ID: 'id', TEAMS_CLIENT_SECRET: 'secret' })).toThrow(
      /TEAMS_TENANT_ID: is required when TEAMS_AUTH_TYPE is SingleTenant/,
    );
    expect(() => loadConfig({ TEAMS_CLIENT_ID: 'id', TEAMS_TENANT_ID: 't' })).toThrow(/TEAMS_CLIENT_SECRET/);
    expect(() => loadConfig({ TEAMS_AUTH_TYPE: 'Everyone' })).toThrow(/TEAMS_AUTH_TYPE: must be/);
    expect(
      loadConfig({ TEAMS_CLIENT_ID: 'id', TEAMS_AUTH_TYPE: 'UserAssignedMSI', TEAMS_TENANT_ID: 't' }).teams,
    ).toMatchObject({ authType: 'UserAssignedMSI', clientSecret: '' });
  });

  it("accepts botbuilder's Microsoft app setting names as deprecated aliases, and refuses the two differing (issue 18, item 6)", () => {
    const config = loadConfig({
      MicrosoftAppId: 'id',
      MicrosoftAppPassword: 'secret',
      MicrosoftAppTenantId: 'tenant',
      MicrosoftAppType: 'SingleTenant',
      ToBotFromChannelOpenIdMetadataUrl: 'https://keys.example.org/openid',
    });
    expect(config.teams).toMatchObject({
      clientId: 'id',
      clientSecret: 'secret',
      tenantId: 'tenant',
      authType: 'SingleTenant',
      openIdMetadataUrl: 'https://keys.example.org/openid',
    });
    expect(config.deprecations).toEqual([
      'MicrosoftAppId is deprecated: rename it TEAMS_CLIENT_ID (the same value)',
      'MicrosoftAppPassword is deprecated: rename it TEAMS_CLIENT_SECRET (the same value)',
      'MicrosoftAppTenantId is deprecated: rename it TEAMS_TENANT_ID (the same value)',
      'MicrosoftAppType is deprecated: rename it TEAMS_AUTH_TYPE (the same value)',
      'ToBotFromChannelOpenIdMetadataUrl is deprecated: rename it TEAMS_OPENID_METADATA_URL (the same value)',
    ]);
    // Both names with the same value: the new one, no note about the old.
    expect(
      loadConfig({
        TEAMS_CLIENT_ID: 'id',
        MicrosoftAppId: 'id',
        TEAMS_CLIENT_SECRET: 's',
        TEAMS_TENANT_ID: 't',
      }).deprecations,
    ).toEqual([]);
    expect(() =>
      loadConfig({
        TEAMS_CLIENT_ID: 'new',
        MicrosoftAppId: 'old',
        TEAMS_CLIENT_SECRET: 's',
        TEAMS_TENANT_ID: 't',
      }),
    ).toThrow(/TEAMS_CLIENT_ID: differs from MicrosoftAppId; keep TEAMS_CLIENT_ID and remove MicrosoftAppId/);
  });

  it('serves Teams without token checks only on loopback, and only when asked', () => {
    expect(loadConfig({ DMM_TEAMS: 'on' }).teams?.clientId).toBe('');
    expect(() => loadConfig({ DMM_TEAMS: 'on', HOST: '0.0.0.0' })).toThrow(
      /TEAMS_CLIENT_ID: is required to serve Teams/,
    );
    expect(loadConfig({ DMM_TEAMS: 'off', TEAMS_CLIENT_ID: 'id' }).teams).toBeUndefined();
  });

  it('never shows the platform secrets in the logged description', () => {
    const config = loadConfig({
      SLACK_SIGNING_SECRET: 'signing-secret-value',
      SLACK_BOT_TOKEN: 'xoxb-secret-value',
      TEAMS_CLIENT_ID: 'id',
      TEAMS_CLIENT_SECRET: 'app-password-value',
      TEAMS_TENANT_ID: 't',
    });
    const described = JSON.stringify(describeConfig(config));
    expect(described).toContain('"slack":"http"');
    for (const secret of ['signing-secret-value', 'xoxb-secret-value', 'app-password-value'])
      expect(described).not.toContain(secret);
  });
});
