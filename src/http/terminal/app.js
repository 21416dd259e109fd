/* The officer terminal: clears a traveller in seconds, mostly without the mouse. Vanilla JS,
 * no library, no build step; every word it shows comes from i18n.js.
 *
 * Tokens live in this closure only (a reload signs out); the refresh token is used when the
 * access token runs out. What is remembered in localStorage is not secret: the language, and
 * per username the post, direction, mode and purpose last chosen.
 */
'use strict';

(() => {
  const API = '/api/v1';
  const PREFS_KEY = 'crossings.terminal.prefs';
  const HOUR = 3600e3;
  const DAY = 864e5;
  const OFFSET = 2 * HOUR; // Lesotho: UTC+2 all year
  const TABLES = window.CROSSINGS_I18N;
  const MRZ = window.CROSSINGS_MRZ;
  const VEHICLE_MODES = ['private_vehicle', 'public_transport', 'truck'];
  const DOC_TYPES = ['passport', 'id_card', 'travel_document', 'permit'];
  const SEXES = ['F', 'M', 'X'];
  const MODES = ['pedestrian', 'private_vehicle', 'public_transport', 'truck', 'air'];
  const PURPOSES = ['visit', 'work', 'tourism', 'business', 'study', 'transit', 'returning_resident', 'other'];
  const VEHICLES = ['car', 'light_delivery', 'minibus_taxi', 'bus', 'truck', 'motorcycle', 'other'];
  const HOME = 'LSO';
  const $ = (id) => document.getElementById(id);

  let lang = 'en';
  let L = TABLES.en;

  function t(key, ...args) {
    let v = L[key];
    if (v === undefined) {
      if (lang !== 'en') console.error(`terminal: Sesotho label missing: ${key}`);
      v = TABLES.en[key];
    }
    if (v === undefined) {
      console.error(`terminal: no label "${key}"`);
      return key;
    }
    return typeof v === 'function' ? v(...args) : v;
  }

  // ---------------------------------------------------------------- state

  const state = {
    access: null,
    refresh: null,
    refreshing: null,
    username: '',
    password: '',        // kept only between the sign-in steps, then wiped
    step: 'password',    // password | otp | change | enrol
    claims: null,
    registry: [],
    posts: [],
    poe: null,
    direction: 'entry',
    mrzLines: [],
    mrz: null,           // the parsed MRZ, when the traveller comes from it
    mrzDoneAt: 0,
    eventId: null,       // the idempotency key of the traveller on screen
    busy: false,
    last: null,          // the last record: {id, view}
    alertOpen: false,
  };

  let prefs = {};
  try { prefs = JSON.parse(localStorage.getItem(PREFS_KEY) || '{}') || {}; } catch { prefs = {}; }
  function savePrefs() {
    try { localStorage.setItem(PREFS_KEY, JSON.stringify(prefs)); } catch { /* private mode */ }
  }
  function userPrefs() {
    prefs.users = prefs.users || {};
    prefs.users[state.username] = prefs.users[state.username] || {};
    return prefs.users[state.username];
  }

  // ---------------------------------------------------------------- DOM helpers

  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === 'text') el.textContent = v;
      else if (k === 'class') el.className = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const kid of kids.flat()) {
      if (kid == null || kid === false) continue;
      el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return el;
  }

  function show(el, on) { el.hidden = !on; }

  function fieldMsg(input, text) {
    const msg = input.parentElement.querySelector('.field-msg');
    input.setAttribute('aria-invalid', text ? 'true' : 'false');
    if (!msg) return;
    msg.textContent = text || '';
    msg.hidden = !text;
    if (text) {
      if (!msg.id) msg.id = `${input.id}-msg`;
      input.setAttribute('aria-describedby', msg.id);
    }
  }

  function message(el, text, kind) {
    el.textContent = text || '';
    el.hidden = !text;
    el.dataset.kind = kind || 'error';
  }

  // ---------------------------------------------------------------- time (Lesotho)

  const local = (iso) => new Date(Date.parse(iso) + OFFSET);
  const pad = (n) => String(n).padStart(2, '0');
  const today = () => new Date(Date.now() + OFFSET).toISOString().slice(0, 10);
  function dayText(isoDate) {
    const d = new Date(`${isoDate.slice(0, 10)}T00:00:00Z`);
    return `${t('days_short')[d.getUTCDay()]} ${d.getUTCDate()} ${t('months_short')[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
  }
  function shortDay(instant) {
    const d = local(instant);
    return `${d.getUTCDate()} ${t('months_short')[d.getUTCMonth()]}`;
  }
  function timeText(instant) {
    const d = local(instant);
    return `${dayText(d.toISOString())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  }
  const validDate = (s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`))
    && new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, problem, headers) {
      super(problem && problem.detail ? problem.detail : `HTTP ${status}`);
      this.status = status;
      this.problem = problem || {};
      this.headers = headers;
    }
    get type() { return String(this.problem.type || ''); }
    fields() { return Array.isArray(this.problem.errors) ? this.problem.errors : []; }
  }

  async function call(method, path, body, opts = {}) {
    const headers = { Accept: 'application/json', ...(opts.headers || {}) };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const token = opts.token !== undefined ? opts.token : state.access;
    if (token) headers.Authorization = `Bearer ${token}`;
    let res;
    try {
      res = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'omit' });
    } catch {
      throw new ApiError(0, { detail: t('network') });
    }
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    if (!res.ok) throw new ApiError(res.status, data, res.headers);
    return { status: res.status, data, headers: res.headers };
  }

  /** An API call as the officer: on a 401, the refresh token is spent once for new tokens. */
  async function api(method, path, body, opts = {}) {
    try {
      return await call(method, path, body, opts);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401 || !state.refresh) throw e;
      await refreshTokens();
      return call(method, path, body, opts);
    }
  }

  function refreshTokens() {
    if (!state.refreshing) {
      state.refreshing = call('POST', '/auth/refresh', { refresh_token: state.refresh }, { token: null })
        .then(({ data }) => { setTokens(data); })
        .catch((e) => { endSession(t('session_over')); throw e; })
        .finally(() => { state.refreshing = null; });
    }
    return state.refreshing;
  }

  function setTokens(data) {
    state.access = data.access_token;
    state.refresh = data.refresh_token || null;
    state.claims = claimsOf(data.access_token);
  }

  function claimsOf(token) {
    try {
      const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      return JSON.parse(atob(part + '='.repeat((4 - (part.length % 4)) % 4)));
    } catch {
      return {};
    }
  }

  function problemText(e) {
    if (!(e instanceof ApiError)) return t('network');
    if (e.status === 0) return t('network');
    if (e.status === 429) {
      const s = Number(e.headers && e.headers.get('Retry-After')) || 60;
      return t('locked', s >= 120 ? `${Math.ceil(s / 60)} min` : `${s} s`);
    }
    if (e.status === 503) return t('unavailable');
    return e.problem.detail || t('failed', e.status);
  }

  // ---------------------------------------------------------------- language

  function applyLang() {
    L = TABLES[lang] || TABLES.en;
    // A passing notice is not translated after the fact: it goes.
    if ($('form-msg').dataset.kind === 'ok') message($('form-msg'), '');
    document.documentElement.lang = lang;
    for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
    for (const el of document.querySelectorAll('[data-i18n-aria]')) el.setAttribute('aria-label', t(el.dataset.i18nAria));
    $('lang').setAttribute('lang', lang === 'en' ? 'st' : 'en');
    fillSelect($('document_type'), DOC_TYPES, (v) => t(`doc_${v}`));
    fillSelect($('sex'), SEXES, (v) => t(`sex_${v}`));
    fillSelect($('mode'), MODES, (v) => t(`mode_${v}`));
    fillSelect($('purpose'), PURPOSES, (v) => t(`purpose_${v}`));
    fillSelect($('vehicle_category'), VEHICLES, (v) => t(`veh_${v}`));
    updateSignInButton();
    renderPost();
    if (state.mrzLines.length) renderMrz();
    if (state.lastResult) renderResult(state.lastResult);
    if (state.alertOpen && state.alertData) renderAlert(state.alertData);
  }

  function fillSelect(sel, values, label) {
    const keep = sel.value;
    sel.replaceChildren(...values.map((v) => h('option', { value: v, text: label(v) })));
    if (values.includes(keep)) sel.value = keep;
  }

  // ---------------------------------------------------------------- sign-in

  function setStep(step) {
    state.step = step;
    show($('step-password'), step === 'password');
    show($('step-otp'), step === 'otp');
    show($('step-change'), step === 'change');
    show($('step-enrol'), step === 'enrol');
    updateSignInButton();
    const first = { password: 'username', otp: 'otp', change: 'new-password', enrol: 'enrol-code' }[step];
    setTimeout(() => $(first).focus(), 0);
  }

  function updateSignInButton() {
    $('signin-btn').textContent = t({ password: 'sign_in', otp: 'continue', change: 'change_password', enrol: 'continue' }[state.step]);
  }

  async function submitSignIn(ev) {
    ev.preventDefault();
    const msg = $('signin-msg');
    message(msg, '');
    try {
      if (state.step === 'password') {
        state.username = $('username').value.trim();
        state.password = $('password').value;
        if (!state.username || !state.password) return message(msg, t('enter_both'));
        await login();
      } else if (state.step === 'otp') {
        const code = $('otp').value.trim();
        if (!/^\d{6}$/.test(code)) return message(msg, t('otp_needed'));
        await login(code);
      } else if (state.step === 'change') {
        await changePassword();
      } else if (state.step === 'enrol') {
        const code = $('enrol-code').value.trim();
        if (!/^\d{6}$/.test(code)) return message(msg, t('otp_needed'));
        await api('POST', '/auth/mfa/confirm', { code });
        setStep('otp');
        $('otp').value = '';
      }
    } catch (e) {
      if (e instanceof ApiError && e.status === 401 && /otp-required$/.test(e.type)) {
        if (state.step === 'otp') message(msg, t('wrong_otp'));
        setStep('otp');
        return;
      }
      if (e instanceof ApiError && e.status === 401) {
        message(msg, state.step === 'otp' || state.step === 'enrol' ? t('wrong_otp') : t('wrong_login'));
        return;
      }
      if (state.step === 'change' && e instanceof ApiError && e.status === 422) {
        const f = e.fields().find((x) => x.field === 'new_password');
        fieldMsg($('new-password'), f ? f.message : problemText(e));
        return;
      }
      message(msg, problemText(e));
    }
  }

  async function login(otp) {
    const body = { username: state.username, password: state.password };
    if (otp) body.otp = otp;
    const { data } = await call('POST', '/auth/login', body, { token: null });
    setTokens(data);
    if (data.password_change_required) {
      setStep('change');
      return;
    }
    if (data.mfa_enrolment_required) {
      await enrol();
      return;
    }
    await afterSignIn();
  }

  async function changePassword() {
    const a = $('new-password').value;
    const b = $('new-password2').value;
    fieldMsg($('new-password'), '');
    if (a.length < 12) return fieldMsg($('new-password'), t('password_short'));
    if (a !== b) return fieldMsg($('new-password'), t('passwords_differ'));
    await api('POST', '/auth/password', { current_password: state.password, new_password: a });
    message($('signin-msg'), t('password_changed'), 'ok');
    state.password = a;
    $('new-password').value = '';
    $('new-password2').value = '';
    setStep('password');
    await login();
  }

  /** The sign-in is done: the posts (a refusal of the token still tells of a step owed). */
  async function afterSignIn() {
    let registry;
    try {
      registry = (await api('GET', '/poes')).data;
    } catch (e) {
      if (e instanceof ApiError && e.status === 403 && /password-change-required$/.test(e.type)) return setStep('change');
      if (e instanceof ApiError && e.status === 403 && /mfa|second-factor|otp/.test(e.type)) return enrol();
      throw e;
    }
    state.password = '';
    $('password').value = '';
    $('otp').value = '';
    const roles = (state.claims && state.claims.roles) || [];
    if (!roles.includes('immigration')) {
      message($('signin-msg'), t('not_recorder'));
      await signOut(true);
      return;
    }
    state.registry = Array.isArray(registry) ? registry : (registry && (registry.items || registry.poes)) || [];
    const postings = (state.claims && state.claims.poes) || [];
    state.posts = postings.includes('*') ? state.registry : state.registry.filter((p) => postings.includes(p.code));
    if (!state.posts.length) {
      message($('signin-msg'), t('no_postings'));
      await signOut(true);
      return;
    }
    const up = userPrefs();
    state.poe = state.posts.find((p) => p.code === up.poe) || state.posts[0];
    state.direction = up.direction === 'exit' ? 'exit' : 'entry';
    if (MODES.includes(up.mode)) $('mode').value = up.mode;
    if (PURPOSES.includes(up.purpose)) $('purpose').value = up.purpose;
    $('post').replaceChildren(...state.posts.map((p) => h('option', { value: p.code, text: `${p.name} (${p.code})` })));
    $('post').value = state.poe.code;
    show($('post-pick'), state.posts.length > 1);
    // With a choice of posts, the chooser names the post; the title need not say it twice.
    show($('post-name'), state.posts.length <= 1);
    $('who-name').textContent = state.username;
    show($('who'), true);
    show($('direction'), true);
    show($('signin-view'), false);
    show($('work-view'), true);
    setDirection(state.direction);
    fitModeToPost();
    renderPost();
    clearTraveller();
  }

  async function enrol() {
    const { data } = await api('POST', '/auth/mfa/setup', {});
    $('enrol-secret').textContent = String(data.secret || '').replace(/(.{4})/g, '$1 ').trim();
    setStep('enrol');
  }

  async function signOut(keepMessage) {
    const refresh = state.refresh;
    const access = state.access;
    endSession(keepMessage ? null : '');
    if (refresh || access) {
      try { await call('POST', '/auth/logout', refresh ? { refresh_token: refresh } : undefined, { token: refresh ? null : access }); } catch { /* gone already */ }
    }
  }

  function endSession(text) {
    Object.assign(state, { access: null, refresh: null, claims: null, password: '', last: null, lastResult: null });
    show($('work-view'), false);
    show($('who'), false);
    show($('direction'), false);
    show($('post-pick'), false);
    closeAlert(true);
    show($('void-panel'), false);
    show($('search-panel'), false);
    $('post-name').textContent = '';
    show($('post-name'), true);
    show($('signin-view'), true);
    setStep('password');
    if (text) message($('signin-msg'), text);
    else if (text === '') message($('signin-msg'), '');
  }

  // ---------------------------------------------------------------- post, direction, mode

  function renderPost() {
    $('post-name').textContent = state.poe ? `${state.poe.name} (${state.poe.code})` : '';
  }

  function setDirection(d) {
    state.direction = d;
    $('dir-entry').setAttribute('aria-pressed', String(d === 'entry'));
    $('dir-exit').setAttribute('aria-pressed', String(d === 'exit'));
    document.body.dataset.direction = d;
    if (state.username) { userPrefs().direction = d; savePrefs(); }
    updatePermit();
  }

  function fitModeToPost() {
    const air = state.poe && state.poe.kind === 'air';
    for (const opt of $('mode').options) opt.disabled = air ? opt.value !== 'air' : opt.value === 'air';
    if (air) $('mode').value = 'air';
    else if ($('mode').value === 'air') $('mode').value = 'pedestrian';
    updateVehicle();
  }

  function updateVehicle() {
    show($('vehicle'), VEHICLE_MODES.includes($('mode').value));
  }

  function updatePermit() {
    const nat = $('nationality').value.trim().toUpperCase();
    show($('permit-field'), state.direction === 'entry' && nat.length > 0 && nat !== HOME);
  }

  // ---------------------------------------------------------------- MRZ

  const TRAVELLER_INPUTS = ['document_type', 'document_number', 'issuing_state', 'nationality', 'surname', 'given_names', 'date_of_birth', 'sex'];

  function onMrzKey(ev) {
    if (ev.key !== 'Enter') return;
    ev.preventDefault();
    const line = MRZ.clean($('mrz').value);
    $('mrz').value = '';
    if (!line) {
      // A reader that ends its last line with CR and LF sends a second Enter at once: ignore it.
      if (state.mrz && Date.now() - state.mrzDoneAt < 400) return;
      record();
      return;
    }
    takeMrzLine(line);
  }

  function onMrzPaste(ev) {
    const text = (ev.clipboardData && ev.clipboardData.getData('text')) || '';
    const lines = text.split(/\r?\n/).map(MRZ.clean).filter((l) => l);
    if (lines.length < 2) return;
    ev.preventDefault();
    for (const l of lines) takeMrzLine(l);
  }

  function takeMrzLine(line) {
    if ($('form-msg').dataset.kind === 'ok') message($('form-msg'), '');
    if (state.mrz || state.mrzLines.length >= 3) resetMrz();
    state.mrzLines.push(line);
    const format = MRZ.formatOf(state.mrzLines[0]);
    const problem = MRZ.checkLine(line, state.mrzLines.length - 1, format);
    if (problem) {
      renderMrz([problem]);
      state.mrzLines = [];
      return;
    }
    const need = MRZ.LINES[format];
    if (state.mrzLines.length < need) {
      renderMrz(null, t('mrz_line_read', state.mrzLines.length, need));
      return;
    }
    const parsed = MRZ.parse(state.mrzLines);
    if (!parsed.ok) {
      renderMrz(parsed.problems);
      state.mrzBad = true;
      return;
    }
    state.mrz = parsed.mrz;
    state.mrzDoneAt = Date.now();
    fillFromMrz(parsed.mrz);
    renderMrz(null, t('mrz_complete'), 'ok');
  }

  function problemWords(p) {
    const field = t(`field_${p.field}`);
    switch (p.code) {
      case 'check_digit': return t('mrz_check_digit', field, p.args[0], p.args[1]);
      case 'bad_chars': return t('mrz_bad_chars', ...p.args);
      case 'bad_length': return t('mrz_bad_length', ...p.args);
      case 'line_count': return t('mrz_line_count', ...p.args);
      case 'bad_date': return t('mrz_bad_date', field, p.args[0]);
      case 'visa': return t('mrz_visa');
      case 'empty': return t('mrz_empty', field);
      default: return t('mrz_bad_value', field, p.args[0]);
    }
  }

  function renderMrz(problems, note, kind) {
    if (problems !== undefined) state.mrzProblems = problems;
    if (note !== undefined) state.mrzNote = { note, kind };
    const list = $('mrz-lines');
    list.replaceChildren(...state.mrzLines.map((l) => h('li', { text: l })));
    const msg = $('mrz-msg');
    const ps = state.mrzProblems || [];
    if (ps.length) {
      msg.replaceChildren(...ps.map((p) => h('span', { class: 'problem-line', 'data-field': p.field, text: problemWords(p) })));
      msg.hidden = false;
      msg.dataset.kind = 'error';
      $('mrz').setAttribute('aria-invalid', 'true');
    } else if (state.mrzNote && state.mrzNote.note) {
      msg.textContent = state.mrzNote.note;
      msg.hidden = false;
      msg.dataset.kind = state.mrzNote.kind || 'info';
      $('mrz').setAttribute('aria-invalid', 'false');
    } else {
      msg.hidden = true;
      $('mrz').setAttribute('aria-invalid', 'false');
    }
  }

  function resetMrz() {
    state.mrzLines = [];
    state.mrz = null;
    state.mrzProblems = null;
    state.mrzNote = null;
    state.mrzBad = false;
    for (const id of TRAVELLER_INPUTS) $(id).disabled = false;
    show($('expiry-note'), false);
    renderMrz(null, '');
  }

  function fillFromMrz(m) {
    const dob = MRZ.birthDate(m.dob, today());
    const values = {
      document_type: MRZ.documentType(m.documentCode),
      document_number: m.documentNumber,
      issuing_state: m.issuingState,
      nationality: m.nationality,
      surname: m.surname,
      given_names: m.givenNames,
      date_of_birth: dob || '',
      sex: m.sex,
    };
    for (const [id, v] of Object.entries(values)) {
      $(id).value = v;
      $(id).disabled = true;
      fieldMsg($(id), '');
    }
    const expiry = MRZ.expiryDate(m.expiry, today());
    const note = $('expiry-note');
    if (expiry < today()) {
      note.textContent = t('expired', dayText(expiry));
      note.hidden = false;
    } else {
      note.hidden = true;
    }
    updatePermit();
  }

  // ---------------------------------------------------------------- recording

  function clearTraveller() {
    resetMrz();
    for (const id of TRAVELLER_INPUTS) {
      const el = $(id);
      if (el.tagName === 'SELECT') el.selectedIndex = 0;
      else el.value = '';
      fieldMsg(el, '');
    }
    $('permitted_until').value = '';
    fieldMsg($('permitted_until'), '');
    for (const id of ['registration', 'vehicle_country', 'vehicle_category', 'mode', 'purpose']) fieldMsg($(id), '');
    message($('form-msg'), '');
    state.eventId = null;
    updatePermit();
    $('mrz').focus({ preventScroll: true });
  }

  /** The body of the movement on screen, or null with the problems shown beside the fields. */
  function movementBody() {
    let ok = true;
    const bad = (id, text) => { fieldMsg($(id), text); ok = false; };
    for (const el of document.querySelectorAll('#form [data-field]')) fieldMsg(el, '');
    if (!state.eventId) state.eventId = `term-${crypto.randomUUID()}`;
    const body = {
      client_event_id: state.eventId,
      poe: state.poe.code,
      direction: state.direction,
      occurred_at: new Date().toISOString(),
      mode: $('mode').value,
      purpose: $('purpose').value,
    };
    if (state.mrz) {
      body.mrz = state.mrz.lines;
    } else {
      if (state.mrzLines.length) {
        renderMrz(state.mrzProblems && state.mrzProblems.length ? state.mrzProblems : [{ field: 'mrz', code: 'line_count', args: [MRZ.formatOf(state.mrzLines[0]) || 'TD3', MRZ.LINES[MRZ.formatOf(state.mrzLines[0])] || 2, state.mrzLines.length] }]);
        return null;
      }
      const v = (id) => $(id).value.trim();
      for (const id of ['document_number', 'surname']) if (!v(id)) bad(id, t('required'));
      for (const id of ['issuing_state', 'nationality']) if (!/^[A-Za-z]{1,3}$/.test(v(id))) bad(id, t('bad_code'));
      if (!validDate(v('date_of_birth'))) bad('date_of_birth', t('bad_date'));
      body.traveller = {
        document_type: v('document_type'),
        document_number: v('document_number'),
        issuing_state: v('issuing_state').toUpperCase(),
        nationality: v('nationality').toUpperCase(),
        surname: v('surname'),
        given_names: v('given_names'),
        date_of_birth: v('date_of_birth'),
        sex: v('sex'),
      };
    }
    const permit = $('permitted_until').value.trim();
    if (!$('permit-field').hidden && permit) {
      if (!validDate(permit)) bad('permitted_until', t('bad_date'));
      body.permitted_until = permit;
    }
    if (!$('vehicle').hidden && $('registration').value.trim()) {
      const country = $('vehicle_country').value.trim().toUpperCase();
      if (!/^[A-Z]{1,3}$/.test(country)) bad('vehicle_country', t('bad_code'));
      body.vehicle = { registration: $('registration').value.trim(), country, category: $('vehicle_category').value };
    }
    if (!ok) message($('form-msg'), t('fix_fields'));
    return ok ? body : null;
  }

  async function record() {
    if (state.busy || state.alertOpen || !state.poe) return;
    const body = movementBody();
    if (!body) return;
    state.busy = true;
    $('record').disabled = true;
    setResultTitle(t('recording'), 'busy');
    message($('form-msg'), '');
    try {
      const { status, data } = await api('POST', '/movements', body);
      const view = data;
      state.last = { id: view.id, view };
      $('void-open').disabled = false;
      const result = { view, replay: status === 200, history: null };
      state.lastResult = result;
      renderResult(result);
      if (view.alert) openAlert(view);
      // The next traveller starts clean; the vehicle stays (its passengers come next).
      clearTraveller();
      // One column (tablets): the answer is below the form, so bring it into view.
      if (window.matchMedia('(max-width: 900px)').matches) $('result').scrollIntoView({ block: 'nearest' });
      loadHistory(view, result);
    } catch (e) {
      showRecordError(e);
    } finally {
      state.busy = false;
      $('record').disabled = false;
    }
  }

  function showRecordError(e) {
    setResultTitle(t('ready'), 'idle');
    if (!(e instanceof ApiError)) {
      message($('form-msg'), t('network'));
      return;
    }
    if (e.status === 422) {
      const mrzProblems = [];
      let placed = 0;
      for (const f of e.fields()) {
        if (f.field === 'mrz' || f.field.startsWith('mrz.')) {
          mrzProblems.push({ field: f.field, code: 'server', args: [f.message], text: f.message });
          placed += 1;
          continue;
        }
        const el = document.querySelector(`#form [data-field="${CSS.escape(f.field)}"]`);
        if (el) { fieldMsg(el, f.message); placed += 1; }
      }
      if (mrzProblems.length) {
        $('mrz-msg').replaceChildren(...mrzProblems.map((p) => h('span', { class: 'problem-line', 'data-field': p.field, text: `${t(`field_${p.field}`)}: ${p.text}` })));
        $('mrz-msg').hidden = false;
        $('mrz-msg').dataset.kind = 'error';
      }
      const others = e.fields().length - placed;
      message($('form-msg'), others > 0 ? e.fields().map((f) => `${f.field}: ${f.message}`).join(' · ') : t('fix_fields'));
      return;
    }
    if (e.status === 403) {
      if (/password-change-required$/.test(e.type)) { endSession(''); setStep('change'); return; }
      message($('form-msg'), t('not_posted'));
      return;
    }
    if (e.status === 409) {
      message($('form-msg'), t('conflict'));
      return;
    }
    message($('form-msg'), problemText(e));
  }

  function setResultTitle(text, kind) {
    $('result-title').textContent = text;
    $('result-title').dataset.state = kind;
  }

  function poeName(code) {
    const p = state.registry.find((x) => x.code === code);
    return p ? p.name : code;
  }

  function hoursText(poe) {
    const r = poe && poe.hours && poe.hours.regular;
    if (!r) return '';
    if (r === '24h') return t('hours_24h');
    if (r === 'closed') return t('hours_closed');
    return `${r.opens}–${r.closes}`;
  }

  function renderResult(result) {
    const v = result.view;
    const body = $('result-body');
    const lines = [];
    const dir = t(`dir_${v.direction}`);
    const known = v.alert && ['refer_to_police', 'secondary_inspection', 'notify_only'].includes(v.alert.action) ? v.alert.action : 'other';
    const title = result.replay ? t('recorded_before') : t('recorded');
    setResultTitle(v.alert ? `${title} · ${t(`alert_${known}`)}` : title, v.alert ? 'alert' : 'ok');
    const who = `${v.traveller.surname}${v.traveller.given_names ? `, ${v.traveller.given_names}` : ''}`;
    lines.push(h('p', { class: 'big who-line', text: who }));
    lines.push(h('p', { class: 'doc-line', text: `${t(`doc_${v.traveller.document_type}`)} ${v.traveller.issuing_state} ${v.traveller.document_number} · ${v.traveller.nationality} · ${v.traveller.date_of_birth}` }));
    lines.push(h('p', { class: 'big', text: t('recorded_line', dir, poeName(v.poe), timeText(v.occurred_at)) }));
    const s = v.stay;
    if (s && v.direction === 'entry' && s.permitted_until) {
      lines.push(h('p', { class: 'big stay', 'data-fact': 'stay-end', text: t('stay_ends', dayText(s.permitted_until)) }));
    }
    if (s && v.direction === 'exit' && s.entered_at) {
      lines.push(h('p', { class: 'big stay', 'data-fact': 'stay-length', text: t('stay_length', s.days, shortDay(s.entered_at), poeName(s.entered_poe)) }));
      if (s.overstayed && s.permitted_until) {
        const late = Math.round((Date.parse(`${today()}T00:00:00Z`) - Date.parse(`${s.permitted_until}T00:00:00Z`)) / DAY);
        lines.push(h('p', { class: 'big flag overstay', 'data-fact': 'overstayed', text: t('overstayed', dayText(s.permitted_until), late) }));
      } else if (s.permitted_until) {
        lines.push(h('p', { class: 'stay', text: t('within_stay', dayText(s.permitted_until)) }));
      }
    }
    const flags = [];
    if (v.sequence_anomaly) {
      const prev = previousOf(v, result.history);
      if (prev) {
        flags.push(t(prev.direction === 'entry' ? 'flag_sequence_entry' : 'flag_sequence_exit', shortDay(prev.occurred_at), poeName(prev.poe)));
      } else {
        flags.push(t('flag_sequence_unknown', t(`dir_${v.direction}`).toLowerCase()));
      }
    }
    if (v.outside_hours) {
      const poe = state.registry.find((x) => x.code === v.poe);
      flags.push(t('flag_outside_hours', poeName(v.poe), hoursText(poe)));
    }
    if (v.late) flags.push(t('flag_late', timeText(v.occurred_at)));
    for (const f of flags) lines.push(h('p', { class: 'flag', 'data-fact': 'flag', text: `⚠ ${f}` }));
    if (v.voided_at) {
      lines.push(h('p', { class: 'flag', text: t('voided', v.void_reason || '') }));
      setResultTitle(t('void_done'), 'voided');
    }
    body.replaceChildren(...lines);
    renderHistory(result);
  }

  /** The crossing before `v` in its document's history (not voided), if known. */
  function previousOf(v, history) {
    if (!history) return null;
    const before = history.filter((m) => !m.voided_at && m.id !== v.id
      && (m.occurred_at < v.occurred_at || (m.occurred_at === v.occurred_at && m.id < v.id)));
    return before.length ? before[before.length - 1] : null;
  }

  function renderHistory(result) {
    const box = $('history');
    if (!result.history) { show(box, false); return; }
    const items = result.history.filter((m) => m.id !== result.view.id).slice(-5).reverse();
    const list = $('history-list');
    if (!items.length) list.replaceChildren(h('li', { class: 'muted', text: t('no_history') }));
    else {
      list.replaceChildren(...items.map((m) => h('li', { class: m.voided_at ? 'voided' : '' },
        t('history_row', t(`dir_${m.direction}`), timeText(m.occurred_at), poeName(m.poe)),
        m.voided_at ? ` (${t('voided_mark')})` : '')));
    }
    show(box, true);
  }

  async function loadHistory(view, result) {
    try {
      const found = await lookupDocument(view.traveller.issuing_state, view.traveller.document_number, '');
      if (state.lastResult !== result) return;
      result.history = found ? found.movements : [];
      renderResult(result);
    } catch (e) {
      // The record stands; its history is a help, not a condition.
      if (!(e instanceof ApiError)) console.error(e);
    }
  }

  // ---------------------------------------------------------------- alert

  function openAlert(view) {
    state.alertOpen = true;
    state.alertData = view;
    renderAlert(view);
    $('mrz').disabled = true;
    show($('alert'), true);
    $('alert').focus();
  }

  function renderAlert(view) {
    const a = view.alert;
    const known = ['refer_to_police', 'secondary_inspection', 'notify_only'].includes(a.action) ? a.action : 'other';
    $('alert-title').textContent = t(`alert_${known}`);
    // The service's instruction (English) when it gives one; the page's own sentence in
    // Sesotho, with the service's beside it.
    const own = t(`instruction_${known}`);
    const server = typeof a.instruction === 'string' && a.instruction ? a.instruction : '';
    $('alert-text').textContent = lang === 'en' && server ? server : own;
    $('alert-original').textContent = server;
    show($('alert-original'), lang !== 'en' && !!server);
    const tr = view.traveller;
    const who = [t('alert_who', `${tr.surname} ${tr.given_names}`.trim(), `${tr.issuing_state} ${tr.document_number}`)];
    if (a.hit_id) who.push(t('alert_ref', a.hit_id));
    $('alert-who').textContent = who.join(' · ');
  }

  function closeAlert(silent) {
    state.alertOpen = false;
    state.alertData = null;
    show($('alert'), false);
    $('mrz').disabled = false;
    if (!silent) {
      message($('form-msg'), t('alert_acknowledged'), 'ok');
      $('mrz').focus();
    }
  }

  // ---------------------------------------------------------------- void

  function openVoid() {
    if (!state.last || state.alertOpen) return;
    const v = state.last.view;
    $('void-what').textContent = t('void_what', `${v.traveller.surname} ${v.traveller.given_names}`.trim(), t(`dir_${v.direction}`), timeText(v.occurred_at));
    $('void-reason').value = '';
    fieldMsg($('void-reason'), '');
    show($('void-panel'), true);
    $('void-reason').focus();
  }

  async function submitVoid(ev) {
    ev.preventDefault();
    const reason = $('void-reason').value.trim();
    if (reason.length < 3) return fieldMsg($('void-reason'), t('void_short'));
    try {
      const { data } = await api('POST', `/movements/${encodeURIComponent(state.last.id)}/void`, { reason });
      show($('void-panel'), false);
      state.last = null;
      $('void-open').disabled = true;
      const result = { view: data, replay: false, history: null };
      state.lastResult = result;
      renderResult(result);
      setResultTitle(t('void_done'), 'voided');
      $('mrz').focus();
    } catch (e) {
      const f = e instanceof ApiError ? e.fields().find((x) => x.field === 'reason') : null;
      fieldMsg($('void-reason'), f ? f.message : problemText(e));
    }
  }

  // ---------------------------------------------------------------- search

  /** A document's movements (and stays). */
  async function lookupDocument(issuingState, number, reason) {
    const results = await search({ issuing_state: issuingState, document_number: number }, reason);
    return results.length ? results[0] : null;
  }

  /** Answers a list of `{issuing_state, document_number, movements, stays}`: the service's
   * search, with the reason in the body (never in the URL). */
  async function search(query, reason) {
    const body = { ...query };
    if (reason) body.reason = reason;
    const { data } = await api('POST', '/travellers/search', body);
    // At an edge whose HQ did not answer, only the post's own records are in it.
    state.searchPartial = data.partial === true;
    return data.documents;
  }

  function openSearch() {
    if (state.alertOpen) return;
    show($('search-panel'), true);
    message($('search-msg'), '');
    $('s-state').focus();
  }

  async function submitSearch(ev) {
    ev.preventDefault();
    const v = (id) => $(id).value.trim();
    for (const el of document.querySelectorAll('#search-form [data-field]')) fieldMsg(el, '');
    message($('search-msg'), '');
    let query;
    if (v('s-number')) {
      if (!/^[A-Za-z]{1,3}$/.test(v('s-state'))) return fieldMsg($('s-state'), t('bad_code'));
      query = { issuing_state: v('s-state').toUpperCase(), document_number: v('s-number') };
    } else if (v('s-surname') && v('s-dob')) {
      if (!validDate(v('s-dob'))) return fieldMsg($('s-dob'), t('bad_date'));
      query = { surname: v('s-surname'), date_of_birth: v('s-dob') };
      if (v('s-given')) query.given_names = v('s-given');
    } else {
      return message($('search-msg'), t('search_need'));
    }
    const out = $('search-results');
    out.replaceChildren();
    try {
      const docs = await search(query, v('s-reason'));
      if (state.searchPartial) message($('search-msg'), t('search_partial'), 'info');
      if (!docs.length) {
        return message($('search-msg'), state.searchPartial ? `${t('search_none')} ${t('search_partial')}` : t('search_none'), 'info');
      }
      out.replaceChildren(...docs.map((d) => {
        const ms = d.movements || [];
        const first = ms[0] ? ms[0].traveller : null;
        const name = first ? `${first.surname}, ${first.given_names} (${first.date_of_birth})` : '';
        return h('section', { class: 'doc' },
          h('h3', { text: t('search_doc', d.issuing_state, d.document_number, name) }),
          h('ol', {}, ...ms.slice().reverse().map((m) => h('li', { class: m.voided_at ? 'voided' : '' },
            t('history_row', t(`dir_${m.direction}`), timeText(m.occurred_at), poeName(m.poe)),
            m.voided_at ? ` (${t('voided_mark')})` : ''))));
      }));
    } catch (e) {
      if (e instanceof ApiError && e.status === 422 && e.fields().length) {
        const map = { issuing_state: 's-state', document_number: 's-number', surname: 's-surname', given_names: 's-given', date_of_birth: 's-dob', reason: 's-reason' };
        for (const f of e.fields()) {
          if (map[f.field]) fieldMsg($(map[f.field]), f.message);
          else message($('search-msg'), `${f.field}: ${f.message}`);
        }
        return;
      }
      message($('search-msg'), problemText(e));
    }
  }

  // ---------------------------------------------------------------- keys

  function onKey(ev) {
    if (state.alertOpen) {
      // Only an explicit act ends an alert: a click, or Space on its button. A reader's Enter
      // (or any other key) is swallowed.
      const onButton = document.activeElement === $('alert-ack');
      if (!(onButton && (ev.key === ' ' || ev.key === 'Tab'))) {
        if (ev.key === 'Tab') { ev.preventDefault(); $('alert-ack').focus(); return; }
        ev.preventDefault();
        ev.stopPropagation();
      }
      if (onButton && ev.key === 'Enter') ev.preventDefault();
      return;
    }
    if ($('work-view').hidden) return;
    const panelOpen = !$('void-panel').hidden || !$('search-panel').hidden;
    if (ev.key === 'Escape') {
      ev.preventDefault();
      if (panelOpen) { show($('void-panel'), false); show($('search-panel'), false); $('mrz').focus(); return; }
      clearTraveller();
      return;
    }
    if (panelOpen) return;
    if (ev.key === 'F2') { ev.preventDefault(); setDirection(state.direction === 'entry' ? 'exit' : 'entry'); return; }
    if (ev.key === 'F7') { ev.preventDefault(); openSearch(); return; }
    if (ev.key === 'F8') { ev.preventDefault(); openVoid(); }
  }

  // ---------------------------------------------------------------- wiring

  function init() {
    lang = prefs.lang === 'st' ? 'st' : 'en';
    applyLang();
    $('signin-form').addEventListener('submit', submitSignIn);
    $('lang').addEventListener('click', () => { lang = lang === 'en' ? 'st' : 'en'; prefs.lang = lang; savePrefs(); applyLang(); });
    $('signout').addEventListener('click', () => signOut(false));
    $('post').addEventListener('change', () => {
      state.poe = state.posts.find((p) => p.code === $('post').value) || state.poe;
      userPrefs().poe = state.poe.code;
      savePrefs();
      renderPost();
      fitModeToPost();
      $('mrz').focus();
    });
    $('dir-entry').addEventListener('click', () => setDirection('entry'));
    $('dir-exit').addEventListener('click', () => setDirection('exit'));
    $('mode').addEventListener('change', () => { userPrefs().mode = $('mode').value; savePrefs(); updateVehicle(); });
    $('purpose').addEventListener('change', () => { userPrefs().purpose = $('purpose').value; savePrefs(); });
    $('nationality').addEventListener('input', updatePermit);
    // Typing the traveller by hand after a bad scan: the scan is dropped, the typing kept.
    for (const id of TRAVELLER_INPUTS) {
      $(id).addEventListener('input', () => {
        if (state.mrzLines.length && !state.mrz) { state.mrzLines = []; state.mrzProblems = null; renderMrz(null, ''); }
      });
    }
    $('mrz').addEventListener('keydown', onMrzKey);
    $('mrz').addEventListener('paste', onMrzPaste);
    $('form').addEventListener('submit', (ev) => { ev.preventDefault(); record(); });
    $('clear').addEventListener('click', clearTraveller);
    $('void-open').addEventListener('click', openVoid);
    $('void-form').addEventListener('submit', submitVoid);
    $('void-cancel').addEventListener('click', () => { show($('void-panel'), false); $('mrz').focus(); });
    $('search-open').addEventListener('click', openSearch);
    $('search-form').addEventListener('submit', submitSearch);
    $('search-close').addEventListener('click', () => { show($('search-panel'), false); $('mrz').focus(); });
    $('alert-ack').addEventListener('click', () => closeAlert(false));
    window.addEventListener('keydown', onKey, true);
    show($('signin-view'), true);
    setStep('password');
  }

  init();
})();
