import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DISCLOSURE, runDmm, useCliEnvironment } from '../support/cli.js';
import { BACKENDS } from '../support/database.js';

describe.each(BACKENDS)('dmm admin commands on %s', (backend) => {
  const cli = useCliEnvironment(backend);
  const env = cli.env;

  it('sets up a unit, a person with a linked identity and a role, and a priority; every step audited', async () => {
    expect((await runDmm(env, 'units', 'list')).stdout).toMatch(/No units yet/);
    expect(
      (
        await runDmm(
          env,
          'units',
          'create',
          '--code',
          'north',
          '--name',
          'North BCU',
          '--scheme',
          '4P',
          '--brief-time',
          '06:30',
        )
      ).stdout,
    ).toBe('Unit north created (id 1, Europe/London, brief at 06:30, 4P).\n');
    expect((await runDmm(env, 'people', 'add', '--name', 'Duty Superintendent')).stdout).toMatch(
      /^Person 1 added/,
    );
    expect(
      (
        await runDmm(
          env,
          'people',
          'link',
          '--person',
          '1',
          '--platform',
          'teams',
          '--tenant',
          'tid',
          '--external-id',
          'aad-1',
        )
      ).code,
    ).toBe(0);
    expect((await runDmm(env, 'members', 'add', '--person', '1', '--role', 'chair')).stdout).toBe(
      'Person 1 is chair on north.\n',
    );
    expect((await runDmm(env, 'members', 'list')).stdout).toMatch(/1\s+Duty Superintendent\s+chair/);
    expect(
      (
        await runDmm(
          env,
          'priorities',
          'add',
          '--title',
          'Knife crime',
          '--morile',
          '500',
          '--keyword',
          'knife',
          '--keyword',
          'stab',
        )
      ).code,
    ).toBe(0);
    expect((await runDmm(env, 'priorities', 'list')).stdout).toMatch(
      /1\s+500\s+\d{4}-\d{2}-\d{2}\s+-\s+-\s+OFFICIAL\s+-\s+Knife crime/,
    );
    expect((await runDmm(env, 'priorities', 'retire', '1')).stdout).toBe(
      'Priority 1 retired: Knife crime.\n',
    );
    expect((await runDmm(env, 'priorities', 'list')).stdout).toMatch(/No active priorities/);
    const audit = JSON.parse((await runDmm(env, 'audit', 'export', ...DISCLOSURE)).stdout) as Array<{
      entityType: string;
      actorLabel: string;
    }>;
    expect(audit.map((e) => e.entityType)).toEqual([
      'unit',
      'person',
      'identity',
      'membership',
      'priority',
      'priority',
    ]);
    expect(new Set(audit.map((e) => e.actorLabel)).size).toBe(1);
    expect(audit[0]?.actorLabel).toMatch(/^cli:/);
  });

  it('refuses bad input with the field or option named and exit 2', async () => {
    const zone = await runDmm(
      env,
      'units',
      'create',
      '--code',
      'x',
      '--name',
      'X',
      '--time-zone',
      'Mars/Base',
    );
    expect(zone).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/timeZone: must be an IANA time zone/),
    });
    const role = await runDmm(env, 'members', 'add', '--person', '1', '--role', 'boss');
    expect(role).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/Allowed choices are chair, action_manager/),
    });
    const person = await runDmm(env, 'members', 'add', '--person', '99', '--role', 'member');
    expect(person).toMatchObject({ code: 2, stderr: expect.stringMatching(/Person 99 was not found/) });
    const id = await runDmm(
      env,
      'people',
      'link',
      '--person',
      'one',
      '--platform',
      'slack',
      '--external-id',
      'U1',
    );
    expect(id).toMatchObject({ code: 2, stderr: expect.stringMatching(/expected an id/) });
  });

  it('exits 2 naming the missing columns (no batch) for a wrong column set, and 2 for an unknown profile', async () => {
    const bad = path.join(cli.dir, 'wrong-columns.csv');
    await fs.writeFile(bad, 'a,b\n1,2\n');
    const result = await runDmm(
      env,
      'import',
      'incidents',
      bad,
      '--profile',
      'generic-uk-cad',
      '--unit',
      'north',
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Wrong column set for this profile: missing column\(s\): incident_ref/);
    expect(result.stdout).toBe('');
    const unknown = await runDmm(env, 'import', 'incidents', bad, '--profile', 'nope', '--unit', 'north');
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringMatching(/Unknown profile 'nope'/) });
  });

  it('asks which unit once there are several, and says when an action does not exist', async () => {
    expect((await runDmm(env, 'units', 'create', '--code', 'south', '--name', 'South')).code).toBe(0);
    expect((await runDmm(env, 'actions', 'show', 'A-999')).stderr).toMatch(/Action 999 was not found/);
    expect((await runDmm(env, 'actions', 'list')).stderr).toMatch(/choose one with --unit \(north, south\)/);
  });
  it('adds a priority with its owner, marking, TT&CG objective and review date, changes them, and keeps a sensitive one from the partner brief (issue 17, item 1: no such options on 54b6730)', async () => {
    await runDmm(env, 'units', 'create', '--code', 'tcg', '--name', 'TCG unit');
    const person =
      /^Person (\d+)/.exec((await runDmm(env, 'people', 'add', '--name', 'Insp Owner')).stdout)?.[1] ?? '';
    expect(
      (await runDmm(env, 'members', 'add', '--unit', 'tcg', '--person', person, '--role', 'member')).code,
    ).toBe(0);
    const added = await runDmm(
      env,
      'priorities',
      'add',
      '--unit',
      'tcg',
      '--title',
      'Operation Nightjar: county lines target',
      '--marking',
      'OFFICIAL-SENSITIVE',
      '--owner',
      person,
      '--objective',
      'Disrupt the Elm Road line',
      '--review',
      '2026-12-14',
    );
    expect(added.stdout).toMatch(
      /^Priority (\d+) added to tcg: Operation Nightjar: county lines target \(OFFICIAL-SENSITIVE\)\.\n$/,
    );
    const id = /^Priority (\d+)/.exec(added.stdout)?.[1] ?? '';
    expect((await runDmm(env, 'priorities', 'list', '--unit', 'tcg')).stdout).toMatch(
      new RegExp(
        `${id}\\s+-\\s+\\S+\\s+-\\s+2026-12-14\\s+OFFICIAL-SENSITIVE\\s+Insp Owner \\(${person}\\)\\s+Operation Nightjar: county lines target \\(objective: Disrupt the Elm Road line\\)`,
      ),
    );
    // The partner brief never names it; the internal one does, with its owner.
    const partner = await runDmm(env, 'brief', '--unit', 'tcg', '--audience', 'partner');
    expect(partner.code).toBe(0);
    expect(partner.stdout).not.toContain('Nightjar');
    const internal = await runDmm(env, 'brief', '--unit', 'tcg', '--ceiling', 'OFFICIAL-SENSITIVE');
    expect(internal.stdout).toContain('Operation Nightjar');
    expect(internal.stdout).toContain('Insp Owner');
    // Changed: the review date cleared, the marking lowered; a person of no role refused, naming the option.
    const set = await runDmm(env, 'priorities', 'set', id, '--review', 'none', '--marking', 'OFFICIAL');
    expect(set.stdout).toContain(
      `Priority ${id}: Operation Nightjar: county lines target (OFFICIAL); owner ${person}; objective Disrupt the Elm Road line; review none.`,
    );
    const refused = await runDmm(env, 'priorities', 'set', id, '--owner', '999');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/ownerPersonId: person 999 is not a member of this unit/);
    expect((await runDmm(env, 'priorities', 'set', id)).stderr).toMatch(
      /give at least one of owner, marking, objective or review date/,
    );
  });
});
