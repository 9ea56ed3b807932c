// The supervisor's live dashboard: queues, staff and sessions as the server pushes
// them on /staff, waits ticking between pushes, a long-wait alert, and today's
// figures from the statistics API, refreshed after pushes (never on a timer).
// This module holds the live feed and sign-in, and wires the parts together:
// supervisor_parts.js (the server's clock, cells, tiles), supervisor_board.js (the
// tables, the ticking and the alert), supervisor_limit.js and supervisor_figures.js.

import { MessageArea, STAFF_LOCALES, clearMessage, initI18n, onLocaleChange, setMessage } from './i18n.js';
import { ListenIn } from './listen_in.js';
import { NAMESPACE, STAFF, STAFF_STATUS } from './protocol.js';
import { SignIn } from './records_common.js';
import { SupervisorBoard } from './supervisor_board.js';
import { SupervisorFigures } from './supervisor_figures.js';
import { DEFAULT_LIMIT_S, SupervisorLimit, rememberedLimit } from './supervisor_limit.js';
import { element, serverClock } from './supervisor_parts.js';

const $ = (id) => document.getElementById(id);

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

// The dashboard's parts share `page`: its elements, state and messages, and each other.
const page = { ui, state, errors, listenIn, signIn, stopLive, clock: serverClock(state) };
page.board = new SupervisorBoard(page);
page.limit = new SupervisorLimit(page);
page.figures = new SupervisorFigures(page);
const { limit, figures } = page;

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
  page.board.render();
  figures.requestFigures();
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
  page.board.renderStaff();
  page.board.renderNow();
  page.board.tick();
}

// -- the live feed -----------------------------------------------------------------------

function setConnection(connection, key) {
  document.body.dataset.connection = connection;
  setMessage(ui.status, key);
  page.board.renderUpdated();
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
  page.board.clearAlert();
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
  state.ticker = setInterval(() => page.board.tick(), TICK_MS);
  connect();
  await figures.loadFigures();
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
  ui.limitForm.addEventListener('submit', (event) => limit.setLimit(event));
  ui.logout.addEventListener('click', stopLive);
  await initI18n(ui.locale, { locales: STAFF_LOCALES });
  onLocaleChange(() => {
    state.alerting = null; // the alert, when there is one, is written again in this language
    if (state.live && state.at !== null) {
      page.board.render();
    }
    if (state.live) {
      figures.renderFigures();
    }
  });
  limit.showLimit();
  await signIn.start();
}

main();
