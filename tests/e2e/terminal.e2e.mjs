// End-to-end test of the officer terminal in headless Chromium (Debian's /usr/bin/chromium,
// no downloaded browser), against a running server with only its bootstrap admin.
//
//   node tests/e2e/terminal.e2e.mjs <base_url> <admin_password> <output_dir>
//
// What an officer does, checked against the API's own answers: sign in (one posting: no
// choice of post); switch direction with F2; a document reader types a TD3 MRZ as keystrokes,
// Enter after each line, and the traveller is filled; Enter records, and the page says
// recorded with the stay's end; the exit of the same traveller gives the stay's length and
// the last movements; an MRZ with a bad check digit is named as such and nothing is recorded;
// a watchlisted document fills the screen in red with its instruction, swallows Enter and the
// next scan, and goes only when acknowledged; the last record is voided with a reason; a
// search by document; a typed traveller with a bad date is told beside the field; Sesotho;
// the tablet layout; an officer with two postings chooses one and finds it again at the next
// sign-in; the second-factor and password-change steps of sign-in, and an alert carrying the
// service's instruction, against those answers as the SPEC gives them (simulated in the
// browser with page.route until the server gives them). Screenshots go to
// <output_dir>/terminal-*.png. Exits 1 with a message on any
// failure. Run by tests/terminal_e2e.rs.

import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [base, adminPassword, outDir] = process.argv.slice(2);
if (!base || !adminPassword || !outDir) {
  console.error('usage: node terminal.e2e.mjs <base_url> <admin_password> <output_dir>');
  process.exit(2);
}
const BASE = base.replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const PASSWORD = 'terminal-officer-pass-1';
const STEP_TIMEOUT = 20_000;

let step = 'start';
const log = (msg) => console.log(`[e2e] ${msg}`);
function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

// ---------------------------------------------------------------- the API, as the test itself

async function api(method, pathAndQuery, token, body) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`${BASE}/api/v1${pathAndQuery}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  return { status: res.status, json, text };
}

async function login(username, password) {
  const a = await api('POST', '/auth/login', null, { username, password });
  check(a.status === 200, `login ${username}: ${a.status} ${a.text}`);
  return a.json.access_token;
}

/** A user made by the admin; when the server makes new accounts change their password at
 * first sign-in, it is changed to the same-length `PASSWORD + '!'` and that is answered. */
async function makeUser(admin, username, roles, poes) {
  const a = await api('POST', '/users', admin, { username, password: PASSWORD, roles, poes });
  check(a.status === 201, `create ${username}: ${a.status} ${a.text}`);
  const l = await api('POST', '/auth/login', null, { username, password: PASSWORD });
  check(l.status === 200, `login ${username}: ${l.status} ${l.text}`);
  if (!l.json.password_change_required) return { username, password: PASSWORD, token: l.json.access_token };
  const fresh = `${PASSWORD}!`;
  const c = await api('POST', '/auth/password', l.json.access_token, { current_password: PASSWORD, new_password: fresh });
  check(c.status < 300, `password change of ${username}: ${c.status} ${c.text}`);
  return { username, password: fresh, token: await login(username, fresh) };
}

// ---------------------------------------------------------------- MRZ, built independently

function checkDigit(s) {
  const w = [7, 3, 1];
  let sum = 0;
  for (let i = 0; i < s.length; i += 1) {
    const c = s[i];
    const v = c >= '0' && c <= '9' ? c.charCodeAt(0) - 48 : c >= 'A' && c <= 'Z' ? c.charCodeAt(0) - 55 : 0;
    sum += v * w[i % 3];
  }
  return String(sum % 10);
}
const padTo = (s, n) => (s + '<'.repeat(n)).slice(0, n);

/** A TD3 passport MRZ. */
function td3({ state, number, nationality, surname, given, dob, sex, expiry }) {
  const line1 = padTo(`P<${state}${surname}<<${given.replace(/ /g, '<')}`, 44);
  const num = padTo(number, 9);
  const personal = '<'.repeat(14);
  const body = `${num}${checkDigit(num)}${nationality}${dob}${checkDigit(dob)}${sex}${expiry}${checkDigit(expiry)}${personal}<`;
  const composite = body.slice(0, 10) + body.slice(13, 20) + body.slice(21, 43);
  return [line1, body + checkDigit(composite)];
}

const VISITOR = { state: 'ZAF', number: 'M12345678', nationality: 'ZAF', surname: 'NKOSI', given: 'THANDIWE GRACE', dob: '900517', sex: 'F', expiry: '321231' };
const WANTED = { state: 'ZAF', number: 'W9876543', nationality: 'ZAF', surname: 'MOKOENA', given: 'SIPHO', dob: '850203', sex: 'M', expiry: '301130' };
const OTHER = { state: 'BWA', number: 'B5550001', nationality: 'BWA', surname: 'KGOSI', given: 'NALEDI', dob: '010914', sex: 'F', expiry: '330101' };

// ---------------------------------------------------------------- page helpers

async function scan(page, lines) {
  await page.locator('#mrz').focus();
  for (const line of lines) {
    await page.keyboard.type(line, { delay: 2 });
    await page.keyboard.press('Enter');
  }
}

async function recordWithEnter(page) {
  // An officer's Enter, not the reader's: after the reader has finished.
  await page.waitForTimeout(500);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => ['ok', 'alert'].includes(document.getElementById('result-title').dataset.state)
    || !document.getElementById('form-msg').hidden);
  const problem = await page.locator('#form-msg').isVisible() ? await page.locator('#form-msg').textContent() : '';
  check(!problem, `recording failed: ${problem}`);
}

function watchProblems(page, problems, label) {
  page.on('pageerror', (e) => problems.push(`${label}: page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of (401|404|422)/.test(m.text())) problems.push(`${label}: console error: ${m.text()}`);
  });
}

async function signIn(page, user) {
  await page.locator('#signin-form').waitFor({ state: 'visible' });
  await page.locator('#username').fill(user.username);
  await page.locator('#password').fill(user.password);
  await page.keyboard.press('Enter');
  await page.locator('#work-view').waitFor({ state: 'visible' });
}

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  const shot = (name) => path.join(outDir, `terminal-${name}.png`);

  step = 'set up accounts and an alert through the API';
  const admin = await login('admin', adminPassword);
  const officer = await makeUser(admin, 'thabo.msu', ['immigration'], ['MSU']);
  const twoPosts = await makeUser(admin, 'lineo.two', ['immigration'], ['MSU', 'MPB']);
  const police = await makeUser(admin, 'police.msu', ['police'], ['MSU']);
  const alert = await api('POST', '/watchlist', police.token, {
    issuing_state: WANTED.state, document_number: WANTED.number, category: 'wanted', action: 'refer_to_police', reason: 'Warrant 2026/114, Maseru Central',
  });
  check(alert.status === 201, `watchlist: ${alert.status} ${alert.text}`);
  const movementsAtMsu = async () => (await api('GET', '/movements?poe=MSU&limit=500', officer.token)).json.items;

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const problems = [];
  try {
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'en-GB' });
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT);
    watchProblems(page, problems, 'officer');

    step = 'the page and its CSP';
    const res = await page.goto(`${BASE}/terminal/`);
    check(res.status() === 200, `/terminal/ answered ${res.status()}`);
    const csp = res.headers()['content-security-policy'] || '';
    check(/script-src 'self'/.test(csp) && /connect-src 'self'/.test(csp) && /frame-ancestors 'none'/.test(csp), `weak CSP: ${csp}`);
    await page.locator('#signin-form').waitFor({ state: 'visible' });
    await page.screenshot({ path: shot('signin-en') });

    step = 'a wrong password is said beside the form';
    await page.locator('#username').fill(officer.username);
    await page.locator('#password').fill('not-the-password');
    await page.keyboard.press('Enter');
    await page.locator('#signin-msg').waitFor({ state: 'visible' });
    check(/wrong/i.test(await page.locator('#signin-msg').textContent()), 'no message for a wrong password');

    step = 'sign in: one posting, no choice';
    await signIn(page, officer);
    check(await page.locator('#post-pick').isHidden(), 'an officer with one posting is asked to choose a post');
    check((await page.locator('#post-name').textContent()).includes('Maseru Bridge'), 'the post is not shown');
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    check(!/eyJ/.test(stored), 'a token was stored in web storage');

    step = 'F2 switches the direction';
    await page.keyboard.press('F2');
    check(await page.locator('#dir-exit').getAttribute('aria-pressed') === 'true', 'F2 did not switch to exit');
    await page.keyboard.press('F2');
    check(await page.locator('#dir-entry').getAttribute('aria-pressed') === 'true', 'F2 did not switch back to entry');

    step = 'a reader types a TD3 MRZ: the traveller is filled';
    await scan(page, td3(VISITOR));
    const filled = await page.evaluate(() => Object.fromEntries(['document_type', 'document_number', 'issuing_state', 'nationality', 'surname', 'given_names', 'date_of_birth', 'sex']
      .map((id) => [id, document.getElementById(id).value])));
    const expected = { document_type: 'passport', document_number: 'M12345678', issuing_state: 'ZAF', nationality: 'ZAF', surname: 'NKOSI', given_names: 'THANDIWE GRACE', date_of_birth: '1990-05-17', sex: 'F' };
    check(JSON.stringify(filled) === JSON.stringify(expected), `traveller filled as ${JSON.stringify(filled)}`);
    await page.locator('#permit-field').waitFor({ state: 'visible' });
    await page.screenshot({ path: shot('mrz-filled-en') });

    step = 'Enter records; the page says recorded and when the stay ends';
    await recordWithEnter(page);
    check((await page.locator('#result-title').textContent()).includes('Recorded'), 'the page does not say recorded');
    const stayEnd = await page.locator('[data-fact="stay-end"]').textContent();
    const items = await movementsAtMsu();
    check(items.length === 1 && items[0].traveller.document_number === 'M12345678' && items[0].direction === 'entry', `the API holds ${JSON.stringify(items)}`);
    check(Array.isArray(items[0].mrz) && items[0].mrz.length === 2, 'the MRZ was not sent');
    check(/Stay permitted until \w{3} \d{1,2} \w{3} 20\d\d/.test(stayEnd), `stay end: ${stayEnd}`);
    await page.screenshot({ path: shot('recorded-en') });

    step = 'the exit of the same traveller: the stay and the last movements';
    await page.keyboard.press('F2');
    await scan(page, td3(VISITOR));
    await recordWithEnter(page);
    const length = await page.locator('[data-fact="stay-length"]').textContent();
    check(/Stayed 0 days \(entered \d{1,2} \w{3} at Maseru Bridge\)/.test(length), `stay length: ${length}`);
    await page.locator('#history-list li').first().waitFor();
    check((await page.locator('#history-list').textContent()).includes('Entry'), 'the last movements do not show the entry');
    await page.screenshot({ path: shot('exit-en') });
    await page.keyboard.press('F2');

    step = 'a bad check digit is named, and nothing is recorded';
    const bad = td3(OTHER);
    const line2 = bad[1].split('');
    line2[19] = line2[19] === '3' ? '4' : '3'; // the date of birth's check digit
    bad[1] = line2.join('');
    await scan(page, bad);
    await page.locator('#mrz-msg [data-field="mrz.date_of_birth"]').waitFor();
    const mrzMsg = await page.locator('#mrz-msg').textContent();
    check(/Date of birth: check digit is \d, should be \d/.test(mrzMsg), `MRZ message: ${mrzMsg}`);
    await page.screenshot({ path: shot('mrz-error-en') });
    await page.waitForTimeout(500);
    await page.keyboard.press('Enter');
    await page.waitForTimeout(300);
    check((await movementsAtMsu()).length === 2, 'a bad MRZ was recorded');
    await page.keyboard.press('Escape');

    step = 'a watchlisted document fills the screen and blocks the next traveller';
    await scan(page, td3(WANTED));
    await recordWithEnter(page);
    await page.locator('#alert').waitFor({ state: 'visible' });
    const box = await page.locator('#alert').boundingBox();
    check(box.width >= 1000 && box.height >= 700, `the alert does not fill the screen: ${JSON.stringify(box)}`);
    const red = await page.locator('#alert').evaluate((el) => getComputedStyle(el).backgroundColor);
    check(/rgb\((1[5-9]\d|2\d\d), \d{1,2}, \d{1,2}\)/.test(red), `the alert is not red: ${red}`);
    const alertText = await page.locator('#alert-text').textContent();
    check(alertText.length > 20, `no instruction: ${alertText}`);
    check((await page.locator('#alert-title').textContent()).includes('Refer to police'), 'the action is not named');
    await page.screenshot({ path: shot('alert-en') });
    await page.keyboard.press('Enter');
    await scan(page, td3(OTHER));
    await page.keyboard.press('Enter');
    await page.waitForTimeout(500);
    check(await page.locator('#alert').isVisible(), 'Enter or a scan dismissed the alert');
    check((await movementsAtMsu()).length === 3, 'a traveller was recorded while the alert was open');
    await page.locator('#alert-ack').click();
    await page.locator('#alert').waitFor({ state: 'hidden' });

    step = 'the next traveller after the acknowledgement';
    await scan(page, td3(OTHER));
    await recordWithEnter(page);
    check((await movementsAtMsu()).length === 4, 'the next traveller was not recorded');

    step = 'void the last record with a reason';
    await page.keyboard.press('F8');
    await page.locator('#void-panel').waitFor({ state: 'visible' });
    await page.keyboard.press('Enter');
    await page.locator('#void-msg').waitFor({ state: 'visible' });
    await page.locator('#void-reason').fill('Scanned the wrong passport');
    await page.keyboard.press('Enter');
    await page.locator('#void-panel').waitFor({ state: 'hidden' });
    check((await page.locator('#result-title').textContent()).includes('voided'), 'the page does not say voided');
    const voided = (await movementsAtMsu()).find((m) => m.traveller.document_number === OTHER.number);
    check(voided && voided.void_reason === 'Scanned the wrong passport', `not voided: ${JSON.stringify(voided)}`);

    step = 'search by document';
    await page.keyboard.press('F7');
    await page.locator('#s-state').fill('ZAF');
    await page.locator('#s-number').fill('m1234 5678');
    await page.keyboard.press('Enter');
    await page.locator('#search-results .doc').waitFor();
    const found = await page.locator('#search-results').textContent();
    check(found.includes('M12345678') && found.includes('NKOSI') && (found.match(/Maseru Bridge/g) || []).length === 2, `search found: ${found}`);
    await page.screenshot({ path: shot('search-en') });
    await page.keyboard.press('Escape');

    step = 'a typed traveller with a bad date is told beside the field';
    await page.locator('#surname').fill('Letsie');
    await page.locator('#document_number').fill('RA123456');
    await page.locator('#issuing_state').fill('LSO');
    await page.locator('#nationality').fill('LSO');
    await page.locator('#date_of_birth').fill('1990-02-30');
    await page.locator('#date_of_birth').press('Enter');
    const dobMsg = page.locator('#date_of_birth + .field-msg');
    await dobMsg.waitFor({ state: 'visible' });
    check((await dobMsg.textContent()).includes('YYYY-MM-DD'), 'no message beside the date of birth');
    await page.keyboard.press('Escape');

    step = 'Sesotho';
    await page.locator('#lang').click();
    check(await page.evaluate(() => document.documentElement.lang) === 'st', 'the page is not in Sesotho');
    check((await page.locator('label[for="surname"]').textContent()) === 'Fane', 'the labels are not in Sesotho');
    await scan(page, td3(VISITOR));
    await recordWithEnter(page);
    check((await page.locator('#result-title').textContent()).includes('E ngotsoe'), 'the result is not in Sesotho');
    check((await page.locator('[data-fact="stay-end"]').textContent()).includes('O lumelletsoe'), 'the stay is not in Sesotho');
    await page.screenshot({ path: shot('recorded-st') });
    step = 'a second entry without an exit, explained; the alert in Sesotho';
    await scan(page, td3(WANTED));
    await recordWithEnter(page);
    await page.locator('#alert').waitFor({ state: 'visible' });
    check((await page.locator('#alert-text').textContent()).includes('lepolesa'), 'the alert is not in Sesotho');
    await page.screenshot({ path: shot('alert-st') });
    await page.locator('#alert-ack').click();
    await page.locator('[data-fact="flag"]').first().waitFor();
    await page.waitForFunction(() => /Ha ho ho tsoa .* ho Maseru Bridge/.test(document.getElementById('result-body').textContent));
    await page.locator('#lang').click();
    check(await page.evaluate(() => document.documentElement.lang) === 'en', 'back to English failed');
    const flag = await page.locator('[data-fact="flag"]').first().textContent();
    check(/No exit recorded since the entry of \d{1,2} \w{3} at Maseru Bridge/.test(flag), `flag: ${flag}`);
    await page.screenshot({ path: shot('flag-en') });

    step = 'tablet width';
    await page.setViewportSize({ width: 768, height: 1024 });
    await scan(page, td3(VISITOR));
    await page.screenshot({ path: shot('tablet-en'), fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `the page is ${overflow} px wider than a tablet`);
    await page.keyboard.press('Escape');

    step = 'sign out';
    await page.locator('#signout').click();
    await page.locator('#signin-form').waitFor({ state: 'visible' });
    await context.close();

    step = 'two postings: the post is chosen and remembered';
    const ctx2 = await browser.newContext({ viewport: { width: 1024, height: 768 } });
    const p2 = await ctx2.newPage();
    p2.setDefaultTimeout(STEP_TIMEOUT);
    watchProblems(p2, problems, 'two posts');
    await p2.goto(`${BASE}/terminal/`);
    await signIn(p2, twoPosts);
    await p2.locator('#post-pick').waitFor({ state: 'visible' });
    await p2.locator('#post').selectOption('MPB');
    await p2.locator('#mode').selectOption('private_vehicle');
    await p2.locator('#vehicle').waitFor({ state: 'visible' });
    await p2.screenshot({ path: shot('two-posts-en') });
    await p2.locator('#signout').click();
    await signIn(p2, twoPosts);
    check(await p2.locator('#post').inputValue() === 'MPB', 'the post chosen was not remembered');
    check(await p2.locator('#mode').inputValue() === 'private_vehicle', 'the mode chosen was not remembered');
    await scan(p2, td3(OTHER));
    await p2.locator('#registration').fill('FSD123GP');
    await p2.locator('#vehicle_country').fill('ZAF');
    await p2.locator('#registration').press('Enter');
    await p2.waitForFunction(() => document.getElementById('result-title').dataset.state === 'ok');
    const atMpb = (await api('GET', '/movements?poe=MPB', twoPosts.token)).json.items;
    check(atMpb.length === 1 && atMpb[0].vehicle && atMpb[0].vehicle.registration === 'FSD123GP', `at MPB: ${JSON.stringify(atMpb)}`);
    await ctx2.close();

    step = 'the sign-in steps of the security work (their answers simulated in the browser)';
    // The SPEC's answers, which this server does not give yet: a 401 whose problem type ends
    // `otp-required`, then `password_change_required: true`, then `POST /auth/password`. The
    // real sign-in behind them is the officer's.
    const ctx3 = await browser.newContext({ viewport: { width: 1024, height: 768 } });
    const p3 = await ctx3.newPage();
    p3.setDefaultTimeout(STEP_TIMEOUT);
    watchProblems(p3, problems, 'sign-in steps');
    const NEW_PASSWORD = 'a-new-passphrase-of-my-own';
    const seen = { logins: [], change: null };
    const otpProblem = { type: 'urn:crossings:problem:otp-required', title: 'Second factor required', status: 401, detail: 'Give the code of your authenticator app as `otp`.' };
    await p3.route('**/api/v1/auth/login', async (route) => {
      const body = JSON.parse(route.request().postData() || '{}');
      seen.logins.push(body);
      if (body.otp !== '123456') {
        await route.fulfill({ status: 401, contentType: 'application/problem+json', body: JSON.stringify(otpProblem) });
        return;
      }
      const real = await api('POST', '/auth/login', null, { username: officer.username, password: officer.password });
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ ...real.json, password_change_required: !seen.change }) });
    });
    await p3.route('**/api/v1/auth/password', async (route) => {
      seen.change = { body: JSON.parse(route.request().postData() || '{}'), auth: route.request().headers().authorization || '' };
      await route.fulfill({ status: 204, body: '' });
    });
    await p3.route('**/api/v1/movements', async (route) => {
      const real = await route.fetch();
      const json = await real.json();
      if (json.alert) json.alert = { ...json.alert, hit_id: 'hit-0001', category: 'wanted', instruction: 'Simulated instruction of the service.' };
      await route.fulfill({ response: real, body: JSON.stringify(json) });
    });
    await p3.goto(`${BASE}/terminal/`);
    await p3.locator('#username').fill(officer.username);
    await p3.locator('#password').fill(officer.password);
    await p3.keyboard.press('Enter');
    await p3.locator('#otp').waitFor({ state: 'visible' });
    await p3.locator('#otp').fill('111111');
    await p3.keyboard.press('Enter');
    await p3.locator('#signin-msg').waitFor({ state: 'visible' });
    check(/code is wrong/.test(await p3.locator('#signin-msg').textContent()), 'a wrong code is not said');
    await p3.locator('#otp').fill('123456');
    await p3.keyboard.press('Enter');
    await p3.locator('#new-password').waitFor({ state: 'visible' });
    await p3.locator('#new-password').fill('short');
    await p3.locator('#new-password2').fill('short');
    await p3.keyboard.press('Enter');
    await p3.locator('#new-password-msg').waitFor({ state: 'visible' });
    await p3.locator('#new-password').fill(NEW_PASSWORD);
    await p3.locator('#new-password2').fill(NEW_PASSWORD);
    await p3.keyboard.press('Enter');
    // After the change, the sign-in starts again with the new password and a fresh code.
    await p3.locator('#otp').waitFor({ state: 'visible' });
    await p3.locator('#otp').fill('123456');
    await p3.keyboard.press('Enter');
    await p3.locator('#work-view').waitFor({ state: 'visible' });
    check(seen.change && seen.change.body.current_password === officer.password && seen.change.body.new_password === NEW_PASSWORD, `password change sent ${JSON.stringify(seen.change)}`);
    check(/^Bearer ey/.test(seen.change.auth), 'the password change was not sent with the token');
    const last = seen.logins[seen.logins.length - 1];
    check(last.password === NEW_PASSWORD && last.otp === '123456', `the last sign-in sent ${JSON.stringify(last)}`);
    step = 'the service\'s instruction and hit id on the alert screen';
    await scan(p3, td3(WANTED));
    await recordWithEnter(p3);
    await p3.locator('#alert').waitFor({ state: 'visible' });
    check((await p3.locator('#alert-text').textContent()) === 'Simulated instruction of the service.', 'the service\'s instruction is not shown');
    check((await p3.locator('#alert-who').textContent()).includes('hit-0001'), 'the hit id is not shown');
    await p3.locator('#alert-ack').click();
    await ctx3.close();

    check(problems.length === 0, `the page reported problems:\n${problems.join('\n')}`);
  } finally {
    await browser.close();
  }
}

main().then(
  () => { log('terminal end-to-end test passed'); },
  (e) => { console.error(`[e2e] FAILED at "${step}": ${e.stack || e}`); process.exit(1); },
);
