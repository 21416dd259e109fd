// End-to-end test of the HOBA dashboard in headless Chromium (Debian's /usr/bin/chromium,
// no downloaded browser), against a running server with demo data.
//
//   node tests/e2e/dashboard.e2e.mjs <base_url> <username> <password> <output_dir>
//
// What an analyst does, checked against the API's own answers: sign in; today's table; the
// default charts, the running day marked as partial; a custom range and its CSV (a local date
// column, each post's name); the heat map's mean taken only over hours inside the data; the
// comparison with the previous period; a shared link reproducing a view in a fresh browser;
// a reload that keeps the session (refresh token in this tab's sessionStorage only, no access
// token stored anywhere); a post drill-down and Back; tooltips read with the keyboard; the
// Sesotho labels; the print view and a PDF of it; the phone layout at 390×844 in both
// languages; sign-out. Screenshots and the PDF go to <output_dir>. Exits 1 with a message on
// any failure. Run by tests/dashboard_e2e.rs.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [base, username, password, outDir, adminUser, adminPassword] = process.argv.slice(2);
if (!base || !username || !password || !outDir) {
  console.error('usage: node dashboard.e2e.mjs <base_url> <username> <password> <output_dir>');
  process.exit(2);
}
const BASE = base.replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const STEP_TIMEOUT = 30_000;
const STORE_KEY = 'crossings.dashboard.session';

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
const num = (text) => Number(String(text).replace(/[^\d-]/g, ''));

/** The API's own answer, through a session of the test's own. */
let apiToken = '';
async function apiJson(pathAndQuery) {
  const res = await fetch(`${BASE}/api/v1${pathAndQuery}`, { headers: { Authorization: `Bearer ${apiToken}` } });
  const body = await res.text();
  check(res.ok, `GET ${pathAndQuery} answered ${res.status}: ${body.slice(0, 300)}`);
  return JSON.parse(body);
}

/** A CSV file's header and rows; fails on a malformed file. */
function parseCsv(text) {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  check(lines.length >= 1, 'the CSV is empty');
  const header = lines[0].split(',');
  const rows = lines.slice(1).map((line, i) => {
    const cells = line.split(',');
    check(cells.length === header.length, `CSV line ${i + 2} has ${cells.length} cells, expected ${header.length}: ${line}`);
    return Object.fromEntries(header.map((h, j) => [h, cells[j]]));
  });
  return { header, rows };
}

async function download(page, selector) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator(selector).click()]);
  const file = await dl.path();
  check(file, `the download failed: ${await dl.failure()}`);
  return { name: dl.suggestedFilename(), csv: parseCsv(fs.readFileSync(file, 'utf8')) };
}

/** Every chart has its answer (drawn, empty, or a problem shown). */
async function settled(page) {
  await page.waitForFunction(() => {
    const charts = [...document.querySelectorAll('#dash-view .chart')];
    return charts.length > 0 && charts.every((c) => ['ready', 'empty', 'error'].includes(c.dataset.state));
  });
}

async function chartsReady(page) {
  await settled(page);
  const bad = await page.evaluate(() => [...document.querySelectorAll('#dash-view .chart')]
    .filter((c) => c.dataset.state !== 'ready').map((c) => `${c.id}=${c.dataset.state}: ${c.textContent.slice(0, 200)}`));
  check(bad.length === 0, `charts not drawn: ${bad.join('; ')}`);
}

/** RFC 6238 (SHA-1, 6 digits, 30 s) for a base32 secret, `steps` steps from now. */
function totp(secret, steps = 0) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const bytes = [];
  for (const c of secret.replace(/=+$/, '')) {
    value = ((value << 5) | alphabet.indexOf(c)) & 0xffffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + steps));
  const h = crypto.createHmac('sha1', Buffer.from(bytes)).update(counter).digest();
  const o = h[19] & 15;
  const n = ((h[o] & 127) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1_000_000).padStart(6, '0');
}

async function apiPost(pathAndQuery, body, token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`${BASE}/api/v1${pathAndQuery}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text();
  check(res.ok, `POST ${pathAndQuery} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A new account, made by an admin, signs in for the first time in the browser: it chooses
 * its own password, sets up its second factor (the server requires one of admins), reaches
 * the dashboard, signs out, and signs in again with its one-time code. */
async function newcomerSignsIn(page) {
  step = 'the admin enrols a second factor through the API';
  const admin = await apiPost('/auth/login', { username: adminUser, password: adminPassword });
  check(admin.mfa_enrolment_required === true, `admins must enrol a second factor here: ${JSON.stringify(admin)}`);
  const adminSetup = await apiPost('/auth/mfa/setup', null, admin.access_token);
  await apiPost('/auth/mfa/confirm', { code: totp(adminSetup.secret) }, admin.access_token);
  const initial = 'initial password from the admin';
  await apiPost('/users', { username: 'e2e.newcomer', password: initial, roles: ['admin'], poes: ['*'] }, admin.access_token);

  step = 'a newcomer signs in: password change';
  await page.locator('#signin-form').waitFor({ state: 'visible' });
  await page.locator('#username').fill('e2e.newcomer');
  await page.locator('#password').fill(initial);
  await page.locator('#signin-btn').click();
  await page.locator('#pw-form').waitFor({ state: 'visible' });
  await page.locator('#new-password').fill('password1234');
  await page.locator('#new-password2').fill('password1234');
  await page.locator('#pw-btn').click();
  await page.waitForFunction(() => !document.querySelector('#pw-msg').hidden);
  check(/common/i.test(await page.locator('#pw-msg').textContent()), 'a common password is refused with a reason');
  const own = 'a newcomer chooses this phrase';
  await page.locator('#new-password').fill(own);
  await page.locator('#new-password2').fill(own);
  await page.locator('#pw-btn').click();

  step = 'a newcomer signs in: second factor';
  await page.locator('#mfa-form').waitFor({ state: 'visible' });
  await page.waitForFunction(() => document.querySelector('#mfa-secret').textContent.length >= 16);
  const secret = (await page.locator('#mfa-secret').textContent()).trim();
  check((await page.getAttribute('#mfa-link', 'href')).startsWith('otpauth://totp/'), 'the otpauth link is offered');
  await page.locator('#mfa-code').fill(totp(secret));
  await page.locator('#mfa-btn').click();
  await page.locator('#dash-view').waitFor({ state: 'visible' });

  step = 'a newcomer signs in again with a one-time code';
  await page.locator('#signout').click();
  await page.locator('#signin-form').waitFor({ state: 'visible' });
  await page.locator('#username').fill('e2e.newcomer');
  await page.locator('#password').fill(own);
  await page.locator('#signin-btn').click();
  await page.locator('#otp').waitFor({ state: 'visible' });
  // The code of the confirmation is used up; the next step's is accepted (one step of drift).
  await page.locator('#otp').fill(totp(secret, 1));
  await page.locator('#signin-btn').click();
  await page.locator('#dash-view').waitFor({ state: 'visible' });
  await page.locator('#signout').click();
  await page.locator('#signin-form').waitFor({ state: 'visible' });
  log('a newcomer changed the password, set up a second factor and signed in with it');
}

async function signIn(page) {
  await page.locator('#signin-form').waitFor({ state: 'visible' });
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(password);
  await page.locator('#signin-btn').click();
  await page.locator('#dash-view').waitFor({ state: 'visible' });
}

function watchProblems(page, problems, label) {
  page.on('pageerror', (e) => problems.push(`${label}: page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(`${label}: console error: ${m.text()}`);
  });
}

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  const shot = (name) => path.join(outDir, name);

  step = 'log in through the API';
  const loginRes = await fetch(`${BASE}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const loginBody = await loginRes.text();
  check(loginRes.ok, `POST /auth/login answered ${loginRes.status}: ${loginBody}`);
  const apiTokens = JSON.parse(loginBody);
  apiToken = apiTokens.access_token;
  const registry = (await apiJson('/poes')).items;
  const poeName = new Map(registry.map((p) => [p.code, p.name]));

  step = 'launch Chromium';
  check(fs.existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--lang=en-GB',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const problems = [];
  const offsite = [];
  const desktop = { viewport: { width: 1366, height: 900 }, acceptDownloads: true, locale: 'en-GB', timezoneId: 'Africa/Maseru' };
  try {
    const context = await browser.newContext(desktop);
    context.setDefaultTimeout(STEP_TIMEOUT);
    const page = await context.newPage();
    watchProblems(page, problems, 'desktop');
    page.on('request', (r) => { if (!r.url().startsWith(BASE) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) offsite.push(r.url()); });
    let pageAccess = '';
    page.on('response', async (r) => {
      if (/\/auth\/(login|refresh)$/.test(r.url()) && r.ok()) pageAccess = (await r.json()).access_token;
    });

    step = 'open the dashboard';
    const res = await page.goto(`${BASE}/dashboard/`);
    check(res && res.ok(), `GET /dashboard/ answered ${res && res.status()}`);
    check((res.headers()['content-security-policy'] || '').includes("script-src 'self'"), 'the page has no CSP');
    const weight = await page.evaluate(async () => {
      let total = 0;
      for (const u of ['', 'app.js', 'i18n.js', 'style.css']) total += (await (await fetch(u)).arrayBuffer()).byteLength;
      return total;
    });
    check(weight < 600 * 1024, `the page and its assets weigh ${weight} bytes, over the 600 KB budget`);
    log(`page weight: ${(weight / 1024).toFixed(1)} KB`);

    {
      // In a page of its own: a refused password is a 422 in the console there, on purpose.
      const newcomerContext = await browser.newContext(desktop);
      newcomerContext.setDefaultTimeout(STEP_TIMEOUT);
      const newcomerPage = await newcomerContext.newPage();
      newcomerPage.on('pageerror', (e) => problems.push(`newcomer: page error: ${e.message}`));
      await newcomerPage.goto(`${BASE}/dashboard/`);
      await newcomerSignsIn(newcomerPage);
      await newcomerContext.close();
    }

    step = 'sign in';
    await signIn(page);
    await page.waitForURL(/range=last7/);

    step = 'see the summary table';
    await page.waitForFunction(() => document.querySelectorAll('#today table.glance tbody tr').length === 15);
    const summaryApi = await apiJson('/stats/summary');
    const msuApi = summaryApi.rows.find((r) => r.poe === 'MSU');
    const msuPage = num(await page.locator('#today tr[data-poe="MSU"] td.num').first().textContent());
    check(msuPage === msuApi.entries, `Maseru Bridge entries today: page ${msuPage}, API ${msuApi.entries}`);

    step = 'see the default charts, today marked as partial';
    await chartsReady(page);
    const today = lesothoToday();
    const daily = page.locator('#chart-daily');
    check(await page.inputValue('#from') === addDays(today, -6), `default start is ${await page.inputValue('#from')}`);
    check(await daily.getAttribute('data-buckets') === '7', `the daily chart has ${await daily.getAttribute('data-buckets')} buckets, expected 7`);
    check(await daily.getAttribute('data-partial') === '6', `the running day is not marked partial (data-partial=${await daily.getAttribute('data-partial')})`);
    check(await daily.locator('rect.bar-entry.partial').count() === 1, 'the running day has no partial bar');
    const week = await apiJson(`/stats/movements?from=${addDays(today, -6)}&to=${addDays(today, 1)}&interval=day&group_by=direction`);
    check(num(await page.locator('#kpi-movements').getAttribute('data-value')) === week.total,
      `the movements figure is ${await page.locator('#kpi-movements').getAttribute('data-value')}, the API says ${week.total}`);

    step = 'a custom range redraws the chart and goes into the URL';
    const from = addDays(today, -9);
    await page.fill('#from', from);
    await page.fill('#to', today);
    await page.locator('#apply').click();
    await page.waitForURL((u) => u.search.includes(`from=${from}`) && u.search.includes(`to=${today}`));
    await page.waitForFunction(() => document.querySelector('#chart-daily')?.dataset.buckets === '10');
    await chartsReady(page);
    check(await page.inputValue('#preset') === 'custom', `the range select shows ${await page.inputValue('#preset')}, not custom dates`);
    const bars = await daily.locator('svg rect.bar-entry:not(.swatch)').count();
    check(bars === 10, `the redrawn daily chart has ${bars} entry bars, expected 10`);

    step = 'download the daily CSV: a local date column';
    const tenDays = await apiJson(`/stats/movements?from=${from}&to=${addDays(today, 1)}&interval=day&group_by=direction`);
    const dailyCsv = await download(page, '#card-daily button[data-csv="daily"]');
    check(dailyCsv.csv.header.join(',') === 'bucket,date,direction,count', `unexpected daily CSV header: ${dailyCsv.csv.header}`);
    for (const r of dailyCsv.csv.rows) check(r.date === r.bucket.slice(0, 10) && /^\d{4}-\d{2}-\d{2}$/.test(r.date), `bad date column: ${JSON.stringify(r)}`);
    const csvTotal = dailyCsv.csv.rows.reduce((a, r) => a + Number(r.count), 0);
    check(csvTotal === tenDays.total, `CSV total ${csvTotal} differs from the API's ${tenDays.total}`);
    check(dailyCsv.csv.rows.length === tenDays.rows.length, `CSV has ${dailyCsv.csv.rows.length} rows, the API ${tenDays.rows.length}`);
    check(Number(await daily.getAttribute('data-total')) === tenDays.total, 'the chart and the API disagree on the total');
    log(`CSV ${dailyCsv.name}: ${dailyCsv.csv.rows.length} rows, total ${csvTotal} = API`);

    step = "download the posts' CSV: each post's name beside its code";
    const postCsv = await download(page, '#card-poe button[data-csv="poe"]');
    check(postCsv.csv.header.join(',') === 'bucket,date,poe,poe_name,count', `unexpected post CSV header: ${postCsv.csv.header}`);
    for (const r of postCsv.csv.rows) check(r.poe_name === poeName.get(r.poe), `post ${r.poe} is named ${JSON.stringify(r.poe_name)} in the CSV`);

    step = 'the heat map averages only over hours inside the data';
    await page.selectOption('#preset', 'last30');
    await page.waitForURL(/range=last30/);
    await chartsReady(page);
    const days = await apiJson(`/stats/movements?from=${addDays(today, -29)}&to=${addDays(today, 1)}&interval=day`);
    const firstDay = days.rows.filter((r) => r.count).map((r) => r.bucket.slice(0, 10)).sort()[0];
    check(firstDay > addDays(today, -29), `the demo data should start after the 30-day range does (first day ${firstDay})`);
    const firstHours = await apiJson(`/stats/movements?from=${firstDay}&to=${addDays(firstDay, 1)}&interval=hour`);
    const firstHour = firstHours.rows.filter((r) => r.count).map((r) => r.bucket.slice(0, 13)).sort()[0];
    const heat = page.locator('#chart-heat');
    check(await heat.getAttribute('data-from') === `${firstHour}:00`, `the heat map starts at ${await heat.getAttribute('data-from')}, the data at ${firstHour}:00`);
    const hoursExpected = Math.floor((Date.now() + 2 * 3600e3) / 3600e3) - Date.parse(`${firstHour}:00:00Z`) / 3600e3;
    const hoursShown = Number(await heat.getAttribute('data-hours'));
    check(Math.abs(hoursShown - hoursExpected) <= 1, `the heat map averages over ${hoursShown} hours, expected ${hoursExpected}`);
    const nowHour = new Date(Math.floor((Date.now() + 2 * 3600e3) / 3600e3) * 3600e3).toISOString().slice(0, 13);
    const profile = await apiJson(`/stats/hour-profile?from=${encodeURIComponent(`${firstHour}:00:00+02:00`)}&to=${encodeURIComponent(`${nowHour}:00:00+02:00`)}`);
    const busiest = profile.cells.reduce((a, c) => (c.mean > a.mean ? c : a));
    check((await page.locator('#sub-heat').textContent()).includes(`(${busiest.mean.toFixed(1)} an hour)`),
      `the heat map's busiest hour is not the API's ${busiest.mean}: ${await page.locator('#sub-heat').textContent()}`);

    step = 'compare with the previous period';
    const cmpFrom = addDays(today, -4);
    await page.fill('#from', cmpFrom);
    await page.fill('#to', today);
    await page.locator('#apply').click();
    await page.selectOption('#cmp', 'prev');
    await page.waitForURL((u) => u.search.includes('cmp=prev') && u.search.includes(`from=${cmpFrom}`));
    await page.waitForFunction(() => document.querySelector('#chart-daily')?.dataset.cmpTotal);
    await chartsReady(page);
    const cmpStart = await daily.getAttribute('data-cmp-from');
    const cmpEnd = await daily.getAttribute('data-cmp-end');
    check(cmpStart === addDays(cmpFrom, -5), `the previous period starts ${cmpStart}, expected ${addDays(cmpFrom, -5)}`);
    check(cmpEnd.startsWith(`${addDays(today, -5)}T`), `the previous period should stop on ${addDays(today, -5)} at this time of day, not ${cmpEnd}`);
    const before = await apiJson(`/stats/movements?from=${cmpStart}&to=${encodeURIComponent(cmpEnd)}&interval=day&group_by=direction`);
    const nowRange = await apiJson(`/stats/movements?from=${cmpFrom}&to=${addDays(today, 1)}&interval=day&group_by=direction`);
    check(before.total > 0, 'the demo data should cover the previous period');
    const kpi = page.locator('#kpi-movements');
    check(Number(await kpi.getAttribute('data-cmp')) === before.total, `the comparison figure is ${await kpi.getAttribute('data-cmp')}, the API says ${before.total}`);
    check(Number(await kpi.getAttribute('data-value')) === nowRange.total, 'the movements figure does not match the API');
    const change = ((nowRange.total - before.total) / before.total) * 100;
    const kpiText = await kpi.textContent();
    check(kpiText.includes(change >= 0 ? '▲' : '▼') && kpiText.includes(fmt(before.total)), `the comparison reads ${JSON.stringify(kpiText)}`);
    check(await daily.locator('line.cmp-mark').count() === 10, `expected a comparison mark on each of the 10 bars, found ${await daily.locator('line.cmp-mark').count()}`);
    log(`previous period: ${before.total} then, ${nowRange.total} now (${change.toFixed(1)}%)`);

    step = 'tooltips are reachable with the keyboard';
    await daily.focus();
    await page.keyboard.press('ArrowRight');
    const tip = daily.locator('.tip');
    await tip.waitFor({ state: 'visible' });
    const tipText = await tip.textContent();
    const secondDay = new Date(`${addDays(cmpFrom, 1)}T00:00:00Z`).getUTCDate();
    const secondEntries = nowRange.rows.find((r) => r.bucket.startsWith(addDays(cmpFrom, 1)) && r.direction === 'entry').count;
    check(tipText.includes(` ${secondDay} `) && tipText.includes(fmt(secondEntries)), `the tooltip of the second day reads ${JSON.stringify(tipText)}`);
    await page.keyboard.press('Escape');

    step = 'choose two posts';
    await page.locator('#poe-summary').click();
    await page.locator('#poe-none').click();
    await page.locator('#poe-list input[value="MSU"]').check();
    await page.locator('#poe-list input[value="MPB"]').check();
    await page.locator('#apply').click();
    await page.waitForURL(/poe=MPB,MSU/);
    await chartsReady(page);
    check(await page.locator('#today table.glance tbody tr').count() === 2, 'the today table does not follow the post filter');
    const sharedUrl = page.url();
    const twoPosts = await apiJson(`/stats/movements?from=${cmpFrom}&to=${addDays(today, 1)}&interval=day&group_by=direction&poe=MPB,MSU`);
    const twoFlow = await apiJson(`/stats/citizen-flow?from=${cmpFrom}&to=${addDays(today, 1)}&interval=day&poe=MPB,MSU`);
    check(Number(await daily.getAttribute('data-total')) === twoPosts.total, 'the daily chart does not follow the post filter');
    check(Number(await page.locator('#chart-flow').getAttribute('data-net')) === twoFlow.net,
      `citizens' net flow shows ${await page.locator('#chart-flow').getAttribute('data-net')}, the API says ${twoFlow.net} for these posts`);
    check((await page.locator('#sub-flow').textContent()).includes('Maputsoe Bridge, Maseru Bridge'), "citizens' net flow does not name the posts");
    check((await page.locator('#sub-heat').textContent()).includes('Maputsoe Bridge, Maseru Bridge'), 'the heat map does not follow the post filter');

    step = 'a shared link reproduces the view in a fresh browser';
    {
      const other = await browser.newContext(desktop);
      other.setDefaultTimeout(STEP_TIMEOUT);
      const p2 = await other.newPage();
      watchProblems(p2, problems, 'shared link');
      await p2.goto(sharedUrl);
      await signIn(p2);
      await chartsReady(p2);
      check(p2.url() === sharedUrl, `the shared view's URL became ${p2.url()}`);
      check(await p2.inputValue('#from') === cmpFrom && await p2.inputValue('#to') === today, 'the shared link lost its dates');
      check(await p2.inputValue('#cmp') === 'prev', 'the shared link lost its comparison');
      check(await p2.locator('#poe-summary').textContent() === 'Maputsoe Bridge, Maseru Bridge', `the shared link shows posts ${await p2.locator('#poe-summary').textContent()}`);
      check(Number(await p2.locator('#chart-daily').getAttribute('data-total')) === twoPosts.total, 'the shared view counts differently');
      check(await p2.locator('#kpi-movements').getAttribute('data-cmp') !== '', 'the shared view has no comparison');
      await other.close();
    }

    step = 'a reload keeps the session (refresh token in this tab only, no access token stored)';
    const storedBefore = await page.evaluate((k) => sessionStorage.getItem(k), STORE_KEY);
    check(storedBefore, 'no session kept for this tab');
    await page.reload();
    await page.locator('#dash-view').waitFor({ state: 'visible' });
    check(await page.locator('#signin-view').isHidden(), 'the reload showed the sign-in form');
    check(page.url() === sharedUrl, `the reload changed the view to ${page.url()}`);
    await chartsReady(page);
    check(Number(await daily.getAttribute('data-total')) === twoPosts.total, 'the reloaded view counts differently');
    const stored = await page.evaluate(() => ({
      local: Object.keys(localStorage),
      session: Object.fromEntries(Object.keys(sessionStorage).map((k) => [k, sessionStorage.getItem(k)])),
      cookie: document.cookie,
    }));
    check(stored.local.length === 0 && stored.cookie === '', `something was stored beyond this tab: ${JSON.stringify(stored)}`);
    check(Object.keys(stored.session).join() === STORE_KEY, `unexpected sessionStorage keys: ${Object.keys(stored.session)}`);
    const kept = JSON.parse(stored.session[STORE_KEY]);
    check(Object.keys(kept).sort().join() === 'refresh_token,user', `the tab keeps ${Object.keys(kept)}`);
    check(kept.refresh_token !== JSON.parse(storedBefore).refresh_token, 'the refresh token did not rotate on reload');
    check(pageAccess && !stored.session[STORE_KEY].includes(pageAccess) && !/eyJ[\w-]+\.[\w-]+\./.test(stored.session[STORE_KEY]),
      'an access token is in storage');
    {
      const tab = await context.newPage();
      await tab.goto(sharedUrl);
      await tab.locator('#signin-form').waitFor({ state: 'visible' });
      check(await tab.locator('#dash-view').isHidden(), 'another tab got the session');
      await tab.close();
    }
    log('reload kept the session; another tab did not get it');

    step = 'drill down into a post';
    await page.locator('#poe-summary').click();
    await page.locator('#poe-all').click();
    await page.locator('#apply').click();
    await page.waitForURL((u) => !u.search.includes('poe='));
    await chartsReady(page);
    const allPostsUrl = page.url();
    await page.locator('#chart-poe button[data-drill="MSU"]').click();
    await page.waitForURL(/poe=MSU(&|$)/);
    await page.locator('#drill').waitFor({ state: 'visible' });
    await chartsReady(page);
    check((await page.locator('#drill-name').textContent()).includes('Maseru Bridge'), 'the drill-down does not name the post');
    const msu = await apiJson(`/stats/movements?from=${cmpFrom}&to=${addDays(today, 1)}&interval=day&group_by=direction&poe=MSU`);
    const msuNat = await apiJson(`/stats/movements?from=${cmpFrom}&to=${addDays(today, 1)}&interval=month&group_by=nationality&poe=MSU`);
    check(Number(await daily.getAttribute('data-total')) === msu.total, `the drill-down counts ${await daily.getAttribute('data-total')}, the API ${msu.total}`);
    check((await page.locator('#sub-nationality').textContent()).includes(fmt(msuNat.total)), 'the breakdowns do not follow the drill-down');
    check((await page.locator('#sub-heat').textContent()).includes('Maseru Bridge'), 'the heat map does not follow the drill-down');
    check(await page.locator('#today table.glance tbody tr').count() === 1, 'the today table does not follow the drill-down');
    await page.screenshot({ path: shot('drill-down-desktop-en.png'), fullPage: true });
    await page.goBack();
    await page.waitForURL((u) => u.href === allPostsUrl);
    await page.locator('#drill').waitFor({ state: 'hidden' });
    await chartsReady(page);
    check(await page.locator('#today table.glance tbody tr').count() === 15, 'Back did not return to all posts');
    log('drill-down into Maseru Bridge and back');

    step = 'the desktop screenshot, in English';
    await page.selectOption('#preset', 'last7');
    await page.waitForURL(/range=last7/);
    await chartsReady(page);
    await page.waitForFunction(() => document.querySelector('#chart-daily')?.dataset.buckets === '7');
    await page.screenshot({ path: shot('desktop-en.png'), fullPage: true });

    step = 'switch to Sesotho';
    await page.locator('#lang').click();
    await page.waitForURL(/lang=st/);
    await chartsReady(page);
    check(await page.getAttribute('html', 'lang') === 'st', 'the page is not marked as Sesotho');
    check(await page.locator('#h-today').textContent() === 'Kajeno ka kakaretso', `the today card reads ${await page.locator('#h-today').textContent()}`);
    const visible = await page.evaluate(() => document.body.innerText);
    for (const english of ['Download CSV', 'Today at a glance', 'Entries', 'Exits', 'Sign out', 'Compare with', 'Hour of the week', 'By nationality', 'Previous period', 'Loading', 'came home']) {
      check(!visible.includes(english), `English left in the Sesotho page: ${english}`);
    }
    await page.screenshot({ path: shot('desktop-st.png'), fullPage: true });
    await page.reload();
    await chartsReady(page);
    check(await page.getAttribute('html', 'lang') === 'st', 'Sesotho did not survive the reload');
    await page.locator('#lang').click();
    await page.waitForURL((u) => !u.search.includes('lang='));
    check(await page.locator('#h-today').textContent() === 'Today at a glance', 'English did not come back');

    step = 'the print view, and a PDF of it';
    await page.locator('#print-view').click();
    await page.waitForURL(/view=print/);
    await chartsReady(page);
    check(await page.locator('#filters').isHidden(), 'the print view shows the filters');
    check(await page.locator('button[data-csv]').first().isHidden(), 'the print view shows download buttons');
    const printTitle = await page.locator('#print-title').textContent();
    check(printTitle.includes('all 15 posts') && /\d{4}/.test(printTitle), `the print view's title is ${JSON.stringify(printTitle)}`);
    check((await page.locator('#print-meta').textContent()).includes(username), 'the print view does not say who printed it');
    await page.setViewportSize({ width: 900, height: 1200 });
    await chartsReady(page);
    await page.screenshot({ path: shot('print-view-en.png'), fullPage: true });
    await page.pdf({ path: shot('dashboard-print.pdf'), format: 'A4', printBackground: true });
    const pdf = fs.readFileSync(shot('dashboard-print.pdf'));
    check(pdf.subarray(0, 5).toString() === '%PDF-' && pdf.length > 30_000, `the PDF is ${pdf.length} bytes`);
    await page.locator('#print-back').click();
    await page.waitForURL((u) => !u.search.includes('view=print'));
    await page.locator('#filters').waitFor({ state: 'visible' });
    await page.setViewportSize(desktop.viewport);

    step = 'sign out: the tab forgets the session';
    await page.locator('#signout').click();
    await page.locator('#signin-form').waitFor({ state: 'visible' });
    check(/signed out/i.test(await page.locator('#signin-msg').textContent()), 'no sign-out message');
    check(await page.evaluate(() => sessionStorage.length) === 0, 'the session is still kept after signing out');
    await page.reload();
    await page.locator('#signin-form').waitFor({ state: 'visible' });
    check(await page.locator('#dash-view').isHidden(), 'a reload after signing out showed the dashboard');
    await context.close();

    for (const lang of ['en', 'st']) {
      step = `the phone layout at 390×844 (${lang})`;
      const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'en-GB', timezoneId: 'Africa/Maseru' });
      phone.setDefaultTimeout(STEP_TIMEOUT);
      const pp = await phone.newPage();
      watchProblems(pp, problems, `phone ${lang}`);
      await pp.goto(`${BASE}/dashboard/?range=last7&cmp=prev${lang === 'st' ? '&lang=st' : ''}`);
      await signIn(pp);
      await chartsReady(pp);
      const layout = await pp.evaluate(() => {
        const W = document.documentElement.clientWidth;
        const outside = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && (r.left < -1 || r.right > W + 1); };
        const table = document.querySelector('#today table.glance');
        const wrap = document.querySelector('#today .table-wrap');
        const cells = [...table.querySelectorAll('tbody tr:first-child > *')].filter((c) => getComputedStyle(c).display !== 'none');
        return {
          W,
          scroll: document.documentElement.scrollWidth,
          legends: [...document.querySelectorAll('.legend text, .chart svg text')].filter(outside).map((e) => e.textContent),
          tableFits: wrap.scrollWidth <= wrap.clientWidth + 2,
          hint: !document.querySelector('#today .swipe-hint').hidden,
          cellsOut: cells.filter(outside).length,
          columns: cells.length,
          kpisOut: [...document.querySelectorAll('.kpi')].filter(outside).length,
        };
      });
      check(layout.scroll <= layout.W, `the page is ${layout.scroll} px wide on a ${layout.W} px screen`);
      check(layout.legends.length === 0, `chart text runs off the screen: ${layout.legends.join(' | ')}`);
      check(layout.tableFits ? layout.cellsOut === 0 : layout.hint, 'the today table is cut without a hint to scroll');
      check(layout.columns >= 5, `the today table shows ${layout.columns} columns on a phone`);
      check(layout.kpisOut === 0, 'key figures run off the screen');
      await pp.screenshot({ path: shot(`phone-${lang}.png`) });
      await pp.screenshot({ path: shot(`phone-${lang}-full.png`), fullPage: true });
      log(`phone ${lang}: ${layout.columns} columns in today's table, ${layout.tableFits ? 'no scrolling needed' : 'scrolls with a hint'}`);
      await pp.locator('#signout').click();
      await phone.close();
    }

    step = 'check the page raised no error and loaded nothing from elsewhere';
    check(problems.length === 0, `the page reported errors:\n  ${problems.join('\n  ')}`);
    check(offsite.length === 0, `the page asked for other origins: ${offsite.join(', ')}`);
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

const nf = new Intl.NumberFormat('en-GB');
function fmt(n) {
  return nf.format(n);
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
