// The case search and case page: staff find cases by date, service, language,
// interpreter, category and disposition, and open one to read its timeline, chat
// transcript, wrap-up and satisfaction (and correct the wrap-up when allowed).
// Supervisors see every case, interpreters the cases they answered.

import { MessageArea, STAFF_LOCALES, currentLocale, hasMessage, initI18n, onLocaleChange, setMessage, t } from './i18n.js';
import { SignIn, api, formatSeconds, formatTime } from './records_common.js';
import { AuditCard, RecordingsCard } from './recordings.js';
import { WrapupForm } from './wrapup.js';

const $ = (id) => document.getElementById(id);
const LANGUAGES = Object.freeze(['ksl', 'ko', 'en', 'zh', 'ja', 'vi', 'mn']);
const SERVICES = Object.freeze(['sign_language', 'chat', 'foreign_language']);
const DISPOSITIONS = Object.freeze(['answered', 'forwarded', 'follow_up']);
const READERS = Object.freeze(['interpreter', 'supervisor']);
const CASE_HASH = /^#case=([0-9a-f]{32})$/;

const ui = {
  locale: $('locale'),
  who: $('who'),
  logout: $('logout'),
  status: $('status'),
  loginForm: $('login-form'),
  username: $('username'),
  password: $('password'),
  login: $('login'),
  searchForm: $('search-form'),
  from: $('search-from'),
  to: $('search-to'),
  service: $('search-service'),
  language: $('search-language'),
  interpreter: $('search-interpreter'),
  interpreterField: $('search-interpreter-field'),
  category: $('search-category'),
  disposition: $('search-disposition'),
  count: $('results-count'),
  results: $('results-body'),
  more: $('more'),
  caseHeading: $('case-heading'),
  back: $('back'),
  erased: $('case-erased'),
  facts: $('case-facts'),
  timeline: $('case-timeline'),
  transcript: $('case-transcript'),
  transcriptEmpty: $('case-transcript-empty'),
  wrapup: $('case-wrapup'),
  noWrapup: $('case-no-wrapup'),
  feedback: $('case-feedback'),
  wrapupForm: $('case-wrapup-form'),
};
const errors = new MessageArea($('error'));
const state = {
  tz: 'Asia/Seoul',
  taxonomy: null,
  names: new Map(), // staff id -> display name
  cases: [], // the results shown
  cursor: null,
  opened: null, // {detail, record}
  form: null,
};

function setView(view) {
  document.body.dataset.state = view;
  for (const section of document.querySelectorAll('[data-view]')) {
    section.hidden = section.dataset.view !== view;
  }
}

const signIn = new SignIn({ ui, errors, setView, onSignedIn: enter });
const recordings = new RecordingsCard({
  list: $('recordings-list'),
  note: $('recordings-note'),
  combine: $('recordings-combine'),
  combineStatus: $('recordings-combine-status'),
});
const auditCard = new AuditCard(
  {
    form: $('audit-form'),
    from: $('audit-from'),
    to: $('audit-to'),
    body: $('audit-body'),
    note: $('audit-note'),
  },
  (id) => staffName(id),
);

function option(value, text) {
  const element = document.createElement('option');
  element.value = value;
  element.textContent = text;
  return element;
}

function fillSelect(select, items) {
  const value = select.value;
  select.replaceChildren(option('', t('staff.cases.any')), ...items.map(([v, text]) => option(v, text)));
  select.value = [...select.options].some((o) => o.value === value) ? value : '';
}

function categoryLabel(code) {
  const found = state.taxonomy && state.taxonomy.categories.find((c) => c.code === code);
  if (!found) {
    return code || '—';
  }
  return currentLocale() === 'ko' ? found.ko : found.en;
}

function fillFilters() {
  fillSelect(ui.service, SERVICES.map((s) => [s, t(`service.${s}`)]));
  fillSelect(ui.language, LANGUAGES.map((l) => [l, t(`language.${l}`)]));
  fillSelect(ui.disposition, DISPOSITIONS.map((d) => [d, t(`staff.disposition.${d}`)]));
  const categories = state.taxonomy ? state.taxonomy.categories : [];
  fillSelect(ui.category, categories.map((c) => [c.code, categoryLabel(c.code)]));
  fillSelect(ui.interpreter, [...state.names].map(([id, name]) => [id, name]));
}

async function enter(me) {
  if (!READERS.includes(me.role)) {
    errors.show('staff.cases.not_allowed');
    setView('login');
    return;
  }
  const taxonomy = await api('GET', '/api/taxonomy');
  state.taxonomy = taxonomy.ok ? taxonomy.data : null;
  ui.interpreterField.hidden = me.role !== 'supervisor';
  if (me.role === 'supervisor') {
    const people = await api('GET', '/api/cases/interpreters');
    for (const person of people.ok ? people.data.interpreters : []) {
      state.names.set(person.id, person.display_name);
    }
  } else {
    state.names.set(me.id, me.display_name);
  }
  fillFilters();
  await search(); // the newest cases first, whatever their day
  await route();
}

// -- searching --------------------------------------------------------------------

function query(cursor) {
  const params = new URLSearchParams();
  for (const [name, input] of Object.entries({
    from: ui.from,
    to: ui.to,
    service: ui.service,
    language: ui.language,
    interpreter: ui.interpreter,
    category: ui.category,
    disposition: ui.disposition,
  })) {
    if (input.value && !(name === 'interpreter' && ui.interpreterField.hidden)) {
      params.set(name, input.value);
    }
  }
  if (cursor) {
    params.set('cursor', cursor);
  }
  return `/api/cases/search?${params}`;
}

async function search(event, cursor = null) {
  if (event) {
    event.preventDefault();
  }
  errors.clear();
  setMessage(ui.status, 'staff.cases.searching');
  const result = await api('GET', query(cursor));
  ui.status.textContent = '';
  delete ui.status.dataset.i18n;
  if (!result.ok) {
    if (!signIn.handle(result)) {
      errors.show('staff.cases.error', { message: result.error.message || result.error.code }, result.error.code);
    }
    return;
  }
  state.tz = result.data.time_zone;
  state.cases = cursor ? [...state.cases, ...result.data.cases] : result.data.cases;
  state.cursor = result.data.next_cursor;
  for (const c of result.data.cases) {
    if (c.interpreter_id && c.interpreter_name) {
      state.names.set(c.interpreter_id, c.interpreter_name);
    }
  }
  renderResults();
}

function outcome(c) {
  if (c.status !== 'ended') {
    return t(`staff.case_status.${c.status}`);
  }
  return t(`staff.end_reason.${c.end_reason}`);
}

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) {
    td.className = className;
  }
  return td;
}

function renderResults() {
  const rows = state.cases.map((c) => {
    const row = document.createElement('tr');
    const when = document.createElement('th');
    when.scope = 'row';
    when.textContent = formatTime(c.requested_at, state.tz);
    const open = document.createElement('button');
    open.type = 'button';
    open.className = 'secondary';
    open.dataset.caseId = c.id;
    open.textContent = t('staff.cases.open');
    open.setAttribute('aria-label', t('staff.cases.open_label', { when: when.textContent }));
    open.addEventListener('click', () => {
      window.location.hash = `case=${c.id}`;
    });
    const openCell = document.createElement('td');
    openCell.append(open);
    row.append(
      when,
      cell(`${t(`service.${c.service}`)} · ${t(`language.${c.language}`)}`),
      cell(c.interpreter_name || '—'),
      cell(outcome(c)),
      cell(formatSeconds(c.wait_seconds), 'number'),
      cell(formatSeconds(c.handle_seconds), 'number'),
      cell(c.category ? categoryLabel(c.category) : '—'),
      cell(c.disposition ? t(`staff.disposition.${c.disposition}`) : '—'),
      cell(c.score === null ? '—' : String(c.score), 'number'),
      openCell,
    );
    return row;
  });
  ui.results.replaceChildren(...rows);
  setMessage(ui.count, state.cases.length ? 'staff.cases.count' : 'staff.cases.none', {
    count: state.cases.length,
  });
  ui.more.hidden = !state.cursor;
}

// -- one case ---------------------------------------------------------------------

async function route() {
  const found = CASE_HASH.exec(window.location.hash);
  if (!signIn.me) {
    return;
  }
  if (!found) {
    closeCase();
    return;
  }
  await openCase(found[1]);
}

function closeCase() {
  const shown = state.opened && state.opened.detail.id;
  state.opened = null;
  recordings.stop();
  if (state.form) {
    state.form.destroy();
    state.form = null;
  }
  setView('search');
  const again = shown && ui.results.querySelector(`button[data-case-id="${shown}"]`);
  if (again) {
    again.focus();
  }
}

async function openCase(caseId) {
  errors.clear();
  const [detail, record] = await Promise.all([
    api('GET', `/api/cases/${caseId}`),
    api('GET', `/api/cases/${caseId}/record`),
  ]);
  if (!detail.ok || !record.ok) {
    const failed = detail.ok ? record : detail;
    if (!signIn.handle(failed)) {
      errors.show(`staff.cases.open_error.${failed.status === 404 ? 'not_found' : 'other'}`, {}, failed.error.code);
      setView('search');
    }
    return;
  }
  state.opened = { detail: detail.data, record: record.data };
  setView('case');
  renderCase();
  renderWrapupForm();
  ui.caseHeading.focus();
  const supervisor = signIn.me.role === 'supervisor';
  $('audit-card').hidden = !supervisor;
  await recordings.load(caseId, state.tz);
  if (supervisor) {
    await auditCard.load(caseId, state.tz);
  }
}

function facts(list, pairs) {
  const nodes = [];
  for (const [key, value] of pairs) {
    const dt = document.createElement('dt');
    dt.textContent = t(key);
    const dd = document.createElement('dd');
    dd.textContent = value;
    nodes.push(dt, dd);
  }
  list.replaceChildren(...nodes);
}

function staffName(id) {
  return id ? state.names.get(id) || t('staff.case.staff_member') : '';
}

/** A message, or `fallback` when the catalogs have none (a value newer than the page). */
function known(key, fallback) {
  return hasMessage(key) ? { key } : fallback;
}

/** Who a room event names (detail `role` or `role:ref`): the role, and the staff
 * member's name when it is staff (a guest's reference is never shown). */
function partyText(e) {
  const role = (e.detail || '').split(':')[0];
  const key = `staff.recordings.role.${role}`;
  const roleText = role && hasMessage(key) ? t(key) : role || t('staff.event.someone');
  return e.staff_id ? t('staff.event.party_named', { role: roleText, name: staffName(e.staff_id) }) : roleText;
}

/** One line of the timeline in words; `staff_id` and `detail` hold what each kind's
 * docstring in counseling.cases.EventKind says. */
function eventText(e) {
  const who = staffName(e.staff_id);
  switch (e.kind) {
    case 'ended':
      return t('staff.event.ended', { reason: e.detail ? { key: `staff.end_reason.${e.detail}` } : '' });
    case 'party_joined':
    case 'party_left':
    case 'consent_given':
    case 'consent_declined':
    case 'consent_withdrawn':
      return t(`staff.event.${e.kind}`, { party: partyText(e) });
    case 'counselor_requested':
      return t('staff.event.counselor_requested', {
        who,
        department: known(`staff.room.department.${e.detail}`, e.detail || '—'),
      });
    case 'transfer_requested':
      // staff_id: the interpreter named, if any; detail: who asked.
      return t(e.staff_id ? 'staff.event.transfer_requested' : 'staff.event.transfer_requested.anyone', {
        by: staffName(e.detail),
        who,
      });
    case 'transferred':
      return t('staff.event.transferred', { from: staffName(e.detail), who });
    case 'join_request_cancelled': {
      const key = `staff.event.join_request_cancelled.${e.detail}`;
      return t(hasMessage(key) ? key : 'staff.event.join_request_cancelled', { who });
    }
    default:
      return t(`staff.event.${e.kind}`, { who });
  }
}

function renderCase() {
  const { detail: c, record } = state.opened;
  const tz = state.tz;
  setMessage(ui.caseHeading, 'staff.case.heading', {
    service: { key: `service.${c.service}` },
    when: formatTime(c.requested_at, tz),
  });
  const reservation = c.events.find((e) => e.kind === 'reservation');
  facts(ui.facts, [
    ['staff.case.service', `${t(`service.${c.service}`)} · ${t(`language.${c.language}`)}`],
    ['staff.case.channel', t(`staff.channel.${c.channel}`)],
    ['staff.case.status', c.status === 'ended' ? t(`staff.end_reason.${c.end_reason}`) : t(`staff.case_status.${c.status}`)],
    ['staff.case.requested', formatTime(c.requested_at, tz, { seconds: true })],
    ['staff.case.answered', formatTime(c.answered_at, tz, { seconds: true })],
    ['staff.case.ended', formatTime(c.ended_at, tz, { seconds: true })],
    ['staff.case.wait', formatSeconds(c.wait_seconds)],
    ['staff.case.handle', formatSeconds(c.handle_seconds)],
    ['staff.case.interpreter', staffName(c.interpreter_id) || '—'],
    ['staff.case.ended_by', c.ended_by ? t(`staff.party.${c.ended_by}`) : '—'],
    ['staff.case.reservation', reservation ? reservation.detail : '—'],
    ['staff.case.id', c.id],
  ]);
  ui.timeline.replaceChildren(
    ...c.events.map((e) => {
      const li = document.createElement('li');
      const time = document.createElement('time');
      time.dateTime = e.at;
      time.textContent = formatTime(e.at, tz, { date: false, seconds: true });
      const what = document.createElement('span');
      what.textContent = eventText(e);
      li.append(time, what);
      return li;
    }),
  );
  ui.transcript.replaceChildren(
    ...c.transcript.map((m) => {
      const li = document.createElement('li');
      li.dataset.sender = m.sender;
      const who = document.createElement('span');
      who.className = 'who';
      who.textContent = m.sender === 'interpreter' ? staffName(m.sender_id) : t('chat.sender.citizen');
      const time = document.createElement('time');
      time.dateTime = m.at;
      time.textContent = formatTime(m.at, tz, { date: false, seconds: true });
      const text = document.createElement('p');
      text.className = 'text';
      text.textContent = m.text;
      li.append(who, time, text);
      return li;
    }),
  );
  ui.transcriptEmpty.hidden = c.transcript.length > 0;
  renderRecord(record);
}

function renderRecord(record) {
  const tz = state.tz;
  const w = record.wrapup;
  if (record.erased_at) {
    setMessage(ui.erased, 'staff.case.erased', { when: formatTime(record.erased_at, tz) });
  } else {
    ui.erased.textContent = '';
    delete ui.erased.dataset.i18n;
  }
  ui.noWrapup.hidden = Boolean(w);
  facts(
    ui.wrapup,
    w
      ? [
          ['staff.wrapup.category', categoryLabel(w.category)],
          ['staff.wrapup.summary', w.summary || '—'],
          ['staff.wrapup.disposition', t(`staff.disposition.${w.disposition}`)],
          ...(w.forwarded_to ? [['staff.wrapup.forwarded_to', w.forwarded_to]] : []),
          ...(w.follow_up_owner ? [['staff.wrapup.follow_up_owner', w.follow_up_owner]] : []),
          ['staff.wrapup.written', `${staffName(w.written_by)} · ${formatTime(w.updated_at, tz)}`],
        ]
      : [],
  );
  const f = record.feedback;
  facts(ui.feedback, [
    ['staff.case.satisfaction', f && f.score !== null ? t('staff.case.score', { score: f.score }) : t('staff.case.not_rated')],
    ...(f && f.comment ? [['staff.case.comment', f.comment]] : []),
  ]);
}

function renderWrapupForm() {
  if (state.form) {
    state.form.destroy();
    state.form = null;
  }
  const { detail: c, record } = state.opened;
  const me = signIn.me;
  const mayWrite = me.role === 'supervisor' || c.interpreter_id === me.id;
  if (!mayWrite || !c.answered_at || record.erased_at) {
    return;
  }
  state.form = new WrapupForm(ui.wrapupForm, {
    caseId: c.id,
    wrapup: record.wrapup,
    onSaved: (wrapup) => {
      state.opened.record = { ...state.opened.record, wrapup };
      const row = state.cases.find((x) => x.id === c.id);
      if (row) {
        row.category = wrapup.category;
        row.disposition = wrapup.disposition;
        renderResults();
      }
      renderRecord(state.opened.record);
    },
  });
}

function wire() {
  ui.searchForm.addEventListener('submit', (event) => search(event));
  ui.more.addEventListener('click', () => search(null, state.cursor));
  ui.back.addEventListener('click', () => {
    window.location.hash = '';
  });
  window.addEventListener('hashchange', route);
  onLocaleChange(() => {
    fillFilters();
    renderResults();
    if (state.opened) {
      renderCase();
      recordings.render();
      auditCard.render();
    }
  });
}

async function main() {
  wire();
  await initI18n(ui.locale, { locales: STAFF_LOCALES });
  await signIn.start();
}

main();
