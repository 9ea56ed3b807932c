// The scheduler page: a week of interpreters' shifts and reservations; book, move
// and cancel reservations, add and change shifts. Times are entered and shown in
// the center's time zone, whatever the scheduler's computer is set to.

import {
  MessageArea,
  STAFF_LOCALES,
  clearMessage,
  currentLocale,
  hasMessage,
  initI18n,
  onLocaleChange,
  setMessage,
  t,
} from './i18n.js';

const $ = (id) => document.getElementById(id);
const LANGUAGES = Object.freeze({
  sign_language: ['ksl'],
  chat: ['ko'],
  foreign_language: ['en', 'zh', 'ja', 'vi', 'mn'],
});
const BOOKING_ROLES = ['scheduler', 'supervisor'];
const CONFIRM_MS = 5000;

const ui = {
  locale: $('locale'),
  who: $('who'),
  logout: $('logout'),
  status: $('status'),
  loginForm: $('login-form'),
  username: $('username'),
  password: $('password'),
  login: $('login'),
  weekLabel: $('week-label'),
  weekHead: $('week-head'),
  weekBody: $('week-body'),
  weekEmpty: $('week-empty'),
  bookForm: $('book-form'),
  bookService: $('book-service'),
  bookLanguage: $('book-language'),
  bookLanguageField: $('book-language-field'),
  bookDate: $('book-date'),
  bookTime: $('book-time'),
  bookDuration: $('book-duration'),
  bookStaff: $('book-staff'),
  bookName: $('book-name'),
  bookContact: $('book-contact'),
  bookNotes: $('book-notes'),
  bookSubmit: $('book-submit'),
  bookError: $('book-error'),
  bookResult: $('book-result'),
  selected: $('selected'),
  selectedDetail: $('selected-detail'),
  selectedError: $('selected-error'),
  selectedResult: $('selected-result'),
  selectedIcs: $('selected-ics'),
  moveForm: $('move-form'),
  moveDate: $('move-date'),
  moveTime: $('move-time'),
  moveStaff: $('move-staff'),
  cancel: $('cancel-reservation'),
  newLink: $('new-link'),
  shiftForm: $('shift-form'),
  shiftStaff: $('shift-staff'),
  shiftDate: $('shift-date'),
  shiftStart: $('shift-start'),
  shiftEnd: $('shift-end'),
  shiftSubmit: $('shift-submit'),
  shiftRemove: $('shift-remove'),
  shiftNew: $('shift-new'),
  shiftError: $('shift-error'),
  shiftResult: $('shift-result'),
};
const errors = new MessageArea($('error'));

const state = {
  me: null,
  tz: 'Asia/Seoul',
  weekStart: null, // 'YYYY-MM-DD', a Monday in the center's time zone
  week: null, // the last GET /api/schedule answer
  selectedId: null,
  shiftId: null,
  cancelArmed: 0,
};

// -- dates in the center's time zone ----------------------------------------------

function localParts(iso) {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: state.tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(iso));
  const get = (type) => parts.find((p) => p.type === type).value;
  return { date: `${get('year')}-${get('month')}-${get('day')}`, time: `${get('hour')}:${get('minute')}` };
}

function offsetMinutes(epochMs) {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: state.tz, timeZoneName: 'longOffset' })
    .formatToParts(new Date(epochMs))
    .find((p) => p.type === 'timeZoneName').value; // "GMT+09:00" or "GMT"
  const match = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name);
  if (!match) {
    return 0;
  }
  const minutes = Number(match[2]) * 60 + Number(match[3] || 0);
  return match[1] === '-' ? -minutes : minutes;
}

/** An ISO 8601 time with the center's UTC offset for a local date and HH:MM. */
function isoAt(date, time) {
  const [y, m, d] = date.split('-').map(Number);
  const [hh, mm] = time.split(':').map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  let offset = offsetMinutes(wall - offsetMinutes(wall) * 60000);
  offset = offsetMinutes(wall - offset * 60000);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const pad = (n) => String(n).padStart(2, '0');
  return `${date}T${time}:00${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function addDays(date, days) {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

function mondayOf(date) {
  const [y, m, d] = date.split('-').map(Number);
  const weekday = (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7;
  return addDays(date, -weekday);
}

function today() {
  return localParts(new Date().toISOString()).date;
}

function dayLabel(date) {
  const [y, m, d] = date.split('-').map(Number);
  return new Intl.DateTimeFormat(currentLocale(), {
    weekday: 'short',
    month: 'numeric',
    day: 'numeric',
    timeZone: 'UTC',
  }).format(new Date(Date.UTC(y, m - 1, d)));
}

function span(start, end) {
  return `${localParts(start).time}–${localParts(end).time}`;
}

// -- talking to the server ----------------------------------------------------------

async function api(method, path, body) {
  const options = { method, headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    options.headers['Content-Type'] = 'application/json';
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch {
    return { ok: false, status: 0, error: { code: 'unreachable', message: '', field: null } };
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (response.ok) {
    return { ok: true, status: response.status, data };
  }
  const error = (data && data.error) || { code: `http_${response.status}`, message: '', field: null };
  if (response.status === 401) {
    showLogin();
  }
  return { ok: false, status: response.status, error };
}

/** Explain a refusal in `area`, and mark and focus the field it names. */
function showRefusal(area, error, fields) {
  const key = `scheduler.error.${error.code}`;
  area.dataset.code = error.code;
  if (hasMessage(key)) {
    setMessage(area, key);
  } else {
    setMessage(area, 'scheduler.error.other', { message: error.message || error.code });
  }
  const input = fields[error.field];
  if (input) {
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-errormessage', area.id);
    input.focus();
  }
}

function clearRefusal(area, fields) {
  delete area.dataset.code;
  clearMessage(area);
  for (const input of Object.values(fields)) {
    input.removeAttribute('aria-invalid');
    input.removeAttribute('aria-errormessage');
  }
}

// -- sign in --------------------------------------------------------------------------

function setView(view) {
  document.body.dataset.state = view;
  for (const section of document.querySelectorAll('[data-view]')) {
    section.hidden = section.dataset.view !== view;
  }
  ui.logout.hidden = view !== 'schedule';
}

function showLogin() {
  state.me = null;
  clearMessage(ui.who);
  clearMessage(ui.status);
  setView('login');
  ui.username.focus();
}

async function enter(me) {
  state.me = me;
  setMessage(ui.who, 'staff.signed_in_as', { name: me.display_name });
  if (!BOOKING_ROLES.includes(me.role)) {
    errors.show('scheduler.not_allowed');
    setView('login');
    ui.logout.hidden = false;
    return;
  }
  errors.clear();
  setView('schedule');
  await loadWeek(mondayOf(today()));
}

async function login(event) {
  event.preventDefault();
  errors.clear();
  ui.login.disabled = true;
  const result = await api('POST', '/api/login', {
    username: ui.username.value.trim(),
    password: ui.password.value,
  });
  ui.login.disabled = false;
  if (result.ok) {
    ui.password.value = '';
    await enter(result.data);
  } else if (result.error.code === 'bad_credentials') {
    errors.show('staff.login.bad_credentials', {}, result.error.code);
  } else {
    errors.show('staff.login.failed', {}, result.error.code);
  }
}

async function logout() {
  await api('POST', '/api/logout');
  showLogin();
}

// -- the week -------------------------------------------------------------------------

async function loadWeek(monday) {
  state.weekStart = monday;
  setMessage(ui.status, 'scheduler.status.loading');
  const result = await api('GET', `/api/schedule?start=${monday}&days=7`);
  if (!result.ok) {
    if (result.status !== 401) {
      errors.show('scheduler.status.load_failed', {}, result.error.code);
    }
    return;
  }
  state.week = result.data;
  state.tz = result.data.time_zone;
  clearMessage(ui.status);
  render();
}

function interpreterName(id) {
  const found = state.week && state.week.interpreters.find((i) => i.id === id);
  return found ? found.display_name : id;
}

function reservationText(r) {
  const parts = [span(r.start, r.end), t(`language.${r.language}`)];
  if (r.citizen_name) {
    parts.push(r.citizen_name);
  }
  if (r.status !== 'booked') {
    parts.push(t(`scheduler.status_name.${r.status}`));
  }
  return parts.join(' · ');
}

function itemButton(kind, id, text, label) {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = `item-${kind}`;
  button.dataset.kind = kind;
  button.dataset.id = id;
  button.textContent = text;
  button.setAttribute('aria-label', label);
  const pressed = kind === 'reservation' ? state.selectedId === id : state.shiftId === id;
  button.setAttribute('aria-pressed', String(pressed));
  return button;
}

function render() {
  const week = state.week;
  const days = Array.from({ length: 7 }, (_, n) => addDays(state.weekStart, n));
  const focused = document.activeElement && document.activeElement.dataset.id;
  setMessage(ui.weekLabel, 'scheduler.week.label', {
    from: dayLabel(days[0]),
    to: dayLabel(days[6]),
  });
  const now = localParts(week.now).date;
  const head = [document.createElement('th')];
  head[0].scope = 'col';
  head[0].textContent = t('scheduler.week.interpreter');
  for (const day of days) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = dayLabel(day);
    if (day === now) {
      th.className = 'today';
      th.setAttribute('aria-current', 'date');
    }
    head.push(th);
  }
  ui.weekHead.replaceChildren(...head);

  const rows = week.interpreters.map((person) => {
    const row = document.createElement('tr');
    const name = document.createElement('th');
    name.scope = 'row';
    name.textContent = person.display_name;
    row.append(name);
    for (const day of days) {
      const cell = document.createElement('td');
      if (day === now) {
        cell.className = 'today';
      }
      const list = document.createElement('ul');
      list.className = 'day-items';
      const items = [];
      for (const shift of week.shifts) {
        if (shift.staff_id === person.id && localParts(shift.start).date === day) {
          const text = t('scheduler.week.shift', { span: span(shift.start, shift.end) });
          items.push([shift.start, itemButton('shift', shift.id, text, `${person.display_name}: ${text}`)]);
        }
      }
      for (const r of week.reservations) {
        if (r.staff_id === person.id && localParts(r.start).date === day) {
          const text = reservationText(r);
          const label = t('scheduler.week.reservation_label', {
            name: person.display_name,
            day: dayLabel(day),
            what: text,
          });
          items.push([r.start, itemButton('reservation', r.id, text, label)]);
        }
      }
      items.sort((a, b) => a[0].localeCompare(b[0]));
      for (const [, button] of items) {
        const li = document.createElement('li');
        li.append(button);
        list.append(li);
      }
      cell.append(list);
      row.append(cell);
    }
    return row;
  });
  ui.weekBody.replaceChildren(...rows);
  ui.weekEmpty.hidden = week.interpreters.length > 0;
  fillStaffSelects();
  showSelected();
  if (focused) {
    const again = ui.weekBody.querySelector(`button[data-id="${focused}"]`);
    if (again) {
      again.focus();
    }
  }
}

function option(value, text) {
  const element = document.createElement('option');
  element.value = value;
  element.textContent = text;
  return element;
}

function fillServiceSelects() {
  const service = ui.bookService.value || 'sign_language';
  ui.bookService.replaceChildren(...Object.keys(LANGUAGES).map((s) => option(s, t(`service.${s}`))));
  ui.bookService.value = service;
  const languages = LANGUAGES[service];
  const language = ui.bookLanguage.value;
  ui.bookLanguage.replaceChildren(...languages.map((l) => option(l, t(`language.${l}`))));
  ui.bookLanguage.value = languages.includes(language) ? language : languages[0];
  ui.bookLanguageField.hidden = languages.length === 1;
}

function fillStaffSelects() {
  const people = state.week ? state.week.interpreters : [];
  const skill = `${ui.bookService.value}/${ui.bookLanguage.value}`;
  const keep = (select, first) => {
    const value = select.value;
    select.replaceChildren(...first, ...people
      .filter((p) => select !== ui.bookStaff || p.skills.includes(skill))
      .map((p) => option(p.id, p.display_name)));
    if ([...select.options].some((o) => o.value === value)) {
      select.value = value;
    }
  };
  keep(ui.bookStaff, [option('', t('scheduler.field.interpreter.auto'))]);
  keep(ui.moveStaff, [option('', t('scheduler.field.interpreter.keep'))]);
  keep(ui.shiftStaff, []);
}

// -- book -----------------------------------------------------------------------------

const BOOK_FIELDS = () => ({
  start: ui.bookTime,
  duration_minutes: ui.bookDuration,
  staff_id: ui.bookStaff,
  service: ui.bookService,
  language: ui.bookLanguage,
  citizen_name: ui.bookName,
  citizen_contact: ui.bookContact,
  notes: ui.bookNotes,
});

function joinLinkBlock(join, result) {
  const url = new URL(join.path, window.location.origin).href;
  const label = document.createElement('label');
  label.htmlFor = `${result.id}-link`;
  label.textContent = t('scheduler.link.label');
  const input = document.createElement('input');
  input.id = `${result.id}-link`;
  input.readOnly = true;
  input.value = url;
  const copy = document.createElement('button');
  copy.type = 'button';
  copy.className = 'secondary';
  copy.textContent = t('scheduler.link.copy');
  copy.addEventListener('click', async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(url);
      copy.textContent = t('scheduler.link.copied');
    } catch {
      copy.textContent = t('scheduler.link.copy_by_hand');
    }
  });
  const hint = document.createElement('p');
  hint.className = 'hint';
  hint.textContent = t('scheduler.link.hint');
  return [label, input, copy, hint];
}

async function book(event) {
  event.preventDefault();
  const fields = BOOK_FIELDS();
  clearRefusal(ui.bookError, fields);
  ui.bookResult.replaceChildren();
  if (!ui.bookDate.value || !ui.bookTime.value) {
    showRefusal(ui.bookError, { code: 'missing_time', field: 'start' }, fields);
    return;
  }
  const body = {
    service: ui.bookService.value,
    language: ui.bookLanguage.value,
    start: isoAt(ui.bookDate.value, ui.bookTime.value),
    duration_minutes: Number(ui.bookDuration.value) || 30,
    staff_id: ui.bookStaff.value || null,
    citizen_name: ui.bookName.value.trim() || null,
    citizen_contact: ui.bookContact.value.trim() || null,
    notes: ui.bookNotes.value.trim() || null,
  };
  ui.bookSubmit.disabled = true;
  const result = await api('POST', '/api/reservations', body);
  ui.bookSubmit.disabled = false;
  if (!result.ok) {
    showRefusal(ui.bookError, result.error, fields);
    return;
  }
  const r = result.data;
  const done = document.createElement('p');
  done.textContent = t('scheduler.book.done', {
    when: `${dayLabel(localParts(r.start).date)} ${span(r.start, r.end)}`,
    name: interpreterName(r.staff_id),
  });
  ui.bookResult.replaceChildren(done, ...joinLinkBlock(r.join, ui.bookResult));
  ui.bookName.value = '';
  ui.bookContact.value = '';
  ui.bookNotes.value = '';
  state.selectedId = r.id;
  await loadWeek(mondayOf(localParts(r.start).date));
}

// -- the selected reservation -------------------------------------------------------

function selectedReservation() {
  return state.week && state.week.reservations.find((r) => r.id === state.selectedId);
}

function showSelected() {
  const r = selectedReservation();
  ui.selected.hidden = !r;
  if (!r) {
    return;
  }
  const lines = [
    `${dayLabel(localParts(r.start).date)} ${span(r.start, r.end)}`,
    `${t(`service.${r.service}`)} · ${t(`language.${r.language}`)}`,
    t('scheduler.selected.interpreter', { name: interpreterName(r.staff_id) }),
    t('scheduler.selected.status', { status: t(`scheduler.status_name.${r.status}`) }),
  ];
  if (r.citizen_name) {
    lines.push(t('scheduler.selected.citizen', { name: r.citizen_name }));
  }
  if (r.citizen_contact) {
    lines.push(t('scheduler.selected.contact', { contact: r.citizen_contact }));
  }
  if (r.notes) {
    lines.push(r.notes);
  }
  ui.selectedDetail.replaceChildren(...lines.flatMap((line, n) => (n ? [document.createElement('br'), line] : [line])));
  const changeable = r.status === 'booked';
  for (const control of [ui.moveDate, ui.moveTime, ui.moveStaff, $('move-submit'), ui.cancel, ui.newLink]) {
    control.disabled = !changeable;
  }
  if (document.activeElement !== ui.moveDate && document.activeElement !== ui.moveTime) {
    ui.moveDate.value = localParts(r.start).date;
    ui.moveTime.value = localParts(r.start).time;
  }
  ui.selectedIcs.href = `/api/reservations/${r.id}/calendar.ics`;
}

function select(id) {
  state.selectedId = id;
  state.cancelArmed = 0;
  clearRefusal(ui.selectedError, MOVE_FIELDS());
  ui.selectedResult.replaceChildren();
  ui.cancel.textContent = t('scheduler.cancel.submit');
  render();
  ui.selected.scrollIntoView({ block: 'nearest' });
}

const MOVE_FIELDS = () => ({ start: ui.moveTime, staff_id: ui.moveStaff, reservation_id: ui.moveDate });

async function move(event) {
  event.preventDefault();
  const r = selectedReservation();
  const fields = MOVE_FIELDS();
  clearRefusal(ui.selectedError, fields);
  ui.selectedResult.replaceChildren();
  const body = { start: isoAt(ui.moveDate.value, ui.moveTime.value) };
  if (ui.moveStaff.value) {
    body.staff_id = ui.moveStaff.value;
  }
  const result = await api('PATCH', `/api/reservations/${r.id}`, body);
  if (!result.ok) {
    showRefusal(ui.selectedError, result.error, fields);
    return;
  }
  setMessage(ui.selectedResult, 'scheduler.move.done');
  await loadWeek(mondayOf(localParts(result.data.start).date));
}

async function cancelReservation() {
  const r = selectedReservation();
  if (Date.now() - state.cancelArmed > CONFIRM_MS) {
    state.cancelArmed = Date.now();
    ui.cancel.textContent = t('scheduler.cancel.confirm');
    return;
  }
  state.cancelArmed = 0;
  ui.cancel.textContent = t('scheduler.cancel.submit');
  const result = await api('POST', `/api/reservations/${r.id}/cancel`);
  if (!result.ok) {
    showRefusal(ui.selectedError, result.error, MOVE_FIELDS());
    return;
  }
  setMessage(ui.selectedResult, 'scheduler.cancel.done');
  await loadWeek(state.weekStart);
}

async function newLink() {
  const r = selectedReservation();
  const result = await api('POST', `/api/reservations/${r.id}/join-link`);
  if (!result.ok) {
    showRefusal(ui.selectedError, result.error, MOVE_FIELDS());
    return;
  }
  ui.selectedResult.replaceChildren(...joinLinkBlock(result.data, ui.selectedResult));
}

// -- shifts ---------------------------------------------------------------------------

const SHIFT_FIELDS = () => ({ staff_id: ui.shiftStaff, start: ui.shiftStart, end: ui.shiftEnd });

function editShift(id) {
  const shift = state.week.shifts.find((s) => s.id === id);
  state.shiftId = shift ? id : null;
  clearRefusal(ui.shiftError, SHIFT_FIELDS());
  clearMessage(ui.shiftResult);
  if (shift) {
    ui.shiftStaff.value = shift.staff_id;
    ui.shiftDate.value = localParts(shift.start).date;
    ui.shiftStart.value = localParts(shift.start).time;
    ui.shiftEnd.value = localParts(shift.end).time;
  }
  ui.shiftStaff.disabled = Boolean(shift);
  ui.shiftRemove.hidden = !shift;
  ui.shiftNew.hidden = !shift;
  setMessage(ui.shiftSubmit, shift ? 'scheduler.shift.save' : 'scheduler.shift.add');
  render();
  if (shift) {
    ui.shiftDate.focus();
  }
}

async function saveShift(event) {
  event.preventDefault();
  const fields = SHIFT_FIELDS();
  clearRefusal(ui.shiftError, fields);
  clearMessage(ui.shiftResult);
  if (!ui.shiftDate.value || !ui.shiftStart.value || !ui.shiftEnd.value || !ui.shiftStaff.value) {
    showRefusal(ui.shiftError, { code: 'missing_time', field: 'start' }, fields);
    return;
  }
  const endDate = ui.shiftEnd.value <= ui.shiftStart.value ? addDays(ui.shiftDate.value, 1) : ui.shiftDate.value;
  const times = {
    start: isoAt(ui.shiftDate.value, ui.shiftStart.value),
    end: isoAt(endDate, ui.shiftEnd.value),
  };
  const result = state.shiftId
    ? await api('PUT', `/api/shifts/${state.shiftId}`, times)
    : await api('POST', '/api/shifts', { staff_id: ui.shiftStaff.value, ...times });
  if (!result.ok) {
    showRefusal(ui.shiftError, result.error, fields);
    return;
  }
  setMessage(ui.shiftResult, 'scheduler.shift.saved');
  state.shiftId = result.data.id;
  await loadWeek(mondayOf(ui.shiftDate.value));
}

async function removeShift() {
  const result = await api('DELETE', `/api/shifts/${state.shiftId}`);
  if (!result.ok) {
    showRefusal(ui.shiftError, result.error, SHIFT_FIELDS());
    return;
  }
  editShift(null);
  setMessage(ui.shiftResult, 'scheduler.shift.removed');
  await loadWeek(state.weekStart);
}

// -- wiring ---------------------------------------------------------------------------

function wire() {
  ui.loginForm.addEventListener('submit', login);
  ui.logout.addEventListener('click', logout);
  $('week-prev').addEventListener('click', () => loadWeek(addDays(state.weekStart, -7)));
  $('week-next').addEventListener('click', () => loadWeek(addDays(state.weekStart, 7)));
  $('week-today').addEventListener('click', () => loadWeek(mondayOf(today())));
  ui.weekBody.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-kind]');
    if (!button) {
      return;
    }
    if (button.dataset.kind === 'reservation') {
      select(button.dataset.id);
    } else {
      editShift(button.dataset.id);
    }
  });
  ui.bookService.addEventListener('change', () => {
    fillServiceSelects();
    fillStaffSelects();
  });
  ui.bookLanguage.addEventListener('change', fillStaffSelects);
  ui.bookForm.addEventListener('submit', book);
  ui.moveForm.addEventListener('submit', move);
  ui.cancel.addEventListener('click', cancelReservation);
  ui.newLink.addEventListener('click', newLink);
  ui.shiftForm.addEventListener('submit', saveShift);
  ui.shiftRemove.addEventListener('click', removeShift);
  ui.shiftNew.addEventListener('click', () => editShift(null));
  for (const input of [ui.bookDate, ui.bookTime]) {
    input.addEventListener('input', () => clearRefusal(ui.bookError, BOOK_FIELDS()));
  }
  onLocaleChange(() => {
    fillServiceSelects();
    if (state.week) {
      render();
    }
  });
}

async function main() {
  wire();
  await initI18n(ui.locale, { locales: STAFF_LOCALES });
  fillServiceSelects();
  ui.bookDate.value = addDays(today(), 1);
  ui.bookTime.value = '10:00';
  ui.shiftDate.value = addDays(today(), 1);
  const response = await fetch('/api/me', { headers: { Accept: 'application/json' } }).catch(() => null);
  if (response && response.ok) {
    await enter(await response.json());
  } else {
    showLogin();
  }
}

main();
