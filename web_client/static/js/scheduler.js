// The scheduler page: a week of interpreters' shifts and reservations; book, move
// and cancel reservations, add and change shifts. Times are entered and shown in
// the center's time zone, whatever the scheduler's computer is set to.
// This module holds sign-in and wires the parts together: scheduler_time.js (dates in
// the center's zone), scheduler_api.js (calls and refusals), scheduler_week.js (the
// week's table), scheduler_reservations.js (book, move, cancel) and scheduler_shifts.js.

import { MessageArea, STAFF_LOCALES, clearMessage, initI18n, onLocaleChange, setMessage } from './i18n.js';
import { clearRefusal, schedulerApi } from './scheduler_api.js';
import { BOOK_FIELDS, SchedulerReservations } from './scheduler_reservations.js';
import { SchedulerShifts } from './scheduler_shifts.js';
import { centerTime } from './scheduler_time.js';
import { SchedulerWeek } from './scheduler_week.js';

const $ = (id) => document.getElementById(id);
const BOOKING_ROLES = ['scheduler', 'supervisor'];

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

// The page's parts share `page`: its elements, state and messages, and each other.
const api = schedulerApi(() => showLogin());
const page = { ui, state, errors, api, time: centerTime(state) };
page.week = new SchedulerWeek(page);
page.reservations = new SchedulerReservations(page);
page.shifts = new SchedulerShifts(page);
const { week, reservations, shifts } = page;
const { addDays, mondayOf, today } = page.time;

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
  await week.loadWeek(mondayOf(today()));
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

// -- wiring ---------------------------------------------------------------------------

function wire() {
  ui.loginForm.addEventListener('submit', login);
  ui.logout.addEventListener('click', logout);
  $('week-prev').addEventListener('click', () => week.loadWeek(addDays(state.weekStart, -7)));
  $('week-next').addEventListener('click', () => week.loadWeek(addDays(state.weekStart, 7)));
  $('week-today').addEventListener('click', () => week.loadWeek(mondayOf(today())));
  ui.weekBody.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-kind]');
    if (!button) {
      return;
    }
    if (button.dataset.kind === 'reservation') {
      reservations.select(button.dataset.id);
    } else {
      shifts.editShift(button.dataset.id);
    }
  });
  ui.bookService.addEventListener('change', () => {
    week.fillServiceSelects();
    week.fillStaffSelects();
  });
  ui.bookLanguage.addEventListener('change', () => week.fillStaffSelects());
  ui.bookForm.addEventListener('submit', (event) => reservations.book(event));
  ui.moveForm.addEventListener('submit', (event) => reservations.move(event));
  ui.cancel.addEventListener('click', () => reservations.cancelReservation());
  ui.newLink.addEventListener('click', () => reservations.newLink());
  ui.shiftForm.addEventListener('submit', (event) => shifts.saveShift(event));
  ui.shiftRemove.addEventListener('click', () => shifts.removeShift());
  ui.shiftNew.addEventListener('click', () => shifts.editShift(null));
  for (const input of [ui.bookDate, ui.bookTime]) {
    input.addEventListener('input', () => clearRefusal(ui.bookError, BOOK_FIELDS(ui)));
  }
  onLocaleChange(() => {
    week.fillServiceSelects();
    if (state.week) {
      week.render();
    }
  });
}

async function main() {
  wire();
  await initI18n(ui.locale, { locales: STAFF_LOCALES });
  week.fillServiceSelects();
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
