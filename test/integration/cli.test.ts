/**
 * The `dmm` CLI run in-process against a real database: the embedded one in a temporary DATA_DIR, and a
 * throw-away PostgreSQL database when TEST_DATABASE_URL is set.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { openDatabase } from '../../db/connect.js';
import { addDays, localDateOf } from '../../services/time.js';
import { DISCLOSURE, runDmm, useCliEnvironment } from '../support/cli.js';
import { BACKENDS } from '../support/database.js';
import { HAVE_POPPLER, renderPdf } from '../support/pdf.js';

describe.each(BACKENDS)('dmm CLI on %s', (backend) => {
  const cli = useCliEnvironment(backend);
  const env = cli.env;
  const yesterday = addDays(localDateOf(new Date(), 'Europe/London'), -1);

  it('prints help for every command and exits 0', async () => {
    const top = await runDmm(env, '--help');
    expect(top.code).toBe(0);
    for (const command of ['serve', 'migrate', 'demo', 'audit', 'actions', 'minutes', 'export'])
      expect(top.stdout).toContain(command);
    const exportHelp = await runDmm(env, 'export', '--help');
    expect(exportHelp.stdout).toMatch(/--from <date>/);
  });

  it('migrates, then reports the database is up to date', async () => {
    expect((await runDmm(env, 'migrate')).stderr).toMatch(
      /Applied: 0001-core, 0002-incidents, 0003-forward-look-and-briefs/,
    );
    expect((await runDmm(env, 'migrate')).stderr).toMatch(/up to date/);
  });

  it('asks for the demo when minutes are requested before any unit exists', async () => {
    await runDmm(env, 'migrate');
    expect((await runDmm(env, 'minutes')).stderr).toMatch(/There are no units yet/);
  });

  it('tells the user to create the demo when there are no units', async () => {
    const result = await runDmm(env, 'actions', 'list');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/dmm demo/);
  });

  it('creates the demo once', async () => {
    expect((await runDmm(env, 'demo')).stderr).toMatch(/Demo unit 'demo' created/);
    expect((await runDmm(env, 'demo')).stderr).toMatch(/only created on an empty database/);
  });

  it('prints the brief as terminal text without Markdown escapes, and sets response targets', async () => {
    const brief = await runDmm(env, 'brief');
    expect(brief.code).toBe(0);
    expect(brief.stdout).toMatch(/^OFFICIAL\n\nDaily brief: .* \(demo data\)\n=+/);
    expect(brief.stdout).not.toMatch(/\\[_)*]/);
    expect(brief.stdout).not.toMatch(/G1_EMERGENCY|public_safety_welfare/);
    expect((await runDmm(env, 'brief', '--format', 'md')).stdout).toMatch(
      /^\*\*OFFICIAL\*\*\n\n# Daily brief/,
    );
    const set = await runDmm(env, 'units', 'targets', '--set', 'G2=45', '--set', 'G1=12');
    expect(set.stdout).toBe(
      'Response targets of demo: G1 12 min, G2 45 min. Briefs built from now on use them.\n',
    );
    const bad = await runDmm(env, 'units', 'targets', '--set', 'G9=1');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--set G9=1: write a grade and minutes/);
    const zero = await runDmm(env, 'units', 'targets', '--set', 'G1=0');
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/at least 1 minute/);
  });

  it('lists open and overdue actions as a table and as JSON', async () => {
    const open = await runDmm(env, 'actions', 'list');
    expect(open.code).toBe(0);
    expect(open.stdout.split('\n')[0]).toMatch(/^ID\s+DUE\s+STATUS\s+CATEGORY\s+OWNER\s+TITLE$/);
    expect(open.stdout).toMatch(/blocked\s+intelligence\s+Duty Inspector, Response/);
    const overdue = JSON.parse(
      (await runDmm(env, 'actions', 'list', '--filter', 'overdue', '--format', 'json')).stdout,
    );
    expect(overdue).toHaveLength(1);
    expect(overdue[0].title).toMatch(/Crime prevention visits/);
  });

  it('shows an action with its update history', async () => {
    const list = JSON.parse((await runDmm(env, 'actions', 'list', '--format', 'json')).stdout) as Array<{
      id: number;
      status: string;
    }>;
    const blocked = list.find((a) => a.status === 'blocked');
    const shown = await runDmm(env, 'actions', 'show', `A-${blocked?.id}`);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^A-\d+: Retrieve CCTV from the retail park/);
    expect(shown.stdout).toMatch(/owner: {4}Duty Inspector, Response/);
    expect(shown.stdout).toMatch(/v1 \S+ Supt Demo Chair: created/);
    expect(shown.stdout).toMatch(
      /v2 \S+ Insp Demo Action Manager: status open -> blocked \(Site manager on leave until Monday\)/,
    );
  });

  it('ties an action to a decision and a priority from the CLI, audited in its history (issue 17, item 3: no such command on 54b6730)', async () => {
    const list = JSON.parse((await runDmm(env, 'actions', 'list', '--format', 'json')).stdout) as Array<{
      id: number;
      title: string;
      decisionId: number | null;
    }>;
    // The demo's patrol plan carries out yesterday's decision.
    const patrol = list.find((a) => a.title.startsWith('Patrol plan for Elm Road'));
    expect(patrol?.decisionId).toEqual(expect.any(Number));
    const cctv = list.find((a) => a.title.startsWith('Retrieve CCTV'));
    const linked = await runDmm(
      env,
      'actions',
      'link',
      `A-${cctv?.id}`,
      '--decision',
      `D-${patrol?.decisionId}`,
    );
    expect(linked.stdout).toBe(
      `Action ${cctv?.id}: ${cctv?.title}; carries out decision ${patrol?.decisionId}; delivers priority none.\n`,
    );
    const unlinked = await runDmm(env, 'actions', 'link', String(cctv?.id), '--decision', 'none');
    expect(unlinked.stdout).toContain('carries out decision none');
    expect((await runDmm(env, 'actions', 'show', String(cctv?.id))).stdout).toMatch(/link/);
    const refused = await runDmm(env, 'actions', 'link', String(cctv?.id), '--priority', '999999');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/priorityId: no such priority on this unit/);
    expect((await runDmm(env, 'actions', 'link', String(cctv?.id))).stderr).toMatch(
      /give the decision or the priority the action delivers/,
    );
  });

  it('needs --person for "mine" and names the option', async () => {
    const result = await runDmm(env, 'actions', 'list', '--filter', 'mine');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--person: is required/);
  });

  it("prints yesterday's minutes and refuses an impossible date", async () => {
    const minutes = await runDmm(env, 'minutes', yesterday);
    expect(minutes.code).toBe(0);
    expect(minutes.stdout).toContain(`# DMM minutes: Demo BCU (North), ${yesterday}`);
    expect(minutes.stdout).toMatch(/\*\*D-\d+: Deploy high-visibility patrols/);
    // The demo's chair approved them after the meeting.
    expect(minutes.stdout).toMatch(/Approved by [^,]+, /);
    expect((await runDmm(env, 'minutes')).stdout).toBe(minutes.stdout);
    const bad = await runDmm(env, 'minutes', '2026-02-30');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/YYYY-MM-DD/);
  });

  it('writes the minutes as a PDF for the file, only into a file (issue 16, item 7: Markdown only on 54b6730)', async () => {
    const refused = await runDmm(env, 'minutes', yesterday, '--format', 'pdf');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('add --out FILE');
    const out = path.join(cli.dir, `minutes-${backend}.pdf`);
    const written = await runDmm(env, 'minutes', yesterday, '--format', 'pdf', '--out', out);
    expect(written.code).toBe(0);
    const pdf = await fs.readFile(out);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    if (HAVE_POPPLER) {
      const doc = renderPdf(pdf);
      expect(doc.text(1)).toContain(`DMM minutes: Demo BCU (North), ${yesterday}`);
      expect(doc.text(1)).toContain('Deploy high-visibility patrols');
      for (let n = 1; n <= doc.pageCount; n += 1)
        expect(doc.bandText(n, 0, 56)).toMatch(/^OFFICIAL(-SENSITIVE)?$/);
    }
  });

  it('writes the TT&CG pack of the demo fortnight as Markdown and PDF, logged as a disclosure, and says what a pack cannot be (issue 17, item 7)', async () => {
    const from = addDays(yesterday, -13);
    const md = await runDmm(env, 'export', 'tcg-pack', '--from', from, '--to', yesterday, ...DISCLOSURE);
    expect(md.code).toBe(0);
    expect(md.stdout.split('\n')[0]).toMatch(/^\*\*OFFICIAL(-SENSITIVE)?\*\*$/);
    expect(md.stdout).toContain(`# TT&CG pack: Demo BCU (North), ${from} to ${yesterday}`);
    expect(md.stdout).toContain('Residential burglary');
    expect(md.stdout).toContain('Reduce dwelling burglary by 10% this quarter');
    expect(md.stdout).toMatch(/\*\*Results: \d+ in the period against \d+ in the 14 days before/);
    expect(md.stdout).toContain('Deploy high-visibility patrols');
    expect(md.stderr).toMatch(/logged as a disclosure to/);
    const csv = await runDmm(
      env,
      'export',
      'tcg-pack',
      '--from',
      from,
      '--to',
      yesterday,
      '--format',
      'csv',
      ...DISCLOSURE,
    );
    expect([csv.code, csv.stderr.trim()]).toEqual([
      2,
      '--format csv: the TT&CG pack is written as md or pdf.',
    ]);
    const noFile = await runDmm(
      env,
      'export',
      'tcg-pack',
      '--from',
      from,
      '--to',
      yesterday,
      '--format',
      'pdf',
      ...DISCLOSURE,
    );
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toContain('add --out FILE');
    const out = path.join(cli.dir, `tcg-pack-${backend}.pdf`);
    const pdf = await runDmm(
      env,
      'export',
      'tcg-pack',
      '--from',
      from,
      '--to',
      yesterday,
      '--format',
      'pdf',
      '--out',
      out,
      ...DISCLOSURE,
    );
    expect(pdf.code).toBe(0);
    const bytes = await fs.readFile(out);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    if (HAVE_POPPLER) {
      const doc = renderPdf(bytes);
      expect(doc.text(1)).toContain('TT&CG pack: Demo BCU (North)');
      for (let n = 1; n <= doc.pageCount; n += 1)
        expect(doc.bandText(n, 0, 56)).toMatch(/^OFFICIAL(-SENSITIVE)?$/);
    }
    const audit = JSON.parse(
      (await runDmm(env, 'audit', 'export', '--format', 'json', ...DISCLOSURE)).stdout,
    ) as Array<{
      operation: string;
      entityType: string;
    }>;
    expect(audit.filter((e) => e.operation === 'disclosure' && e.entityType === 'tcg_pack')).toHaveLength(2);
  });

  it('exports decisions to a new CSV file, refuses to overwrite it, and logs the disclosure', async () => {
    const out = path.join(cli.dir, `decisions-${backend}.csv`);
    const first = await runDmm(
      env,
      'export',
      'decisions',
      '--from',
      yesterday,
      '--to',
      yesterday,
      '--format',
      'csv',
      '--out',
      out,
      '--recipient',
      'Professional Standards',
      '--recipient',
      'IOPC',
      '--justification',
      'IOPC request 2026/118',
    );
    expect(first.code).toBe(0);
    const csv = await fs.readFile(out, 'utf8');
    // The file's marking at its top and bottom, then the header.
    expect(csv.split('\n')[0]).toMatch(/^# OFFICIAL(-SENSITIVE)?$/);
    expect(csv.trimEnd().split('\n').at(-1)).toBe(csv.split('\n')[0]);
    expect(csv.split('\n')[1]).toMatch(/^id,unit,meeting_id,decided_at,decision_maker,text,information/);
    expect(csv).toMatch(/Deploy high-visibility patrols/);
    const again = await runDmm(
      env,
      'export',
      'decisions',
      '--from',
      yesterday,
      '--to',
      yesterday,
      '--out',
      out,
      ...DISCLOSURE,
    );
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
    const audit = JSON.parse(
      (await runDmm(env, 'audit', 'export', '--format', 'json', ...DISCLOSURE)).stdout,
    ) as Array<{
      operation: string;
      entityType: string;
      recipients: string[];
    }>;
    expect(
      audit
        .filter((e) => e.operation === 'disclosure' && e.entityType === 'decisions_export')
        .map((e) => e.recipients),
    ).toEqual([['Professional Standards', 'IOPC']]);
    const disclosure = audit.find((e) => e.entityType === 'decisions_export') as unknown as {
      after: { justification: string; destination: string; marking: string };
    };
    expect(disclosure.after).toMatchObject({ justification: 'IOPC request 2026/118', destination: out });
    // Without a recipient or a justification, nothing is exported.
    const unjustified = await runDmm(
      env,
      'export',
      'decisions',
      '--from',
      yesterday,
      '--to',
      yesterday,
      '--recipient',
      'x',
    );
    expect(unjustified.code).toBe(2);
    expect(unjustified.stderr).toMatch(/--justification/);
  });

  it('refuses --from after --to, naming the field', async () => {
    const result = await runDmm(
      env,
      'export',
      'actions',
      '--from',
      '2026-05-02',
      '--to',
      '2026-05-01',
      ...DISCLOSURE,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/from: must be on or before --to/);
  });

  it('verifies the audit chain, then exits 1 naming the event after a row is edited in SQL', async () => {
    const ok = await runDmm(env, 'audit', 'verify');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/Audit chain intact: \d+ events verified/);
    const handle = await openDatabase(loadConfig(env));
    try {
      await sql`alter table audit_events disable trigger audit_events_no_update`.execute(handle.db);
      await sql`update audit_events set actor_label = 'someone else' where seq = 4`.execute(handle.db);
      await sql`alter table audit_events enable trigger audit_events_no_update`.execute(handle.db);
    } finally {
      await handle.close();
    }
    const broken = await runDmm(env, 'audit', 'verify');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/Audit chain BROKEN at event 4: event 4 was altered/);
  });

  it('reports a bad environment variable by name with exit 2', async () => {
    const result = await runDmm({ ...env, PORT: 'x' }, 'migrate');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/PORT:/);
  });
});
