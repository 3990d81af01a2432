// Drives the merchant dashboard in headless Chromium (Debian's /usr/bin/chromium) with
// playwright-core; run by tests/test_dashboard_browser.py, which starts the guard and seeds it.
//
//   node tests/browser/dashboard.mjs   (configuration in the environment, see below)
//
// DASHBOARD_URL      http://127.0.0.1:PORT/dashboard
// MERCHANT_TOKEN     a merchant token (merchant_id S1);  ANALYST_TOKEN  an analyst token
// MERCHANT_ID        the merchant the analyst looks at
// CAMPAIGN_FIXTURE   {summary, detail} of one campaign, served in place of the campaigns API
// OUT_DIR            where the screenshots and the downloaded CSV go
// CHROMIUM           the browser (default /usr/bin/chromium)
//
// Prints one JSON object with what it saw; exits 1 (with the error on stderr) if a step fails.
// Every wait is bounded; the browser and its profile directory are removed on the way out.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const url = env('DASHBOARD_URL');
const merchantToken = env('MERCHANT_TOKEN');
const analystToken = env('ANALYST_TOKEN');
const merchantId = env('MERCHANT_ID', 'S1');
const campaignFixture = env('CAMPAIGN_FIXTURE');
const outDir = env('OUT_DIR');
const executablePath = env('CHROMIUM', '/usr/bin/chromium');
const STEP_MS = 10_000;

const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

const result = { steps: [], console: [], requests: [] };
const step = (name) => result.steps.push({ name, at_ms: Date.now() - started });
const started = Date.now();

async function signIn(page, token) {
  await page.fill('#token', token);
  await page.click('#signin-form button[type=submit]');
  await page.waitForSelector('#dashboard:not([hidden])', { timeout: STEP_MS });
}

async function rowsReasons(page) {
  return page.$$eval('#refunds tbody tr', (rows) =>
    rows.map((r) => [...r.querySelectorAll('.chip[title]')].map((c) => c.title)));
}

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'clickguard-chromium-'));
  const downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'clickguard-downloads-'));
  let context;
  try {
    // A persistent context is how playwright takes a user data dir: a fresh one per run.
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: ARGS,
      viewport: { width: 1280, height: 900 },
      deviceScaleFactor: 1,
      locale: 'en-US',
      timezoneId: 'Asia/Shanghai',
      acceptDownloads: true,
      downloadsPath: downloads,
      timeout: 20_000,
    });
    context.setDefaultTimeout(STEP_MS);
    const page = context.pages()[0] || (await context.newPage());
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') result.console.push(`${msg.type()}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => result.console.push(`pageerror: ${err.message}`));
    page.on('request', (req) => result.requests.push(new URL(req.url()).origin));

    // ---- merchant ----
    const resp = await page.goto(url, { waitUntil: 'load', timeout: STEP_MS });
    result.page_status = resp.status();
    result.title = await page.title();
    await page.waitForSelector('#token', { state: 'visible' });
    step('loaded');
    await signIn(page, merchantToken);
    result.who = (await page.textContent('#who-text')).trim();
    await page.waitForSelector('#chart svg rect.refunded');
    await page.waitForSelector('#refunds tbody tr');
    await page.waitForFunction(() => document.querySelector('#kpi-refunded').textContent !== '–');
    step('merchant signed in');
    result.chart = await page.$eval('#chart svg', (svg) => ({
      bars: svg.querySelectorAll('g.bar').length,
      refunded_bars: [...svg.querySelectorAll('rect.refunded')].filter((r) => Number(r.getAttribute('height')) > 0).length,
      click_bars: svg.querySelectorAll('rect.clicks').length,
      width: svg.getBoundingClientRect().width,
      top: svg.getBoundingClientRect().top,
    }));
    result.first_section = await page.$eval('#merchant-view > section', (s) => s.querySelector('h2').textContent);
    result.kpis = await page.$$eval('#kpis dd', (dds) => dds.map((d) => d.textContent));
    result.reasons_split = await page.$$eval('#reasons button[data-reason]', (bs) =>
      bs.map((b) => [b.dataset.reason, b.querySelector('.reason-money').textContent]));
    result.rows = await page.$$eval('#refunds tbody tr', (rows) => rows.length);
    result.first_row = await page.$eval('#refunds tbody tr', (tr) => ({
      cells: [...tr.cells].map((c) => c.textContent.trim()),
      time_title: tr.querySelector('time').title,
    }));
    result.headers = await page.$$eval('#refunds thead th', (ths) => ths.map((th) => th.scope + ':' + th.textContent));
    result.labels_ok = await page.$$eval('input, select, textarea', (els) =>
      els.filter((e) => !e.closest('[hidden]')).every((e) => e.labels && e.labels.length > 0));
    // hover a bar: the tooltip tells the bucket
    const bar = await page.$('#chart svg g.bar:has(rect.refunded)');
    await bar.hover();
    await page.waitForSelector('#tooltip:not([hidden])');
    result.tooltip = (await page.textContent('#tooltip')).trim();
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(outDir, 'dashboard.png') });
    step('screenshot');

    // older page
    result.older_visible = await page.isVisible('#older');
    if (result.older_visible) {
      await page.click('#older');
      await page.waitForFunction((n) => document.querySelectorAll('#refunds tbody tr').length > n, result.rows);
      result.rows_after_older = await page.$$eval('#refunds tbody tr', (rows) => rows.length);
    }
    step('older');

    // reason filter
    await page.selectOption('#reason', 'BOT_AGENT');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('#refunds tbody tr')];
      return rows.length > 0 && rows.every((r) => r.querySelector('.chip[title="BOT_AGENT"]'));
    });
    result.filtered_rows = (await rowsReasons(page)).length;
    step('filtered');

    // CSV of the filtered list, fetched with the token and saved through a Blob link
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv')]);
    const csvPath = path.join(outDir, 'refunds.csv');
    await download.saveAs(csvPath);
    result.csv_name = download.suggestedFilename();
    const csv = fs.readFileSync(csvPath, 'utf8').replace(/^\ufeff/, '');
    const lines = csv.split(/\r?\n/).filter(Boolean);
    result.csv_header = lines[0];
    result.csv_rows = lines.length - 1;
    result.csv_all_bot = lines.slice(1).every((l) => l.includes('BOT_AGENT'));
    step('csv');

    // ---- analyst ----
    await page.click('#signout');
    await page.waitForSelector('#signin:not([hidden])');
    await signIn(page, analystToken);
    await page.waitForSelector('#campaigns-card:not([hidden])');
    await page.waitForSelector('#merchant:visible');
    await page.fill('#merchant', merchantId);
    await page.click('#filters button[type=submit]');
    await page.waitForSelector('#merchant-view:not([hidden]) #chart svg rect.refunded');
    await page.waitForFunction(() =>
      document.querySelectorAll('#campaigns tbody tr').length > 0 || !document.querySelector('#campaigns-empty').hidden);
    result.analyst_who = (await page.textContent('#who-text')).trim();
    result.campaign_rows = await page.$$eval('#campaigns tbody tr', (rows) => rows.length);
    step('analyst signed in');
    // The campaign list and detail as the API shapes them (built by the test from the campaign
    // store's own class), whatever this short seed lets the sweep find.
    const fixture = JSON.parse(campaignFixture);
    await page.route(/\/v1\/campaigns(\?.*)?$/, (route) =>
      route.fulfill({ json: { campaigns: [fixture.summary], next_cursor: null } }));
    await page.route(/\/v1\/campaigns\/[^/?]+$/, (route) => route.fulfill({ json: fixture.detail }));
    await page.click('#filters button[type=submit]');
    await page.waitForSelector(`#campaigns button[data-campaign="${fixture.summary.campaign_id}"]`);
    await page.click(`#campaigns button[data-campaign="${fixture.summary.campaign_id}"]`);
    await page.waitForSelector('#campaign-detail:not([hidden]) .members');
    result.campaign_detail = (await page.textContent('#campaign-detail h3')).trim();
    result.campaign_members = await page.$$eval('#campaign-detail .member-group', (gs) =>
      gs.map((g) => [g.querySelector('h4').textContent, g.querySelectorAll('li').length]));
    await page.$eval('#campaigns-card', (el) => el.scrollIntoView());
    await page.screenshot({ path: path.join(outDir, 'dashboard-analyst.png') });
    step('analyst');
    result.requests = [...new Set(result.requests)];
  } finally {
    if (context) await context.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
    fs.rmSync(downloads, { recursive: true, force: true });
  }
}

const deadline = setTimeout(() => {
  console.error('dashboard.mjs: gave up after 50 s at ' + JSON.stringify(result.steps.at(-1)));
  process.exit(2);
}, 50_000);

main().then(
  () => {
    clearTimeout(deadline);
    result.total_ms = Date.now() - started;
    process.stdout.write(JSON.stringify(result) + '\n');
  },
  (err) => {
    clearTimeout(deadline);
    console.error(String(err && err.stack ? err.stack : err));
    console.error('last step: ' + JSON.stringify(result.steps.at(-1)));
    console.error('console: ' + JSON.stringify(result.console));
    process.exit(1);
  },
);
