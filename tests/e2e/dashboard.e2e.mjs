// End-to-end test of the HOBA dashboard in headless Chromium (Debian's /usr/bin/chromium,
// no downloaded browser), against a running server with demo data.
//
//   node tests/e2e/dashboard.e2e.mjs <base_url> <username> <password> <screenshot_path>
//
// Signs in, checks the summary table (15 posts), changes the date range and sees the daily
// chart redraw, downloads the daily chart's CSV and compares its total with the API's own
// answer to the same query, takes a screenshot and signs out. Exits 1 with a message on any
// failure. Run by tests/dashboard_e2e.rs.

import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [base, username, password, screenshot] = process.argv.slice(2);
if (!base || !username || !password || !screenshot) {
  console.error('usage: node dashboard.e2e.mjs <base_url> <username> <password> <screenshot_path>');
  process.exit(2);
}
const BASE = base.replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const STEP_TIMEOUT = 30_000;

let step = 'start';
const log = (msg) => console.log(`[e2e] ${msg}`);
function fail(msg) {
  throw new Error(msg);
}
function check(cond, msg) {
  if (!cond) fail(msg);
}

/** Today in Lesotho (UTC+2, no daylight saving). */
function lesothoToday() {
  return new Date(Date.now() + 2 * 3600e3).toISOString().slice(0, 10);
}
function addDays(iso, n) {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** The API's own answer, through a session of the test's own. */
async function apiJson(token, pathAndQuery) {
  const res = await fetch(`${BASE}/api/v1${pathAndQuery}`, { headers: { Authorization: `Bearer ${token}` } });
  const body = await res.text();
  check(res.ok, `GET ${pathAndQuery} answered ${res.status}: ${body.slice(0, 300)}`);
  return JSON.parse(body);
}

/** Sum of the `count` column of a CSV answer; fails on a malformed file. */
function csvTotal(text) {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  check(lines.length >= 1, 'the CSV is empty');
  const header = lines[0].split(',');
  const col = header.indexOf('count');
  check(col >= 0, `the CSV has no count column: ${lines[0]}`);
  let total = 0;
  for (const [i, line] of lines.slice(1).entries()) {
    const cells = line.split(',');
    check(cells.length === header.length, `CSV line ${i + 2} has ${cells.length} cells, expected ${header.length}: ${line}`);
    const v = cells[col];
    check(/^\d+$/.test(v), `CSV line ${i + 2} has a count that is not a number: ${JSON.stringify(v)}`);
    total += Number(v);
  }
  return { total, rows: lines.length - 1, header };
}

async function main() {
  step = 'log in through the API';
  const loginRes = await fetch(`${BASE}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const loginBody = await loginRes.text();
  check(loginRes.ok, `POST /auth/login answered ${loginRes.status}: ${loginBody}`);
  const apiTokens = JSON.parse(loginBody);

  step = 'launch Chromium';
  check(fs.existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const problems = [];
  try {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, acceptDownloads: true, locale: 'en-GB' });
    context.setDefaultTimeout(STEP_TIMEOUT);
    const page = await context.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });

    step = 'open the dashboard';
    const res = await page.goto(`${BASE}/dashboard/`);
    check(res && res.ok(), `GET /dashboard/ answered ${res && res.status()}`);
    check((res.headers()['content-security-policy'] || '').includes("script-src 'self'"), 'the page has no CSP');
    await page.locator('#signin-form').waitFor({ state: 'visible' });

    step = 'sign in';
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#dash-view').waitFor({ state: 'visible' });

    step = 'see the summary table';
    const rows = page.locator('#today table.glance tbody tr');
    await page.waitForFunction(() => document.querySelectorAll('#today table.glance tbody tr').length === 15);
    check((await rows.count()) === 15, `the summary table has ${await rows.count()} rows, expected 15`);
    const summaryApi = await apiJson(apiTokens.access_token, '/stats/summary');
    const msuApi = summaryApi.rows.find((r) => r.poe === 'MSU');
    const msuPage = (await page.locator('#today tr[data-poe="MSU"] td.num').first().textContent()).replace(/[^\d]/g, '');
    check(Number(msuPage) === msuApi.entries, `Maseru Bridge entries today: page ${msuPage}, API ${msuApi.entries}`);
    const quiet = await page.locator('#today .badge.quiet').count();
    log(`summary: 15 posts, ${quiet} quiet`);

    step = 'see the default charts';
    const daily = page.locator('#chart-daily');
    await page.waitForFunction(() => document.querySelector('#chart-daily')?.dataset.state === 'ready');
    const today = lesothoToday();
    check(await page.inputValue('#from') === addDays(today, -6), `default start is ${await page.inputValue('#from')}, expected ${addDays(today, -6)}`);
    check(await daily.getAttribute('data-buckets') === '7', `the daily chart has ${await daily.getAttribute('data-buckets')} buckets, expected 7`);
    const before = await daily.locator('svg').innerHTML();
    for (const id of ['chart-flow', 'chart-heat', 'chart-nationality', 'chart-sex', 'chart-age_band', 'chart-purpose', 'chart-mode']) {
      await page.waitForFunction((i) => ['ready', 'empty'].includes(document.getElementById(i)?.dataset.state), id);
      const st = await page.locator(`#${id}`).getAttribute('data-state');
      check(st === 'ready', `#${id} is ${st}, expected a drawn chart`);
      check(await page.locator(`#${id} svg`).count() === 1, `#${id} has no SVG`);
    }

    step = 'change the date range';
    const from = addDays(today, -9);
    await page.fill('#from', from);
    await page.fill('#to', today);
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForFunction(
      (n) => {
        const el = document.querySelector('#chart-daily');
        return el?.dataset.state === 'ready' && el.dataset.buckets === n;
      },
      '10',
    );
    const after = await daily.locator('svg').innerHTML();
    check(after !== before, 'the daily chart did not redraw after the range changed');
    const bars = await daily.locator('svg rect.bar-entry:not(.swatch)').count();
    check(bars === 10, `the redrawn daily chart has ${bars} entry bars, expected 10`);
    log(`range ${from}..${today}: chart redrawn with ${bars} days`);

    step = 'download the daily chart as CSV';
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#card-daily button[data-csv="daily"]').click(),
    ]);
    const file = await download.path();
    check(file, `the download failed: ${await download.failure()}`);
    const csv = csvTotal(fs.readFileSync(file, 'utf8'));
    check(csv.header.join(',') === 'bucket,direction,count', `unexpected CSV header: ${csv.header.join(',')}`);
    const apiAnswer = await apiJson(apiTokens.access_token,
      `/stats/movements?from=${from}&to=${addDays(today, 1)}&interval=day&group_by=direction`);
    check(csv.total === apiAnswer.total, `CSV total ${csv.total} differs from the API's total ${apiAnswer.total}`);
    check(csv.rows === apiAnswer.rows.length, `CSV has ${csv.rows} rows, the API ${apiAnswer.rows.length}`);
    const shown = Number(await daily.getAttribute('data-total'));
    check(shown === apiAnswer.total, `the chart shows a total of ${shown}, the API ${apiAnswer.total}`);
    log(`CSV ${download.suggestedFilename()}: ${csv.rows} rows, total ${csv.total} = API total`);

    step = 'see the hourly chart for a 2-day range';
    await page.getByRole('button', { name: '2 days' }).click();
    await page.waitForFunction(() => {
      const el = document.querySelector('#chart-daily');
      return el?.dataset.state === 'ready' && el.dataset.interval === 'hour' && el.dataset.buckets === '48';
    });

    step = 'back to the 10-day range for the screenshot';
    await page.fill('#from', from);
    await page.fill('#to', today);
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForFunction(() => [...document.querySelectorAll('.chart')].every((c) => ['ready', 'empty'].includes(c.dataset.state))
      && document.querySelector('#chart-daily').dataset.buckets === '10');

    step = 'keep no token in storage';
    const stored = await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie }));
    check(stored.local === 0 && stored.session === 0 && stored.cookie === '', `something was stored: ${JSON.stringify(stored)}`);

    step = 'take a screenshot';
    fs.mkdirSync(path.dirname(path.resolve(screenshot)), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    await page.screenshot({ path: screenshot.replace(/\.png$/, '') + '-viewport.png' });
    log(`screenshot: ${screenshot}`);

    step = 'sign out';
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#signin-form').waitFor({ state: 'visible' });
    check(await page.locator('#dash-view').isHidden(), 'the dashboard is still visible after signing out');
    const msg = await page.locator('#signin-msg').textContent();
    check(/signed out/i.test(msg), `no sign-out message, got ${JSON.stringify(msg)}`);

    step = 'check the page raised no error';
    const real = problems.filter((p) => !/status of 401/.test(p));
    check(real.length === 0, `the page reported errors:\n  ${real.join('\n  ')}`);
    await context.close();
  } finally {
    await browser.close();
  }

  step = 'sign the test session out';
  await fetch(`${BASE}/api/v1/auth/logout`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ refresh_token: apiTokens.refresh_token }),
  });
  log('PASS');
}

const watchdog = setTimeout(() => {
  console.error(`E2E FAILED at step "${step}": the whole test took more than 5 minutes`);
  process.exit(1);
}, 300_000);

main().then(() => {
  clearTimeout(watchdog);
  process.exit(0);
}, (e) => {
  console.error(`\nE2E FAILED at step "${step}": ${e && e.message ? e.message : e}`);
  process.exit(1);
});
