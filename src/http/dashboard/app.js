/* The HOBA dashboard: signs in with the analyst's own account and draws the statistics API
 * as SVG and HTML. Vanilla JS, no library, no build step; every word it shows comes from
 * i18n.js.
 *
 * Sessions: the access token lives in this closure only. The refresh token (single-use,
 * rotated at each refresh) is kept in sessionStorage, so that a reload of this tab stays
 * signed in; it is gone when the tab closes, is never sent anywhere but /auth/refresh and
 * /auth/logout, and is removed at sign-out. See the README ("The dashboard's session").
 *
 * The view (range, posts, comparison, language, print view) lives in the URL: a link or a
 * bookmark reproduces it. */
'use strict';

(() => {
  const API = '/api/v1';
  const STORE_KEY = 'crossings.dashboard.session';
  const SVGNS = 'http://www.w3.org/2000/svg';
  const HOUR = 3600e3;
  const DAY = 864e5;
  const OFFSET = 2 * HOUR; // Lesotho: UTC+2 all year, no daylight saving since 1944
  const TABLES = window.CROSSINGS_I18N;
  // The service's smallest shown count in a sensitive breakdown; every statistics answer says
  // what it is (`min_cell_count`), and the page follows.
  let K = 5;
  let lang = 'en';
  let L = TABLES.en;
  const $ = (id) => document.getElementById(id);
  const nf = new Intl.NumberFormat('en-GB');
  const nfCompact = new Intl.NumberFormat('en-GB', { notation: 'compact', maximumFractionDigits: 1 });
  const fmt = (n) => (n == null ? '–' : nf.format(n));
  const signed = (n) => (n == null ? '–' : (n > 0 ? '+' : '') + fmt(n));
  const pad = (n) => String(n).padStart(2, '0');
  const AGE_BANDS = ['0-14', '15-24', '25-34', '35-44', '45-54', '55-64', '65+'];

  /** A string of the current language (English when the language lacks it). */
  function t(key, ...args) {
    let v = L[key];
    if (v === undefined) v = TABLES.en[key];
    if (v === undefined) {
      console.error(`dashboard: no label "${key}"`);
      return key;
    }
    return typeof v === 'function' ? v(...args) : v;
  }

  // ---------------------------------------------------------------- state

  const state = {
    access: null,        // access token (memory only)
    refresh: null,       // refresh token (memory, and sessionStorage for reloads)
    refreshing: null,    // the one refresh in flight, shared by every caller
    session: 0,          // bumped at each sign-in and sign-out: late answers are dropped
    pending: null,       // a sign-in waiting for a password change or a second factor
    user: '',
    poes: [],
    selected: new Set(),
    from: '',            // inclusive local dates
    to: '',
    preset: 'last7',     // a relative range kept as such in the URL, or '' for fixed dates
    cmp: '',             // '', 'prev' or 'year'
    print: false,
    timer: null,
    kpi: {},
    summary: null,
  };

  // ---------------------------------------------------------------- DOM helpers

  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    setAttrs(el, attrs);
    append(el, kids);
    return el;
  }

  function sv(tag, attrs, ...kids) {
    const el = document.createElementNS(SVGNS, tag);
    setAttrs(el, attrs);
    append(el, kids);
    return el;
  }

  function setAttrs(el, attrs) {
    if (!attrs) return;
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k === 'text') el.textContent = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }

  function append(el, kids) {
    for (const k of kids.flat()) {
      if (k == null || k === false) continue;
      el.append(k instanceof Node ? k : document.createTextNode(String(k)));
    }
  }

  const measurer = document.createElement('canvas').getContext('2d');
  /** Width of a text in the charts' font (the legends wrap by it). */
  function textWidth(text, px) {
    measurer.font = `${px || 12}px system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif`;
    return measurer.measureText(text).width;
  }

  // ---------------------------------------------------------------- dates (Lesotho: UTC+2, no DST)
  // A local date-time is handled as milliseconds of a clock that reads Lesotho time as UTC.

  const dayMs = (iso) => Date.parse(`${iso}T00:00:00Z`);
  const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);
  const nowLocal = () => Date.now() + OFFSET;
  const lesothoToday = () => isoDay(nowLocal());
  const addDays = (iso, n) => isoDay(dayMs(iso) + n * DAY);
  const daysBetween = (a, b) => Math.round((dayMs(b) - dayMs(a)) / DAY);
  const validDate = (s) => typeof s === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(s)
    && !Number.isNaN(dayMs(s)) && isoDay(dayMs(s)) === s;
  const hhmm = (ms) => new Date(ms).toISOString().slice(11, 16);

  function addMonths(iso, n) {
    const [y, m, d] = iso.split('-').map(Number);
    const last = new Date(Date.UTC(y, m - 1 + n + 1, 0)).getUTCDate();
    return isoDay(Date.UTC(y, m - 1 + n, Math.min(d, last)));
  }
  const monthStart = (iso) => `${iso.slice(0, 8)}01`;
  const monthEnd = (iso) => addDays(addMonths(monthStart(iso), 1), -1);
  const mondayOf = (iso) => addDays(iso, -((new Date(dayMs(iso)).getUTCDay() + 6) % 7));

  function parts(iso) {
    const d = new Date(dayMs(iso.slice(0, 10)));
    return { wd: t('days_short')[d.getUTCDay()], day: d.getUTCDate(), mon: t('months_short')[d.getUTCMonth()], year: d.getUTCFullYear() };
  }

  function longDate(iso) {
    const p = parts(iso);
    return `${p.wd} ${p.day} ${p.mon} ${p.year}`;
  }

  function rangeText(from, to) {
    const a = parts(from);
    const b = parts(to);
    if (from === to) return longDate(from);
    if (a.year !== b.year) return `${a.day} ${a.mon} ${a.year} – ${b.day} ${b.mon} ${b.year}`;
    if (a.mon !== b.mon) return `${a.day} ${a.mon} – ${b.day} ${b.mon} ${b.year}`;
    return `${a.day}–${b.day} ${b.mon} ${b.year}`;
  }

  /** Relative ranges, from today's date. */
  const PRESETS = {
    today: (d) => [d, d],
    yesterday: (d) => [addDays(d, -1), addDays(d, -1)],
    last7: (d) => [addDays(d, -6), d],
    last30: (d) => [addDays(d, -29), d],
    thisweek: (d) => [mondayOf(d), d],
    lastweek: (d) => [addDays(mondayOf(d), -7), addDays(mondayOf(d), -1)],
    thismonth: (d) => [monthStart(d), d],
    lastmonth: (d) => { const s = addMonths(monthStart(d), -1); return [s, monthEnd(s)]; },
    thisyear: (d) => [`${d.slice(0, 4)}-01-01`, d],
    lastyear: (d) => { const y = Number(d.slice(0, 4)) - 1; return [`${y}-01-01`, `${y}-12-31`]; },
  };
  const PRESET_UNIT = { thismonth: 'month', lastmonth: 'month', thisyear: 'year', lastyear: 'year' };

  /** The range to compare with, or null: the previous period (the previous calendar month or
   * year for those presets) or the same dates a year before. When the range ends today, the
   * comparison stops at the same time of day, so that a morning is not set against a day. */
  function comparison() {
    if (!state.cmp) return null;
    const unit = PRESET_UNIT[state.preset];
    let from;
    let to;
    const byMonths = state.cmp === 'year' || unit === 'year' || unit === 'month';
    if (state.cmp === 'year' || unit === 'year') {
      from = addMonths(state.from, -12);
      to = addMonths(state.to, -12);
    } else if (unit === 'month') {
      from = addMonths(state.from, -1);
      to = state.preset === 'lastmonth' ? monthEnd(from) : addMonths(state.to, -1);
    } else {
      const n = daysBetween(state.from, state.to) + 1;
      from = addDays(state.from, -n);
      to = addDays(state.to, -n);
    }
    const cut = state.to === lesothoToday() ? hhmm(nowLocal()) : null;
    return {
      from,
      to,
      cut,
      // The end, exclusive: the same time of day when cut.
      end: cut ? encodeURIComponent(`${to}T${cut}:00+02:00`) : addDays(to, 1),
      label: rangeText(from, to),
      kind: state.cmp,
      byMonths,
    };
  }

  /** Buckets of a range: hours up to 2 days, days up to 92, months beyond. */
  function intervalFor(from, to) {
    const days = daysBetween(from, to) + 1;
    return days <= 2 ? 'hour' : days <= 92 ? 'day' : 'month';
  }

  function bucketKey(bucket, interval) {
    return interval === 'hour' ? bucket.slice(0, 13) : interval === 'day' ? bucket.slice(0, 10) : bucket.slice(0, 7);
  }

  /** Every bucket of [from, to] (inclusive dates) with its labels, and whether it is over:
   * a bucket that has not begun is `future`; one that is running, or cut by the range, is
   * `partial`. */
  function bucketsOf(from, to, interval) {
    const start = dayMs(from);
    const end = dayMs(to) + DAY;
    const now = nowLocal();
    const days = daysBetween(from, to) + 1;
    const out = [];
    const add = (b) => {
      b.future = b.s >= now;
      b.running = !b.future && b.e > now;
      b.partial = b.running || Boolean(b.clipped);
      out.push(b);
    };
    if (interval === 'hour') {
      for (let s = start; s < end; s += HOUR) {
        const d = isoDay(s);
        const hr = new Date(s).getUTCHours();
        const p = parts(d);
        add({ key: `${d}T${pad(hr)}`, s, e: s + HOUR, hour: hr,
          short: hr === 0 ? `${p.wd} ${p.day}` : `${pad(hr)}:00`,
          long: `${p.wd} ${p.day} ${p.mon}, ${pad(hr)}:00–${pad((hr + 1) % 24)}:00` });
      }
    } else if (interval === 'day') {
      for (let s = start; s < end; s += DAY) {
        const d = isoDay(s);
        const p = parts(d);
        add({ key: d, s, e: s + DAY, short: days <= 14 ? `${p.wd} ${p.day}` : `${p.day} ${p.mon}`, long: longDate(d) });
      }
    } else {
      const years = from.slice(0, 4) !== to.slice(0, 4);
      for (let m = monthStart(from); m <= to; m = addMonths(m, 1)) {
        const ms = dayMs(m);
        const me = dayMs(addMonths(m, 1));
        const s = Math.max(ms, start);
        const e = Math.min(me, end);
        const mi = Number(m.slice(5, 7)) - 1;
        const clipped = s > ms || e < me
          ? t('clipped', `${new Date(s).getUTCDate()}`, `${new Date(e - DAY).getUTCDate()} ${t('months_short')[mi]}`)
          : null;
        add({ key: m.slice(0, 7), s, e, clipped,
          short: years ? `${t('months_short')[mi]} ${m.slice(2, 4)}` : t('months_short')[mi],
          long: `${t('months_long')[mi]} ${m.slice(0, 4)}` });
      }
    }
    return out;
  }

  /** What to say of a bucket that is not over. */
  function bucketNote(b) {
    if (b.running) return t('so_far', hhmm(nowLocal()));
    return b.clipped || '';
  }

  // ---------------------------------------------------------------- API and tokens

  class ApiError extends Error {
    constructor(status, title, detail, errors) {
      super(detail || title);
      this.status = status;
      this.title = title;
      this.detail = detail;
      this.errors = errors || [];
    }
  }

  class SessionEnded extends Error {}

  async function problemOf(res) {
    let p = null;
    try {
      p = await res.json();
    } catch (_) { /* not problem+json */ }
    if (p && typeof p === 'object' && (p.title || p.detail)) {
      return new ApiError(res.status, p.title || res.statusText, p.detail || '', Array.isArray(p.errors) ? p.errors : []);
    }
    return new ApiError(res.status, t('http_status', res.status), t('server_answered', `${res.status} ${res.statusText || ''}`.trim()));
  }

  function networkError() {
    return new ApiError(0, t('cannot_reach'), t('cannot_reach_detail'));
  }

  async function post(path, body, token) {
    const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    try {
      return await fetch(API + path, { method: 'POST', headers, body: JSON.stringify(body), cache: 'no-store', credentials: 'omit' });
    } catch (_) {
      throw networkError();
    }
  }

  function saveSession() {
    try {
      if (state.refresh) sessionStorage.setItem(STORE_KEY, JSON.stringify({ refresh_token: state.refresh, user: state.user }));
    } catch (_) { /* storage refused: a reload will sign out */ }
  }

  function savedSession() {
    try {
      const s = JSON.parse(sessionStorage.getItem(STORE_KEY) || 'null');
      return s && typeof s.refresh_token === 'string' && s.refresh_token ? s : null;
    } catch (_) {
      return null;
    }
  }

  function forgetSession() {
    try {
      sessionStorage.removeItem(STORE_KEY);
    } catch (_) { /* nothing kept */ }
  }

  function keep(tokens) {
    state.access = tokens.access_token;
    state.refresh = tokens.refresh_token;
    saveSession();
  }

  /** One refresh at a time: a refresh token works once, and presenting it twice would end
   * the session. Every caller that meets a 401 meanwhile waits for the same answer:
   * 'ok', 'refused' or 'unreachable'. */
  function refreshOnce() {
    if (!state.refreshing) {
      const token = state.refresh;
      const session = state.session;
      state.refreshing = (async () => {
        if (!token) return 'refused';
        try {
          const res = await post('/auth/refresh', { refresh_token: token });
          if (session !== state.session) return 'refused';
          if (!res.ok) return res.status >= 500 ? 'unreachable' : 'refused';
          keep(await res.json());
          return 'ok';
        } catch (_) {
          return 'unreachable';
        }
      })().finally(() => { state.refreshing = null; });
    }
    return state.refreshing;
  }

  /** GET from the API with the in-memory token; on a 401, one refresh and one retry, else
   * back to the sign-in form. */
  async function api(path, raw) {
    const session = state.session;
    const send = async (token) => {
      try {
        return await fetch(API + path, {
          headers: { Authorization: `Bearer ${token}`, Accept: raw ? 'text/csv' : 'application/json' },
          cache: 'no-store',
          credentials: 'omit',
        });
      } catch (_) {
        throw networkError();
      }
    };
    const used = state.access;
    if (!used) throw new SessionEnded();
    let res = await send(used);
    if (res.status === 401) {
      // Another request may already have refreshed; else refresh now.
      const ok = (state.access && state.access !== used) || (await refreshOnce()) === 'ok';
      if (session !== state.session) throw new SessionEnded();
      if (ok) res = await send(state.access);
      if (!ok || res.status === 401) {
        endSession(t('session_ended'), true);
        throw new SessionEnded();
      }
    }
    if (session !== state.session) throw new SessionEnded();
    if (!res.ok) throw await problemOf(res);
    if (raw) return res;
    const body = await res.json();
    if (body && typeof body.min_cell_count === 'number' && body.min_cell_count !== K) {
      K = body.min_cell_count;
      $('suppression-note').textContent = t('suppression_note', K);
    }
    return body;
  }

  function rolesOf(token) {
    try {
      const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      const claims = JSON.parse(atob(part + '='.repeat((4 - (part.length % 4)) % 4)));
      return Array.isArray(claims.roles) ? claims.roles : null;
    } catch (_) {
      return null;
    }
  }

  const mayRead = (roles) => !roles || roles.includes('analyst') || roles.includes('admin');

  // ---------------------------------------------------------------- language

  function applyLanguage() {
    L = TABLES[lang] || TABLES.en;
    document.documentElement.lang = lang;
    document.title = `crossings — ${t('app_title')}`;
    document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
    document.querySelectorAll('[data-i18n-aria]').forEach((el) => el.setAttribute('aria-label', t(el.dataset.i18nAria)));
    $('lang').setAttribute('lang', lang === 'en' ? 'st' : 'en');
    $('suppression-note').textContent = t('suppression_note', K);
    fillSelects();
    for (const c of Object.values(cards)) c.box.dataset.loading = t('loading');
    if (!$('signin-view').hidden && !$('signin-btn').disabled) $('signin-btn').textContent = t('sign_in');
  }

  function toggleLanguage() {
    lang = lang === 'en' ? 'st' : 'en';
    applyLanguage();
    if (!$('dash-view').hidden) {
      writeUrl(false);
      updatePoeSummary();
      loadAll();
    } else {
      // Signed out: only the language changes in the link.
      const q = new URLSearchParams(location.search);
      if (lang === 'en') q.delete('lang');
      else q.set('lang', lang);
      const s = q.toString().replace(/%2C/g, ',');
      history.replaceState(history.state, '', `${location.pathname}${s ? `?${s}` : ''}`);
    }
  }

  function fillSelects() {
    const preset = $('preset');
    const keepPreset = preset.value;
    preset.replaceChildren(h('option', { value: 'custom', text: t('custom') }),
      ...Object.keys(PRESETS).map((id) => h('option', { value: id, text: t(`preset_${id}`) })));
    preset.value = keepPreset || 'last7';
    const cmp = $('cmp');
    const keepCmp = cmp.value;
    cmp.replaceChildren(h('option', { value: '', text: t('cmp_none') }),
      h('option', { value: 'prev', text: t('cmp_prev') }),
      h('option', { value: 'year', text: t('cmp_year') }));
    cmp.value = keepCmp;
  }

  // ---------------------------------------------------------------- the view in the URL

  /** Reads the view from the URL; answers what it could not understand. */
  function readUrl() {
    const q = new URLSearchParams(location.search);
    const bad = [];
    const today = lesothoToday();
    const range = q.get('range');
    const from = q.get('from');
    const to = q.get('to');
    const useDefault = () => {
      state.preset = 'last7';
      [state.from, state.to] = PRESETS.last7(today);
    };
    if (range != null && Object.hasOwn(PRESETS, range)) {
      state.preset = range;
      [state.from, state.to] = PRESETS[range](today);
    } else if (from != null || to != null) {
      if (range != null) bad.push(`range=${range}`);
      if (validDate(from) && validDate(to) && from <= to) {
        state.preset = '';
        state.from = from;
        state.to = to;
      } else {
        bad.push(`from=${from || ''}, to=${to || ''}`);
        useDefault();
      }
    } else {
      if (range != null) bad.push(`range=${range}`);
      useDefault();
    }
    const all = state.poes.map((p) => p.code);
    const poe = q.get('poe');
    if (poe != null && all.length) {
      const codes = poe.split(',').map((s) => s.trim()).filter(Boolean);
      const known = codes.filter((c) => all.includes(c));
      const unknown = codes.filter((c) => !all.includes(c));
      if (unknown.length || !known.length) bad.push(`poe=${unknown.join(',') || poe}`);
      state.selected = new Set(known.length ? known : all);
    } else {
      state.selected = new Set(all);
    }
    const cmp = q.get('cmp');
    if (cmp != null && cmp !== 'prev' && cmp !== 'year') bad.push(`cmp=${cmp}`);
    state.cmp = cmp === 'prev' || cmp === 'year' ? cmp : '';
    const view = q.get('view');
    if (view != null && view !== 'print') bad.push(`view=${view}`);
    state.print = view === 'print';
    return bad;
  }

  function currentUrl() {
    const q = [];
    if (state.preset) q.push(`range=${state.preset}`);
    else q.push(`from=${state.from}`, `to=${state.to}`);
    if (!allSelected()) q.push(`poe=${[...state.selected].sort().join(',')}`);
    if (state.cmp) q.push(`cmp=${state.cmp}`);
    if (lang !== 'en') q.push(`lang=${lang}`);
    if (state.print) q.push('view=print');
    return `${location.pathname}?${q.join('&')}`;
  }

  /** The URL follows the view: a new history entry for a new view (so Back returns to the
   * last one), a replaced one for a correction. */
  function writeUrl(push) {
    const url = currentUrl();
    if (url === location.pathname + location.search) return;
    history[push ? 'pushState' : 'replaceState']({ dashboard: true }, '', url);
  }

  function onPopState() {
    if ($('dash-view').hidden || !state.access) return;
    const q = new URLSearchParams(location.search);
    const wanted = q.get('lang') === 'st' ? 'st' : 'en';
    if (wanted !== lang) {
      lang = wanted;
      applyLanguage();
    }
    const bad = readUrl();
    syncControls();
    applyPrint();
    loadAll();
    if (bad.length) setFilterMsg(t('bad_link', bad.join('; ')), true);
  }

  // ---------------------------------------------------------------- sign-in and sign-out

  function showSignin(message, isError, busy) {
    $('dash-view').hidden = true;
    $('who').hidden = true;
    $('signin-view').hidden = false;
    const msg = $('signin-msg');
    msg.textContent = message || '';
    msg.hidden = !message;
    msg.classList.toggle('error', Boolean(isError));
    $('password').value = '';
    const btn = $('signin-btn');
    btn.disabled = Boolean(busy);
    btn.textContent = busy ? t('signing_in') : t('sign_in');
    $('username').disabled = Boolean(busy);
    $('password').disabled = Boolean(busy);
    if (!busy) ($('username').value ? $('password') : $('username')).focus();
  }

  function endSession(message, isError) {
    state.access = null;
    state.refresh = null;
    state.session += 1;
    forgetSession();
    if (state.timer) clearInterval(state.timer);
    state.timer = null;
    state.summary = null;
    for (const c of Object.values(cards)) {
      c.data = null;
      c.csv = null;
      c.gen += 1;
      c.box.replaceChildren();
      c.box.dataset.state = 'idle';
    }
    $('kpis').replaceChildren();
    $('poe-picker').open = false;
    document.body.classList.remove('print-view');
    state.pending = null;
    leaveSteps();
    $('otp-field').hidden = true;
    showSignin(message, isError);
  }

  async function onSignin(ev) {
    ev.preventDefault();
    const username = $('username').value.trim();
    const password = $('password').value;
    const otpWanted = !$('otp-field').hidden;
    const otp = $('otp').value.trim();
    const msg = $('signin-msg');
    if (!username || !password || (otpWanted && !/^[0-9]{6}$/.test(otp))) {
      msg.textContent = !username || !password ? t('enter_both') : t('otp_needed');
      msg.hidden = false;
      msg.classList.add('error');
      (!username ? $('username') : !password ? $('password') : $('otp')).focus();
      return;
    }
    const btn = $('signin-btn');
    btn.disabled = true;
    btn.textContent = t('signing_in');
    try {
      const body = otpWanted ? { username, password, otp } : { username, password };
      const res = await post('/auth/login', body);
      if (!res.ok) {
        let p = null;
        try { p = await res.json(); } catch (_) { /* not problem+json */ }
        if (res.status === 401 && p && typeof p.type === 'string' && p.type.endsWith('otp-required')) {
          // The password was right; the account needs its one-time code too.
          $('otp-field').hidden = false;
          $('otp').value = '';
          btn.disabled = false;
          btn.textContent = t('sign_in');
          msg.textContent = t('otp_needed');
          msg.hidden = false;
          msg.classList.remove('error');
          $('otp').focus();
          return;
        }
        const text = res.status === 401
          ? (otpWanted ? t('otp_wrong') : `${t('wrong_login')} ${p && p.detail && !/password/i.test(p.detail) ? p.detail : ''}`.trim())
          : `${(p && p.title) || t('http_status', res.status)}: ${(p && p.detail) || ''}`;
        showSignin(text, true);
        if (otpWanted) {
          $('password').value = password;
          $('otp').value = '';
          $('otp').focus();
        }
        return;
      }
      const tokens = await res.json();
      const roles = rolesOf(tokens.access_token);
      if (!mayRead(roles)) {
        post('/auth/logout', { refresh_token: tokens.refresh_token }).catch(() => {});
        showSignin(t('not_analyst', roles.join(', ')), true);
        return;
      }
      state.session += 1;
      state.user = username;
      $('password').value = '';
      $('otp').value = '';
      $('otp-field').hidden = true;
      await nextStep(tokens, password);
    } catch (e) {
      if (e instanceof SessionEnded) return;
      showSignin(e instanceof ApiError ? `${e.title}: ${e.detail}` : t('signin_failed'), true);
    }
  }

  /** What a sign-in still needs before the dashboard: the account's own password (an admin
   * set it), then a second factor (its role needs one). The token is good for nothing else
   * until then. */
  async function nextStep(tokens, password) {
    state.pending = { tokens, password };
    if (tokens.password_change_required) {
      showStep('pw-form');
      $('new-password').focus();
      return;
    }
    if (tokens.mfa_enrolment_required) {
      await startMfa();
      return;
    }
    state.pending = null;
    keep(tokens);
    await enterDashboard();
  }

  function showStep(form, message, isError) {
    $('signin-view').hidden = true;
    $('dash-view').hidden = true;
    $('step-view').hidden = false;
    for (const f of ['pw-form', 'mfa-form']) $(f).hidden = f !== form;
    const msg = $(form === 'pw-form' ? 'pw-msg' : 'mfa-msg');
    msg.textContent = message || '';
    msg.hidden = !message;
    msg.classList.toggle('error', Boolean(isError));
  }

  function leaveSteps() {
    $('step-view').hidden = true;
    $('new-password').value = '';
    $('new-password2').value = '';
    $('mfa-code').value = '';
    $('mfa-secret').textContent = '';
  }

  async function onPasswordChange(ev) {
    ev.preventDefault();
    const pending = state.pending;
    if (!pending) return;
    const next = $('new-password').value;
    if (next !== $('new-password2').value) {
      showStep('pw-form', t('pw_mismatch'), true);
      $('new-password2').focus();
      return;
    }
    const btn = $('pw-btn');
    btn.disabled = true;
    btn.textContent = t('pw_saving');
    try {
      const res = await post('/auth/password', { current_password: pending.password, new_password: next }, pending.tokens.access_token);
      if (!res.ok) {
        const p = await problemOf(res);
        const detail = p.errors && p.errors.length ? p.errors.map((e) => `${e.field}: ${e.message}`).join('; ') : `${p.title}: ${p.detail}`;
        showStep('pw-form', detail, true);
        $('new-password').focus();
        return;
      }
      pending.tokens.password_change_required = false;
      pending.password = next;
      leaveSteps();
      await nextStep(pending.tokens, next);
    } catch (e) {
      showStep('pw-form', e instanceof ApiError ? `${e.title}: ${e.detail}` : t('signin_failed'), true);
    } finally {
      btn.disabled = false;
      btn.textContent = t('pw_save');
    }
  }

  async function startMfa() {
    const pending = state.pending;
    showStep('mfa-form');
    try {
      const res = await post('/auth/mfa/setup', null, pending.tokens.access_token);
      if (!res.ok) {
        const p = await problemOf(res);
        showStep('mfa-form', `${p.title}: ${p.detail}`, true);
        return;
      }
      const setup = await res.json();
      $('mfa-secret').textContent = setup.secret;
      $('mfa-link').href = setup.otpauth_uri;
      $('mfa-code').focus();
    } catch (e) {
      showStep('mfa-form', e instanceof ApiError ? `${e.title}: ${e.detail}` : t('signin_failed'), true);
    }
  }

  async function onMfaConfirm(ev) {
    ev.preventDefault();
    const pending = state.pending;
    if (!pending) return;
    const code = $('mfa-code').value.trim();
    const btn = $('mfa-btn');
    btn.disabled = true;
    try {
      const res = await post('/auth/mfa/confirm', { code }, pending.tokens.access_token);
      if (!res.ok) {
        const p = await problemOf(res);
        showStep('mfa-form', res.status === 422 ? t('mfa_wrong') : `${p.title}: ${p.detail}`, true);
        $('mfa-code').value = '';
        $('mfa-code').focus();
        return;
      }
      pending.tokens.mfa_enrolment_required = false;
      leaveSteps();
      await nextStep(pending.tokens, pending.password);
    } catch (e) {
      showStep('mfa-form', e instanceof ApiError ? `${e.title}: ${e.detail}` : t('signin_failed'), true);
    } finally {
      btn.disabled = false;
    }
  }

  /** After a reload: the refresh token kept for this tab buys a new access token. */
  async function restoreSession(saved) {
    showSignin(t('restoring'), false, true);
    state.session += 1;
    const session = state.session;
    state.refresh = saved.refresh_token;
    state.user = typeof saved.user === 'string' ? saved.user : '';
    $('username').value = state.user;
    const outcome = await refreshOnce();
    if (session !== state.session) return;
    if (outcome !== 'ok') {
      state.refresh = null;
      if (outcome === 'refused') forgetSession();
      showSignin(outcome === 'refused' ? t('restore_failed') : `${t('cannot_reach')}: ${t('cannot_reach_detail')}`, true);
      return;
    }
    const roles = rolesOf(state.access);
    if (!mayRead(roles)) {
      endSession(t('not_analyst', roles.join(', ')), true);
      return;
    }
    await enterDashboard();
  }

  async function onSignout() {
    const token = state.refresh;
    const btn = $('signout');
    btn.disabled = true;
    try {
      if (token) await post('/auth/logout', { refresh_token: token });
    } catch (_) { /* signed out locally all the same */ }
    btn.disabled = false;
    endSession(t('signed_out'), false);
  }

  // ---------------------------------------------------------------- the dashboard

  async function enterDashboard() {
    $('signin-view').hidden = true;
    $('dash-view').hidden = false;
    $('who').hidden = false;
    $('who-name').textContent = state.user;
    $('username').disabled = false;
    $('password').disabled = false;
    if (!state.poes.length) {
      try {
        const poes = await api('/poes');
        state.poes = (poes.items || []).slice().sort((a, b) => a.name.localeCompare(b.name));
      } catch (e) {
        if (e instanceof SessionEnded) return;
        state.poes = [];
        setFilterMsg(t('posts_failed', e.detail || e.message), true);
      }
    }
    const bad = readUrl();
    buildPoePicker();
    syncControls();
    writeUrl(false);
    applyPrint();
    $('main').focus({ preventScroll: true });
    loadAll();
    if (bad.length) setFilterMsg(t('bad_link', bad.join('; ')), true);
    if (state.timer) clearInterval(state.timer);
    state.timer = setInterval(() => { if (!document.hidden) loadToday(); }, 60000);
  }

  function setFilterMsg(text, isError) {
    const m = $('filter-msg');
    m.textContent = text || '';
    m.classList.toggle('error', Boolean(isError));
  }

  function buildPoePicker() {
    const list = $('poe-list');
    list.querySelectorAll('label').forEach((l) => l.remove());
    for (const p of state.poes) {
      list.append(h('label', {},
        h('input', { type: 'checkbox', value: p.code, onchange: onPoeToggle }),
        h('span', {}, p.name, ' ', h('span', { class: 'code', text: p.code }))));
    }
  }

  /** The controls show the state. */
  function syncControls() {
    $('from').value = state.from;
    $('to').value = state.to;
    $('preset').value = state.preset || matchingPreset(state.from, state.to) || 'custom';
    $('cmp').value = state.cmp;
    $('poe-list').querySelectorAll('input').forEach((i) => { i.checked = state.selected.has(i.value); });
    updatePoeSummary();
  }

  function matchingPreset(from, to) {
    const today = lesothoToday();
    return Object.keys(PRESETS).find((id) => {
      const [a, b] = PRESETS[id](today);
      return a === from && b === to;
    }) || '';
  }

  /** The posts ticked in the picker (not yet applied). */
  function tickedPoes() {
    return new Set([...$('poe-list').querySelectorAll('input:checked')].map((i) => i.value));
  }

  function onPoeToggle() {
    updatePoeSummary();
  }

  function setAllPoes(on) {
    $('poe-list').querySelectorAll('input').forEach((i) => { i.checked = on; });
    updatePoeSummary();
  }

  function allSelected() {
    return state.selected.size === state.poes.length;
  }

  function poesText(selected, lower) {
    const set = selected || state.selected;
    const n = state.poes.length;
    if (set.size === n) return n ? (lower ? t('all_n_posts_lc', n) : t('all_n_posts', n)) : t('all_posts');
    if (set.size === 0) return t('no_post');
    if (set.size <= 2) return state.poes.filter((p) => set.has(p.code)).map((p) => p.name).join(', ');
    return t('n_of_m_posts', set.size, n);
  }

  function updatePoeSummary() {
    $('poe-summary').textContent = poesText(tickedPoes());
  }

  /** `&poe=…` for the chosen posts; nothing when all are chosen. */
  function poeParam() {
    if (allSelected()) return '';
    return `&poe=${[...state.selected].sort().join(',')}`;
  }

  function onApply(ev) {
    if (ev) ev.preventDefault();
    const from = $('from').value;
    const to = $('to').value;
    if (!validDate(from) || !validDate(to)) {
      setFilterMsg(t('choose_dates'), true);
      return;
    }
    if (from > to) {
      setFilterMsg(t('start_after_end'), true);
      $('from').focus();
      return;
    }
    const ticked = tickedPoes();
    if (state.poes.length && ticked.size === 0) {
      setFilterMsg(t('choose_post'), true);
      $('poe-picker').open = true;
      return;
    }
    const chosen = $('preset').value;
    const dates = Object.hasOwn(PRESETS, chosen) ? PRESETS[chosen](lesothoToday()) : null;
    state.preset = dates && dates[0] === from && dates[1] === to ? chosen : '';
    state.from = from;
    state.to = to;
    if (state.poes.length) state.selected = ticked;
    state.cmp = $('cmp').value;
    $('poe-picker').open = false;
    syncControls();
    writeUrl(true);
    loadAll();
  }

  function onPreset() {
    const id = $('preset').value;
    if (!Object.hasOwn(PRESETS, id)) {
      $('from').focus();
      return;
    }
    const [from, to] = PRESETS[id](lesothoToday());
    $('from').value = from;
    $('to').value = to;
    onApply();
  }

  function onDateInput() {
    $('preset').value = matchingPreset($('from').value, $('to').value) || 'custom';
  }

  /** Drill-down: one post alone, as a new view (Back returns). */
  function drill(code) {
    if (!state.poes.some((p) => p.code === code)) return;
    state.selected = new Set([code]);
    syncControls();
    writeUrl(true);
    loadAll();
    $('drill-name').focus({ preventScroll: true });
    window.scrollTo({ top: 0, behavior: 'smooth' });
  }

  function undrill() {
    state.selected = new Set(state.poes.map((p) => p.code));
    syncControls();
    writeUrl(true);
    loadAll();
    $('main').focus({ preventScroll: true });
  }

  function hoursText(hours) {
    const r = hours && hours.regular;
    if (r === '24h' || (r && r.opens === '00:00' && (r.closes === '24:00' || r.closes === '00:00'))) return t('hours_24');
    if (r && r.opens && r.closes) return t('hours', r.opens, r.closes);
    return '';
  }

  function renderDrill() {
    const box = $('drill');
    const one = state.selected.size === 1 && state.poes.length > 1;
    box.hidden = !one;
    if (!one) return;
    const p = state.poes.find((x) => state.selected.has(x.code));
    $('drill-name').replaceChildren(p.name, ' ', h('span', { class: 'code', text: p.code }));
    $('drill-about').textContent = [
      t('district', p.district),
      p.kind === 'air' ? t('kind_air') : t('kind_land'),
      p.sa_counterpart ? t('counterpart', p.sa_counterpart) : '',
      p.automated ? t('automated') : t('manual'),
      hoursText(p.hours),
    ].filter(Boolean).join(' · ');
  }

  function loadAll() {
    setFilterMsg('');
    renderDrill();
    fillPrintHead();
    if (state.summary) renderToday(state.summary);
    loadToday();
    loadCharts();
  }

  // ---------------------------------------------------------------- print view

  function applyPrint() {
    document.body.classList.toggle('print-view', state.print);
    $('print-head').hidden = !state.print;
    fillPrintHead();
  }

  function fillPrintHead() {
    $('print-title').textContent = t('print_title', rangeText(state.from, state.to), poesText(null, true));
    const cmp = comparison();
    const now = nowLocal();
    $('print-meta').textContent = t('print_meta', `${longDate(isoDay(now))} ${hhmm(now)}`, state.user,
      cmp ? `${t(cmp.kind === 'year' ? 'cmp_year' : 'cmp_prev').toLowerCase()}, ${cmp.label}` : '');
  }

  function setPrint(on) {
    state.print = on;
    writeUrl(true);
    applyPrint();
    window.scrollTo(0, 0);
    (on ? $('print-now') : $('print-view')).focus({ preventScroll: true });
  }

  // ---------------------------------------------------------------- cards: load, draw, tooltips

  const cards = {};

  function card(name, boxId, render) {
    const box = $(boxId);
    const live = h('div', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });
    const c = { name, box, render, gen: 0, csv: null, data: null, width: 0, tips: [], nav: {}, cursor: -1, tip: null, live };
    cards[name] = c;
    box.dataset.loading = t('loading');
    if (!render) return;
    if ('ResizeObserver' in window) {
      let pending = false;
      new ResizeObserver(() => {
        if (pending || !c.data) return;
        pending = true;
        requestAnimationFrame(() => {
          pending = false;
          if (c.data && Math.abs(box.clientWidth - c.width) > 6) draw(c);
        });
      }).observe(box);
    }
    // Tooltips: the pointer over a value, or the arrow keys once the chart has the focus.
    box.addEventListener('pointermove', (ev) => {
      const el = ev.target.closest && ev.target.closest('[data-tip]');
      if (el && box.contains(el)) showTip(c, Number(el.dataset.tip), false);
    });
    box.addEventListener('pointerleave', () => { if (document.activeElement !== box) hideTip(c); });
    box.addEventListener('focus', (ev) => { if (ev.target === box) showTip(c, c.cursor >= 0 ? c.cursor : 0, true); });
    box.addEventListener('blur', (ev) => { if (ev.target === box) hideTip(c); });
    box.addEventListener('keydown', (ev) => {
      if (ev.target !== box || !c.tips.length) return;
      const n = c.tips.length;
      const right = c.nav.right || 1;
      const down = c.nav.down || 1;
      const moves = { ArrowRight: right, ArrowLeft: -right, ArrowDown: down, ArrowUp: -down };
      let i = c.cursor < 0 ? 0 : c.cursor;
      if (ev.key in moves) {
        const j = i + moves[ev.key];
        if (j >= 0 && j < n) i = j;
      } else if (ev.key === 'Home') i = 0;
      else if (ev.key === 'End') i = n - 1;
      else if (ev.key === 'Escape') {
        hideTip(c);
        return;
      } else return;
      ev.preventDefault();
      showTip(c, i, true);
    });
  }

  function showTip(c, i, keyboard) {
    if (!c.tip || i < 0 || i >= c.tips.length) return;
    const target = c.box.querySelector(`[data-tip="${i}"]`);
    if (!target) return;
    c.cursor = i;
    c.box.querySelectorAll('.cur').forEach((e) => e.classList.remove('cur'));
    target.classList.add('cur');
    const spec = c.tips[i];
    const tip = c.tip;
    tip.textContent = spec.text;
    tip.hidden = false;
    const box = c.box.getBoundingClientRect();
    let ax;
    let ay;
    const svg = c.box.querySelector('svg');
    if (spec.ax != null && svg) {
      const r = svg.getBoundingClientRect();
      const scale = r.width / Number(svg.getAttribute('width'));
      ax = r.left - box.left + spec.ax * scale;
      ay = r.top - box.top + spec.ay * scale;
    } else {
      const r = target.getBoundingClientRect();
      ax = r.left - box.left + Math.min(r.width / 2, 160);
      ay = r.top - box.top;
    }
    const tw = tip.offsetWidth;
    const th = tip.offsetHeight;
    const x = Math.max(0, Math.min(box.width - tw, ax - tw / 2));
    const y = ay - th - 8 >= -24 ? ay - th - 8 : ay + 14;
    tip.style.left = `${Math.round(x)}px`;
    tip.style.top = `${Math.round(y)}px`;
    if (keyboard) c.live.textContent = spec.text;
  }

  function hideTip(c) {
    if (c.tip) c.tip.hidden = true;
    c.box.querySelectorAll('.cur').forEach((e) => e.classList.remove('cur'));
  }

  function clearCardMsg(c) {
    const m = c.box.parentElement.querySelector('.card-msg');
    if (m) m.remove();
  }

  /** Loads a card: `fetcher` asks the API, `prepare` turns the answers into what the card
   * draws; `csv` says what its download button fetches. */
  async function load(name, fetcher, prepare, csv) {
    const c = cards[name];
    const gen = ++c.gen;
    c.csv = csv;
    c.box.dataset.state = 'loading';
    c.box.dataset.loading = t('loading');
    c.box.setAttribute('aria-busy', 'true');
    clearCardMsg(c);
    try {
      const raw = await fetcher();
      if (gen !== c.gen) return null;
      c.data = prepare(raw);
      draw(c);
      return c.data;
    } catch (e) {
      if (gen !== c.gen || e instanceof SessionEnded) return null;
      if (!(e instanceof ApiError)) console.error(e);
      c.data = null;
      c.tips = [];
      c.box.removeAttribute('tabindex');
      c.box.replaceChildren(problemBox(e));
      c.box.dataset.state = 'error';
      c.box.removeAttribute('aria-busy');
      const sub = c.box.parentElement.querySelector('.sub');
      if (sub) sub.textContent = sub.textContent.replace(/ — .*$/, '');
      return null;
    }
  }

  function draw(c) {
    c.width = c.box.clientWidth || 600;
    c.box.removeAttribute('aria-busy');
    hideTip(c);
    c.cursor = -1;
    if (c.data.empty) {
      c.tips = [];
      c.box.removeAttribute('tabindex');
      c.box.removeAttribute('role');
      c.box.removeAttribute('aria-label');
      c.box.replaceChildren(h('p', { class: 'empty', text: c.data.emptyText || t('no_movements') }));
      c.box.dataset.state = 'empty';
      return;
    }
    const out = c.render(c.data, Math.max(260, c.width));
    c.tips = out.tips || [];
    c.nav = out.nav || {};
    c.tip = h('div', { class: 'tip', 'aria-hidden': 'true', hidden: true });
    c.box.replaceChildren(out.el, c.tip, c.live);
    c.box.dataset.state = 'ready';
    c.box.closest('.card').classList.toggle('short', Boolean(out.short));
    if (c.tips.length) {
      c.box.tabIndex = 0;
      c.box.setAttribute('role', 'group');
      c.box.setAttribute('aria-label', `${out.label || ''} ${t('keys_hint')}`.trim());
    } else {
      c.box.removeAttribute('tabindex');
    }
  }

  function problemBox(e) {
    if (e instanceof ApiError) {
      const head = e.status === 403 ? t('no_access') : e.title;
      const more = e.errors.map((x) => `${x.field}: ${x.message}`).filter((x) => x !== e.detail);
      return h('div', { class: 'problem', role: 'alert' },
        h('strong', { text: head }),
        e.detail ? h('span', { text: e.detail }) : null,
        more.length ? h('ul', {}, more.map((x) => h('li', { text: x }))) : null);
    }
    return h('div', { class: 'problem', role: 'alert' }, h('strong', { text: t('went_wrong') }),
      h('span', { text: t('went_wrong_detail') }));
  }

  async function downloadCsv(name, btn) {
    const c = cards[name];
    if (!c || !c.csv) return;
    clearCardMsg(c);
    btn.disabled = true;
    btn.textContent = t('preparing');
    try {
      const url = c.csv.url;
      const res = await api(`${url}${url.includes('?') ? '&' : '?'}format=csv`, true);
      const blob = new Blob([await res.blob()], { type: 'text/csv;charset=utf-8' });
      const href = URL.createObjectURL(blob);
      const a = h('a', { href, download: c.csv.file, class: 'sr-only' });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(href), 30000);
    } catch (e) {
      if (e instanceof SessionEnded) return;
      const head = c.box.parentElement.querySelector('.card-head');
      head.after(h('p', { class: 'notice error card-msg', role: 'alert', text: t('csv_failed', e.detail || e.message) }));
    } finally {
      btn.disabled = false;
      btn.textContent = t('csv');
    }
  }

  // ---------------------------------------------------------------- key figures

  function renderKpis() {
    const k = state.kpi;
    const cmp = k.cmp;
    const tile = (id, label, value, cmpValue, isNet, note) => {
      let line = null;
      if (cmp && value !== undefined) {
        if (cmpValue === undefined) line = h('span', { class: 'kpi-cmp', text: '…' });
        else if (cmpValue === 'failed') line = h('span', { class: 'kpi-cmp', text: t('cmp_failed') });
        else if (cmpValue === null || value === null) line = h('span', { class: 'kpi-cmp', text: t('vs', t('withheld'), cmp.label) });
        else if (cmpValue === 0 && !isNet) line = h('span', { class: 'kpi-cmp', text: t('vs_none', cmp.label) });
        else {
          const diff = value - cmpValue;
          const arrow = diff > 0 ? '▲' : diff < 0 ? '▼' : '=';
          const pct = Math.abs((diff / cmpValue) * 100);
          const change = isNet ? signed(diff) : `${diff >= 0 ? '+' : '−'}${pct.toFixed(pct < 1 ? 2 : 1)}%`;
          line = h('span', { class: 'kpi-cmp' },
            h('span', { class: `delta ${diff > 0 ? 'up' : diff < 0 ? 'down' : ''}`, text: `${arrow} ${change}` }), ' ',
            t('vs', isNet ? signed(cmpValue) : fmt(cmpValue), cmp.label));
        }
      }
      const shown = value === undefined ? '…' : value === null ? t('withheld') : isNet ? signed(value) : fmt(value);
      return h('div', { class: 'kpi', id: `kpi-${id}`, 'data-value': value == null ? '' : String(value),
        'data-cmp': typeof cmpValue === 'number' ? String(cmpValue) : '' },
      h('span', { class: 'kpi-label', text: label }),
      h('span', { class: `kpi-value${isNet && value ? (value > 0 ? ' pos' : ' neg') : ''}`, text: shown }),
      note ? h('span', { class: 'kpi-note', text: note }) : null,
      line);
    };
    $('kpis').replaceChildren(
      tile('movements', t('kpi_movements'), k.movements, k.cmpMovements),
      tile('entries', t('kpi_entries'), k.entries, k.cmpEntries),
      tile('exits', t('kpi_exits'), k.exits, k.cmpExits),
      tile('net', t('kpi_net'), k.net, k.cmpNet, true, t('kpi_net_note')));
  }

  // ---------------------------------------------------------------- today at a glance

  async function loadToday() {
    const c = cards.today;
    const gen = ++c.gen;
    c.box.dataset.state = state.summary ? 'refreshing' : 'loading';
    try {
      const s = await api('/stats/summary');
      if (gen !== c.gen) return;
      state.summary = s;
      c.csv = { url: `/stats/summary?date=${s.date}`, file: `summary-${s.date}.csv` };
      renderToday(s);
    } catch (e) {
      if (gen !== c.gen || e instanceof SessionEnded) return;
      c.box.replaceChildren(problemBox(e));
      c.box.dataset.state = 'error';
    }
  }

  function agoText(min) {
    if (min < 1) return t('just_now');
    if (min < 60) return t('min_ago', Math.floor(min));
    const hrs = Math.floor(min / 60);
    return hrs < 24 ? t('h_min_ago', hrs, Math.floor(min % 60)) : t('d_ago', Math.floor(hrs / 24));
  }

  function renderToday(s) {
    const box = cards.today.box;
    const names = new Map(state.poes.map((p) => [p.code, p]));
    const drillable = state.poes.length > 1;
    let quiet = 0;
    const tot = { entries: 0, exits: 0, net: 0, hits: 0 };
    const shown = (s.rows || []).filter((r) => state.selected.has(r.poe) || (!names.has(r.poe) && allSelected()));
    shown.sort((a, b) => (a.name || a.poe).localeCompare(b.name || b.poe));
    const rows = shown.map((r) => {
      tot.entries += r.entries;
      tot.exits += r.exits;
      tot.net += r.net;
      tot.hits += r.alert_hits;
      const since = r.last_event_at ? (Date.now() - Date.parse(r.last_event_at)) / 60000 : null;
      const isQuiet = r.open_now === true && (since == null || since >= 60);
      if (isQuiet) quiet += 1;
      let badge;
      if (isQuiet) badge = h('span', { class: 'badge quiet', text: since == null ? t('quiet_none') : t('quiet_60') });
      else if (r.open_now === true) badge = h('span', { class: 'badge open', text: t('open') });
      else if (r.open_now === false) badge = h('span', { class: 'badge closed', text: t('closed') });
      else badge = h('span', { class: 'badge past', text: '—' });
      const p = names.get(r.poe);
      const time = r.last_event_at ? r.last_event_at.slice(11, 16) : null;
      const last = time
        ? h('td', { class: 'last col-last' }, time, h('span', { class: 'ago', text: agoText(since) }))
        : h('td', { class: 'last col-last', text: t('none_today') });
      const name = drillable
        ? h('button', { type: 'button', class: 'link post-name', 'data-drill': r.poe, 'aria-label': t('drill_open', r.name || r.poe) }, r.name || r.poe)
        : h('span', { class: 'post-name', text: r.name || r.poe });
      return h('tr', { class: isQuiet ? 'quiet' : null, 'data-poe': r.poe },
        h('th', { scope: 'row', title: p ? p.district : null },
          name, h('span', { class: 'code', text: r.poe }),
          h('span', { class: 'meta' }, badge.cloneNode(true), ' ', time ? t('last_at', time) : t('none_today'))),
        h('td', { class: 'col-status' }, badge),
        h('td', { class: 'num', text: fmt(r.entries) }),
        h('td', { class: 'num', text: fmt(r.exits) }),
        h('td', { class: `num ${r.net < 0 ? 'neg' : r.net > 0 ? 'pos' : ''}`, text: signed(r.net) }),
        h('td', { class: `num ${r.alert_hits ? 'hits' : ''}`, text: fmt(r.alert_hits) }),
        last);
    });
    const table = h('table', { class: 'glance' },
      h('caption', { class: 'sr-only', text: t('today_caption', s.date) }),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', text: t('col_post') }), h('th', { scope: 'col', class: 'col-status', text: t('col_status') }),
        h('th', { scope: 'col', class: 'num', text: t('col_entries') }), h('th', { scope: 'col', class: 'num', text: t('col_exits') }),
        h('th', { scope: 'col', class: 'num', text: t('col_net') }), h('th', { scope: 'col', class: 'num', text: t('col_alerts') }),
        h('th', { scope: 'col', class: 'col-last', text: t('col_last') }))),
      h('tbody', {}, rows),
      h('tfoot', {}, h('tr', {},
        h('th', { scope: 'row', text: allSelected() ? t('all_posts') : t('selected_posts') }), h('td', { class: 'col-status' }),
        h('td', { class: 'num', text: fmt(tot.entries) }), h('td', { class: 'num', text: fmt(tot.exits) }),
        h('td', { class: 'num', text: signed(tot.net) }), h('td', { class: 'num', text: fmt(tot.hits) }),
        h('td', { class: 'col-last' }))));
    const wrap = h('div', { class: 'table-wrap' }, table);
    const hint = h('p', { class: 'swipe-hint', text: `⇆ ${t('swipe_hint')}`, hidden: true });
    box.replaceChildren(hint, wrap);
    box.dataset.state = 'ready';
    box.dataset.rows = String(rows.length);
    // A short table leaves the card beside it room for two charts.
    box.closest('.card').classList.toggle('short', rows.length <= 5);
    requestAnimationFrame(() => { hint.hidden = wrap.scrollWidth <= wrap.clientWidth + 2; });
    $('sub-today').textContent = `${t('today_sub', longDate(s.date), hhmm(nowLocal()))} ${quiet ? t('quiet_some', quiet) : t('quiet_none_all')}`;
  }

  // ---------------------------------------------------------------- chart queries

  function loadCharts() {
    const from = state.from;
    const toExcl = addDays(state.to, 1);
    const interval = intervalFor(from, state.to);
    const range = `from=${from}&to=${toExcl}`;
    const posts = poeParam();
    const span = `${rangeText(from, state.to)} · ${poesText(null, true)}`;
    const file = (n) => `${n}_${from}_${state.to}${allSelected() ? '' : `_${[...state.selected].sort().join('-')}`}.csv`;
    const cmp = comparison();
    const buckets = bucketsOf(from, state.to, interval);
    const cmpBuckets = cmp ? bucketsOf(cmp.from, cmp.to, interval) : null;
    // Comparisons are drawn bucket by bucket when the buckets line up.
    const aligned = cmp && cmpBuckets.length === buckets.length && (interval !== 'month' || cmp.byMonths);
    const cmpName = cmp ? `${t(cmp.kind === 'year' ? 'cmp_year' : 'cmp_prev')} (${cmp.label})` : '';
    const lateAnswer = (e) => (e instanceof SessionEnded ? Promise.reject(e) : 'failed');

    state.kpi = { cmp: cmp ? { label: cmp.label } : null };
    renderKpis();

    // Until the answers come, each card says what it is loading.
    for (const id of ['daily', 'flow', 'heat', 'poe', ...DIMENSIONS.map((d) => d.key)]) {
      $(`sub-${id}`).textContent = `${id === 'flow' ? t('flow_sub', poesText(null, true), rangeText(from, state.to)) : span} — ${t('loading')}`;
    }

    // Entries and exits
    $('h-daily').textContent = t(`daily_${interval}`);
    const dailyUrl = `/stats/movements?${range}&interval=${interval}&group_by=direction${posts}`;
    const cmpUrl = cmp ? `/stats/movements?from=${cmp.from}&to=${cmp.end}&interval=${interval}&group_by=direction${posts}` : null;
    load('daily', () => Promise.all([api(dailyUrl), cmp ? api(cmpUrl).catch(lateAnswer) : null]), ([d, c]) => {
      const series = (answer, list) => {
        const entries = new Map();
        const exits = new Map();
        for (const r of answer.rows) (r.direction === 'entry' ? entries : exits).set(bucketKey(r.bucket, interval), r.count || 0);
        return [list.map((b) => entries.get(b.key) || 0), list.map((b) => exits.get(b.key) || 0)];
      };
      const [e, x] = series(d, buckets);
      const sum = (v) => v.reduce((a, b) => a + b, 0);
      const sumE = sum(e);
      const sumX = sum(x);
      let cmpData = null;
      Object.assign(state.kpi, { movements: d.total, entries: sumE, exits: sumX });
      if (cmp) {
        if (c === 'failed') Object.assign(state.kpi, { cmpMovements: 'failed', cmpEntries: 'failed', cmpExits: 'failed' });
        else {
          const [ce, cx] = series(c, cmpBuckets);
          Object.assign(state.kpi, { cmpMovements: c.total, cmpEntries: sum(ce), cmpExits: sum(cx) });
          if (aligned) cmpData = { label: cmpName, buckets: cmpBuckets, series: [ce, cx] };
        }
      }
      renderKpis();
      const box = cards.daily.box;
      box.dataset.total = String(d.total);
      box.dataset.buckets = String(buckets.length);
      box.dataset.interval = interval;
      box.dataset.partial = String(buckets.findIndex((b) => b.partial));
      box.dataset.cmpTotal = c && c !== 'failed' ? String(c.total) : '';
      box.dataset.cmpFrom = cmp ? cmp.from : '';
      box.dataset.cmpEnd = cmp ? decodeURIComponent(cmp.end) : '';
      $('sub-daily').textContent = `${span} — ${t('n_entries', fmt(sumE))}, ${t('n_exits', fmt(sumX))}, ${t('n_in_all', fmt(d.total))}.`
        + (cmp && c !== 'failed' ? ` ${t('cmp_total', cmpName, fmt(c.total), cmp.cut)}` : '');
      return {
        empty: d.total === 0 && !(c && c !== 'failed' && c.total),
        interval,
        buckets,
        series: [{ name: t('entries'), cls: 'entry', values: e }, { name: t('exits'), cls: 'exit', values: x }],
        cmp: cmpData,
        label: `${t(`daily_${interval}`)}, ${span}: ${t('n_entries', fmt(sumE))}, ${t('n_exits', fmt(sumX))}.`,
      };
    }, { url: dailyUrl, file: file(`entries-exits-${interval === 'hour' ? 'hourly' : interval === 'day' ? 'daily' : 'monthly'}`) });

    // Citizens' net flow: narrowed by nationality, so protected: whole local days only.
    const flowUrl = `/stats/citizen-flow?${range}&interval=${interval}${posts}`;
    const cmpFlowUrl = cmp ? `/stats/citizen-flow?from=${cmp.from}&to=${addDays(cmp.to, 1)}&interval=${interval === 'hour' ? 'day' : interval}${posts}` : null;
    load('flow', () => Promise.all([api(flowUrl), cmp ? api(cmpFlowUrl).catch(lateAnswer) : null]), ([d, c]) => {
      const byKey = new Map(d.rows.map((r) => [bucketKey(r.bucket, interval), r]));
      const rows = buckets.map((b) => byKey.get(b.key) || { entries: 0, exits: 0, net: 0 });
      state.kpi.net = d.net === undefined ? null : d.net;
      if (cmp) state.kpi.cmpNet = c === 'failed' ? 'failed' : c.net === undefined ? null : c.net;
      renderKpis();
      const withheld = d.suppressed_cells ? `; ${t('small_withheld', d.suppressed_cells)}` : '';
      $('sub-flow').textContent = `${t('flow_sub', poesText(null, true), rangeText(from, state.to))} — `
        + `${t('flow_totals', fmt(d.entries), fmt(d.exits), signed(d.net))}${withheld}.`;
      cards.flow.box.dataset.net = d.net == null ? '' : String(d.net);
      return {
        empty: d.rows.length === 0,
        emptyText: t('no_citizens'),
        interval,
        buckets,
        rows,
        label: `${t('flow_title')}, ${rangeText(from, state.to)}: ${t('flow_net', signed(d.net))}.`,
      };
    }, { url: flowUrl, file: file('citizen-flow') });

    loadHeat(from, toExcl);

    // By post: a bar a post, each a way in to that post alone.
    const poeUrl = `/stats/movements?${range}&interval=month&group_by=poe${posts}`;
    const cmpPoeUrl = cmp ? `/stats/movements?from=${cmp.from}&to=${cmp.end}&interval=month&group_by=poe${posts}` : null;
    load('poe', () => Promise.all([api(poeUrl), cmp ? api(cmpPoeUrl).catch(lateAnswer) : null]), ([d, c]) => {
      const sums = (answer) => {
        const m = new Map();
        for (const r of answer.rows) m.set(r.poe, (m.get(r.poe) || 0) + (r.count || 0));
        return m;
      };
      const now = sums(d);
      const then = c && c !== 'failed' ? sums(c) : null;
      const items = state.poes.filter((p) => state.selected.has(p.code)).map((p) => {
        const value = now.get(p.code) || 0;
        const before = then ? then.get(p.code) || 0 : null;
        return { key: p.code, label: p.name, value, withheld: 0, lo: value, hi: value,
          delta: before ? (value - before) / before : null, before,
          share: d.total ? value / d.total : null };
      }).sort((a, b) => b.value - a.value || a.label.localeCompare(b.label));
      $('sub-poe').replaceChildren(`${span} — ${t('n_movements', fmt(d.total))}.`,
        state.poes.length > 1 ? h('span', { class: 'screen-only', text: ` ${t('click_to_drill')}` }) : null);
      return { empty: d.total === 0, items, drill: state.poes.length > 1, cmpName, label: `${t('by_poe')}, ${span}.` };
    }, { url: poeUrl, file: file('by-post') });

    // Breakdowns: one bucket per month; a category's shown counts are summed over months.
    for (const dim of DIMENSIONS) {
      const url = `/stats/movements?${range}&interval=month&group_by=${dim.key}${posts}`;
      load(dim.key, () => api(url), (d) => {
        const items = breakdownItems(dim, d);
        const total = d.total == null ? t('total_withheld') : t('n_movements', fmt(d.total));
        $(`sub-${dim.key}`).textContent = `${span} — ${total}`
          + (d.suppressed_cells ? `; ${t('small_withheld', d.suppressed_cells)}.` : '.');
        return { empty: d.rows.length === 0, items, label: `${t(dim.title)}, ${span}.` };
      }, { url, file: file(`by-${dim.key.replace('_', '-')}`) });
    }
  }

  /** The hour-of-week profile, averaged only over hours inside the data: from the first hour
   * with any recorded movement (at any post) up to the last whole hour. */
  function loadHeat(from, toExcl) {
    const posts = poeParam();
    const span = poesText(null, true);
    const nowHour = Math.floor(nowLocal() / HOUR) * HOUR;
    const heatUrl = (a, b) => `/stats/hour-profile?from=${a}&to=${b}${posts}`;
    const instant = (ms) => encodeURIComponent(`${new Date(ms).toISOString().slice(0, 13)}:00:00+02:00`);
    let effective = null;
    load('heat', async () => {
      const days = await api(`/stats/movements?from=${from}&to=${toExcl}&interval=day`);
      const first = days.rows.filter((r) => r.count).map((r) => r.bucket.slice(0, 10)).sort()[0];
      if (!first) return null;
      let start = Math.max(dayMs(from), dayMs(first));
      if (first > from) {
        // The data began on that day: from its first hour.
        const hours = await api(`/stats/movements?from=${first}&to=${addDays(first, 1)}&interval=hour`);
        const hour = hours.rows.filter((r) => r.count).map((r) => r.bucket.slice(0, 13)).sort()[0];
        if (hour) start = Date.parse(`${hour}:00:00Z`);
      }
      const end = Math.min(dayMs(toExcl), nowHour);
      if (start >= end) return null;
      effective = { start, end };
      const url = heatUrl(start === dayMs(from) ? from : instant(start), end === dayMs(toExcl) ? toExcl : instant(end));
      cards.heat.csv.url = url;
      return api(url);
    }, (d) => {
      if (!d) {
        $('sub-heat').textContent = `${span}, ${rangeText(from, state.to)}.`;
        return { empty: true, emptyText: t('heat_empty') };
      }
      // How often each hour of the week occurs in the hours averaged over: one that never
      // does has no mean (the API says 0), and is drawn as outside the range.
      const occurs = new Array(168).fill(0);
      for (let ms = effective.start; ms < effective.end; ms += HOUR) {
        const d0 = new Date(ms);
        occurs[((d0.getUTCDay() + 6) % 7) * 24 + d0.getUTCHours()] += 1;
      }
      const cells = (d.cells || []).map((c) => ({ ...c, out: occurs[(c.weekday - 1) * 24 + c.hour] === 0 }));
      const max = cells.reduce((m, c) => Math.max(m, c.mean), 0);
      let top = null;
      for (const c of cells) if (!top || c.mean > top.mean) top = c;
      const hours = Math.round((effective.end - effective.start) / HOUR);
      const spanText = `${parts(isoDay(effective.start)).day} ${parts(isoDay(effective.start)).mon} ${hhmm(effective.start)} – `
        + `${parts(isoDay(effective.end - 1)).day} ${parts(isoDay(effective.end - 1)).mon} ${hhmm(effective.end) === '00:00' ? '24:00' : hhmm(effective.end)}`;
      const week = t('week_short');
      $('sub-heat').textContent = t('heat_sub', span, spanText, t('heat_days', Math.floor(hours / 24), hours % 24))
        + (top && top.mean > 0 ? ` ${t('heat_busiest', `${week[top.weekday - 1]} ${pad(top.hour)}:00`, top.mean.toFixed(1))}` : '')
        + (effective.start > dayMs(from) ? ` ${t('heat_starts', `${longDate(isoDay(effective.start))} ${hhmm(effective.start)}`)}` : '')
        + (effective.end < dayMs(toExcl) ? ` ${t('heat_until_now')}` : '');
      const box = cards.heat.box;
      box.dataset.from = `${new Date(effective.start).toISOString().slice(0, 13)}:00`;
      box.dataset.hours = String(hours);
      return { empty: max === 0, emptyText: t('heat_empty'), cells, max, label: `${t('heat_title')}, ${span}.` };
    }, { url: heatUrl(from, toExcl), file: `hour-profile_${from}_${addDays(toExcl, -1)}${posts ? `_${[...state.selected].sort().join('-')}` : ''}.csv` });
  }

  // ---------------------------------------------------------------- breakdowns

  const words = (s) => s.charAt(0).toUpperCase() + s.slice(1).replace(/_/g, ' ');

  const DIMENSIONS = [
    { key: 'nationality', title: 'by_nationality', top: 10, label: (v) => { const n = t('nations')[v]; return n ? `${n} (${v})` : v; } },
    { key: 'sex', title: 'by_sex', order: ['F', 'M', 'X'], label: (v) => t('sexes')[v] || v },
    { key: 'age_band', title: 'by_age_band', order: AGE_BANDS, label: (v) => t('age', v) },
    { key: 'purpose', title: 'by_purpose', label: (v) => t('purposes')[v] || words(v) },
    { key: 'mode', title: 'by_mode', label: (v) => t('modes')[v] || words(v) },
  ];

  function buildBreakdownCards() {
    const wrap = $('breakdowns');
    for (const [id, title] of [['poe', 'by_poe'], ...DIMENSIONS.map((d) => [d.key, d.title])]) {
      wrap.append(h('section', { class: 'card', id: `card-${id}`, 'aria-labelledby': `h-${id}` },
        h('div', { class: 'card-head' },
          h('h3', { id: `h-${id}`, 'data-i18n': title, text: t(title) }),
          h('div', { class: 'tools' }, h('button', { type: 'button', class: 'btn small', 'data-csv': id, 'data-i18n': 'csv', text: t('csv') }))),
        h('p', { class: 'sub', id: `sub-${id}` }),
        h('div', { class: 'chart', id: `chart-${id}`, 'data-state': 'loading' })));
      card(id, `chart-${id}`, drawBars);
    }
  }

  /** Sums each category's shown counts over the buckets. A withheld cell holds 1 to K-1, so
   * a sum with withheld parts lies between `lo` and `hi`, and is shown so. */
  function breakdownItems(dim, d) {
    const byKey = new Map();
    for (const r of d.rows) {
      const k = r[dim.key];
      const it = byKey.get(k) || { key: k, value: 0, withheld: 0 };
      if (r.count == null) it.withheld += 1;
      else it.value += r.count;
      byKey.set(k, it);
    }
    if (dim.order) {
      for (const k of dim.order) if (!byKey.has(k)) byKey.set(k, { key: k, value: 0, withheld: 0 });
    }
    const bounds = (it) => ({ ...it, lo: it.value + it.withheld, hi: it.value + it.withheld * (K - 1) });
    let items = [...byKey.values()].map((it) => bounds({ ...it, label: dim.label(it.key) }));
    if (dim.order) {
      const pos = (k) => { const i = dim.order.indexOf(k); return i < 0 ? 99 : i; };
      items.sort((a, b) => pos(a.key) - pos(b.key) || a.key.localeCompare(b.key));
    } else {
      items.sort((a, b) => b.hi - a.hi || a.key.localeCompare(b.key));
    }
    if (dim.top && items.length > dim.top + 1) {
      const shown = items.filter((it) => it.value > 0).slice(0, dim.top);
      const rest = items.filter((it) => !shown.includes(it));
      const others = rest.filter((it) => it.value > 0);
      const small = rest.filter((it) => it.value === 0);
      const group = (list, label) => bounds({ key: '', label, muted: true, members: list,
        value: list.reduce((a, b) => a + b.value, 0), withheld: list.reduce((a, b) => a + b.withheld, 0) });
      items = shown;
      if (others.length) items.push(group(others, t('n_others', others.length)));
      if (small.length) items.push(group(small, t('n_small', small.length)));
    }
    return items;
  }

  function valueText(it) {
    if (it.lo === it.hi) return fmt(it.value);
    return `${fmt(it.lo)}–${fmt(it.hi)}`;
  }

  function itemTip(it, data) {
    const lines = [`${it.label}: ${it.lo === it.hi ? fmt(it.value) : t('between', fmt(it.lo), fmt(it.hi))}`];
    if (it.withheld) lines.push(`${fmt(it.value)} + ${t('withheld_cells', it.withheld, K)}`);
    if (it.share != null) lines.push(t('share', `${(it.share * 100).toFixed(1)}%`));
    if (it.before != null) lines.push(`${data.cmpName}: ${fmt(it.before)}`);
    if (it.members) lines.push(it.members.map((m) => `${m.label} ${valueText(m)}`).join('; '));
    return lines.join('\n');
  }

  function drawBars(data) {
    const items = data.items;
    const max = Math.max(1, ...items.map((it) => it.hi));
    const pct = (v) => `${((v / max) * 100).toFixed(2)}%`;
    const list = h('div', { class: 'bars' });
    const tips = [];
    items.forEach((it, i) => {
      const fill = h('span', { class: 'bfill' });
      fill.style.width = pct(it.value);
      const track = h('span', { class: 'btrack' }, fill);
      if (it.hi > it.value) {
        const hatch = h('span', { class: 'bhatch' });
        hatch.style.width = `max(8px, ${pct(it.hi - it.value)})`;
        track.append(hatch);
      }
      const label = data.drill && it.key
        ? h('button', { type: 'button', class: 'blabel link', 'data-drill': it.key, 'aria-label': t('drill_open', it.label) }, it.label)
        : h('span', { class: `blabel${it.muted ? ' muted' : ''}`, text: it.label });
      let delta = null;
      if (it.delta != null && Number.isFinite(it.delta)) {
        const d = it.delta * 100;
        const shown = Math.abs(d).toFixed(Math.abs(d) < 9.95 ? 1 : 0);
        const arrow = Number(shown) === 0 ? '=' : d > 0 ? '▲' : '▼';
        delta = h('span', { class: `bdelta ${d > 0 ? 'up' : d < 0 ? 'down' : ''}`, text: `${arrow} ${shown}%` });
      }
      list.append(h('div', { class: 'brow', 'data-tip': i, 'data-key': it.key || null },
        label, track, h('span', { class: 'bval', text: valueText(it) }), delta));
      tips.push({ text: itemTip(it, data) });
    });
    return { el: list, tips, nav: { right: 1, down: 1 }, short: items.length <= 6, label: `${data.label} ${items.map((it) => `${it.label}: ${valueText(it)}`).join('; ')}` };
  }

  // ---------------------------------------------------------------- SVG drawing

  let uid = 0;

  function niceStep(raw) {
    if (raw <= 0) return 1;
    const p = 10 ** Math.floor(Math.log10(raw));
    const f = raw / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
  }

  /** Ticks from lo to hi (both multiples of a nice step). */
  function scaleTicks(min, max, count) {
    const step = Math.max(1, niceStep((max - min) / count));
    const lo = Math.floor(min / step) * step;
    const hi = Math.max(lo + step, Math.ceil(max / step) * step);
    const ticks = [];
    for (let v = lo; v <= hi + step / 2; v += step) ticks.push(v);
    return { lo, hi, ticks };
  }

  function svgRoot(width, height) {
    return sv('svg', { width, height, viewBox: `0 0 ${width} ${height}`, 'aria-hidden': 'true', focusable: 'false' });
  }

  function hatchDefs(id) {
    return sv('defs', {},
      sv('pattern', { id, width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
        sv('rect', { width: 6, height: 6, class: 'hatch-bg' }),
        sv('line', { x1: 0, y1: 0, x2: 0, y2: 6, class: 'hatch-line' })));
  }

  function yAxis(g, ticks, y, left, right) {
    for (const v of ticks) {
      g.append(sv('line', { x1: left, x2: right, y1: y(v), y2: y(v), class: v === 0 ? 'zero' : 'grid-line' }));
      g.append(sv('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick', text: Math.abs(v) >= 10000 ? nfCompact.format(v) : nf.format(v) }));
    }
  }

  /** Which bucket labels to print so that they do not overlap. */
  function labelEvery(buckets, band, interval) {
    const widest = Math.max(...buckets.map((b) => textWidth(b.short, 11))) + 8;
    const fit = Math.max(1, Math.ceil(widest / band));
    if (interval !== 'hour') return (i) => i % fit === 0;
    const step = [1, 2, 3, 6, 12, 24].find((s) => s >= fit) || 24;
    return (i) => buckets[i].hour % step === 0;
  }

  /** A legend that wraps within [x0, x1]; answers the group and its height. */
  function legend(items, x0, x1) {
    const g = sv('g', { class: 'legend' });
    let cx = x0;
    let row = 0;
    for (const it of items) {
      const keyW = it.line ? 22 : 12;
      const w = keyW + 5 + textWidth(it.text, 12);
      if (cx > x0 && cx + w > x1) {
        cx = x0;
        row += 1;
      }
      const y = 14 + row * 18;
      if (it.line) g.append(sv('line', { x1: cx, x2: cx + 22, y1: y - 4, y2: y - 4, class: it.cls }));
      else g.append(sv('rect', { x: cx, y: y - 10, width: 12, height: 12, rx: 2, class: `swatch ${it.cls}`, fill: it.fill || null }));
      g.append(sv('text', { x: cx + keyW + 5, y, text: it.text }));
      cx += w + 16;
    }
    return { g, height: 18 * (row + 1) };
  }

  function futureBand(g, data, m, band, ph) {
    const first = data.buckets.findIndex((b) => b.future);
    if (first < 0) return;
    const x = m.l + band * first;
    const w = band * (data.buckets.length - first);
    g.append(sv('rect', { x: x.toFixed(1), y: m.t, width: w.toFixed(1), height: ph, class: 'future' }));
    if (w > 60) g.append(sv('text', { x: x + w / 2, y: m.t + 16, 'text-anchor': 'middle', class: 'tick', text: t('not_yet') }));
  }

  function drawSeries(data, width) {
    const n = data.buckets.length;
    const band0 = (width - 64) / n;
    const bars = band0 >= 8 && n <= 62;
    const items = data.series.map((s) => ({ text: s.name, cls: bars ? `bar-${s.cls}` : `line-${s.cls}`, line: !bars }));
    if (data.cmp) items.push({ text: data.cmp.label, cls: 'cmp-key', line: true });
    if (data.buckets.some((b) => b.partial)) items.push({ text: t('partial_legend'), cls: 'partial-key' });
    const lg = legend(items, 54, width - 10);
    const height = Math.round(Math.min(300, Math.max(220, width * 0.42))) + lg.height - 18;
    const m = { l: 54, r: 10, t: lg.height + 12, b: 30 };
    const pw = width - m.l - m.r;
    const ph = height - m.t - m.b;
    const cmpValues = data.cmp ? data.cmp.series.flat() : [];
    const max = Math.max(1, ...data.series.flatMap((s) => s.values), ...cmpValues);
    const { hi, ticks } = scaleTicks(0, max, 4);
    const y = (v) => m.t + ph - (v / hi) * ph;
    const band = pw / n;
    const svg = svgRoot(width, height);
    const g = sv('g');
    futureBand(g, data, m, band, ph);
    yAxis(g, ticks, y, m.l, width - m.r);
    const show = labelEvery(data.buckets, band, data.interval);
    data.buckets.forEach((b, i) => {
      if (show(i)) g.append(sv('text', { x: m.l + band * (i + 0.5), y: height - m.b + 16, 'text-anchor': 'middle', class: `tick${b.partial ? ' partial-label' : ''}`, text: b.partial && bars ? `${b.short}*` : b.short }));
    });
    const live = data.buckets.map((b) => !b.future);
    if (bars) {
      const inner = band * 0.78;
      const w = inner / data.series.length;
      data.series.forEach((s, si) => {
        s.values.forEach((v, i) => {
          if (!live[i]) return;
          const x = m.l + band * i + (band - inner) / 2 + w * si;
          const partial = data.buckets[i].partial;
          g.append(sv('rect', { x: x.toFixed(1), y: y(v).toFixed(1), width: Math.max(1, w - 1).toFixed(1), height: Math.max(0, y(0) - y(v)).toFixed(1), class: `bar-${s.cls}${partial ? ' partial' : ''}` }));
          if (data.cmp) {
            const cv = data.cmp.series[si][i];
            g.append(sv('line', { x1: (x - 1).toFixed(1), x2: (x + w).toFixed(1), y1: y(cv).toFixed(1), y2: y(cv).toFixed(1), class: 'cmp-mark' }));
          }
        });
      });
    } else {
      const path = (values, upto) => values.slice(0, upto).map((v, i) => `${i ? 'L' : 'M'}${(m.l + band * (i + 0.5)).toFixed(1)},${y(v).toFixed(1)}`).join('');
      const upto = live.lastIndexOf(true) + 1;
      if (data.cmp) data.cmp.series.forEach((values) => g.append(sv('path', { d: path(values, values.length), class: 'cmp-line' })));
      for (const s of data.series) {
        g.append(sv('path', { d: path(s.values, upto), class: `line-${s.cls}` }));
        if (band >= 5) {
          s.values.slice(0, upto).forEach((v, i) => g.append(sv('circle', { cx: (m.l + band * (i + 0.5)).toFixed(1), cy: y(v).toFixed(1), r: data.buckets[i].partial ? 3.5 : 2.5, class: `dot-${s.cls}${data.buckets[i].partial ? ' partial' : ''}` })));
        }
      }
    }
    // Targets for the tooltips, one per bucket.
    const tips = [];
    data.buckets.forEach((b, i) => {
      const note = bucketNote(b);
      let text = `${b.long}${note ? ` (${note})` : ''}`;
      if (b.future) text += `\n${t('not_yet')}`;
      else text += `\n${data.series.map((s) => `${s.name}: ${fmt(s.values[i])}`).join(' · ')}`;
      if (data.cmp) {
        const cb = data.cmp.buckets[i];
        text += `\n${data.cmp.label}, ${cb.long}: ${data.series.map((s, si) => `${s.name.toLowerCase()} ${fmt(data.cmp.series[si][i])}`).join(' · ')}`;
      }
      const top = Math.max(...data.series.map((s) => s.values[i]), ...(data.cmp ? data.cmp.series.map((v) => v[i]) : []));
      tips.push({ text, ax: m.l + band * (i + 0.5), ay: b.future ? m.t + ph / 2 : y(top) });
      g.append(sv('rect', { x: (m.l + band * i).toFixed(1), y: m.t, width: band.toFixed(1), height: ph, class: 'hit', 'data-tip': i }));
    });
    svg.append(g, lg.g);
    return { el: svg, tips, nav: { right: 1, down: 1 }, label: data.label };
  }

  function drawFlow(data, width) {
    const n = data.buckets.length;
    const id = `hatch${++uid}`;
    const items = [
      { text: t('flow_net_in'), cls: 'bar-net-pos' },
      { text: t('flow_net_out'), cls: 'bar-net-neg' },
      { text: t('flow_withheld', K), cls: 'bar-sup', fill: `url(#${id})` },
    ];
    if (data.buckets.some((b) => b.partial)) items.push({ text: t('partial_legend'), cls: 'partial-key' });
    const lg = legend(items, 54, width - 10);
    const height = Math.round(Math.min(260, Math.max(200, width * 0.36))) + lg.height - 18;
    const m = { l: 54, r: 10, t: lg.height + 12, b: 30 };
    const pw = width - m.l - m.r;
    const ph = height - m.t - m.b;
    const known = data.rows.map((r) => r.net).filter((v) => v != null);
    const { lo, hi, ticks } = scaleTicks(Math.min(0, ...known), Math.max(1, ...known), 4);
    const y = (v) => m.t + ph - ((v - lo) / (hi - lo)) * ph;
    const band = pw / n;
    const svg = svgRoot(width, height);
    svg.append(hatchDefs(id));
    const g = sv('g');
    futureBand(g, data, m, band, ph);
    yAxis(g, ticks, y, m.l, width - m.r);
    const show = labelEvery(data.buckets, band, data.interval);
    const inner = Math.max(1, band * 0.7);
    const tips = [];
    const part = (v) => (v == null ? `< ${K}` : fmt(v));
    data.buckets.forEach((b, i) => {
      const r = data.rows[i];
      const x = m.l + band * i + (band - inner) / 2;
      if (show(i)) g.append(sv('text', { x: m.l + band * (i + 0.5), y: height - m.b + 16, 'text-anchor': 'middle', class: `tick${b.partial ? ' partial-label' : ''}`, text: b.partial ? `${b.short}*` : b.short }));
      const note = bucketNote(b);
      let text = `${b.long}${note ? ` (${note})` : ''}\n`;
      let ay = y(0);
      if (b.future) {
        text += t('not_yet');
      } else if (r.net == null) {
        g.append(sv('rect', { x: x.toFixed(1), y: y(0) - 8, width: inner.toFixed(1), height: 16, fill: `url(#${id})`, class: 'bar-sup' }));
        if (band >= 26) g.append(sv('text', { x: x + inner / 2, y: y(0) - 12, 'text-anchor': 'middle', class: 'tick', text: `< ${K}` }));
        text += `${t('flow_came', part(r.entries))}, ${t('flow_left', part(r.exits))}; ${t('flow_net_withheld', K)}`;
      } else {
        if (r.net !== 0) {
          const top = Math.min(y(r.net), y(0));
          g.append(sv('rect', { x: x.toFixed(1), y: top.toFixed(1), width: inner.toFixed(1), height: Math.max(1, Math.abs(y(r.net) - y(0))).toFixed(1), class: `${r.net >= 0 ? 'bar-net-pos' : 'bar-net-neg'}${b.partial ? ' partial' : ''}` }));
          ay = top;
        }
        text += `${t('flow_came', fmt(r.entries))}, ${t('flow_left', fmt(r.exits))}, ${t('flow_net', signed(r.net))}`;
      }
      tips.push({ text, ax: m.l + band * (i + 0.5), ay });
      g.append(sv('rect', { x: (m.l + band * i).toFixed(1), y: m.t, width: band.toFixed(1), height: ph, class: 'hit', 'data-tip': i }));
    });
    svg.append(g, lg.g);
    return { el: svg, tips, nav: { right: 1, down: 1 }, label: data.label };
  }

  function heatColour(v) {
    // From a pale blue-grey to Lesotho blue.
    const a = [236, 242, 250];
    const b = [8, 38, 140];
    const c = a.map((x, i) => Math.round(x + (b[i] - x) * v));
    return `rgb(${c[0]},${c[1]},${c[2]})`;
  }

  /** The 7 × 24 hours of the week: days as rows on a wide screen, as columns on a narrow one. */
  function drawHeat(data, width) {
    const week = t('week_short');
    const tall = width < 520;
    const m = tall ? { l: 44, r: 4, t: 20, b: 0 } : { l: 40, r: 8, t: 20, b: 0 };
    const cols = tall ? 7 : 24;
    const rows = tall ? 24 : 7;
    const cw = (width - m.l - m.r) / cols;
    const ch = tall ? 20 : Math.max(18, Math.min(30, cw * 0.8));
    const gridH = m.t + ch * rows;
    const g = sv('g');
    if (tall) {
      week.forEach((d, i) => g.append(sv('text', { x: m.l + cw * (i + 0.5), y: m.t - 6, 'text-anchor': 'middle', class: 'tick', text: d })));
      for (let hr = 0; hr < 24; hr++) g.append(sv('text', { x: m.l - 6, y: m.t + ch * (hr + 0.5) + 4, 'text-anchor': 'end', class: 'tick', text: `${pad(hr)}:00` }));
    } else {
      for (let hr = 0; hr < 24; hr++) {
        if (cw >= 22 || hr % 3 === 0) g.append(sv('text', { x: m.l + cw * (hr + 0.5), y: m.t - 6, 'text-anchor': 'middle', class: 'tick', text: pad(hr) }));
      }
      week.forEach((d, i) => g.append(sv('text', { x: m.l - 8, y: m.t + ch * (i + 0.5) + 4, 'text-anchor': 'end', class: 'tick', text: d })));
    }
    const showNums = cw >= 30;
    const tips = [];
    const hatch = `hatch${++uid}`;
    g.append(hatchDefs(hatch));
    for (const c of data.cells) {
      const v = data.max ? c.mean / data.max : 0;
      const x = m.l + cw * (tall ? c.weekday - 1 : c.hour);
      const yy = m.t + ch * (tall ? c.hour : c.weekday - 1);
      const i = (c.weekday - 1) * 24 + c.hour;
      const when = `${week[c.weekday - 1]} ${pad(c.hour)}:00–${pad((c.hour + 1) % 24)}:00`;
      const fill = c.out ? `url(#${hatch})` : c.mean ? heatColour(0.08 + 0.92 * v) : null;
      g.append(sv('rect', { x: x.toFixed(1), y: yy.toFixed(1), width: cw.toFixed(1), height: ch.toFixed(1), class: `heat-cell${c.out ? ' heat-out' : c.mean ? '' : ' heat-none'}`, fill, 'data-tip': i }));
      tips[i] = { text: c.out ? `${when}: ${t('heat_out')}` : t('heat_tip', when, c.mean.toFixed(2)), ax: x + cw / 2, ay: yy };
      if (showNums && c.mean) {
        g.append(sv('text', { x: x + cw / 2, y: yy + ch / 2 + 4, 'text-anchor': 'middle', class: v > 0.38 ? 'tick lbl inv' : 'tick', text: c.mean >= 100 ? Math.round(c.mean) : c.mean.toFixed(c.mean >= 10 ? 0 : 1) }));
      }
    }
    // Legend: a stepped scale, its words beside it when they fit, else under it.
    const maxText = t('heat_legend', data.max.toFixed(1));
    const ly = gridH + 14;
    const lw = Math.min(240, width - m.l - 40);
    const textW = textWidth(maxText, 11);
    const beside = m.l + 14 + lw + 8 + textW <= width;
    g.append(sv('text', { x: m.l, y: ly + 11, class: 'tick', text: '0' }));
    for (let i = 0; i < 10; i++) {
      g.append(sv('rect', { x: m.l + 14 + (lw / 10) * i, y: ly, width: lw / 10 + 0.5, height: 14, fill: heatColour(0.08 + 0.92 * (i / 9)) }));
    }
    g.append(sv('text', beside
      ? { x: m.l + 20 + lw, y: ly + 11, class: 'tick', text: maxText }
      : { x: m.l + 14 + lw, y: ly + 30, 'text-anchor': 'end', class: 'tick', text: maxText }));
    let height = ly + (beside ? 22 : 38);
    if (data.cells.some((c) => c.out)) {
      g.append(sv('rect', { x: m.l + 14, y: height, width: 14, height: 14, fill: `url(#${hatch})`, class: 'heat-out' }));
      g.append(sv('text', { x: m.l + 34, y: height + 11, class: 'tick', text: t('heat_out_legend') }));
      height += 22;
    }
    const svg = svgRoot(width, height);
    svg.append(g);
    return { el: svg, tips, nav: tall ? { right: 24, down: 1 } : { right: 1, down: 24 }, label: data.label };
  }

  // ---------------------------------------------------------------- start

  function checkTables() {
    for (const key of Object.keys(TABLES.en)) {
      if (!(key in TABLES.st)) console.error(`dashboard: Sesotho label missing: ${key}`);
    }
  }

  function init() {
    checkTables();
    lang = new URLSearchParams(location.search).get('lang') === 'st' ? 'st' : 'en';
    card('today', 'today-body', null);
    card('daily', 'chart-daily', drawSeries);
    card('flow', 'chart-flow', drawFlow);
    card('heat', 'chart-heat', drawHeat);
    buildBreakdownCards();
    applyLanguage();
    $('preset').value = 'last7';
    $('lang').addEventListener('click', toggleLanguage);
    $('signin-form').addEventListener('submit', onSignin);
    $('pw-form').addEventListener('submit', onPasswordChange);
    $('mfa-form').addEventListener('submit', onMfaConfirm);
    $('signout').addEventListener('click', onSignout);
    $('filters').addEventListener('submit', onApply);
    $('preset').addEventListener('change', onPreset);
    $('cmp').addEventListener('change', () => onApply());
    $('from').addEventListener('input', onDateInput);
    $('to').addEventListener('input', onDateInput);
    $('poe-all').addEventListener('click', () => setAllPoes(true));
    $('poe-none').addEventListener('click', () => setAllPoes(false));
    $('today-refresh').addEventListener('click', loadToday);
    $('drill-back').addEventListener('click', undrill);
    $('print-view').addEventListener('click', () => setPrint(true));
    $('print-back').addEventListener('click', () => setPrint(false));
    $('print-now').addEventListener('click', () => window.print());
    window.addEventListener('popstate', onPopState);
    window.addEventListener('beforeprint', () => { fillPrintHead(); $('print-head').hidden = false; });
    window.addEventListener('afterprint', () => { $('print-head').hidden = !state.print; });
    document.addEventListener('click', (ev) => {
      const btn = ev.target.closest('[data-csv]');
      if (btn) downloadCsv(btn.dataset.csv, btn);
      const target = ev.target.closest('[data-drill]');
      if (target) drill(target.dataset.drill);
      const picker = $('poe-picker');
      if (picker.open && !picker.contains(ev.target)) picker.open = false;
    });
    $('poe-picker').addEventListener('focusout', (ev) => {
      const picker = $('poe-picker');
      if (picker.open && ev.relatedTarget && !picker.contains(ev.relatedTarget)) picker.open = false;
    });
    document.addEventListener('keydown', (ev) => {
      const picker = $('poe-picker');
      if (ev.key === 'Escape' && picker.open) {
        picker.open = false;
        $('poe-summary').focus();
      }
    });
    const saved = savedSession();
    if (saved) restoreSession(saved);
    else showSignin('', false);
  }

  init();
})();
