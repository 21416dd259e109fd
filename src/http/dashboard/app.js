/* The HOBA dashboard: signs in with the analyst's own account and draws the statistics API
 * as SVG. Vanilla JS, no library, no build step. Tokens live in this closure only: never in
 * localStorage, sessionStorage or cookies, so reloading the page signs out. */
'use strict';

(() => {
  const API = '/api/v1';
  // The service's smallest shown count in a sensitive breakdown; every statistics answer says
  // what it is (`min_cell_count`), and the page follows.
  let K = 5;
  const SVGNS = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);
  const nf = new Intl.NumberFormat('en-GB');
  const nfCompact = new Intl.NumberFormat('en-GB', { notation: 'compact', maximumFractionDigits: 1 });
  const fmt = (n) => (n == null ? '–' : nf.format(n));
  const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const WEEK = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

  // ---------------------------------------------------------------- state

  const state = {
    access: null,        // access token (memory only)
    refresh: null,       // refresh token (memory only)
    refreshing: null,    // the one refresh in flight, shared by every caller
    session: 0,          // bumped at each sign-in and sign-out: late answers are dropped
    user: '',
    poes: [],
    selected: new Set(),
    from: '',            // inclusive local dates
    to: '',
    timer: null,
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

  const title = (text) => sv('title', { text });

  // ---------------------------------------------------------------- dates (Lesotho: UTC+2, no DST)

  function lesothoToday() {
    return new Date(Date.now() + 2 * 3600e3).toISOString().slice(0, 10);
  }

  function addDays(iso, n) {
    const d = new Date(iso + 'T00:00:00Z');
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }

  const daysBetween = (a, b) => Math.round((Date.parse(b + 'T00:00:00Z') - Date.parse(a + 'T00:00:00Z')) / 864e5);
  const validDate = (s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s + 'T00:00:00Z'));

  function dayParts(iso) {
    const d = new Date(iso.slice(0, 10) + 'T00:00:00Z');
    return { wd: DAYS[d.getUTCDay()], day: d.getUTCDate(), mon: MONTHS[d.getUTCMonth()], year: d.getUTCFullYear() };
  }

  function longDate(iso) {
    const p = dayParts(iso);
    return `${p.wd} ${p.day} ${p.mon} ${p.year}`;
  }

  function rangeText(from, to) {
    const a = dayParts(from);
    const b = dayParts(to);
    if (from === to) return longDate(from);
    if (a.year !== b.year) return `${a.day} ${a.mon} ${a.year} – ${b.day} ${b.mon} ${b.year}`;
    if (a.mon !== b.mon) return `${a.day} ${a.mon} – ${b.day} ${b.mon} ${b.year}`;
    return `${a.day}–${b.day} ${b.mon} ${b.year}`;
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
    return new ApiError(res.status, `HTTP ${res.status}`, `The server answered ${res.status} ${res.statusText || ''}.`.trim());
  }

  function networkError() {
    return new ApiError(0, 'Cannot reach the server', 'The request did not reach the service. Check the connection and try again.');
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

  function keep(tokens) {
    state.access = tokens.access_token;
    state.refresh = tokens.refresh_token;
  }

  /** One refresh at a time: a refresh token works once, and presenting it twice would end
   * the session. Every caller that meets a 401 meanwhile waits for the same answer. */
  function refreshOnce() {
    if (!state.refreshing) {
      const token = state.refresh;
      const session = state.session;
      state.refreshing = (async () => {
        if (!token) return false;
        try {
          const res = await post('/auth/refresh', { refresh_token: token });
          if (!res.ok || session !== state.session) return false;
          keep(await res.json());
          return true;
        } catch (_) {
          return false;
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
      const ok = (state.access && state.access !== used) || (await refreshOnce());
      if (session !== state.session) throw new SessionEnded();
      if (ok) res = await send(state.access);
      if (!ok || res.status === 401) {
        endSession('Your session has ended. Please sign in again.', true);
        throw new SessionEnded();
      }
    }
    if (session !== state.session) throw new SessionEnded();
    if (!res.ok) throw await problemOf(res);
    if (raw) return res;
    const body = await res.json();
    if (body && typeof body.min_cell_count === 'number' && body.min_cell_count !== K) {
      K = body.min_cell_count;
      const note = document.getElementById('suppression-note');
      if (note) note.textContent = `Counts from 1 to ${K - 1} in a breakdown by nationality, sex or age band are withheld and shown hatched as “< ${K}”.`;
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

  // ---------------------------------------------------------------- sign-in and sign-out

  function showSignin(message, isError) {
    $('dash-view').hidden = true;
    $('who').hidden = true;
    $('signin-view').hidden = false;
    const msg = $('signin-msg');
    msg.textContent = message || '';
    msg.hidden = !message;
    msg.classList.toggle('error', Boolean(isError));
    $('password').value = '';
    const btn = $('signin-btn');
    btn.disabled = false;
    btn.textContent = 'Sign in';
    ($('username').value ? $('password') : $('username')).focus();
  }

  function endSession(message, isError) {
    state.access = null;
    state.refresh = null;
    state.session += 1;
    if (state.timer) clearInterval(state.timer);
    state.timer = null;
    for (const c of Object.values(cards)) {
      c.data = null;
      c.url = null;
      c.box.replaceChildren();
      c.box.dataset.state = 'idle';
    }
    $('today-body').replaceChildren();
    $('poe-picker').open = false;
    showSignin(message, isError);
  }

  async function onSignin(ev) {
    ev.preventDefault();
    const username = $('username').value.trim();
    const password = $('password').value;
    const msg = $('signin-msg');
    if (!username || !password) {
      msg.textContent = 'Enter your username and password.';
      msg.hidden = false;
      msg.classList.add('error');
      (username ? $('password') : $('username')).focus();
      return;
    }
    const btn = $('signin-btn');
    btn.disabled = true;
    btn.textContent = 'Signing in…';
    try {
      const res = await post('/auth/login', { username, password });
      if (!res.ok) {
        const p = await problemOf(res);
        const text = res.status === 401
          ? `Wrong username or password. ${p.detail && !/password/i.test(p.detail) ? p.detail : ''}`.trim()
          : `${p.title}: ${p.detail}`;
        showSignin(text, true);
        return;
      }
      const tokens = await res.json();
      const roles = rolesOf(tokens.access_token);
      if (roles && !roles.includes('analyst') && !roles.includes('admin')) {
        post('/auth/logout', { refresh_token: tokens.refresh_token }).catch(() => {});
        showSignin(`This dashboard is for analysts and administrators; this account is ${roles.join(', ') || 'without a role'}.`, true);
        return;
      }
      state.session += 1;
      keep(tokens);
      state.user = username;
      $('password').value = '';
      await enterDashboard();
    } catch (e) {
      if (e instanceof SessionEnded) return;
      showSignin(e instanceof ApiError ? `${e.title}: ${e.detail}` : 'Signing in failed. Try again.', true);
    }
  }

  async function onSignout() {
    const token = state.refresh;
    const btn = $('signout');
    btn.disabled = true;
    try {
      if (token) await post('/auth/logout', { refresh_token: token });
    } catch (_) { /* signed out locally all the same */ }
    btn.disabled = false;
    endSession('You have signed out.', false);
  }

  // ---------------------------------------------------------------- the dashboard

  async function enterDashboard() {
    $('signin-view').hidden = true;
    $('dash-view').hidden = false;
    $('who').hidden = false;
    $('who-name').textContent = state.user;
    const today = lesothoToday();
    state.to = today;
    state.from = addDays(today, -6);
    $('from').value = state.from;
    $('to').value = state.to;
    markPreset();
    try {
      const poes = await api('/poes');
      state.poes = (poes.items || []).slice().sort((a, b) => a.code.localeCompare(b.code));
    } catch (e) {
      if (e instanceof SessionEnded) return;
      state.poes = [];
      setFilterMsg(`Could not load the list of posts: ${e.detail || e.message}`, true);
    }
    buildPoePicker();
    $('main').focus();
    loadToday();
    loadCharts();
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
    state.selected = new Set(state.poes.map((p) => p.code));
    for (const p of state.poes) {
      list.append(h('label', { title: `${p.name} (${p.district})` },
        h('input', { type: 'checkbox', value: p.code, checked: true, onchange: onPoeToggle }),
        h('span', {}, p.name, ' ', h('span', { class: 'code', text: p.code }))));
    }
    const heat = $('heat-poe');
    heat.replaceChildren(...state.poes.map((p) => h('option', { value: p.code, text: `${p.name} (${p.code})` })));
    if (state.poes.some((p) => p.code === 'MSU')) heat.value = 'MSU';
    updatePoeSummary();
  }

  function onPoeToggle(ev) {
    if (ev.target.checked) state.selected.add(ev.target.value);
    else state.selected.delete(ev.target.value);
    updatePoeSummary();
  }

  function setAllPoes(on) {
    state.selected = new Set(on ? state.poes.map((p) => p.code) : []);
    $('poe-list').querySelectorAll('input').forEach((i) => { i.checked = on; });
    updatePoeSummary();
  }

  function allSelected() {
    return state.selected.size === state.poes.length;
  }

  function poesText() {
    if (allSelected()) return state.poes.length ? `All ${state.poes.length} posts` : 'All posts';
    if (state.selected.size === 0) return 'No post';
    if (state.selected.size <= 2) {
      return state.poes.filter((p) => state.selected.has(p.code)).map((p) => p.name).join(', ');
    }
    return `${state.selected.size} of ${state.poes.length} posts`;
  }

  function updatePoeSummary() {
    $('poe-summary').textContent = poesText();
  }

  /** `&poe=…` for the chosen posts; nothing when all are chosen. */
  function poeParam() {
    if (allSelected()) return '';
    return `&poe=${encodeURIComponent([...state.selected].sort().join(','))}`;
  }

  function onApply(ev) {
    if (ev) ev.preventDefault();
    const from = $('from').value;
    const to = $('to').value;
    if (!validDate(from) || !validDate(to)) {
      setFilterMsg('Choose both dates.', true);
      return;
    }
    if (from > to) {
      setFilterMsg('The start date must not be after the end date.', true);
      $('from').focus();
      return;
    }
    if (state.poes.length && state.selected.size === 0) {
      setFilterMsg('Choose at least one post.', true);
      $('poe-picker').open = true;
      return;
    }
    state.from = from;
    state.to = to;
    if (!allSelected() && !state.selected.has($('heat-poe').value)) $('heat-poe').value = [...state.selected].sort()[0];
    $('poe-picker').open = false;
    markPreset();
    loadCharts();
  }

  function onPreset(ev) {
    const days = Number(ev.currentTarget.dataset.days);
    const today = lesothoToday();
    $('to').value = today;
    $('from').value = addDays(today, 1 - days);
    onApply();
  }

  function markPreset() {
    const today = lesothoToday();
    const n = daysBetween(state.from, state.to) + 1;
    document.querySelectorAll('.presets .btn').forEach((b) => {
      const on = state.to === today && Number(b.dataset.days) === n;
      b.classList.toggle('active', on);
      b.setAttribute('aria-pressed', on ? 'true' : 'false');
    });
  }

  // ---------------------------------------------------------------- cards: load, draw, states

  const cards = {};

  function card(name, boxId, render) {
    const box = $(boxId);
    cards[name] = { name, box, render, gen: 0, url: null, data: null, width: 0, file: () => `${name}.csv` };
    if (render && 'ResizeObserver' in window) {
      let pending = false;
      new ResizeObserver(() => {
        const c = cards[name];
        if (pending || !c.data) return;
        pending = true;
        requestAnimationFrame(() => {
          pending = false;
          if (Math.abs(box.clientWidth - c.width) > 6) draw(c);
        });
      }).observe(box);
    }
  }

  function clearCardMsg(c) {
    const m = c.box.parentElement.querySelector('.card-msg');
    if (m) m.remove();
  }

  async function load(name, url, prepare, file) {
    const c = cards[name];
    const gen = ++c.gen;
    c.url = url;
    c.file = file;
    c.box.dataset.state = 'loading';
    c.box.setAttribute('aria-busy', 'true');
    clearCardMsg(c);
    try {
      const data = prepare(await api(url));
      if (gen !== c.gen) return;
      c.data = data;
      draw(c);
    } catch (e) {
      if (gen !== c.gen || e instanceof SessionEnded) return;
      c.data = null;
      c.box.replaceChildren(problemBox(e));
      c.box.dataset.state = 'error';
      c.box.removeAttribute('aria-busy');
      const sub = c.box.parentElement.querySelector('.sub');
      if (sub) sub.textContent = sub.textContent.replace(' — loading…', '');
    }
  }

  function draw(c) {
    c.width = c.box.clientWidth || 600;
    c.box.removeAttribute('aria-busy');
    if (c.data.empty) {
      c.box.replaceChildren(h('p', { class: 'empty', text: c.data.emptyText || 'No movements in this range' }));
      c.box.dataset.state = 'empty';
      return;
    }
    c.box.replaceChildren(c.render(c.data, Math.max(280, c.width)));
    c.box.dataset.state = 'ready';
  }

  function problemBox(e) {
    if (e instanceof ApiError) {
      const head = e.status === 403
        ? 'Your account may not read these statistics.'
        : e.title;
      const more = e.errors.map((x) => `${x.field}: ${x.message}`).filter((t) => t !== e.detail);
      return h('div', { class: 'problem', role: 'alert' },
        h('strong', { text: head }),
        e.detail ? h('span', { text: e.detail }) : null,
        more.length ? h('ul', {}, more.map((t) => h('li', { text: t }))) : null);
    }
    return h('div', { class: 'problem', role: 'alert' }, h('strong', { text: 'Something went wrong' }),
      h('span', { text: 'The answer could not be shown. Try again.' }));
  }

  async function downloadCsv(name, btn) {
    const c = cards[name];
    if (!c || !c.url) return;
    clearCardMsg(c);
    btn.disabled = true;
    const label = btn.textContent;
    btn.textContent = 'Preparing…';
    try {
      const res = await api(c.url + (c.url.includes('?') ? '&' : '?') + 'format=csv', true);
      const blob = new Blob([await res.blob()], { type: 'text/csv;charset=utf-8' });
      const href = URL.createObjectURL(blob);
      const a = h('a', { href, download: c.file(), class: 'sr-only' });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(href), 30000);
    } catch (e) {
      if (e instanceof SessionEnded) return;
      const head = c.box.parentElement.querySelector('.card-head');
      head.after(h('p', { class: 'notice error card-msg', role: 'alert', text: `The CSV could not be downloaded: ${e.detail || e.message}` }));
    } finally {
      btn.disabled = false;
      btn.textContent = label;
    }
  }

  // ---------------------------------------------------------------- today at a glance

  async function loadToday() {
    const c = cards.today;
    const gen = ++c.gen;
    c.url = '/stats/summary';
    c.box.dataset.state = c.data ? 'refreshing' : 'loading';
    try {
      const s = await api('/stats/summary');
      if (gen !== c.gen) return;
      c.data = s;
      c.file = () => `summary-${s.date}.csv`;
      c.url = `/stats/summary?date=${s.date}`;
      renderToday(s);
    } catch (e) {
      if (gen !== c.gen || e instanceof SessionEnded) return;
      c.box.replaceChildren(problemBox(e));
      c.box.dataset.state = 'error';
    }
  }

  function minutesSince(rfc3339) {
    return (Date.now() - Date.parse(rfc3339)) / 60000;
  }

  function agoText(min) {
    if (min < 1) return 'just now';
    if (min < 60) return `${Math.floor(min)} min ago`;
    const hrs = Math.floor(min / 60);
    const m = Math.floor(min % 60);
    return hrs < 24 ? `${hrs} h ${m} min ago` : `${Math.floor(hrs / 24)} d ago`;
  }

  function renderToday(s) {
    const box = cards.today.box;
    const names = new Map(state.poes.map((p) => [p.code, p]));
    let quiet = 0;
    const tot = { entries: 0, exits: 0, net: 0, hits: 0 };
    const rows = (s.rows || []).map((r) => {
      tot.entries += r.entries;
      tot.exits += r.exits;
      tot.net += r.net;
      tot.hits += r.alert_hits;
      const since = r.last_event_at ? minutesSince(r.last_event_at) : null;
      const isQuiet = r.open_now === true && (since == null || since >= 60);
      if (isQuiet) quiet += 1;
      let badge;
      if (isQuiet) {
        badge = h('span', { class: 'badge quiet', text: since == null ? 'Quiet: none today' : 'Quiet 60+ min' });
      } else if (r.open_now === true) {
        badge = h('span', { class: 'badge open', text: 'Open' });
      } else if (r.open_now === false) {
        badge = h('span', { class: 'badge closed', text: 'Closed' });
      } else {
        badge = h('span', { class: 'badge past', text: '—' });
      }
      const p = names.get(r.poe);
      const last = r.last_event_at
        ? h('td', { class: 'last', title: r.last_event_at }, r.last_event_at.slice(11, 16), h('span', { class: 'ago', text: agoText(since) }))
        : h('td', { class: 'last', text: 'none today' });
      return h('tr', { class: isQuiet ? 'quiet' : null, 'data-poe': r.poe },
        h('th', { scope: 'row', title: p ? `${p.district} · ${p.sa_counterpart || ''}` : null },
          h('span', { class: 'post-name', text: r.name || r.poe }), h('span', { class: 'code', text: r.poe })),
        h('td', {}, badge),
        h('td', { class: 'num', text: fmt(r.entries) }),
        h('td', { class: 'num', text: fmt(r.exits) }),
        h('td', { class: `num ${r.net < 0 ? 'neg' : r.net > 0 ? 'pos' : ''}`, text: (r.net > 0 ? '+' : '') + fmt(r.net) }),
        h('td', { class: `num ${r.alert_hits ? 'hits' : ''}`, text: fmt(r.alert_hits) }),
        last);
    });
    const table = h('table', { class: 'glance' },
      h('caption', { class: 'sr-only', text: `Crossings today, ${s.date}, per post` }),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', text: 'Post' }), h('th', { scope: 'col', text: 'Status' }),
        h('th', { scope: 'col', class: 'num', text: 'Entries' }), h('th', { scope: 'col', class: 'num', text: 'Exits' }),
        h('th', { scope: 'col', class: 'num', text: 'Net' }), h('th', { scope: 'col', class: 'num', text: 'Alerts' }),
        h('th', { scope: 'col', text: 'Last' }))),
      h('tbody', {}, rows),
      h('tfoot', {}, h('tr', {},
        h('td', { text: 'All posts' }), h('td', {}),
        h('td', { class: 'num', text: fmt(tot.entries) }), h('td', { class: 'num', text: fmt(tot.exits) }),
        h('td', { class: 'num', text: (tot.net > 0 ? '+' : '') + fmt(tot.net) }), h('td', { class: 'num', text: fmt(tot.hits) }),
        h('td', {}))));
    box.replaceChildren(h('div', { class: 'table-wrap' }, table));
    box.dataset.state = 'ready';
    const now = new Date(Date.now() + 2 * 3600e3).toISOString().slice(11, 16);
    $('sub-today').textContent = `${longDate(s.date)}, updated ${now}. ` + (quiet
      ? `${quiet} open post${quiet > 1 ? 's have' : ' has'} had no crossing for 60 minutes or more.`
      : 'Every open post has recorded a crossing in the last hour.');
  }

  // ---------------------------------------------------------------- chart queries

  function loadCharts() {
    setFilterMsg('');
    const from = state.from;
    const toExcl = addDays(state.to, 1);
    const days = daysBetween(from, toExcl);
    const interval = days <= 2 ? 'hour' : 'day';
    const range = `from=${from}&to=${toExcl}`;
    const span = `${rangeText(from, state.to)} · ${poesText().replace(/^All (\d+) posts$/, 'all $1 posts')}`;
    const file = (n) => () => `${n}_${from}_${state.to}.csv`;

    // Until the answers come, each card says what it is loading.
    for (const id of ['daily', ...DIMENSIONS.map((d) => d.key)]) $(`sub-${id}`).textContent = `${span} — loading…`;
    $('sub-flow').textContent = `Basotho at all posts, ${rangeText(from, state.to)} — loading…`;

    // Entries and exits
    const buckets = bucketsOf(from, days, interval);
    $('h-daily').textContent = interval === 'hour' ? 'Entries and exits by hour' : 'Entries and exits by day';
    load('daily', `/stats/movements?${range}&interval=${interval}&group_by=direction${poeParam()}`, (d) => {
      const entries = new Map();
      const exits = new Map();
      for (const r of d.rows) (r.direction === 'entry' ? entries : exits).set(bucketKey(r.bucket, interval), r.count || 0);
      const e = buckets.map((b) => entries.get(b.key) || 0);
      const x = buckets.map((b) => exits.get(b.key) || 0);
      const sumE = e.reduce((a, b) => a + b, 0);
      const sumX = x.reduce((a, b) => a + b, 0);
      $('sub-daily').textContent = `${span} — ${fmt(sumE)} entries, ${fmt(sumX)} exits, ${fmt(d.total)} in all.`;
      const box = cards.daily.box;
      box.dataset.total = String(d.total);
      box.dataset.buckets = String(buckets.length);
      box.dataset.interval = interval;
      return {
        empty: d.total === 0,
        interval,
        buckets,
        series: [{ name: 'Entries', cls: 'entry', values: e }, { name: 'Exits', cls: 'exit', values: x }],
        label: `Entries and exits ${interval === 'hour' ? 'by hour' : 'by day'}, ${span}: ${fmt(sumE)} entries, ${fmt(sumX)} exits.`,
      };
    }, file(interval === 'hour' ? 'entries-exits-hourly' : 'entries-exits-daily'));

    // Citizens' net flow (the endpoint covers every post)
    load('flow', `/stats/citizen-flow?${range}&interval=${interval}`, (d) => {
      const byKey = new Map(d.rows.map((r) => [bucketKey(r.bucket, interval), r]));
      const rows = buckets.map((b) => byKey.get(b.key) || { entries: 0, exits: 0, net: 0 });
      $('sub-flow').textContent = `Basotho (${d.nationality || 'LSO'}) at all posts, ${rangeText(from, state.to)} — `
        + `${fmt(d.entries)} came home, ${fmt(d.exits)} left, net ${d.net > 0 ? '+' : ''}${fmt(d.net)}`
        + (d.suppressed_cells ? `; ${d.suppressed_cells} small cell${d.suppressed_cells > 1 ? 's' : ''} withheld.` : '.');
      return {
        empty: d.entries + d.exits === 0,
        emptyText: 'No citizens crossed in this range',
        interval,
        buckets,
        rows,
        label: `Citizens' net flow, ${rangeText(from, state.to)}: net ${fmt(d.net)}.`,
      };
    }, file('citizen-flow'));

    loadHeat();

    // Breakdowns: one bucket per month; a category's shown counts are summed over months.
    for (const dim of DIMENSIONS) {
      load(dim.key, `/stats/movements?${range}&interval=month&group_by=${dim.key}${poeParam()}`, (d) => {
        const items = breakdownItems(dim, d);
        $(`sub-${dim.key}`).textContent = `${span} — ${fmt(d.total)} movements`
          + (d.suppressed_cells ? `; ${d.suppressed_cells} small cell${d.suppressed_cells > 1 ? 's' : ''} withheld.` : '.');
        return { empty: d.total === 0, items, label: `${dim.title}, ${span}.` };
      }, file(`by-${dim.key.replace('_', '-')}`));
    }
  }

  function loadHeat() {
    const poe = $('heat-poe').value;
    if (!poe) return;
    const from = state.from;
    const toExcl = addDays(state.to, 1);
    const p = state.poes.find((x) => x.code === poe);
    const days = daysBetween(from, toExcl);
    $('sub-heat').textContent = `${p ? p.name : poe}, ${rangeText(from, state.to)} — loading…`;
    load('heat', `/stats/hour-profile?poe=${encodeURIComponent(poe)}&from=${from}&to=${toExcl}`, (d) => {
      const cells = d.cells || [];
      const max = cells.reduce((m, c) => Math.max(m, c.mean), 0);
      let top = null;
      for (const c of cells) if (!top || c.mean > top.mean) top = c;
      $('sub-heat').textContent = `Mean crossings in each hour of the week at ${p ? p.name : poe}, ${rangeText(from, state.to)} (${days} day${days > 1 ? 's' : ''}), for staffing.`
        + (top && top.mean > 0 ? ` Busiest: ${WEEK[top.weekday - 1]} ${pad(top.hour)}:00 (${top.mean.toFixed(1)} an hour).` : '');
      return { empty: max === 0, emptyText: 'No movements in this range at this post', cells, max, label: `Hour-of-week profile for ${poe}.` };
    }, () => `hour-profile_${poe}_${from}_${state.to}.csv`);
  }

  const pad = (n) => String(n).padStart(2, '0');

  function bucketKey(bucket, interval) {
    return interval === 'hour' ? bucket.slice(0, 13) : bucket.slice(0, 10);
  }

  function bucketsOf(from, days, interval) {
    const out = [];
    for (let i = 0; i < days; i++) {
      const d = addDays(from, i);
      const p = dayParts(d);
      if (interval === 'hour') {
        for (let hr = 0; hr < 24; hr++) {
          out.push({ key: `${d}T${pad(hr)}`, hour: hr, short: hr === 0 ? `${p.wd} ${p.day}` : `${pad(hr)}:00`, long: `${p.wd} ${p.day} ${p.mon}, ${pad(hr)}:00–${pad(hr + 1 === 24 ? 0 : hr + 1)}:00` });
        }
      } else {
        out.push({ key: d, short: days <= 14 ? `${p.wd} ${p.day}` : `${p.day} ${p.mon}`, long: longDate(d) });
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- breakdowns

  const NATIONS = {
    LSO: 'Lesotho', ZAF: 'South Africa', ZWE: 'Zimbabwe', MOZ: 'Mozambique', MWI: 'Malawi', BWA: 'Botswana',
    SWZ: 'Eswatini', NAM: 'Namibia', ZMB: 'Zambia', AGO: 'Angola', COD: 'DR Congo', NGA: 'Nigeria', GHA: 'Ghana',
    KEN: 'Kenya', TZA: 'Tanzania', UGA: 'Uganda', ETH: 'Ethiopia', CHN: 'China', IND: 'India', PAK: 'Pakistan',
    BGD: 'Bangladesh', GBR: 'United Kingdom', USA: 'United States', DEU: 'Germany', D: 'Germany', FRA: 'France',
    NLD: 'Netherlands', PRT: 'Portugal', CAN: 'Canada', AUS: 'Australia', BRA: 'Brazil', JPN: 'Japan',
  };
  const SEXES = { F: 'Female', M: 'Male', X: 'Unspecified (X)' };
  const AGE_BANDS = ['0-14', '15-24', '25-34', '35-44', '45-54', '55-64', '65+'];
  const words = (s) => s.charAt(0).toUpperCase() + s.slice(1).replace(/_/g, ' ');

  const DIMENSIONS = [
    { key: 'nationality', title: 'By nationality', top: 10, label: (v) => (NATIONS[v] ? `${NATIONS[v]} (${v})` : v) },
    { key: 'sex', title: 'By sex', order: ['F', 'M', 'X'], label: (v) => SEXES[v] || v },
    { key: 'age_band', title: 'By age band', order: AGE_BANDS, label: (v) => v },
    { key: 'purpose', title: 'By purpose of travel', label: words },
    { key: 'mode', title: 'By mode of crossing', label: words },
  ];

  function buildBreakdownCards() {
    const wrap = $('breakdowns');
    for (const dim of DIMENSIONS) {
      const id = dim.key;
      wrap.append(h('section', { class: 'card', id: `card-${id}`, 'aria-labelledby': `h-${id}` },
        h('div', { class: 'card-head' },
          h('h3', { id: `h-${id}`, text: dim.title }),
          h('div', { class: 'tools' }, h('button', { type: 'button', class: 'btn small', 'data-csv': id, text: 'Download CSV' }))),
        h('p', { class: 'sub', id: `sub-${id}` }),
        h('div', { class: 'chart', id: `chart-${id}`, 'data-state': 'loading' })));
      card(id, `chart-${id}`, drawBars);
    }
  }

  /** Sums each category's shown counts over the buckets; withheld cells are counted apart. */
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
    let items = [...byKey.values()].map((it) => ({ ...it, label: dim.label(it.key) }));
    if (dim.order) {
      const pos = (k) => { const i = dim.order.indexOf(k); return i < 0 ? 99 : i; };
      items.sort((a, b) => pos(a.key) - pos(b.key) || a.key.localeCompare(b.key));
    } else {
      items.sort((a, b) => b.value - a.value || b.withheld - a.withheld || a.key.localeCompare(b.key));
    }
    if (dim.top && items.length > dim.top + 1) {
      const shown = items.filter((it) => it.value > 0).slice(0, dim.top);
      const rest = items.filter((it) => !shown.includes(it));
      const others = rest.filter((it) => it.value > 0);
      const only = rest.filter((it) => it.value === 0 && it.withheld > 0);
      items = shown;
      if (others.length) {
        items.push({ key: '', label: `${others.length} other${others.length > 1 ? 's' : ''}`, value: others.reduce((a, b) => a + b.value, 0), withheld: others.reduce((a, b) => a + b.withheld, 0), muted: true });
      }
      if (only.length) {
        items.push({ key: '', label: `${only.length} more, each < ${K}`, value: 0, withheld: only.reduce((a, b) => a + b.withheld, 0), group: true, muted: true });
      }
    }
    return items;
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

  function svgRoot(width, height, label) {
    return sv('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label, focusable: 'false' });
  }

  function hatchDefs(id) {
    return sv('defs', {},
      sv('pattern', { id, width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
        sv('rect', { width: 6, height: 6, class: 'hatch-bg' }),
        sv('line', { x1: 0, y1: 0, x2: 0, y2: 6, class: 'hatch-line' })));
  }

  function yAxis(g, ticks, y, left, right) {
    for (const t of ticks) {
      g.append(sv('line', { x1: left, x2: right, y1: y(t), y2: y(t), class: t === 0 ? 'zero' : 'grid-line' }));
      g.append(sv('text', { x: left - 6, y: y(t) + 4, 'text-anchor': 'end', class: 'tick', text: Math.abs(t) >= 10000 ? nfCompact.format(t) : nf.format(t) }));
    }
  }

  /** Which bucket labels to print so that they do not overlap. */
  function labelEvery(buckets, band, interval) {
    const fit = Math.max(1, Math.ceil(52 / band));
    if (interval !== 'hour') return (i) => i % fit === 0;
    const step = [1, 2, 3, 6, 12, 24].find((s) => s >= fit) || 24;
    return (i) => buckets[i].hour % step === 0;
  }

  function legend(items, x, y) {
    const g = sv('g', { class: 'legend' });
    let cx = x;
    for (const it of items) {
      if (it.line) {
        g.append(sv('line', { x1: cx, x2: cx + 22, y1: y - 4, y2: y - 4, class: it.cls }));
      } else {
        g.append(sv('rect', { x: cx, y: y - 10, width: 12, height: 12, rx: 2, class: `swatch ${it.cls}`, fill: it.fill || null }));
      }
      const tx = cx + (it.line ? 28 : 17);
      g.append(sv('text', { x: tx, y, text: it.text }));
      cx = tx + it.text.length * 6.6 + 16;
    }
    return g;
  }

  function drawSeries(data, width) {
    const n = data.buckets.length;
    const height = Math.round(Math.min(300, Math.max(220, width * 0.42)));
    const m = { l: 54, r: 10, t: 30, b: 30 };
    const pw = width - m.l - m.r;
    const ph = height - m.t - m.b;
    const max = Math.max(1, ...data.series.flatMap((s) => s.values));
    const { hi, ticks } = scaleTicks(0, max, 4);
    const y = (v) => m.t + ph - (v / hi) * ph;
    const band = pw / n;
    const svg = svgRoot(width, height, data.label);
    const g = sv('g');
    yAxis(g, ticks, y, m.l, width - m.r);
    const bars = band >= 8 && n <= 62;
    const show = labelEvery(data.buckets, band, data.interval);
    data.buckets.forEach((b, i) => {
      if (show(i)) {
        g.append(sv('text', { x: m.l + band * (i + 0.5), y: height - m.b + 16, 'text-anchor': 'middle', class: 'tick', text: b.short }));
      }
    });
    if (bars) {
      const inner = band * 0.78;
      const w = inner / data.series.length;
      data.series.forEach((s, si) => {
        s.values.forEach((v, i) => {
          const x = m.l + band * i + (band - inner) / 2 + w * si;
          g.append(sv('rect', { x: x.toFixed(1), y: y(v).toFixed(1), width: Math.max(1, w - 1).toFixed(1), height: Math.max(0, y(0) - y(v)).toFixed(1), class: `bar-${s.cls}` }));
        });
      });
    } else {
      for (const s of data.series) {
        const d = s.values.map((v, i) => `${i ? 'L' : 'M'}${(m.l + band * (i + 0.5)).toFixed(1)},${y(v).toFixed(1)}`).join('');
        g.append(sv('path', { d, class: `line-${s.cls}` }));
        if (band >= 5) {
          s.values.forEach((v, i) => g.append(sv('circle', { cx: (m.l + band * (i + 0.5)).toFixed(1), cy: y(v).toFixed(1), r: 2.5, class: `dot-${s.cls}` })));
        }
      }
    }
    // Hover targets with the exact numbers.
    data.buckets.forEach((b, i) => {
      const t = `${b.long}: ${data.series.map((s) => `${fmt(s.values[i])} ${s.name.toLowerCase()}`).join(', ')}`;
      g.append(sv('rect', { x: (m.l + band * i).toFixed(1), y: m.t, width: band.toFixed(1), height: ph, fill: 'transparent', class: 'hover' }, title(t)));
    });
    svg.append(g, legend(data.series.map((s) => ({ text: s.name, cls: bars ? `bar-${s.cls}` : `line-${s.cls}`, line: !bars })), m.l, 16));
    return svg;
  }

  function drawFlow(data, width) {
    const n = data.buckets.length;
    const height = Math.round(Math.min(260, Math.max(200, width * 0.36)));
    const m = { l: 54, r: 10, t: 30, b: 30 };
    const pw = width - m.l - m.r;
    const ph = height - m.t - m.b;
    const nets = data.rows.map((r) => r.net);
    const known = nets.filter((v) => v != null);
    const { lo, hi, ticks } = scaleTicks(Math.min(0, ...known), Math.max(1, ...known), 4);
    const y = (v) => m.t + ph - ((v - lo) / (hi - lo)) * ph;
    const band = pw / n;
    const id = `hatch${++uid}`;
    const svg = svgRoot(width, height, data.label);
    svg.append(hatchDefs(id));
    const g = sv('g');
    yAxis(g, ticks, y, m.l, width - m.r);
    const show = labelEvery(data.buckets, band, data.interval);
    const inner = Math.max(1, band * 0.7);
    data.buckets.forEach((b, i) => {
      const r = data.rows[i];
      const x = m.l + band * i + (band - inner) / 2;
      if (show(i)) g.append(sv('text', { x: m.l + band * (i + 0.5), y: height - m.b + 16, 'text-anchor': 'middle', class: 'tick', text: b.short }));
      let t;
      if (r.net == null) {
        g.append(sv('rect', { x: x.toFixed(1), y: y(0) - 8, width: inner.toFixed(1), height: 16, fill: `url(#${id})`, class: 'bar-sup' }));
        if (band >= 26) g.append(sv('text', { x: x + inner / 2, y: y(0) - 12, 'text-anchor': 'middle', class: 'tick', text: `< ${K}` }));
        const part = (v) => (v == null ? `< ${K}` : fmt(v));
        t = `${b.long}: ${part(r.entries)} came home, ${part(r.exits)} left; net withheld (a count below ${K})`;
      } else if (r.net === 0) {
        t = `${b.long}: ${fmt(r.entries)} came home, ${fmt(r.exits)} left, net 0`;
      } else {
        const top = Math.min(y(r.net), y(0));
        g.append(sv('rect', { x: x.toFixed(1), y: top.toFixed(1), width: inner.toFixed(1), height: Math.max(1, Math.abs(y(r.net) - y(0))).toFixed(1), class: r.net >= 0 ? 'bar-net-pos' : 'bar-net-neg' }));
        t = `${b.long}: ${fmt(r.entries)} came home, ${fmt(r.exits)} left, net ${r.net > 0 ? '+' : ''}${fmt(r.net)}`;
      }
      g.append(sv('rect', { x: (m.l + band * i).toFixed(1), y: m.t, width: band.toFixed(1), height: ph, fill: 'transparent' }, title(t)));
    });
    svg.append(g, legend([
      { text: 'More came home (net in)', cls: 'bar-net-pos' },
      { text: 'More left (net out)', cls: 'bar-net-neg' },
      { text: `Withheld (< ${K})`, cls: 'bar-sup', fill: `url(#${id})` },
    ], m.l, 16));
    return svg;
  }

  function drawBars(data, width) {
    const items = data.items;
    const row = 24;
    const m = { t: 6, b: 6 };
    const labelW = Math.min(170, Math.max(60, ...items.map((it) => it.label.length * 6.6 + 8)));
    const valueW = 92;
    const x0 = labelW;
    const pw = Math.max(40, width - labelW - valueW);
    const max = Math.max(1, ...items.map((it) => it.value + it.withheld * (K - 1)));
    const scale = (v) => (v / max) * pw;
    const height = m.t + m.b + row * items.length;
    const id = `hatch${++uid}`;
    const svg = svgRoot(width, height, `${data.label} ${items.map((it) => `${it.label}: ${valueText(it)}`).join('; ')}`);
    svg.append(hatchDefs(id));
    items.forEach((it, i) => {
      const y = m.t + i * row;
      const g = sv('g', { class: 'row' });
      g.append(sv('text', { x: x0 - 8, y: y + row / 2 + 4, 'text-anchor': 'end', class: it.muted ? 'tick' : 'lbl', text: it.label }));
      const w = it.value > 0 ? Math.max(1, scale(it.value)) : 0;
      if (w) g.append(sv('rect', { x: x0, y: y + 4, width: w.toFixed(1), height: row - 8, rx: 2, class: 'bar-cat' }));
      let end = x0 + w;
      if (it.withheld) {
        const hw = Math.max(14, scale(it.withheld * (K - 1)));
        g.append(sv('rect', { x: end + (w ? 1 : 0), y: y + 4, width: hw.toFixed(1), height: row - 8, fill: `url(#${id})`, class: 'bar-sup' }));
        end += hw + (w ? 1 : 0);
      }
      g.append(sv('text', { x: end + 6, y: y + row / 2 + 4, class: 'lbl strong', text: valueText(it) }));
      g.append(title(`${it.label}: ${valueText(it)}${it.withheld ? ` (${it.withheld} withheld cell${it.withheld > 1 ? 's' : ''}, each from 1 to ${K - 1})` : ''}`));
      svg.append(g);
    });
    return svg;
  }

  function valueText(it) {
    if (!it.withheld) return fmt(it.value);
    if (it.group) return `${it.withheld} × < ${K}`;
    if (!it.value) return it.withheld > 1 ? `${it.withheld} × < ${K}` : `< ${K}`;
    return `${fmt(it.value)} + < ${K}${it.withheld > 1 ? ` ×${it.withheld}` : ''}`;
  }

  function heatColour(t) {
    // From a pale blue-grey to Lesotho blue.
    const a = [236, 242, 250];
    const b = [8, 38, 140];
    const c = a.map((v, i) => Math.round(v + (b[i] - v) * t));
    return `rgb(${c[0]},${c[1]},${c[2]})`;
  }

  function drawHeat(data, width) {
    const m = { l: 40, r: 8, t: 20, b: 40 };
    const cw = (width - m.l - m.r) / 24;
    const ch = Math.max(18, Math.min(30, cw * 0.8));
    const height = m.t + ch * 7 + m.b;
    const svg = svgRoot(width, height, `${data.label} Busiest mean ${data.max.toFixed(1)} crossings an hour.`);
    const g = sv('g');
    for (let hr = 0; hr < 24; hr++) {
      if (cw >= 22 || hr % 3 === 0) g.append(sv('text', { x: m.l + cw * (hr + 0.5), y: m.t - 6, 'text-anchor': 'middle', class: 'tick', text: pad(hr) }));
    }
    WEEK.forEach((d, i) => g.append(sv('text', { x: m.l - 8, y: m.t + ch * (i + 0.5) + 4, 'text-anchor': 'end', class: 'tick', text: d })));
    const showNums = cw >= 30;
    for (const c of data.cells) {
      const t = data.max ? c.mean / data.max : 0;
      const x = m.l + cw * c.hour;
      const yy = m.t + ch * (c.weekday - 1);
      g.append(sv('rect', { x: x.toFixed(1), y: yy.toFixed(1), width: cw.toFixed(1), height: ch.toFixed(1), class: c.mean ? 'heat-cell' : 'heat-cell heat-none', fill: c.mean ? heatColour(0.08 + 0.92 * t) : null },
        title(`${WEEK[c.weekday - 1]} ${pad(c.hour)}:00–${pad((c.hour + 1) % 24)}:00: ${c.mean.toFixed(2)} crossings an hour on average`)));
      if (showNums && c.mean) {
        g.append(sv('text', { x: x + cw / 2, y: yy + ch / 2 + 4, 'text-anchor': 'middle', class: t > 0.38 ? 'tick lbl inv' : 'tick', text: c.mean >= 100 ? Math.round(c.mean) : c.mean.toFixed(c.mean >= 10 ? 0 : 1) }));
      }
    }
    // Legend: a stepped scale.
    const ly = m.t + ch * 7 + 14;
    const lw = Math.min(240, width - m.l - 140);
    g.append(sv('text', { x: m.l, y: ly + 11, class: 'tick', text: '0' }));
    for (let i = 0; i < 10; i++) {
      g.append(sv('rect', { x: m.l + 14 + (lw / 10) * i, y: ly, width: lw / 10 + 0.5, height: 14, fill: heatColour(0.08 + 0.92 * (i / 9)) }));
    }
    g.append(sv('text', { x: m.l + 20 + lw, y: ly + 11, class: 'tick', text: `${data.max.toFixed(1)} crossings an hour (mean)` }));
    svg.append(g);
    return svg;
  }

  // ---------------------------------------------------------------- start

  function init() {
    card('today', 'today-body', null);
    card('daily', 'chart-daily', drawSeries);
    card('flow', 'chart-flow', drawFlow);
    card('heat', 'chart-heat', drawHeat);
    buildBreakdownCards();
    $('signin-form').addEventListener('submit', onSignin);
    $('signout').addEventListener('click', onSignout);
    $('filters').addEventListener('submit', onApply);
    $('poe-all').addEventListener('click', () => setAllPoes(true));
    $('poe-none').addEventListener('click', () => setAllPoes(false));
    $('heat-poe').addEventListener('change', loadHeat);
    $('today-refresh').addEventListener('click', loadToday);
    document.querySelectorAll('.presets .btn').forEach((b) => b.addEventListener('click', onPreset));
    document.addEventListener('click', (ev) => {
      const btn = ev.target.closest('[data-csv]');
      if (btn) downloadCsv(btn.dataset.csv, btn);
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
    showSignin('', false);
  }

  init();
})();
