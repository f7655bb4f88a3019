/**
 * The console in a real browser: Debian's Chromium (never a downloaded one), driven by playwright-core. A whole
 * DMM through the page: open the meeting, step through every section, record a decision with its rationale,
 * create an action for another person, switch to that person and take it to done with a result, close the
 * meeting and read the minutes. Screenshots of the brief, a decision form and the minutes are kept in
 * test-artifacts/console/. CI installs Chromium (.ci/run); without it this file is skipped, saying so.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { type App, createApp } from '../../main.js';
import { createFixedClock } from '../../services/clock.js';
import type { Services } from '../../services/index.js';
import { createLogger } from '../../services/logger.js';
import { BRIEF_FIXTURE_DATE, importBriefFixture } from '../support/brief-fixture.js';
import { createUnitFixture, type UnitFixture } from '../support/fixtures.js';
import { ROOT } from '../support/paths.js';
import { expectPdfHolds } from '../support/pdf.js';
import { DECISION_INPUTS, prepareSignOff, SIGN_OFF, signOffExpectations } from '../support/scenario.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'console');
// Kept in the repository and reviewed with each change to the brief (issue 15).
const BRIEF_ARTIFACTS = path.join(ROOT, 'test-artifacts', 'brief');
// A template literal with the `$` escaped: the text holds a literal ${expression}.
const HOSTILE = `<script>window.pwned=1</script> *bold* <@U123> \${expression}`;

describe.runIf(existsSync(CHROMIUM))('the console in headless Chromium', () => {
  const clock = createFixedClock('2026-05-11T08:00:00Z');
  let dir: string;
  let app: App;
  let url: string;
  let f: UnitFixture;
  let busy: UnitFixture;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dmm-browser-'));
    await fs.mkdir(ARTIFACTS, { recursive: true });
    app = createApp(loadConfig({ DATA_DIR: dir, PORT: '0', LOG_LEVEL: 'silent' }), {
      logger: createLogger('silent'),
      clock,
    });
    url = (await app.start()).url;
    f = await createUnitFixture(app.services as Services, { code: 'browser' });
    // A unit with a month of incidents (test/support/brief-fixture.ts): a brief with every section filled.
    busy = await createUnitFixture(app.services as Services, { code: 'browser-busy' });
    await importBriefFixture(app.services as Services, busy.unit.id);
    await fs.mkdir(BRIEF_ARTIFACTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // Flags for a closed network: no background fetches, no sandbox as root, no GPU.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    await page.goto(`${url}/console`);
    await page.locator('#person option').first().waitFor({ state: 'attached' });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const lastReply = () => page.locator('.entry.bot').last();

  async function as(label: string) {
    const option = page.locator('#person option', { hasText: label }).first();
    await page.selectOption('#person', (await option.getAttribute('value')) as string);
  }

  async function say(text: string) {
    const replies = await page.locator('.entry.bot, .entry.error').count();
    await page.fill('#command', text);
    await page.press('#command', 'Enter');
    await page.locator('.entry.bot, .entry.error').nth(replies).waitFor();
  }

  async function press(title: string) {
    const replies = await page.locator('.entry.bot, .entry.error').count();
    await lastReply().getByRole('button', { name: title, exact: true }).last().click();
    await page.locator('.entry.bot, .entry.error').nth(replies).waitFor();
  }

  it('runs a whole DMM in the page and keeps screenshots of the brief, a decision form and the minutes', async () => {
    await as('Chair');
    await say('dmm brief');
    await expect.poll(() => lastReply().textContent()).toContain('Daily brief');
    await lastReply().screenshot({ path: path.join(ARTIFACTS, 'brief.png') });

    await say('dmm meeting start');
    await expect.poll(() => lastReply().textContent()).toContain('1. Previous actions');
    for (let section = 2; section <= 10; section += 1) {
      await press('Next section');
      await expect.poll(() => lastReply().textContent()).toContain(`${section}. `);
    }

    await press('Record a decision');
    const form = lastReply();
    await form.getByLabel(/^Decision\b/).fill('Patrol the retail park from 16:00');
    await form.getByLabel('Information and intelligence').fill('Shoplifting series');
    await form.getByLabel('Threat, harm and risk').fill('Staff threatened');
    await form.getByLabel('Powers and policy').fill('Neighbourhood plan');
    await form.getByLabel('Options considered').fill('Patrol; CCTV; nothing');
    await form.getByLabel('Option chosen, and why').fill('Patrol: visible deterrent');
    await form.screenshot({ path: path.join(ARTIFACTS, 'decision-form.png') });
    await press('Record decision');
    await expect.poll(() => lastReply().textContent()).toMatch(/Decision #\d+/);

    await say('dmm action new');
    const actionForm = lastReply();
    await actionForm.getByRole('textbox', { name: /^Action\b/ }).fill(HOSTILE);
    await actionForm.getByRole('combobox', { name: /^Owner/ }).selectOption({ label: f.owner.label });
    await actionForm.locator('input[type=date]').fill('2026-05-12');
    await press('Create action');
    const created = (await lastReply().textContent()) ?? '';
    const id = /Action #(\d+)/.exec(created)?.[1];
    expect(id).toBeDefined();
    // User text is shown as typed: no script ran, the markup characters are on screen.
    expect(created).toContain(HOSTILE);
    expect(await page.evaluate('typeof globalThis.pwned')).toBe('undefined');

    await as('Action owner');
    await say('dmm actions mine');
    await expect.poll(() => lastReply().textContent()).toContain('*bold*');
    await say(`dmm action ${id}`);
    await press('Start');
    await expect.poll(() => lastReply().textContent()).toContain('In progress');
    await press('Done…');
    await lastReply().getByLabel('Result').fill('Manager visited; CCTV offered');
    await press('Done');
    await expect.poll(() => lastReply().textContent()).toContain('Manager visited; CCTV offered');

    await as('Chair');
    await say('dmm meeting');
    await press('Close meeting');
    const minutes = lastReply();
    await expect.poll(() => minutes.textContent()).toContain('DMM minutes: ');
    expect(await minutes.textContent()).toContain('Patrol the retail park from 16:00');
    await minutes.screenshot({ path: path.join(ARTIFACTS, 'minutes.png') });
  }, 120_000);

  it('signs off a whole DMM the next day in the page: apologies, the exception discussed, notes in 6, 7 and 9, the previous action reviewed, a decision, an action, read-back, close, approve, the PDF downloaded (issue 16, done when)', async () => {
    const services = app.services as Services;
    clock.set('2026-05-12T08:00:00Z');
    const { previousActionId } = await prepareSignOff(services, f, clock);
    await as('Chair');
    await say('dmm meeting start');
    await expect.poll(() => lastReply().textContent()).toContain(SIGN_OFF.previousAction);
    await as('Member');
    await say('dmm here');
    await as('Action manager');
    await say(`dmm apologies ${SIGN_OFF.apology}`);
    await as('Chair');
    await say('dmm meeting next');
    await expect.poll(() => lastReply().textContent()).toContain(SIGN_OFF.exceptionRef);
    await as('Member');
    await say(`dmm note ${SIGN_OFF.exceptionNote}`);
    for (let section = 3; section <= 9; section += 1) {
      await as('Chair');
      await say('dmm meeting next');
      await expect.poll(() => lastReply().textContent()).toContain(`${section}. `);
      const note = SIGN_OFF.notes[section as keyof typeof SIGN_OFF.notes];
      if (!note) continue;
      // One note by its button and form, the others by command.
      if (section === 7) {
        await as('Analyst');
        await say('dmm meeting');
        await press('Add a note');
        await lastReply().getByRole('textbox').first().fill(note);
        await press('Add note');
      } else {
        await as('Member');
        await say(`dmm note ${note}`);
      }
      await expect.poll(() => lastReply().textContent()).toContain(note);
    }
    await as('Chair');
    await say('dmm decide');
    const form = lastReply();
    await form.getByLabel(/^Decision\b/).fill(DECISION_INPUTS.text);
    await form.getByLabel('Information and intelligence').fill(DECISION_INPUTS.information);
    await form.getByLabel('Threat, harm and risk').fill(DECISION_INPUTS.threatRisk);
    await form.getByLabel('Powers and policy').fill(DECISION_INPUTS.powersPolicy);
    await form.getByLabel('Options considered').fill(DECISION_INPUTS.optionsConsidered);
    await form.getByLabel('Option chosen, and why').fill(DECISION_INPUTS.chosenOption);
    await press('Record decision');
    await expect.poll(() => lastReply().textContent()).toMatch(/Decision #\d+/);
    await say('dmm action new');
    const actionForm = lastReply();
    await actionForm.getByRole('textbox', { name: /^Action\b/ }).fill('Visit the shop manager');
    await actionForm.getByRole('combobox', { name: /^Owner/ }).selectOption({ label: f.owner.label });
    await actionForm.locator('input[type=date]').fill('2026-05-13');
    await press('Create action');
    await expect.poll(() => lastReply().textContent()).toMatch(/Action #\d+/);
    await say('dmm meeting next');
    await expect.poll(() => lastReply().textContent()).toContain('Decisions recorded (1)');
    expect(await lastReply().textContent()).toContain('Actions raised (1)');

    await press('Close meeting');
    await expect.poll(() => lastReply().textContent()).toContain('Closed, not yet approved');
    await press('Approve minutes');
    const approved = lastReply();
    await expect.poll(() => approved.textContent()).toContain('Approved by ');
    const shown = (await approved.textContent()) ?? '';
    for (const expected of signOffExpectations(f.manager, previousActionId))
      expect(shown).toContain(expected);
    await approved.screenshot({ path: path.join(ARTIFACTS, 'minutes-approved.png') });

    // Download PDF saves the file the service names; it holds every item, its marking on every page.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      approved.getByRole('button', { name: 'Download PDF', exact: true }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('dmm-minutes-2026-05-12.pdf');
    const pdf = await fs.readFile(await download.path());
    await expect.poll(() => lastReply().textContent()).toContain('Downloaded dmm-minutes-2026-05-12.pdf');
    expectPdfHolds(pdf, signOffExpectations(f.manager, previousActionId), 'OFFICIAL');
  }, 120_000);

  it('does nothing for a page of another site: its form posts, fetches and frames are refused', async () => {
    const services = app.services as Services;
    const actions = async () => (await services.actions.list(f.chair, f.unit.id, 'all')).length;
    const events = async () => (await services.audit.list({})).length;
    // What the earlier tests' presses still do after answering (their follow-ups, which may log) is done first:
    // this test counts only what the other site's page does.
    await app.idle();
    const [actionsBefore, eventsBefore] = [await actions(), await events()];
    const body = JSON.stringify({
      unitId: f.unit.id,
      personId: f.chair.personId,
      data: { v: 1, verb: 'action.create', unitId: f.unit.id, k: 'AAAAAAAAAAAAAAAAAAAAAA' },
      inputs: { title: 'Forged', ownerPersonId: String(f.owner.personId), category: 'prevention' },
    });
    // Another origin (another port): a form that posts text/plain, two fetches, and a frame of the console.
    const hostile = `<!doctype html><html><body>
      <form id="f" method="POST" enctype="text/plain" action="${url}/console/api/submit">
        <input name='${body.slice(0, -1)},"pad":"' value='"}'></form>
      <iframe id="frame" src="${url}/console" width="600" height="400"></iframe>
      <script>
        window.results = [];
        fetch('${url}/console/api/submit', { method: 'POST', mode: 'no-cors',
          headers: { 'content-type': 'text/plain' }, body: ${JSON.stringify(body)} })
          .then((r) => results.push('no-cors:' + r.type), (e) => results.push('no-cors:error'));
        fetch('${url}/console/api/submit', { method: 'POST',
          headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(body)} })
          .then((r) => results.push('cors:' + r.status), (e) => results.push('cors:blocked'));
      </script></body></html>`;
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(hostile);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const other = await browser.newPage();
    try {
      await other.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await expect.poll(() => other.evaluate('window.results?.length ?? 0')).toBe(2);
      expect(await other.evaluate('window.results.sort()')).toEqual(['cors:blocked', 'no-cors:opaque']);
      // Then the form: its POST lands on the console's refusal, not on a reply.
      await Promise.all([
        other.waitForURL(`${url}/console/api/submit`),
        other.evaluate("document.getElementById('f').submit()"),
      ]);
      expect(await other.textContent('body')).toContain('JSON requests only');
    } finally {
      await other.close();
      server.close();
    }
    // The framed console never loaded (frame-ancestors 'none'): nothing of it ran there.
    expect(await actions()).toBe(actionsBefore);
    expect(await events()).toBe(eventsBefore);
  }, 60_000);

  it('refuses to be framed by another site', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><iframe id="frame" src="${url}/console"></iframe>`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const other = await browser.newPage();
    try {
      // The page's load event waits for its frame, loaded or refused.
      await other.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { waitUntil: 'load' });
      const frame = other.frames().find((fr) => fr !== other.mainFrame());
      // Chromium replaces a refused frame with its own error page: the console's composer is not in it.
      const loaded = await frame
        ?.locator('#composer')
        .count()
        .catch(() => 0);
      expect(loaded ?? 0).toBe(0);
    } finally {
      await other.close();
      server.close();
    }
  }, 60_000);

  it('shows the partner only the sanitised brief and no form that writes', async () => {
    await as('Partner');
    await say('dmm brief');
    await expect.poll(() => lastReply().textContent()).toContain('Partner brief');
    await say('dmm action new');
    await expect.poll(() => lastReply().textContent()).toContain('Partners cannot create actions');
    expect(await lastReply().locator('input, select, textarea').count()).toBe(0);
  }, 60_000);

  /** A whole tall reply: the page made tall enough to hold it (the log scrolls inside a fixed-height page). */
  async function shoot(reply: ReturnType<Page['locator']>, name: string) {
    const box = await reply.boundingBox();
    await page.setViewportSize({ width: 1100, height: Math.ceil((box?.height ?? 900) + 400) });
    await reply.scrollIntoViewIfNeeded();
    await reply.screenshot({ path: path.join(BRIEF_ARTIFACTS, name) });
    await page.setViewportSize({ width: 1100, height: 900 });
  }

  it('shows the whole brief of a busy unit: a chart, exceptions by risk, response times, no raw codes', async () => {
    await page.selectOption('#unit', String(busy.unit.id));
    await page
      .locator('#person option', { hasText: `(${busy.unit.code})` })
      .first()
      .waitFor({ state: 'attached' });
    await as(`Chair (${busy.unit.code})`);
    await say(`dmm brief ${BRIEF_FIXTURE_DATE}`);
    const brief = lastReply();
    await expect.poll(() => brief.textContent()).toContain('Response times');
    const text = (await brief.textContent()) ?? '';
    for (const section of ['At a glance', 'Exceptions (7)', 'Hotspots', 'About these figures'])
      expect(text).toContain(section);
    for (const raw of ['G1_EMERGENCY', 'G3_SCHEDULED', 'public_safety_welfare', 'missing_person', 'derived:'])
      expect(text).not.toContain(raw);
    // The trend drawn as bars: 29 days less the gap and the partial first day.
    expect(await brief.locator('figure.chart svg rect').count()).toBe(27);
    expect(await brief.locator('figure.chart rect.today').count()).toBe(1);
    await shoot(brief, 'console-internal.png');

    await as(`Partner (${busy.unit.code})`);
    await say(`dmm brief ${BRIEF_FIXTURE_DATE}`);
    const partner = lastReply();
    await expect.poll(() => partner.textContent()).toContain('Partner brief');
    expect(await partner.textContent()).toContain('fewer than 3');
    expect(await partner.textContent()).not.toContain('THRIVE');
    await shoot(partner, 'console-partner.png');
  }, 60_000);
});
