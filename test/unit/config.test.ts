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
