// The statistics page for supervisors: requests, answers, abandonment, service
// level, waiting and handling times and satisfaction, per day or hour, with
// charts, a table, a breakdown by service and language, and a CSV download.

import { MessageArea, STAFF_LOCALES, initI18n, onLocaleChange, setMessage, t } from './i18n.js';
import { COLORS, bars, lines, stackedBars } from './charts.js';
import { SignIn, api, formatNumber, formatSeconds, formatShare, formatTime } from './records_common.js';

const $ = (id) => document.getElementById(id);
const SERVICES = Object.freeze(['sign_language', 'chat', 'foreign_language']);
const LANGUAGES = Object.freeze(['ksl', 'ko', 'en', 'zh', 'ja', 'vi', 'mn']);
const CHANNELS = Object.freeze(['video', 'chat']);

const ui = {
  locale: $('locale'),
  who: $('who'),
  logout: $('logout'),
  status: $('status'),
  loginForm: $('login-form'),
  username: $('username'),
  password: $('password'),
  login: $('login'),
  form: $('stats-form'),
  from: $('stats-from'),
  to: $('stats-to'),
  by: $('stats-by'),
  service: $('stats-service'),
  language: $('stats-language'),
  channel: $('stats-channel'),
  csv: $('csv'),
  rangeLabel: $('range-label'),
  tiles: $('tiles'),
  volume: $('chart-volume'),
  wait: $('chart-wait'),
  satisfaction: $('chart-satisfaction'),
  caption: $('figures-caption'),
  head: $('figures-head'),
  body: $('figures-body'),
  foot: $('figures-foot'),
  breakdownHead: $('breakdown-head'),
  breakdownBody: $('breakdown-body'),
};
const errors = new MessageArea($('error'));
// `asked` counts the loads asked for: only the last one's answer is drawn.
const state = { stats: null, breakdown: null, asked: 0 };

function setView(view) {
  document.body.dataset.state = view;
  for (const section of document.querySelectorAll('[data-view]')) {
    section.hidden = section.dataset.view !== view;
  }
}

const signIn = new SignIn({ ui, errors, setView, onSignedIn: enter });

function option(value, text) {
  const element = document.createElement('option');
  element.value = value;
  element.textContent = text;
  return element;
}

function fillSelect(select, items) {
  const value = select.value;
  select.replaceChildren(option('', t('staff.stats.all')), ...items.map(([v, text]) => option(v, text)));
  select.value = value;
}

function fillFilters() {
  fillSelect(ui.service, SERVICES.map((s) => [s, t(`service.${s}`)]));
  fillSelect(ui.language, LANGUAGES.map((l) => [l, t(`language.${l}`)]));
  fillSelect(ui.channel, CHANNELS.map((c) => [c, t(`staff.channel.${c}`)]));
}

async function enter(me) {
  if (me.role !== 'supervisor') {
    errors.show('staff.stats.not_allowed');
    setView('login');
    return;
  }
  setView('stats');
  fillFilters();
  await load(); // no range yet: the server's default, the last 7 days in its zone
}

function params(extra = {}) {
  const query = new URLSearchParams({ by: ui.by.value });
  for (const [name, input] of [
    ['from', ui.from],
    ['to', ui.to],
    ['service', ui.service],
    ['language', ui.language],
    ['channel', ui.channel],
  ]) {
    if (input.value) {
      query.set(name, input.value);
    }
  }
  for (const [name, value] of Object.entries(extra)) {
    query.set(name, value);
  }
  return query;
}

async function load(event) {
  if (event) {
    event.preventDefault();
  }
  errors.clear();
  setMessage(ui.status, 'staff.stats.loading');
  const asked = ++state.asked;
  const query = params();
  const [stats, breakdown] = await Promise.all([
    api('GET', `/api/statistics?${query}`),
    api('GET', `/api/statistics?${params({ group: 'service,language' })}`),
  ]);
  if (asked !== state.asked) {
    return; // a later Show asked for other figures: its answer draws the page
  }
  ui.status.textContent = '';
  delete ui.status.dataset.i18n;
  if (!stats.ok || !breakdown.ok) {
    const failed = stats.ok ? breakdown : stats;
    if (!signIn.handle(failed)) {
      const key = `staff.stats.error.${failed.error.code}`;
      const known = ['range_reversed', 'range_too_long'].includes(failed.error.code);
      errors.show(known ? key : 'staff.stats.error.other', { message: failed.error.message }, failed.error.code);
    }
    return;
  }
  state.stats = stats.data;
  state.breakdown = breakdown.data;
  ui.from.value = stats.data.from;
  ui.to.value = stats.data.to;
  // The CSV holds the figures shown: their filters and range, whatever the form says now.
  const csv = new URLSearchParams(query);
  csv.set('from', stats.data.from);
  csv.set('to', stats.data.to);
  ui.csv.href = `/api/statistics.csv?${csv}`;
  render();
}

// -- what is shown -------------------------------------------------------------------

function bucketLabel(iso, short = false) {
  const tz = state.stats.time_zone;
  if (state.stats.by === 'day') {
    return new Intl.DateTimeFormat('en-CA', { timeZone: tz, month: '2-digit', day: '2-digit' }).format(new Date(iso));
  }
  return short
    ? formatTime(iso, tz, { date: false })
    : formatTime(iso, tz);
}

function total() {
  return state.stats.totals[0] || null;
}

function renderTiles() {
  const row = total();
  const satisfied = row ? row.satisfaction[3] + row.satisfaction[4] : 0;
  const tiles = [
    ['staff.stats.tile.requests', row ? formatNumber(row.requests) : '0'],
    ['staff.stats.tile.answered', row ? formatShare(row.answered, row.requests) : '—'],
    ['staff.stats.tile.abandoned', row ? formatShare(row.abandoned, row.requests) : '—'],
    ['staff.stats.tile.within_60', row ? formatShare(row.answered_within_60, row.answered) : '—'],
    ['staff.stats.tile.within_120', row ? formatShare(row.answered_within_120, row.answered) : '—'],
    ['staff.stats.tile.wait_average', formatSeconds(row && row.wait_average)],
    ['staff.stats.tile.wait_p90', formatSeconds(row && row.wait_p90)],
    ['staff.stats.tile.handle_average', formatSeconds(row && row.handle_average)],
    ['staff.stats.tile.satisfaction', row ? formatNumber(row.satisfaction_average, 2) : '—'],
    ['staff.stats.tile.satisfied', row ? formatShare(satisfied, row.satisfaction_count) : '—'],
  ];
  ui.tiles.replaceChildren(
    ...tiles.map(([key, value]) => {
      const box = document.createElement('div');
      box.className = 'tile';
      const dt = document.createElement('dt');
      dt.textContent = t(key);
      const dd = document.createElement('dd');
      dd.textContent = value;
      box.append(dt, dd);
      return box;
    }),
  );
}

function renderCharts() {
  const byBucket = new Map(state.stats.rows.map((r) => [r.bucket, r]));
  const buckets = state.stats.buckets;
  const labels = buckets.map((b) => bucketLabel(b, true));
  const pick = (name) => buckets.map((b) => (byBucket.has(b) ? byBucket.get(b)[name] : null));
  const row = total();
  stackedBars(ui.volume, {
    title: t('staff.stats.chart.volume'),
    description: t('staff.stats.chart.volume.description', {
      requests: row ? row.requests : 0,
      answered: row ? row.answered : 0,
      abandoned: row ? row.abandoned : 0,
    }),
    labels,
    series: [
      { name: t('staff.stats.column.answered'), color: COLORS.green, values: pick('answered') },
      { name: t('staff.stats.column.abandoned'), color: COLORS.red, values: pick('abandoned') },
      { name: t('staff.stats.column.unanswered'), color: COLORS.orange, values: pick('unanswered') },
    ],
    format: (v) => formatNumber(v),
  });
  lines(ui.wait, {
    title: t('staff.stats.chart.wait'),
    description: t('staff.stats.chart.wait.description', {
      average: formatSeconds(row && row.wait_average),
      p90: formatSeconds(row && row.wait_p90),
    }),
    labels,
    series: [
      { name: t('staff.stats.column.wait_average'), color: COLORS.blue, values: pick('wait_average') },
      { name: t('staff.stats.column.wait_p90'), color: COLORS.orange, values: pick('wait_p90') },
    ],
    format: (v) => formatSeconds(v),
  });
  const scores = row ? row.satisfaction : [0, 0, 0, 0, 0];
  bars(ui.satisfaction, {
    title: t('staff.stats.chart.satisfaction'),
    description: t('staff.stats.chart.satisfaction.description', {
      counts: scores.map((n, i) => `${i + 1}: ${n}`).join(', '),
    }),
    labels: ['1', '2', '3', '4', '5'],
    values: scores,
    color: COLORS.blue,
    format: (v) => formatNumber(v),
  });
}

const COLUMNS = Object.freeze([
  ['requests', (r) => formatNumber(r.requests)],
  ['answered', (r) => formatNumber(r.answered)],
  ['abandoned', (r) => formatNumber(r.abandoned)],
  ['unanswered', (r) => formatNumber(r.unanswered)],
  ['within_60', (r) => formatShare(r.answered_within_60, r.answered)],
  ['within_120', (r) => formatShare(r.answered_within_120, r.answered)],
  ['wait_average', (r) => formatSeconds(r.wait_average)],
  ['wait_p90', (r) => formatSeconds(r.wait_p90)],
  ['handle_average', (r) => formatSeconds(r.handle_average)],
  ['satisfaction', (r) => (r.satisfaction_count ? `${formatNumber(r.satisfaction_average, 2)} (${r.satisfaction_count})` : '—')],
]);

function headRow(first) {
  const cells = [first, ...COLUMNS.map(([name]) => t(`staff.stats.column.${name}`))];
  return cells.map((text) => {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = text;
    return th;
  });
}

function bodyRow(label, row) {
  const tr = document.createElement('tr');
  const th = document.createElement('th');
  th.scope = 'row';
  th.textContent = label;
  tr.append(th, ...COLUMNS.map(([, value]) => {
    const td = document.createElement('td');
    td.textContent = value(row);
    return td;
  }));
  return tr;
}

function renderTables() {
  const s = state.stats;
  setMessage(ui.caption, s.by === 'day' ? 'staff.stats.table.caption.day' : 'staff.stats.table.caption.hour');
  ui.head.replaceChildren(...headRow(t(s.by === 'day' ? 'staff.stats.column.day' : 'staff.stats.column.hour')));
  ui.body.replaceChildren(...s.rows.map((r) => bodyRow(bucketLabel(r.bucket), r)));
  ui.foot.replaceChildren(...s.totals.map((r) => bodyRow(t('staff.stats.total'), r)));
  ui.breakdownHead.replaceChildren(...headRow(t('staff.stats.column.service')));
  ui.breakdownBody.replaceChildren(
    ...state.breakdown.totals.map((r) =>
      bodyRow(`${t(`service.${r.service}`)} · ${t(`language.${r.language}`)}`, r),
    ),
  );
}

function render() {
  if (!state.stats) {
    return;
  }
  setMessage(ui.rangeLabel, 'staff.stats.range', { from: state.stats.from, to: state.stats.to });
  renderTiles();
  renderCharts();
  renderTables();
}

function wire() {
  ui.form.addEventListener('submit', load);
  onLocaleChange(() => {
    fillFilters();
    render();
  });
}

async function main() {
  wire();
  await initI18n(ui.locale, { locales: STAFF_LOCALES });
  await signIn.start();
}

main();
