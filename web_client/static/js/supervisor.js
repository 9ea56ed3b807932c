// The supervisor's live dashboard: queues, staff and sessions as the server pushes
// them on /staff, waits ticking between pushes, a long-wait alert, and today's
// figures from the statistics API, refreshed after pushes (never on a timer).

import { COLORS, lines, stackedBars } from './charts.js';
import {
  MessageArea,
  STAFF_LOCALES,
  clearMessage,
  hasMessage,
  initI18n,
  onLocaleChange,
  setMessage,
  t,
  titleCue,
} from './i18n.js';
import { ListenIn } from './listen_in.js';
import { NAMESPACE, STAFF, STAFF_STATUS } from './protocol.js';
import { SignIn, api, formatNumber, formatSeconds, formatShare, formatTime } from './records_common.js';

const $ = (id) => document.getElementById(id);

/** Where the alert limit is remembered in this browser (seconds). */
const LIMIT_STORAGE = 'dasan-supervisor-alert-seconds';
const DEFAULT_LIMIT_S = 120;
const LIMIT_MIN_S = 1;
const LIMIT_MAX_S = 3600;
/** Today's figures follow the pushes, at most this often. */
const FIGURES_EVERY_MS = 10_000;
const TICK_MS = 1000;

/** The other staff pages, by role; `/supervisor` itself is not listed. */
const LINKS = Object.freeze({
  supervisor: [
    ['/stats', 'staff.nav.stats'],
    ['/cases', 'staff.nav.cases'],
  ],
  interpreter: [
    ['/staff', 'staff.nav.console'],
    ['/cases', 'staff.nav.cases'],
  ],
  scheduler: [['/scheduler', 'staff.nav.scheduler']],
});

const ui = {
  locale: $('locale'),
  who: $('who'),
  logout: $('logout'),
  status: $('status'),
  loginForm: $('login-form'),
  username: $('username'),
  password: $('password'),
  login: $('login'),
  links: $('staff-links'),
  linksList: $('staff-links-list'),
  deniedText: $('denied-text'),
  deniedLinks: $('denied-links'),
  alert: $('wait-alert'),
  updated: $('updated'),
  nowTiles: $('now-tiles'),
  limitForm: $('limit-form'),
  limit: $('limit-seconds'),
  limitProblem: $('limit-problem'),
  limitHint: $('limit-hint'),
  queues: $('queues'),
  queuesBody: $('queues-body'),
  queuesEmpty: $('queues-empty'),
  sessions: $('sessions'),
  sessionsBody: $('sessions-body'),
  sessionsEmpty: $('sessions-empty'),
  staff: $('staff'),
  staffBody: $('staff-body'),
  staffEmpty: $('staff-empty'),
  todayAsOf: $('today-as-of'),
  todayProblem: $('today-problem'),
  todayTiles: $('today-tiles'),
  chartRequests: $('chart-requests'),
  chartWait: $('chart-wait'),
};
const errors = new MessageArea($('error'));
// Listening in to a session (issue 5): its panel, and a button on each session row.
const listenIn = new ListenIn({ board: document.querySelector('.board'), errors });
listenIn.addColumn(ui.sessions);

const state = {
  live: false,
  socket: null,
  offsetMs: 0, // the server's clock minus this browser's, from the last push
  at: null, // the moment of the last push (server clock, ms)
  queues: [], // {service, language, waiting, since}: since = when the first one asked
  staff: new Map(), // staff_id -> {staff_id, display_name, status, reason, since}
  sessions: [],
  limitS: DEFAULT_LIMIT_S,
  alerting: null, // what the alert says now, to change it only when that changes
  figures: null,
  figuresAsOf: null,
  figuresAt: 0,
  figuresTimer: null,
  ticker: null,
};

function setView(view) {
  document.body.dataset.state = view;
  for (const section of document.querySelectorAll('[data-view]')) {
    section.hidden = section.dataset.view !== view;
  }
  ui.links.hidden = view !== 'dashboard';
}

const signIn = new SignIn({ ui, errors, setView, onSignedIn: enter });

// -- clocks and little parts ---------------------------------------------------------

function serverNow() {
  return Date.now() + state.offsetMs;
}

function secondsSince(sinceMs) {
  return Math.max(0, (serverNow() - sinceMs) / 1000);
}

function clock(ms) {
  return formatTime(new Date(ms).toISOString(), undefined, { date: false, seconds: true });
}

function element(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

/** A duration that counts up every second from `sinceMs` (server clock). */
function ticking(sinceMs) {
  const span = element('span', { class: 'tick', 'data-since': String(sinceMs) });
  span.textContent = formatSeconds(secondsSince(sinceMs));
  return span;
}

/**
 * One cell of a board table. The column's name goes beside the value (seen on
 * a phone, where rows become cards; hidden from screen readers, which have the
 * header cells).
 */
function cell(column, content, { header = false } = {}) {
  const node = header
    ? element('th', { scope: 'row', role: 'rowheader' })
    : element('td', { role: 'cell' });
  const label = element('span', { class: 'cell-label', 'aria-hidden': 'true' });
  label.textContent = t(`supervisor.column.${column}`);
  const value = element('span', { class: 'cell-value' }, [content].flat());
  node.append(label, value);
  return node;
}

function row(cells, attrs = {}) {
  return element('tr', { role: 'row', ...attrs }, cells);
}

function showRows(table, body, empty, rows) {
  body.replaceChildren(...rows);
  table.hidden = rows.length === 0;
  empty.hidden = rows.length > 0;
}

function serviceName(service) {
  return t(`service.${service}`);
}

function languageName(language) {
  return t(`language.${language}`);
}

function stateName(status) {
  const key = `supervisor.state.${status}`;
  return hasMessage(key) ? t(key) : String(status);
}

function reasonName(reason) {
  if (!reason) {
    return '—';
  }
  const key = `staff.away_reason.${reason}`;
  return hasMessage(key) ? t(key) : String(reason);
}

function badge(text, attrs = {}) {
  const span = element('span', { class: 'badge', ...attrs });
  span.textContent = text;
  return span;
}

// -- what the pushes say -------------------------------------------------------------

function onDashboard(board) {
  const at = Date.parse(board.at);
  if (!Number.isFinite(at)) {
    return;
  }
  state.at = at;
  state.offsetMs = at - Date.now();
  state.queues = board.queues.map((q) => ({
    service: q.service,
    language: q.language,
    waiting: q.waiting,
    since: at - q.longest_wait_seconds * 1000,
  }));
  state.staff = new Map(board.staff.map((p) => [p.staff_id, presence(p)]));
  state.sessions = board.sessions.map((s) => ({ ...s, since: Date.parse(s.started_at) }));
  render();
  requestFigures();
}

function presence(notice) {
  return { ...notice, sinceMs: Date.parse(notice.since) };
}

function onStaffPresence(notice) {
  if (notice.status === STAFF_STATUS.OFFLINE) {
    state.staff.delete(notice.staff_id);
  } else {
    state.staff.set(notice.staff_id, presence(notice));
  }
  renderStaff();
  renderNow();
  tick();
}

// -- rendering -------------------------------------------------------------------------

function renderQueues() {
  const queues = [...state.queues].sort((a, b) => a.since - b.since);
  const rows = queues.map((q) => {
    const over = badge(t('supervisor.queues.over'), { class: 'badge over', hidden: '' });
    return row(
      [
        cell('service', serviceName(q.service), { header: true }),
        cell('language', languageName(q.language)),
        cell('waiting', formatNumber(q.waiting)),
        cell('longest_wait', [ticking(q.since), over]),
      ],
      { 'data-since': String(q.since), 'data-queue': `${q.service}/${q.language}` },
    );
  });
  showRows(ui.queues, ui.queuesBody, ui.queuesEmpty, rows);
}

function renderSessions() {
  const rows = state.sessions.map((s) =>
    row(
      [
        cell('interpreter', s.staff_name || '—', { header: true }),
        cell('service', serviceName(s.service)),
        cell('language', languageName(s.language)),
        cell('duration', ticking(s.since)),
        cell(
          'connection',
          s.reconnecting
            ? badge(t('supervisor.sessions.reconnecting'), { class: 'badge reconnecting' })
            : badge(t('supervisor.sessions.connected'), { class: 'badge connected' }),
        ),
        cell('listen', listenIn.button(s)),
      ],
      { 'data-room': s.room_id, 'data-reconnecting': String(Boolean(s.reconnecting)) },
    ),
  );
  showRows(ui.sessions, ui.sessionsBody, ui.sessionsEmpty, rows);
}

function renderStaff() {
  const people = [...state.staff.values()].sort((a, b) =>
    String(a.display_name).localeCompare(String(b.display_name)),
  );
  const rows = people.map((p) =>
    row(
      [
        cell('name', p.display_name, { header: true }),
        cell('state', badge(stateName(p.status), { 'data-status': p.status })),
        cell('reason', reasonName(p.reason)),
        cell('time_in_state', ticking(p.sinceMs)),
      ],
      { 'data-staff': p.staff_id, 'data-status': p.status },
    ),
  );
  showRows(ui.staff, ui.staffBody, ui.staffEmpty, rows);
}

function tile(key, value, attrs = {}) {
  const box = element('div', { class: 'tile', ...attrs });
  const dt = element('dt');
  dt.textContent = t(key);
  const dd = element('dd', {}, [value].flat());
  box.append(dt, dd);
  return box;
}

function renderNow() {
  const people = [...state.staff.values()];
  const count = (status) => people.filter((p) => p.status === status).length;
  const waiting = state.queues.reduce((sum, q) => sum + q.waiting, 0);
  const oldest = state.queues.length ? Math.min(...state.queues.map((q) => q.since)) : null;
  ui.nowTiles.replaceChildren(
    tile('supervisor.now.waiting', formatNumber(waiting), { 'data-figure': 'waiting' }),
    tile('supervisor.now.longest_wait', oldest === null ? '—' : ticking(oldest), {
      'data-figure': 'longest_wait',
      'data-since': oldest === null ? '' : String(oldest),
    }),
    tile('supervisor.now.available', formatNumber(count(STAFF_STATUS.AVAILABLE)), { 'data-figure': 'available' }),
    tile('supervisor.now.in_session', formatNumber(state.sessions.length), { 'data-figure': 'in_session' }),
    tile('supervisor.now.away', formatNumber(count(STAFF_STATUS.AWAY) + count(STAFF_STATUS.WRAP_UP)), {
      'data-figure': 'away',
    }),
  );
}

function renderUpdated() {
  if (state.at === null) {
    clearMessage(ui.updated);
    return;
  }
  const key = document.body.dataset.connection === 'live' ? 'supervisor.updated' : 'supervisor.updated_stale';
  setMessage(ui.updated, key, { time: clock(state.at) });
}

function render() {
  renderQueues();
  renderSessions();
  renderStaff();
  renderNow();
  renderUpdated();
  tick();
}

// -- every second: the waits grow, the alert follows -----------------------------------------

function tick() {
  for (const span of document.querySelectorAll('.board .tick[data-since]')) {
    span.textContent = formatSeconds(secondsSince(Number(span.dataset.since)));
  }
  const limitMs = state.limitS * 1000;
  const over = [];
  for (const tr of ui.queuesBody.querySelectorAll('tr[data-since]')) {
    const isOver = serverNow() - Number(tr.dataset.since) >= limitMs;
    tr.dataset.over = String(isOver);
    tr.querySelector('.badge.over').hidden = !isOver;
  }
  for (const q of state.queues) {
    if (serverNow() - q.since >= limitMs) {
      over.push(q);
    }
  }
  const longest = ui.nowTiles.querySelector('[data-figure="longest_wait"]');
  if (longest) {
    longest.dataset.over = String(Boolean(longest.dataset.since) && serverNow() - Number(longest.dataset.since) >= limitMs);
  }
  showAlert(over);
}

/** The banner names the queues past the limit; it changes only when they change. */
function showAlert(over) {
  const what = over.map((q) => `${q.service}/${q.language}`).join(',');
  const saying = `${state.limitS}|${what}`;
  if (saying === state.alerting) {
    return;
  }
  const wasOn = document.body.dataset.alert === 'on';
  state.alerting = saying;
  if (over.length === 0) {
    ui.alert.textContent = '';
    delete ui.alert.dataset.queues;
    document.body.dataset.alert = 'off';
    return;
  }
  const queues = over.map((q) => `${serviceName(q.service)} · ${languageName(q.language)}`).join(', ');
  ui.alert.textContent = t('supervisor.alert', { limit: formatSeconds(state.limitS), queues });
  ui.alert.dataset.queues = what;
  document.body.dataset.alert = 'on';
  if (!wasOn) {
    titleCue('supervisor.title_alert'); // in the tab strip, when this tab is not shown
  }
}

function clearAlert() {
  state.alerting = null;
  ui.alert.textContent = '';
  delete ui.alert.dataset.queues;
  document.body.dataset.alert = 'off';
}

// -- the alert limit -------------------------------------------------------------------------

function validLimit(value) {
  return Number.isInteger(value) && value >= LIMIT_MIN_S && value <= LIMIT_MAX_S;
}

function rememberedLimit() {
  try {
    const raw = window.localStorage.getItem(LIMIT_STORAGE);
    const value = raw === null ? NaN : Number(raw);
    return validLimit(value) ? value : DEFAULT_LIMIT_S;
  } catch {
    return DEFAULT_LIMIT_S; // storage is disabled: the default for this visit
  }
}

function showLimit() {
  ui.limit.value = String(state.limitS);
  setMessage(ui.limitHint, 'supervisor.limit.now', { limit: formatSeconds(state.limitS) });
}

function setLimit(event) {
  event.preventDefault();
  const value = ui.limit.value.trim() === '' ? NaN : Number(ui.limit.value);
  if (!validLimit(value)) {
    ui.limit.setAttribute('aria-invalid', 'true');
    setMessage(ui.limitProblem, 'supervisor.limit.invalid', { min: LIMIT_MIN_S, max: LIMIT_MAX_S });
    ui.limit.focus();
    return;
  }
  ui.limit.removeAttribute('aria-invalid');
  clearMessage(ui.limitProblem);
  state.limitS = value;
  try {
    window.localStorage.setItem(LIMIT_STORAGE, String(value));
  } catch {
    // kept for this visit only
  }
  showLimit();
  tick();
}

// -- today's figures ---------------------------------------------------------------------

/** After a push: load the figures now, or when FIGURES_EVERY_MS has passed. */
function requestFigures() {
  if (!state.live || state.figuresTimer !== null) {
    return;
  }
  const wait = Math.max(0, state.figuresAt + FIGURES_EVERY_MS - Date.now());
  state.figuresTimer = setTimeout(loadFigures, wait);
}

async function loadFigures() {
  state.figuresTimer = null;
  state.figuresAt = Date.now();
  const result = await api('GET', '/api/statistics?by=hour'); // today, in the center's zone
  if (!state.live) {
    return;
  }
  if (!result.ok) {
    if (signIn.handle(result)) {
      stopLive();
      return;
    }
    setMessage(ui.todayProblem, 'supervisor.today.error', { message: result.error.message || result.error.code });
    return;
  }
  clearMessage(ui.todayProblem);
  state.figures = result.data;
  state.figuresAsOf = Date.now();
  renderFigures();
}

function countAndShare(count, whole) {
  if (!whole) {
    return formatNumber(count || 0);
  }
  return t('supervisor.today.count_share', { count: formatNumber(count), share: formatShare(count, whole) });
}

function renderFigures() {
  const data = state.figures;
  if (!data) {
    return;
  }
  setMessage(ui.todayAsOf, 'supervisor.today.as_of', { day: data.to, time: clock(state.figuresAsOf) });
  const total = data.totals[0] || null;
  const figure = (name) => (total ? total[name] : 0);
  ui.todayTiles.replaceChildren(
    tile('supervisor.today.requests', formatNumber(figure('requests')), { 'data-figure': 'requests' }),
    tile('supervisor.today.answered', countAndShare(figure('answered'), figure('requests')), {
      'data-figure': 'answered',
    }),
    tile('supervisor.today.within_60', countAndShare(figure('answered_within_60'), figure('answered')), {
      'data-figure': 'within_60',
    }),
    tile('supervisor.today.abandoned', countAndShare(figure('abandoned'), figure('requests')), {
      'data-figure': 'abandoned',
    }),
    tile('supervisor.today.wait_average', formatSeconds(total && total.wait_average), {
      'data-figure': 'wait_average',
    }),
  );
  renderCharts(data, total);
}

function renderCharts(data, total) {
  const byBucket = new Map(data.rows.map((r) => [r.bucket, r]));
  const labels = data.buckets.map((b) => formatTime(b, data.time_zone, { date: false }));
  const pick = (name) => data.buckets.map((b) => (byBucket.has(b) ? byBucket.get(b)[name] : null));
  const open = data.buckets.map((b) => {
    const r = byBucket.get(b);
    return r ? Math.max(0, r.requests - r.answered - r.abandoned - r.unanswered) : null;
  });
  const figure = (name) => (total ? total[name] : 0);
  stackedBars(ui.chartRequests, {
    title: t('supervisor.chart.requests'),
    description: t('supervisor.chart.requests.description', {
      requests: figure('requests'),
      answered: figure('answered'),
      abandoned: figure('abandoned'),
      open: open.reduce((sum, n) => sum + (n || 0), 0),
    }),
    labels,
    series: [
      { name: t('staff.stats.column.answered'), color: COLORS.green, values: pick('answered') },
      { name: t('staff.stats.column.abandoned'), color: COLORS.red, values: pick('abandoned') },
      { name: t('staff.stats.column.unanswered'), color: COLORS.orange, values: pick('unanswered') },
      { name: t('supervisor.chart.open'), color: COLORS.grey, values: open },
    ],
    format: wholeOnly(formatNumber),
  });
  lines(ui.chartWait, {
    title: t('supervisor.chart.wait'),
    description: t('supervisor.chart.wait.description', {
      average: formatSeconds(total && total.wait_average),
    }),
    labels,
    series: [{ name: t('staff.stats.column.wait_average'), color: COLORS.blue, values: pick('wait_average') }],
    format: wholeOnly(formatSeconds),
  });
}

/** Axis labels for whole values only: a scale topped at 1 leaves its half unlabelled. */
function wholeOnly(format) {
  return (value) => (Number.isInteger(value) ? format(value) : '');
}

// -- the live feed -----------------------------------------------------------------------

function setConnection(connection, key) {
  document.body.dataset.connection = connection;
  setMessage(ui.status, key);
  renderUpdated();
}

function connect() {
  const socket = window.io(NAMESPACE.STAFF, { withCredentials: true });
  state.socket = socket;
  setConnection('offline', 'supervisor.connection.connecting');
  socket.on('connect', () => {
    setConnection('live', 'supervisor.connection.live');
  });
  socket.on('connect_error', () => {
    if (socket.active) {
      setConnection('offline', 'supervisor.connection.lost'); // socket.io keeps retrying
      return;
    }
    // The server refused us: the sign-in cookie is missing or has expired.
    stopLive();
    signIn.show();
    errors.show('staff.session_expired');
  });
  socket.on('disconnect', (reason) => {
    if (reason !== 'io client disconnect') {
      setConnection('offline', 'supervisor.connection.lost');
    }
  });
  listenIn.attach(socket);
  socket.on(STAFF.on.DASHBOARD, onDashboard);
  socket.on(STAFF.on.STAFF_PRESENCE, onStaffPresence);
}

function stopLive() {
  state.live = false;
  listenIn.close();
  if (state.socket) {
    state.socket.disconnect();
    state.socket = null;
  }
  clearInterval(state.ticker);
  clearTimeout(state.figuresTimer);
  Object.assign(state, {
    ticker: null,
    figuresTimer: null,
    figuresAt: 0,
    at: null,
    queues: [],
    staff: new Map(),
    sessions: [],
    figures: null,
  });
  clearAlert();
  clearMessage(ui.status);
  document.body.dataset.connection = 'offline';
}

// -- signing in --------------------------------------------------------------------------

function linkItems(role) {
  return (LINKS[role] || []).map(([href, key]) => {
    const a = element('a', { href });
    setMessage(a, key);
    return element('li', {}, [a]);
  });
}

async function enter(me) {
  stopLive();
  if (me.role !== 'supervisor') {
    setMessage(ui.deniedText, 'supervisor.denied', { name: me.display_name });
    ui.deniedLinks.replaceChildren(...linkItems(me.role));
    setView('denied');
    return;
  }
  ui.linksList.replaceChildren(...linkItems(me.role));
  blankBoard();
  setView('dashboard');
  state.live = true;
  state.ticker = setInterval(tick, TICK_MS);
  connect();
  await loadFigures();
}

/** Nothing known until the first push: no table, and no "nobody is waiting" either. */
function blankBoard() {
  for (const [table, body, empty] of [
    [ui.queues, ui.queuesBody, ui.queuesEmpty],
    [ui.sessions, ui.sessionsBody, ui.sessionsEmpty],
    [ui.staff, ui.staffBody, ui.staffEmpty],
  ]) {
    body.replaceChildren();
    table.hidden = true;
    empty.hidden = true;
  }
  ui.nowTiles.replaceChildren();
  ui.todayTiles.replaceChildren();
  ui.chartRequests.replaceChildren();
  ui.chartWait.replaceChildren();
  clearMessage(ui.updated);
  clearMessage(ui.todayAsOf);
  clearMessage(ui.todayProblem);
}

async function main() {
  state.limitS = rememberedLimit();
  ui.limitForm.addEventListener('submit', setLimit);
  ui.logout.addEventListener('click', stopLive);
  await initI18n(ui.locale, { locales: STAFF_LOCALES });
  onLocaleChange(() => {
    state.alerting = null; // the alert, when there is one, is written again in this language
    if (state.live && state.at !== null) {
      render();
    }
    if (state.live) {
      renderFigures();
    }
  });
  showLimit();
  await signIn.start();
}

main();
