/**
 * The Node version the project says it needs is true (issue 14, item 3; fails on commit 54b6730, where kysely
 * 0.29 required Node 22 while package.json and the README said 20): the oldest Node that `engines` admits is
 * admitted by every installed package, the README names the same version, and the Node running the tests is one
 * `engines` admits.
 */
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
};
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { engines?: { node?: string } | string[]; optional?: boolean }>;
};

describe('the Node version', () => {
  const oldest = semver.minVersion(pkg.engines.node);

  it('is admitted by every installed package at the oldest version engines allows', () => {
    expect(oldest).not.toBeNull();
    const refusing = Object.entries(lock.packages)
      .filter(([name, info]) => name !== '' && !Array.isArray(info.engines) && info.engines?.node)
      .filter(
        ([, info]) => !semver.satisfies(oldest as semver.SemVer, (info.engines as { node: string }).node),
      )
      .map(([name, info]) => `${name} needs ${(info.engines as { node: string }).node}`);
    expect(refusing).toEqual([]);
  });

  it('is the one the README names, and the one these tests run on', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(
      `Node.js (${(oldest as semver.SemVer).major}.${(oldest as semver.SemVer).minor} or newer)`,
    );
    expect(semver.satisfies(process.version, pkg.engines.node)).toBe(true);
  });
});
