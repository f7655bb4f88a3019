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

  it('takes Teams from the Microsoft app settings, single-tenant by default', () => {
    const config = loadConfig({
      MicrosoftAppId: 'id',
      MicrosoftAppPassword: 'secret',
      MicrosoftAppTenantId: 'tenant',
    });
    expect(config.teams).toMatchObject({ appId: 'id', appType: 'SingleTenant', tenantId: 'tenant' });
    expect(() => loadConfig({ MicrosoftAppId: 'id', MicrosoftAppPassword: 'secret' })).toThrow(
      /MicrosoftAppTenantId: is required when MicrosoftAppType is SingleTenant/,
    );
    expect(() => loadConfig({ MicrosoftAppId: 'id', MicrosoftAppTenantId: 't' })).toThrow(
      /MicrosoftAppPassword/,
    );
    expect(() => loadConfig({ MicrosoftAppType: 'Everyone' })).toThrow(/MicrosoftAppType: must be/);
  });

  it('serves Teams without token checks only on loopback, and only when asked', () => {
    expect(loadConfig({ DMM_TEAMS: 'on' }).teams?.appId).toBe('');
    expect(() => loadConfig({ DMM_TEAMS: 'on', HOST: '0.0.0.0' })).toThrow(
      /MicrosoftAppId: is required to serve Teams/,
    );
    expect(loadConfig({ DMM_TEAMS: 'off', MicrosoftAppId: 'id' }).teams).toBeUndefined();
  });

  it('never shows the platform secrets in the logged description', () => {
    const config = loadConfig({
      SLACK_SIGNING_SECRET: 'signing-secret-value',
      SLACK_BOT_TOKEN: 'xoxb-secret-value',
      MicrosoftAppId: 'id',
      MicrosoftAppPassword: 'app-password-value',
      MicrosoftAppTenantId: 't',
    });
    const described = JSON.stringify(describeConfig(config));
    expect(described).toContain('"slack":"http"');
    for (const secret of ['signing-secret-value', 'xoxb-secret-value', 'app-password-value'])
      expect(described).not.toContain(secret);
  });
});
